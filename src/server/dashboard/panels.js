// The dashboard's panels (docs/dashboard.md): the graphs (uPlot, window.uPlot), the selected
// stream's health, viewers, figures and OBS settings, and the recent authorization failures. Each
// writes the DOM only when what it shows changed: the events come every second, and a rewrite
// would lose a selection, a scroll position or a screen reader's place.

const $ = (id) => document.getElementById(id);

// ---------- Graphs ----------
const GRAPHS = [
  { key: 'bitrate', unit: 'kb/s', color: '#8cc4ff', format: (v) => Math.round(v) + ' kb/s' },
  { key: 'framerate', unit: 'fps', color: '#7fe0a0', format: (v) => v.toFixed(1) + ' fps' },
  { key: 'keyframe', unit: 's', color: '#ffb86b', format: (v) => v.toFixed(1) + ' s' },
];
const PLOT_HEIGHT = 150;
const plots = new Map();

/** The three graphs, made once their box is on screen (uPlot needs its width). */
export function ensureGraphs() {
  if (plots.size > 0 || !window.uPlot) return;
  const axis = { stroke: '#c8d0da', grid: { stroke: 'rgba(255,255,255,0.08)' }, ticks: { stroke: 'rgba(255,255,255,0.15)' } };
  for (const g of GRAPHS) {
    const box = $('graph-' + g.key).querySelector('.plot');
    const plot = new uPlot({
      width: Math.max(200, box.clientWidth),
      height: PLOT_HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.15)] } },
      axes: [{ ...axis, space: 60 }, { ...axis, size: 50 }],
      series: [{}, { label: g.unit, stroke: g.color, width: 2, fill: g.color + '22', spanGaps: true, points: { show: false } }],
    }, [[], []], box);
    plots.set(g.key, plot);
    new ResizeObserver(() => {
      const width = Math.max(200, box.clientWidth);
      if (width !== plot.width) plot.setSize({ width, height: PLOT_HEIGHT });
    }).observe(box);
  }
}

/** `series`: { t (s), bitrate, framerate, keyframe } of the selected stream. The latest values are text beside each graph. */
export function renderGraphs(series) {
  const h = series || { t: [], bitrate: [], framerate: [], keyframe: [] };
  for (const g of GRAPHS) {
    const values = h[g.key];
    const plot = plots.get(g.key);
    if (plot) plot.setData([h.t.slice(), values.slice()]);
    $('graph-' + g.key).dataset.points = String(h.t.length);
    const last = values.length > 0 ? values[values.length - 1] : null;
    setText($('now-' + g.key), last === null || last === undefined ? 'not measured yet' : g.format(last));
  }
}

// ---------- The selected stream ----------
const HEALTH_WORDS = {
  good: 'Nothing to fix.',
  ok: 'See the warnings and notes below.',
  bad: 'Viewers are affected: fix the errors below.',
  noData: 'Not enough media yet to judge (it needs 4 s).',
};
const SEVERITY_WORDS = { error: 'Error', warning: 'Warning', info: 'Note' };
const PROTOCOL_WORDS = { rtmp: 'RTMP players', hls: 'HLS viewers', dash: 'DASH viewers', total: 'All' };
let shownHealth = '';
let shownObs = '';

/** The health, viewers, figures and OBS settings of stream `s` (an event's), `event` giving the RTMP port and segment target. */
export function renderStream(s, event) {
  renderHealth(s.health);
  // RTMP players are always counted; HTTP viewers only when they have sessions (playback authorization on).
  setPairs($('viewer-counts'), Object.entries({ rtmp: 0, ...(s.viewers || {}) }).map(([protocol, n]) => [PROTOCOL_WORDS[protocol] || protocol.toUpperCase(), String(n)]));
  setPairs($('stream-info'), [
    ['Video', s.video ? s.video.codec + ', ' + s.video.width + '×' + s.video.height : 'none'],
    ['Audio', s.audio ? s.audio.codec + ', ' + s.audio.sampleRate + ' Hz, ' + s.audio.channels + ' ch' : 'none'],
    ['Bit rate', Math.round(s.bitrateKbps) + ' kb/s'],
    ['Up for', duration(s.uptimeSeconds)],
  ]);
  renderObs(s, event);
}

function renderHealth(health) {
  if (health) {
    const m = health.measures;
    const parts = ['over the last ' + m.windowSeconds.toFixed(0) + ' s'];
    if (m.frameRate != null) parts.push(m.frameRate.toFixed(1) + ' fps');
    if (m.keyframeIntervalSeconds != null) parts.push('keyframes at most ' + m.keyframeIntervalSeconds.toFixed(1) + ' s apart');
    parts.push(Math.round(m.bitsPerSecond / 1000) + ' kb/s');
    if (m.maxCompositionOffsetMs > 0) parts.push('B-frame delay up to ' + m.maxCompositionOffsetMs + ' ms');
    setText($('health-measures'), 'Measured ' + parts.join(', ') + '.');
  }
  const key = JSON.stringify(health && { status: health.status, findings: health.findings });
  if (key === shownHealth) return;
  shownHealth = key;
  const status = $('health-status');
  if (!health) {
    status.textContent = 'No report for this stream.';
    $('findings').replaceChildren();
    return;
  }
  status.replaceChildren(badge(health.status, health.status === 'noData' ? 'No data' : health.status.toUpperCase()), ' ', HEALTH_WORDS[health.status] || '');
  $('findings').replaceChildren(...health.findings.map((f) => {
    const li = document.createElement('li');
    li.className = f.severity;
    const title = document.createElement('p');
    const type = document.createElement('code');
    type.textContent = f.type;
    title.append(badge(f.severity, SEVERITY_WORDS[f.severity] || f.severity), ' ', type);
    const dl = document.createElement('dl');
    dl.className = 'pairs';
    setPairs(dl, [['Measured', f.actual], ['Expected', f.expected], ['Fix', f.advice]]);
    li.append(title, dl);
    return li;
  }));
}

function badge(kind, text) {
  const span = document.createElement('span');
  span.className = 'badge ' + kind;
  span.textContent = text;
  return span;
}

/** `rtmp://<the host this page came from>:<rtmp port>/<app>`. */
export function rtmpBase(app, event) {
  const port = event && event.rtmpPort;
  return 'rtmp://' + location.hostname + (port ? ':' + port : '') + '/' + app;
}

// The figures of docs/health.md and the health analyzer's advice: keyframes at the segment target,
// CBR, no B-frames, no scene-cut keyframes, a constant frame rate, 8-bit 4:2:0, AAC at 48 kHz.
function renderObs(s, event) {
  const seg = (event && event.segmentTargetSeconds) || 2;
  const fps = Math.round((s.video && s.video.frameRate) || s.frameRate || 30);
  const server = rtmpBase(s.app, event);
  const key = JSON.stringify([server, s.streamKey, seg, fps]);
  if (key === shownObs) return;
  shownObs = key;
  $('obs-server').value = server;
  $('obs-key').value = s.streamKey;
  setPairs($('obs-settings'), [
    ['Encoder', 'x264 (or a hardware H.264 encoder: NVENC, QuickSync, AMF)'],
    ['Rate Control', 'CBR (peaks over the viewers\u2019 bandwidth stall them)'],
    ['Bitrate', '2500 Kbps for 720p30, 4500 for 1080p30, 6000 for 1080p60; at most ¾ of your upload'],
    ['Keyframe Interval', seg + ' s, the segment target (not 0 = auto)'],
    ['CPU Usage Preset', 'veryfast (faster if Stats shows skipped frames)'],
    ['Profile', 'high (main for old devices); never high10, high422 or high444'],
    ['x264 Options', 'bframes=0 scenecut=0 (no B-frames for low latency; no scene-cut keyframes, so segments stay even)'],
    ['Video', 'Common FPS Values 30 or 60, constant; Color Format NV12 (Advanced → Video)'],
    ['Audio', 'AAC, 48 kHz, 160 Kbps'],
  ]);
  const gop = fps * seg;
  $('obs-ffmpeg').value = 'ffmpeg -re -i <input> -c:v libx264 -preset veryfast -profile:v high -pix_fmt yuv420p -b:v 4500k -maxrate 4500k -bufsize 9000k'
    + ' -g ' + gop + ' -keyint_min ' + gop + ' -sc_threshold 0 -bf 0 -c:a aac -ar 48000 -b:a 160k -f flv ' + server + '/' + s.streamKey;
}

// ---------- Recent authorization failures ----------
let shownDenials = '';

export function renderDenials(denials) {
  const key = JSON.stringify(denials);
  if (key === shownDenials) return;
  shownDenials = key;
  $('denials-empty').hidden = denials.length > 0;
  $('denials-table').hidden = denials.length === 0;
  $('denials-table').tBodies[0].replaceChildren(...denials.map((d) => {
    const tr = document.createElement('tr');
    for (const text of [new Date(d.atMs).toLocaleTimeString(), d.action, d.app + '/' + d.key, d.ip, d.reason]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
}

// ---------- Helpers ----------
export function setPairs(dl, pairs) {
  const key = JSON.stringify(pairs);
  if (dl.dataset.shown === key) return;
  dl.dataset.shown = key;
  dl.replaceChildren(...pairs.flatMap(([term, value]) => {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    return [dt, dd];
  }));
}

export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

export function duration(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}
