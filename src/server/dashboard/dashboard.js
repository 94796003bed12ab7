// The dashboard (docs/dashboard.md). Plain browser JavaScript modules, nothing to build: hls.js
// (window.Hls) and uPlot (window.uPlot) are classic scripts loaded before them from this server.
// Its data comes from the control API: GET /api/streams once, then GET /api/dashboard/events
// (server-sent events: the last minutes' figures, then one event a second).
import { createPlayer } from './player.js';
import { duration, ensureGraphs, renderDenials, renderGraphs, renderStream, rtmpBase } from './panels.js';

const $ = (id) => document.getElementById(id);
const list = $('streams');
const video = $('video');
const statusLine = $('status');
const player = createPlayer(video, statusLine, $('urls'));

// ---------- API token (docs/dashboard.md "Authentication") ----------
// Kept in sessionStorage: this tab only, gone when it closes. Sent as `Authorization: Bearer` on
// fetch, and as `?access_token=` on the EventSource, which cannot set headers.
const TOKEN_KEY = 'tidecast.apiToken';
let token = sessionStorage.getItem(TOKEN_KEY) || '';
const authHeaders = () => (token ? { authorization: 'Bearer ' + token } : {});

// A live region: written only when the words change, so screen readers hear changes, not ticks.
function setConnection(text) {
  if ($('connection').textContent !== text) $('connection').textContent = text;
}

function askToken(message) {
  if (source) source.close();
  source = null;
  $('auth').hidden = false;
  $('auth-error').textContent = message;
  setConnection('Waiting for an API token.');
  $('auth-token').focus();
}

$('auth-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('auth-token').value.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  $('auth-token').value = '';
  $('auth-error').textContent = '';
  connect();
});

// ---------- Connection: a probe of the API, then the event stream ----------
let source = null;
let retryTimer = 0;

function retryLater(ms) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, ms);
}

async function connect() {
  clearTimeout(retryTimer);
  setConnection('Connecting…');
  let res;
  try {
    res = await fetch('/api/streams', { headers: authHeaders(), cache: 'no-store' });
  } catch {
    setConnection('The server cannot be reached; retrying in 5 s.');
    return retryLater(5000);
  }
  if (res.status === 401) return askToken(token ? 'The server refused this token.' : "This server's API requires a token.");
  if (res.status === 403) return setConnection('The API answers only local clients until it has a token (docs/auth.md).');
  if (res.status === 429) {
    const seconds = Number(res.headers.get('retry-after')) || 30;
    setConnection('Too many failed attempts from this address; retrying in ' + seconds + ' s.');
    return retryLater(seconds * 1000);
  }
  if (res.ok) {
    $('auth').hidden = true;
    try {
      renderList((await res.json()).streams || []);
    } catch {
      // The events below bring the list anyway.
    }
  }
  openEvents();
}

function openEvents() {
  if (source) source.close();
  source = new EventSource('/api/dashboard/events' + (token ? '?access_token=' + encodeURIComponent(token) : ''));
  source.onopen = () => setConnection('Live: figures every second.');
  source.onmessage = (event) => onEvent(JSON.parse(event.data));
  source.addEventListener('history', (event) => onHistory(JSON.parse(event.data)));
  source.onerror = () => {
    // EventSource retries by itself after a network error; after an HTTP error (a 401, a 503) it
    // gives up (readyState CLOSED): probe again, which asks for a token if that is the reason.
    if (source && source.readyState === EventSource.CLOSED) {
      setConnection('Disconnected; retrying in 3 s.');
      source = null;
      retryLater(3000);
    } else {
      setConnection('Reconnecting…');
    }
  };
}

// ---------- State fed by the events ----------
/** Points kept per stream: five minutes at one a second. */
const HISTORY_POINTS = 300;
const history = new Map(); // 'app/key' → { t (s), bitrate, framerate, keyframe }
let lastEvent = null;
let current = null; // 'app/key' of the selected stream

const idOf = (s) => s.app + '/' + s.streamKey;

// The server's figures of the last minutes, sent first on every (re)connection: they replace ours.
function onHistory(h) {
  for (const s of h.streams) history.set(idOf(s), { t: s.atMs.map((ms) => ms / 1000), bitrate: s.bitrateKbps, framerate: s.frameRate, keyframe: s.keyframeIntervalSeconds });
  if (current) renderGraphs(history.get(current));
}

function onEvent(event) {
  lastEvent = event;
  const live = new Set();
  for (const s of event.streams) {
    const id = idOf(s);
    live.add(id);
    let h = history.get(id);
    if (!h) history.set(id, (h = { t: [], bitrate: [], framerate: [], keyframe: [] }));
    h.t.push(event.atMs / 1000);
    h.bitrate.push(s.bitrateKbps);
    h.framerate.push(s.frameRate);
    h.keyframe.push(s.keyframeIntervalSeconds);
    if (h.t.length > HISTORY_POINTS) for (const values of Object.values(h)) values.shift();
  }
  // A stream that ended is forgotten unless it is the one on screen (its graphs stay).
  for (const id of history.keys()) if (!live.has(id) && id !== current) history.delete(id);
  renderList(event.streams);
  renderDenials(event.denials);
  if (current) showSelected(event.streams.find((s) => idOf(s) === current));
}

function showSelected(s) {
  renderGraphs(history.get(current));
  renderRecord(s);
  if (s) renderStream(s, lastEvent);
  else statusLine.textContent = 'The stream ended.';
}

// The record button: shown when the server records (`recording` is not null, docs/recording.md).
function renderRecord(s) {
  const button = $('record');
  const known = Boolean(s) && s.recording !== undefined && s.recording !== null;
  if (button.hidden !== !known) button.hidden = !known;
  if (!known) return;
  const text = s.recording ? 'Stop recording' : 'Record';
  if (button.textContent !== text) button.textContent = text;
  button.setAttribute('aria-pressed', s.recording ? 'true' : 'false');
}

// ---------- Stream list: buttons, updated in place so focus stays where it is ----------
const items = new Map();

function describe(s) {
  const v = s.video ? s.video.codec + ' ' + s.video.width + '×' + s.video.height + (s.video.frameRate ? ' ' + s.video.frameRate.toFixed(0) + ' fps' : '') : 'no video';
  const a = s.audio ? s.audio.codec : 'no audio';
  return v + ' · ' + a + ' · ' + Math.round(s.bitrateKbps) + ' kb/s · up ' + duration(s.uptimeSeconds);
}

function itemFor(s) {
  const id = idOf(s);
  let item = items.get(id);
  if (item) return item;
  const li = document.createElement('li');
  li.dataset.stream = id;
  const button = document.createElement('button');
  button.type = 'button';
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = id;
  const desc = document.createElement('span');
  desc.className = 'desc';
  button.append(name, desc);
  li.append(button);
  item = { li, button, desc, stream: s };
  button.addEventListener('click', () => select(item.stream));
  items.set(id, item);
  return item;
}

function renderList(streams) {
  const sorted = [...streams].sort((a, b) => idOf(a).localeCompare(idOf(b)));
  let previous = null;
  for (const s of sorted) {
    const item = itemFor(s);
    item.stream = s;
    const text = describe(s);
    if (item.desc.textContent !== text) item.desc.textContent = text;
    item.button.setAttribute('aria-current', idOf(s) === current ? 'true' : 'false');
    const at = previous ? previous.nextSibling : list.firstChild;
    if (at !== item.li) list.insertBefore(item.li, at);
    previous = item.li;
  }
  const seen = new Set(sorted.map(idOf));
  for (const [id, item] of items) {
    if (seen.has(id)) continue;
    if (item.li.contains(document.activeElement)) $('streams-heading').focus();
    item.li.remove();
    items.delete(id);
  }
  $('streams-empty').hidden = streams.length > 0;
  if (streams.length === 0) $('streams-empty').textContent = 'No live stream yet. Publish to ' + rtmpBase('live', lastEvent) + '/<key>.';
}

function select(s) {
  const id = idOf(s);
  const again = id === current;
  current = id;
  for (const [otherId, item] of items) item.button.setAttribute('aria-current', otherId === id ? 'true' : 'false');
  $('detail-heading').textContent = id;
  $('stream-parts').hidden = false;
  $('kick-status').textContent = '';
  video.setAttribute('aria-label', 'Preview of ' + id);
  ensureGraphs();
  showSelected((lastEvent && lastEvent.streams.find((x) => idOf(x) === id)) || s);
  if (!again || !player.busy) player.play(s);
}

// ---------- Copy buttons ----------
for (const button of document.querySelectorAll('button.copy')) {
  button.addEventListener('click', async () => {
    const field = $(button.dataset.copy);
    const what = field.labels && field.labels[0] ? field.labels[0].textContent : 'Text';
    let copied = false;
    try {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } catch {
      // Not a secure context (http on a LAN address): the older way.
      field.select();
      copied = document.execCommand('copy');
    }
    $('copy-status').textContent = copied ? what + ' copied.' : 'Could not copy: select the text and copy it.';
  });
}

// ---------- Kick ----------
$('kick').addEventListener('click', async () => {
  if (!current) return;
  const [app, ...rest] = current.split('/');
  const key = rest.join('/');
  if (!confirm('End the publish of ' + current + '? The encoder is disconnected (it may reconnect by itself).')) return;
  const out = $('kick-status');
  out.textContent = 'Ending the publish…';
  try {
    const res = await fetch('/api/streams/' + encodeURIComponent(app) + '/' + encodeURIComponent(key) + '/kick', { method: 'POST', headers: authHeaders() });
    if (res.status === 401) return askToken('The server refused this token.');
    out.textContent = res.ok ? 'Publish of ' + current + ' ended.' : res.status === 404 ? 'Not live now, or this server cannot end publishes.' : 'The server answered ' + res.status + '.';
  } catch {
    out.textContent = 'The server cannot be reached.';
  }
});

// ---------- Record ----------
$('record').addEventListener('click', async () => {
  if (!current) return;
  const [app, ...rest] = current.split('/');
  const key = rest.join('/');
  const action = $('record').getAttribute('aria-pressed') === 'true' ? 'stop' : 'start';
  const out = $('kick-status');
  out.textContent = action === 'start' ? 'Starting the recording…' : 'Ending the recording…';
  try {
    const res = await fetch('/api/streams/' + encodeURIComponent(app) + '/' + encodeURIComponent(key) + '/record/' + action, { method: 'POST', headers: authHeaders() });
    if (res.status === 401) return askToken('The server refused this token.');
    if (res.ok) {
      const state = await res.json();
      renderRecord({ recording: state.recording });
      out.textContent = state.recording ? 'Recording ' + current + ' from its next segment.' : 'Recording of ' + current + ' ended; it is in GET /api/recordings.';
    } else {
      out.textContent = res.status === 404 ? (action === 'start' ? 'Not live now, or this server does not record.' : 'Not being recorded.') : 'The server answered ' + res.status + '.';
    }
  } catch {
    out.textContent = 'The server cannot be reached.';
  }
});

$('streams-heading').tabIndex = -1;
connect();
