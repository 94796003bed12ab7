/**
 * The page at `/`: the live streams (from /api/streams, refreshed every 2 s) and a player for the
 * chosen one, using hls.js served by this server from the installed package (/assets/hls.min.js),
 * never from a CDN. Plain HTML and a small script: nothing to build.
 */
/**
 * What the list says before any stream is live. The URL names no port: the RTMP port is the
 * embedder's choice, which this page does not know (without one, a client uses RTMP's 1935).
 */
const NO_STREAM = 'No live stream yet. Publish to rtmp://&lt;host&gt;/live/&lt;key&gt;.';

export function renderPage(title = 'tidecast'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; background: #111; color: #eee; }
  header { padding: 12px 20px; background: #1b1b1b; font-weight: 600; }
  main { display: flex; gap: 20px; padding: 20px; flex-wrap: wrap; }
  #streams { min-width: 260px; list-style: none; padding: 0; margin: 0; }
  #streams li { padding: 8px 10px; border-radius: 6px; cursor: pointer; background: #1e1e1e; margin-bottom: 6px; }
  #streams li.active { background: #2d4f7c; }
  #streams small { display: block; color: #aaa; }
  video { width: min(960px, 100%); background: #000; border-radius: 6px; }
  #status { color: #aaa; margin-top: 6px; }
  #urls { color: #aaa; margin-top: 6px; font-size: 13px; }
  #urls a { color: #8cb4ff; margin-right: 12px; }
</style>
</head>
<body>
<header>${escapeHtml(title)} — live streams</header>
<main>
  <ul id="streams"><li>${NO_STREAM}</li></ul>
  <section>
    <video id="video" controls muted playsinline></video>
    <div id="status">Pick a stream.</div>
    <div id="urls"></div>
  </section>
</main>
<script src="/assets/hls.min.js"></script>
<script>
const list = document.getElementById('streams');
const video = document.getElementById('video');
const statusLine = document.getElementById('status');
const urls = document.getElementById('urls');
let current = null;
let hls = null;

// hls.js 1.7 options. LL-HLS (parts, blocking playlist reloads, delta updates) is used when the
// playlist offers it: lowLatencyMode targets PART-HOLD-BACK behind the live edge (HOLD-BACK, or
// three target durations, for plain HLS, which these options leave as it was). A player that has
// fallen behind that target plays at up to maxLiveSyncPlaybackRate until it is back (hls.js does
// so in low-latency mode only, and only with over a second buffered). After a stall hls.js also
// raises its target by liveSyncOnStallIncrease (default 1 s, kept: a player that stalled once is
// better off with more buffer). liveDurationInfinity keeps the video element's duration at
// Infinity for a live stream; backBufferLength bounds what a long session keeps behind the playhead.
const HLS_CONFIG = {
  lowLatencyMode: true,
  maxLiveSyncPlaybackRate: 1.5,
  liveDurationInfinity: true,
  backBufferLength: 90,
};

// LL-HLS catch-up. hls.js picks its start position (its target latency behind the edge) from the
// first playlist, but playback begins only once the parts from the segment's independent frame up
// to there are loaded, by when the edge has moved on half a second or more; and its playbackRate
// catch-up needs over a second buffered, so left alone it settles about twice PART-HOLD-BACK
// behind (~1.2 s instead of ~0.75 s with 0.2 s parts). When the position hls.js aims for
// (hls.liveSyncPosition, which includes any stall increase) is more than CATCH_UP_SECONDS ahead
// and already buffered, jump there: at start, and whenever playback slips that far behind.
const CATCH_UP_SECONDS = 0.3;
const CATCH_UP_EVERY_MS = 3000;
let lastCatchUp = 0;
function catchUp() {
  const details = hls && hls.latestLevelDetails;
  if (!details || !details.live || !details.partTarget || !hls.lowLatencyMode) return;
  if (video.paused || video.seeking || video.readyState < 3 || performance.now() - lastCatchUp < CATCH_UP_EVERY_MS) return;
  const target = hls.liveSyncPosition;
  if (target === null || target - video.currentTime < CATCH_UP_SECONDS) return;
  for (let i = 0; i < video.buffered.length; i++) {
    if (video.buffered.start(i) <= video.currentTime && target + details.partTarget <= video.buffered.end(i)) {
      lastCatchUp = performance.now();
      video.currentTime = target;
      return;
    }
  }
}
video.addEventListener('playing', catchUp);

function describe(s) {
  const v = s.video ? s.video.codec + ' ' + s.video.width + 'x' + s.video.height + (s.video.frameRate ? ' ' + s.video.frameRate.toFixed(2) + ' fps' : '') : 'no video';
  const a = s.audio ? s.audio.codec + ' ' + s.audio.sampleRate + ' Hz' : 'no audio';
  return v + ' · ' + a + ' · ' + Math.round(s.bitrateKbps) + ' kb/s · up ' + Math.round(s.uptimeSeconds) + ' s';
}

// A stream is listed as soon as it is published; its playlist exists once the first segment is
// cut (a segment target later). Wait for it rather than hand hls.js a 404 it will not retry.
async function playlistReady(url) {
  for (let i = 0; i < 40; i++) {
    const res = await fetch(url, { method: 'HEAD' }).catch(() => undefined);
    if (res && res.ok) return true;
    statusLine.textContent = 'Waiting for the first segment…';
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

// The same stream for other players: HLS (the one played here), DASH and low-latency DASH (docs/dash.md).
function showUrls(s) {
  const links = [['HLS', s.playlist], ['DASH', s.dash && s.dash.mpd], ['LL-DASH', s.dash && s.dash.lowLatencyMpd]];
  urls.replaceChildren(...links.filter((l) => l[1]).map(([name, path]) => {
    const a = document.createElement('a');
    a.href = path;
    a.textContent = name + ' ' + location.origin + path;
    return a;
  }));
}

async function play(s) {
  current = s.app + '/' + s.streamKey;
  showUrls(s);
  const url = '/' + current + '/index.m3u8';
  render(lastStreams);
  if (!(await playlistReady(url))) { statusLine.textContent = 'No playlist at ' + url; return; }
  if (hls) hls.destroy();
  if (window.Hls && Hls.isSupported()) {
    hls = new Hls(HLS_CONFIG);
    // Published before loading starts, so a listener added on it sees every event.
    window.tidecastPlayer = { url, hls };
    hls.on(Hls.Events.ERROR, (_e, d) => {
      if (!d.fatal) return;
      statusLine.textContent = 'Playback error: ' + d.details;
      if (d.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    });
    hls.on(Hls.Events.FRAG_BUFFERED, catchUp);
    hls.loadSource(url);
    hls.attachMedia(video);
  } else {
    hls = null;
    window.tidecastPlayer = { url, hls };
    video.src = url;
  }
  video.play().catch(() => undefined);
  statusLine.textContent = 'Playing ' + url;
  render(lastStreams);
}

let lastStreams = [];
function render(streams) {
  lastStreams = streams;
  if (streams.length === 0) { list.innerHTML = '<li>${NO_STREAM}</li>'; return; }
  list.replaceChildren(...streams.map((s) => {
    const li = document.createElement('li');
    const id = s.app + '/' + s.streamKey;
    li.className = id === current ? 'active' : '';
    li.dataset.stream = id;
    li.textContent = id;
    const small = document.createElement('small');
    small.textContent = describe(s);
    li.append(small);
    li.onclick = () => play(s);
    return li;
  }));
}

async function refresh() {
  try {
    const res = await fetch('/api/streams');
    render((await res.json()).streams);
  } catch (e) { /* the next refresh tries again */ }
}
refresh();
setInterval(refresh, 2000);
</script>
</body>
</html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
