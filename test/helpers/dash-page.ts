import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import type { Page, Request } from 'playwright-core';

/**
 * The page side of test/browser/dash-players.test.ts: a page at the media server's origin whose
 * script loads dash.js or Shaka Player (the npm bundles, inlined: nothing is fetched but what the
 * player asks for), plays one MPD with the player's defaults and keeps, from its first statement
 * on, every media and player event and a sample every `sampleIntervalMs`. The page's functions are
 * serialized into the browser: they reference nothing outside their own bodies, and the project's
 * lib has no DOM, so the page's globals are typed here.
 */

export type PlayerName = 'dashjs' | 'shaka';

/** What the page script is given. */
export interface DashPageConfig {
  readonly player: PlayerName;
  /** Absolute URL of the MPD. */
  readonly mpdUrl: string;
  readonly sampleIntervalMs: number;
  /** The players' own logs at info level (Shaka's debug build). */
  readonly verbose: boolean;
  /** dash.js: settings given to updateSettings before initialize (e.g. ABR off for forced switches). */
  readonly dashjsSettings?: unknown;
  /** Shaka: configuration given to configure() before load. */
  readonly shakaConfig?: unknown;
}

/** One sample; `t` is ms since the page script started. */
export interface DashSample {
  t: number;
  currentTime: number;
  /** dash.js getCurrentLiveLatency(), Shaka getStats().liveLatency, s. */
  playerLatency: number | null;
  /** Date.now()/1000 − (AST + Period@start + currentTime − Period@start): the element's clock is MPD time (see the test's header), s. */
  wallLatency: number | null;
  /** dash.js getTargetLiveDelay(); null for Shaka. */
  targetLatency: number | null;
  playbackRate: number;
  /** Buffered media ahead of currentTime in the range that holds it, s. */
  bufferAhead: number;
  paused: boolean;
  /** A 'waiting' was seen and no 'playing' since. */
  waiting: boolean;
  seeking: boolean;
  readyState: number;
  ranges: string;
  /** The element's decoded picture size: the rendered rung. */
  videoWidth: number;
  videoHeight: number;
  /** The player's current video Representation (dash.js) or active variant's video (Shaka): id and height. */
  representation: string | null;
}

/** A quality or Period event of the player; `t` is ms since the page script started. */
export interface DashPlayerEvent {
  t: number;
  /** dash.js QUALITY_CHANGE_REQUESTED/RENDERED, PERIOD_SWITCH_COMPLETED; Shaka 'adaptation', 'variantchanged'. */
  type: string;
  /** The Representation id (dash.js) or the video id and height (Shaka), or the Period id. */
  detail: string;
  currentTime: number;
}

export interface DashPlayerError {
  t: number;
  /** The player's code (dash.js error.code, Shaka code/severity/category). */
  code: string;
  message: string;
  currentTime: number;
}

export interface DashProbe {
  errors: DashPlayerError[];
  /** 'waiting' events; `seeking` when the element was seeking (a jump, not starved of data). */
  waiting: { t: number; seeking: boolean; currentTime: number }[];
  playing: number[];
  seeks: { t: number; to: number }[];
  samples: DashSample[];
  /** Quality and Period events (see DashPlayerEvent). */
  playerEvents: DashPlayerEvent[];
  waitingNow: boolean;
  /** Read by the page from the MPD it fetched after the first 'playing': epoch ms and seconds. */
  mpd: { astMs: number; periodStartSeconds: number; periods: number } | null;
  /** The AST the player itself works with (dash.js manifestInfo.availableFrom, Shaka getPresentationStartTimeAsDate), epoch ms. */
  playerAstMs: number | null;
  /** Whether the player runs in its low-latency mode (dash.js getLowLatencyModeEnabled, Shaka config and manifest). */
  lowLatency: Record<string, unknown> | null;
  /** Shaka's getStats() at the end (stalls, gaps jumped, non-fatal errors), or dash.js's nothing. */
  finalStats: Record<string, unknown> | null;
  /** The page script's own failure (load() rejected, a bundle missing). */
  scriptError: string | null;
  /** Date.now() at the page script's first statement: the test puts its request log on the page's time with it. */
  startEpochMs: number;
  timer: unknown;
}

/** The probe path used by the page's own MPD read: the test leaves it out of the player's requests. */
export const PROBE_QUERY = 'tidecast-probe=1';

interface MediaLike {
  currentTime: number;
  seeking: boolean;
  paused: boolean;
  readyState: number;
  playbackRate: number;
  videoWidth: number;
  videoHeight: number;
  muted: boolean;
  autoplay: boolean;
  buffered: { length: number; start: (i: number) => number; end: (i: number) => number };
  addEventListener: (type: string, listener: () => void) => void;
  play: () => Promise<void>;
}
interface DashjsPlayerLike {
  initialize: (view: unknown, url: string, autoPlay: boolean) => void;
  updateSettings: (settings: unknown) => void;
  on: (event: string, listener: (e: { error?: { code?: number; message?: string } | string; mediaType?: string; newRepresentation?: { id?: string; height?: number }; toStreamInfo?: { id?: string } | null }) => void) => void;
  getCurrentRepresentationForType: (type: string) => { id: string; height: number } | null;
  getCurrentLiveLatency: () => number;
  getTargetLiveDelay: () => number;
  getLowLatencyModeEnabled: () => boolean;
  getActiveStream: () => { getStreamInfo: () => { manifestInfo?: { availableFrom?: Date } } | null } | null;
  reset: () => void;
}
interface ShakaPlayerLike {
  attach: (video: unknown) => Promise<void>;
  load: (url: string) => Promise<void>;
  addEventListener: (type: string, listener: (e: { detail?: { code?: number; severity?: number; category?: number; message?: string } }) => void) => void;
  configure: (config: unknown) => boolean;
  getVariantTracks: () => Array<{ active: boolean; videoId: number | null; height: number | null }>;
  getStats: () => { liveLatency: number } & Record<string, unknown>;
  getConfiguration: () => { streaming: { lowLatencyMode: boolean } };
  getManifest: () => { isLowLatency: boolean } | null;
  isLive: () => boolean;
  getPresentationStartTimeAsDate: () => Date | null;
  destroy: () => Promise<void>;
}
interface PageGlobals {
  document: { getElementById: (id: string) => unknown };
  performance: { now: () => number };
  setInterval: (fn: () => void, ms: number) => unknown;
  clearInterval: (id: unknown) => void;
  fetch: (url: string, init: unknown) => Promise<{ text: () => Promise<string> }>;
  dashjs: { MediaPlayer: { (): { create: () => DashjsPlayerLike }; events: Record<string, string> }; Debug: Record<string, number> };
  shaka: { polyfill: { installAll: () => void }; Player: new () => ShakaPlayerLike; log?: { setLevel: (level: number) => void; Level: Record<string, number> } };
  tidecastProbe: DashProbe;
  tidecastPlayer: DashjsPlayerLike | ShakaPlayerLike;
}

/** The page's script: runs once the player's bundle has run. */
function pageMain(config: DashPageConfig): void {
  const w = globalThis as unknown as PageGlobals;
  const t0 = w.performance.now();
  const now = (): number => w.performance.now() - t0;
  const probe: DashProbe = { errors: [], waiting: [], playing: [], seeks: [], samples: [], playerEvents: [], waitingNow: false, mpd: null, playerAstMs: null, lowLatency: null, finalStats: null, scriptError: null, startEpochMs: Date.now(), timer: undefined };
  w.tidecastProbe = probe;
  const video = w.document.getElementById('video') as MediaLike;
  video.addEventListener('waiting', () => {
    probe.waiting.push({ t: now(), seeking: video.seeking, currentTime: video.currentTime });
    probe.waitingNow = true;
  });
  video.addEventListener('seeking', () => probe.seeks.push({ t: now(), to: video.currentTime }));
  video.addEventListener('playing', () => {
    probe.playing.push(now());
    probe.waitingNow = false;
    if (probe.playing.length === 1) void readMpd();
  });
  const error = (code: string, message: string): void => {
    probe.errors.push({ t: now(), code, message, currentTime: video.currentTime });
  };
  const playerEvent = (type: string, detail: string): void => {
    probe.playerEvents.push({ t: now(), type, detail, currentTime: video.currentTime });
  };

  // AST and the first Period's start as the MPD says them, read once playback runs (so as not to slow the start).
  const readMpd = async (): Promise<void> => {
    try {
      const text = await (await w.fetch(`${config.mpdUrl}?${'tidecast-probe=1'}`, { cache: 'no-store' })).text();
      const ast = /availabilityStartTime="([^"]+)"/.exec(text)?.[1];
      const periods = [...text.matchAll(/<Period\b[^>]*>/g)].map((m) => m[0]);
      const start = /\bstart="PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?"/.exec(periods[0] ?? '');
      if (ast === undefined || start === null) throw new Error(`no AST or Period@start in the MPD: ${text.slice(0, 400)}`);
      probe.mpd = { astMs: Date.parse(ast), periodStartSeconds: Number(start[1] ?? 0) * 3600 + Number(start[2] ?? 0) * 60 + Number(start[3] ?? 0), periods: periods.length };
    } catch (e) {
      probe.scriptError = `reading the MPD: ${String(e)}`;
    }
  };

  let playerLatency = (): number | null => null;
  let targetLatency = (): number | null => null;
  let representation = (): string | null => null;
  let modeAndAst = (): void => undefined;
  if (config.player === 'dashjs') {
    const player = w.dashjs.MediaPlayer().create();
    w.tidecastPlayer = player;
    player.updateSettings({ debug: { logLevel: config.verbose ? w.dashjs.Debug['LOG_LEVEL_INFO'] : w.dashjs.Debug['LOG_LEVEL_WARNING'] } });
    const events = w.dashjs.MediaPlayer.events;
    player.on(events['ERROR']!, (e) => {
      const err = e.error;
      error(typeof err === 'object' ? `dashjs ${err.code ?? '?'}` : 'dashjs', typeof err === 'object' ? String(err.message ?? '') : String(err));
    });
    player.on(events['PLAYBACK_ERROR']!, (e) => error('dashjs playbackError', JSON.stringify(e.error ?? null)));
    if (config.dashjsSettings !== undefined) player.updateSettings(config.dashjsSettings);
    for (const name of ['QUALITY_CHANGE_REQUESTED', 'QUALITY_CHANGE_RENDERED']) {
      player.on(events[name]!, (e) => {
        if (e.mediaType === 'video') playerEvent(name, `${e.newRepresentation?.id ?? '?'} ${e.newRepresentation?.height ?? '?'}`);
      });
    }
    player.on(events['PERIOD_SWITCH_COMPLETED']!, (e) => playerEvent('PERIOD_SWITCH_COMPLETED', String(e.toStreamInfo?.id ?? '?')));
    representation = () => {
      const r = player.getCurrentRepresentationForType('video');
      return r === null ? null : `${r.id} ${r.height}`;
    };
    playerLatency = () => {
      const v = player.getCurrentLiveLatency();
      return Number.isFinite(v) && v > 0 ? v : null;
    };
    targetLatency = () => player.getTargetLiveDelay();
    modeAndAst = () => {
      probe.lowLatency = { lowLatencyModeEnabled: player.getLowLatencyModeEnabled() };
      const from = player.getActiveStream()?.getStreamInfo()?.manifestInfo?.availableFrom;
      if (from !== undefined) probe.playerAstMs = from.getTime();
    };
    video.muted = true;
    player.initialize(video, config.mpdUrl, true);
  } else {
    w.shaka.polyfill.installAll();
    if (config.verbose && w.shaka.log !== undefined) w.shaka.log.setLevel(w.shaka.log.Level['INFO']!);
    const player = new w.shaka.Player();
    w.tidecastPlayer = player;
    if (config.shakaConfig !== undefined) player.configure(config.shakaConfig);
    const activeVideo = (): string | null => {
      const v = player.getVariantTracks().find((t) => t.active);
      return v === undefined ? null : `${v.videoId ?? '?'} ${v.height ?? '?'}`;
    };
    for (const name of ['adaptation', 'variantchanged']) player.addEventListener(name, () => playerEvent(name, activeVideo() ?? '?'));
    representation = activeVideo;
    player.addEventListener('error', (e) => {
      const d = e.detail ?? {};
      error(`shaka ${d.code ?? '?'} severity ${d.severity ?? '?'} category ${d.category ?? '?'}`, String(d.message ?? JSON.stringify(d)));
    });
    playerLatency = () => {
      const v = player.getStats().liveLatency;
      return Number.isFinite(v) && v > 0 ? v : null;
    };
    modeAndAst = () => {
      probe.lowLatency = { lowLatencyModeConfig: player.getConfiguration().streaming.lowLatencyMode, manifestIsLowLatency: player.getManifest()?.isLowLatency ?? null, isLive: player.isLive() };
      const from = player.getPresentationStartTimeAsDate();
      if (from !== null) probe.playerAstMs = from.getTime();
      probe.finalStats = player.getStats();
    };
    video.muted = true;
    video.autoplay = true;
    void player
      .attach(video)
      .then(() => player.load(config.mpdUrl))
      .catch((e: { code?: number; message?: string }) => {
        probe.scriptError = `load: ${String(e.code ?? '')} ${String(e.message ?? e)}`;
      });
  }

  let modeReadAt = Number.NEGATIVE_INFINITY;
  const sample = (): void => {
    const ct = video.currentTime;
    let bufferAhead = 0;
    for (let i = 0; i < video.buffered.length; i++) {
      if (video.buffered.start(i) <= ct + 0.1 && ct < video.buffered.end(i)) bufferAhead = video.buffered.end(i) - ct;
    }
    const mpd = probe.mpd;
    // The element's clock is MPD time (AST-relative): dash.js and Shaka both append with timestampOffset = Period@start − PTO/timescale.
    const wallLatency = mpd === null || ct === 0 ? null : Date.now() / 1000 - (mpd.astMs / 1000 + ct);
    // Either call may throw while the player switches streams (Periods): the sample then has nulls.
    const safely = (read: () => string | number | null): string | number | null => {
      try {
        return read();
      } catch {
        return null;
      }
    };
    const latency = safely(playerLatency) as number | null;
    const rendition = safely(representation) as string | null;
    probe.samples.push({
      t: now(),
      currentTime: ct,
      playerLatency: latency,
      wallLatency,
      targetLatency: targetLatency(),
      playbackRate: video.playbackRate,
      bufferAhead,
      paused: video.paused,
      waiting: probe.waitingNow,
      seeking: video.seeking,
      readyState: video.readyState,
      ranges: Array.from({ length: video.buffered.length }, (_, i) => `${video.buffered.start(i).toFixed(3)}-${video.buffered.end(i).toFixed(3)}`).join(' '),
      videoWidth: video.videoWidth,
      videoHeight: video.videoHeight,
      representation: rendition,
    });
    // At most every 500 ms: Shaka's getManifest() warns on the console at each call.
    if (probe.playing.length > 0 && now() - modeReadAt >= 500) {
      modeReadAt = now();
      try {
        modeAndAst();
      } catch (e) {
        probe.scriptError = `reading the player: ${String(e)}`;
      }
    }
  };
  probe.timer = w.setInterval(sample, config.sampleIntervalMs);
}

const require = createRequire(import.meta.url);

const PACKAGES: Record<PlayerName, { name: string; bundle: string; debugBundle: string }> = {
  dashjs: { name: 'dashjs', bundle: 'dist/modern/umd/dash.all.min.js', debugBundle: 'dist/modern/umd/dash.all.debug.js' },
  shaka: { name: 'shaka-player', bundle: 'dist/shaka-player.compiled.js', debugBundle: 'dist/shaka-player.compiled.debug.js' },
};

/** The package's folder: dashjs's `exports` leaves out package.json, so it is found from the package's main file. */
function packageRoot(player: PlayerName): string {
  const { name } = PACKAGES[player];
  const main = require.resolve(name);
  const marker = `${sep}node_modules${sep}${name}${sep}`;
  const at = main.lastIndexOf(marker);
  if (at < 0) throw new Error(`${name} resolved outside node_modules: ${main}`);
  return main.slice(0, at + marker.length);
}

/** The player bundles as the packages ship them (debug builds when `verbose`). */
function bundle(player: PlayerName, verbose: boolean): string {
  const p = PACKAGES[player];
  return readFileSync(join(packageRoot(player), verbose ? p.debugBundle : p.bundle), 'utf8');
}

/** The version played, for the figures. */
export function playerVersion(player: PlayerName): string {
  return (JSON.parse(readFileSync(join(packageRoot(player), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Opens the page on `origin` (a document the server answers, replaced at once, so the page's
 * origin is the media server's and nothing needs CORS) and starts the player: its bundle, then the
 * page script. Resolves when the page script has run.
 */
export async function openDashPage(page: Page, origin: string, config: DashPageConfig): Promise<void> {
  await page.goto(`${origin}/time`);
  // `</script` cannot occur inside an inline script; the bundles are checked for it.
  const code = bundle(config.player, config.verbose);
  if (/<\/script/i.test(code)) throw new Error(`the ${config.player} bundle contains </script>`);
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${config.player}</title></head><body>
<video id="video" muted playsinline width="640" height="360"></video>
<script>${code}</script>
<script>(${pageMain.toString()})(${JSON.stringify(config)});</script>
</body></html>`;
  await page.setContent(html, { waitUntil: 'load' });
}

/** Stops the sampling and returns the probe. */
export async function stopDashPage(page: Page): Promise<DashProbe> {
  return page.evaluate(() => {
    const w = globalThis as unknown as { tidecastProbe: DashProbe; clearInterval: (id: unknown) => void };
    w.clearInterval(w.tidecastProbe.timer);
    return { ...w.tidecastProbe, timer: undefined };
  });
}

/** A request of the page, seen from the browser (playwright's events); epoch ms until `onPageTime` puts it on the page's time. */
export interface DashRequest {
  at: number;
  method: string;
  path: string;
  status?: number;
  /** When the body had been read to its end (a chunked answer lasts while its segment is written). */
  finishedAt?: number;
  failed?: string;
}

/** Every request of `page` under `prefix` (and to `/time`), with its status, end or failure. */
export function recordDashRequests(page: Page, origin: string, prefix: string): DashRequest[] {
  const requests: DashRequest[] = [];
  const byRequest = new Map<Request, DashRequest>();
  page.on('request', (request) => {
    // The page's own document (opened at /time, see openDashPage) is not the player's request.
    if (request.isNavigationRequest() || (!request.url().startsWith(prefix) && !request.url().startsWith(`${origin}/time`))) return;
    const seen: DashRequest = { at: Date.now(), method: request.method(), path: request.url().slice(origin.length) };
    requests.push(seen);
    byRequest.set(request, seen);
  });
  page.on('response', (response) => {
    const seen = byRequest.get(response.request());
    if (seen !== undefined) seen.status = response.status();
  });
  page.on('requestfinished', (request) => {
    const seen = byRequest.get(request);
    if (seen !== undefined) seen.finishedAt = Date.now();
  });
  page.on('requestfailed', (request) => {
    const seen = byRequest.get(request);
    if (seen !== undefined) seen.failed = request.failure()?.errorText ?? 'failed';
  });
  return requests;
}

/** Puts epoch-ms request times on the page's time (ms since its script started, `probe.startEpochMs`). */
export function onPageTime(requests: DashRequest[], startEpochMs: number): void {
  for (const r of requests) {
    r.at -= startEpochMs;
    if (r.finishedAt !== undefined) r.finishedAt -= startEpochMs;
  }
}

/**
 * dash.js: plays the video Representation `id` from now on (setRepresentationForTypeById; with
 * `abr.autoSwitchBitrate.video` false in `dashjsSettings`, its ABR leaves it there). Resolves with
 * the page's time of the call, ms.
 */
export async function setDashjsVideoRepresentation(page: Page, id: string): Promise<number> {
  return page.evaluate((rid) => {
    const w = globalThis as unknown as { tidecastProbe: DashProbe; performance: { now: () => number }; tidecastPlayer: { setRepresentationForTypeById: (type: string, id: string) => void } };
    w.tidecastPlayer.setRepresentationForTypeById('video', rid);
    return Date.now() - w.tidecastProbe.startEpochMs;
  }, id);
}

/** dash.js: the video Representations of the active Period, id and height. */
export async function dashjsVideoRepresentations(page: Page): Promise<Array<{ id: string; height: number; bandwidth: number }>> {
  return page.evaluate(() => {
    const w = globalThis as unknown as { tidecastPlayer: { getRepresentationsByType: (type: string) => Array<{ id: string; height: number; bandwidth: number }> } };
    return w.tidecastPlayer.getRepresentationsByType('video').map((r) => ({ id: r.id, height: r.height, bandwidth: r.bandwidth }));
  });
}
