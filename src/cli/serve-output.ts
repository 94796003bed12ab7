import { networkInterfaces } from 'node:os';
import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { StreamCounters } from '../http/index.js';
import { movedCounters, type MediaServer } from '../server/index.js';

/**
 * What `tidecast serve` shows: the settings block a streamer copies into OBS (plain text on
 * stdout, for people) and the log (pino on stdout: pretty on a terminal, one JSON object a line
 * otherwise, for machines and log shippers).
 */

/** `TIDECAST_LOG_LEVEL` (trace, debug, info, warn, error); segments are logged at debug. */
export const DEFAULT_LOG_LEVEL = 'info';

export function createLogger(env: Readonly<Record<string, string | undefined>>, terminal: boolean): Logger {
  const level = env['TIDECAST_LOG_LEVEL'] ?? DEFAULT_LOG_LEVEL;
  // Synchronous writes: the last lines before process.exit (shutdown, a fatal error) must not be lost.
  const destination = terminal
    ? PinoPretty({ colorize: true, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' })
    : pino.destination({ fd: 1, sync: true });
  return pino({ name: 'tidecast', level, base: { pid: process.pid } }, destination);
}

/** Streams, segments and session errors of `server`, as log lines. */
export function logServerEvents(server: MediaServer, log: Logger): void {
  server.on('publish', (s) => log.info({ app: s.app, streamKey: s.streamKey }, `publish ${s.app}/${s.streamKey}`));
  server.on('unpublish', (s) => log.info({ app: s.app, streamKey: s.streamKey }, `unpublish ${s.app}/${s.streamKey}`));
  server.on('segment', (s, seg) =>
    log.debug(
      { app: s.app, streamKey: s.streamKey, track: seg.track, msn: seg.msn, durationSeconds: seg.durationSeconds, byteLength: seg.byteLength },
      `segment ${s.app}/${s.streamKey}/${seg.track} #${seg.msn}`,
    ),
  );
  server.rtmp.on('sessionError', (session, err) =>
    log.warn({ session: session.id, code: err.code, details: err.details }, `session ${session.id} closed: ${err.code} ${err.message}`),
  );
  server.rtmp.on('refused', (err, remoteAddress) => log.warn({ code: err.code, remoteAddress }, `connection refused: ${err.message}`));
  // A refused name is the peer's own text (AMF allows 1 MiB): logged cut to a line's worth.
  // An unauthorized publish's key may be a mistyped secret: shown by its start and length, as below.
  server.rtmp.on('refusedStream', (session, r) => {
    const streamKey = r.kind === 'publish' && r.reason.startsWith('not authorized') ? `${r.streamKey.slice(0, 2)}…(${r.streamKey.length} chars)` : r.streamKey.slice(0, 200);
    log.warn(
      { session: session.id, remoteAddress: session.remoteAddress, kind: r.kind, app: r.app.slice(0, 200), streamKey, status: r.statusCode },
      `${r.kind} ${JSON.stringify(`${r.app.slice(0, 200)}/${streamKey}`)} refused: ${r.reason}`,
    );
  });
  server.dash.on('lowLatencyChange', (group, reason) =>
    reason === undefined ? log.info({ stream: group }, `DASH ${group}: manifest-ll.mpd is low-latency again`) : log.warn({ stream: group, reason }, `DASH ${group}: manifest-ll.mpd answered as the regular MPD: ${reason}`),
  );
  // A refused publish key may be a mistyped secret (static keys): the log shows its start and length only.
  server.on('authDenied', (d) => {
    const key = d.action === 'publish' ? `${d.key.slice(0, 2)}…(${d.key.length} chars)` : d.key.slice(0, 200);
    log.warn({ action: d.action, app: d.app.slice(0, 200), streamKey: key, ip: d.ip }, `${d.action} of ${d.app.slice(0, 200)}/${key} not authorized: ${d.reason}`);
  });
  server.on('transcodeWarning', (s, message, details) => log.warn({ app: s.app, streamKey: s.streamKey, ...details }, `ladder ${s.app}/${s.streamKey}: ${message}`));
  // Recording (docs/recording.md): its start, end and failures; each segment at debug, as the live ones.
  server.on('recording', (e) => {
    if (e.type === 'segment_completed') log.debug({ recording: e.id, rendition: e.rendition, msn: e.msn }, `recording ${e.id}: segment ${e.rendition}/${e.msn}`);
    else if (e.type === 'failed') log.warn({ recording: e.id, app: e.app, streamKey: e.streamKey, reason: e.reason }, `recording ${e.id} failed: ${e.reason}`);
    else log.info({ recording: e.id, app: e.app, streamKey: e.streamKey }, `recording ${e.id} ${e.type}`);
  });
  server.on('streamError', (s, err) => {
    const e = err as { code?: string; message?: string; details?: unknown };
    log.error({ app: s.app, streamKey: s.streamKey, code: e.code, details: e.details }, `stream ${s.app}/${s.streamKey}: ${e.code ?? 'error'} ${e.message ?? String(err)}`);
  });
}

/** How often `tidecast serve` looks at every stream's counters. */
export const COUNTERS_LOG_INTERVAL_MS = 10_000;

/**
 * Every `intervalMs`, one warning line per live stream whose counters (dropped samples and frames,
 * parts off target, unusable tags, expired or refused parked requests) rose since the last look,
 * with the increases and the totals; nothing for a stream where nothing moved. Returns the stop.
 */
export function logStreamCounters(server: MediaServer, log: Logger, intervalMs = COUNTERS_LOG_INTERVAL_MS): () => void {
  const last = new Map<string, StreamCounters>();
  const timer = setInterval(() => {
    for (const stream of server.hub.streams()) {
      if (stream.state !== 'live') continue;
      const name = `${stream.app}/${stream.streamKey}`;
      const now = server.streamCounters(stream);
      const moved = movedCounters(last.get(name), now);
      last.set(name, now);
      if (moved === undefined) continue;
      const what = Object.entries(moved).map(([k, v]) => `${k} +${String(v)}`).join(', ');
      log.warn({ app: stream.app, streamKey: stream.streamKey, moved, counters: now }, `stream ${name}: ${what} in the last ${intervalMs / 1000} s`);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The address OBS on another machine should use: the first non-internal IPv4 one, else localhost. */
export function publicHost(bound: string): string {
  if (bound !== '0.0.0.0' && bound !== '::') return bound;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/** What the settings block says about delivery besides the addresses. */
export interface DeliveryFeatures {
  /** HTTPS (HTTP/2 and HTTP/1.1) on the HTTP port: the URLs say https://. */
  tls: boolean;
  lowLatency: boolean;
  /** Nominal LL-HLS part target in seconds, shown with LL-HLS on. */
  partDuration?: number;
  /** Publish and play authorization, as describeAuth says it (no secret); undefined: off, everything open. */
  auth?: string;
}

/** The block printed once both servers listen: OBS settings, playback and page URLs, a test command. */
export function settingsBlock(bound: { host: string; rtmpPort: number; httpPort: number }, reachable: string, features: DeliveryFeatures = { tls: false, lowLatency: true }): string {
  // RFC 3986 3.2.2: an IPv6 literal in a URL goes in brackets.
  const urlHost = reachable.includes(':') ? `[${reachable}]` : reachable;
  const http = `${features.tls ? 'https' : 'http'}://${urlHost}:${bound.httpPort}`;
  const listening = features.tls ? `HTTPS (HTTP/2, HTTP/1.1) listening on ${bound.host}:${bound.httpPort}` : `HTTP listening on ${bound.host}:${bound.httpPort}`;
  const parts = features.partDuration === undefined ? '' : `, parts of ${features.partDuration} s`;
  const lowLatency = features.lowLatency ? `on${parts} (plain HLS for older players: ${http}/live/<key>/plain.m3u8)` : 'off (whole segments only)';
  const auth =
    features.auth === undefined
      ? 'off: any stream key publishes, anyone plays. To require keys: the auth section of the config file (docs/config.md, docs/auth.md)'
      : `on, per app: ${features.auth}`;
  const key = features.auth === undefined ? 'any name, e.g. mystream' : 'one your auth policy allows (docs/auth.md)';
  return `tidecast live server
  RTMP ingest listening on ${bound.host}:${bound.rtmpPort}
  ${listening}

OBS settings (Settings → Stream → Service: Custom…):
  Server:     rtmp://${urlHost}:${bound.rtmpPort}/live
  Stream Key: ${key}

Playback (HLS): ${http}/live/<key>/index.m3u8
Dashboard:      ${http}/
LL-HLS:         ${lowLatency}
Auth:           ${auth}

Test without OBS:
  ffmpeg -re -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine -c:v libx264 -g 60 -c:a aac -f flv rtmp://127.0.0.1:${bound.rtmpPort}/live/mystream
`;
}
