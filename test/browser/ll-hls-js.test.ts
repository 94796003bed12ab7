import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../helpers/ffmpeg.js';
import { browserSkipReason, launchChromium, type ChromiumSession } from '../helpers/browser.js';
import { nextPublish, startLiveServer, type LiveServer } from '../helpers/live.js';
import { OBS_STREAM, replayObs, type ObsReplay } from '../helpers/obs-replay.js';
import { delay } from '../helpers/process.js';

/**
 * LL-HLS end to end: hls.js in headless Chromium, driven by the page at `/` with the page's own
 * hls.js configuration, plays the default (LL-HLS) live stream of two publishers: OBS Studio 29
 * (its 70 s transcript replayed at the recorded pace: a first GOP of 1 999 ms, B-frames, audio from
 * 66 ms) and ffmpeg `-re`. For the measurement window the page samples, every 500 ms, the video
 * clock, hls.js's latency (live edge + playlist age − currentTime) and target latency, and the
 * latency from EXT-X-PROGRAM-DATE-TIME (Date.now() − hls.playingDate: the dates are the first
 * frame's arrival plus media time), which is the delay behind ingest. Asserted: hls.js ran in
 * low-latency mode (parts announced, blocking reloads and part requests made) with
 * TARGETDURATION:2, playback never stalled (no BUFFER_STALLED_ERROR, no 'waiting' other than the
 * instant one of a catch-up seek within the buffer, no interval in which the clock froze), the
 * clock kept up with the wall clock, and hls.js reported no error at all (a bufferSeekOverHole is a
 * hole in what the parts promised; the one exception is hls.js's own jump from currentTime 0 to
 * its start position before playback starts, counted as startGapSkips). The latency figures are logged (and attached to the test as an
 * annotation); with TIDECAST_LL_BROWSER=1 (a 60 s window per publisher, run alone) the PDT median
 * must also be ≤ 1.2 s. TIDECAST_LL_DEBUG=1 also prints every sample and request.
 *
 * The default npm test plays the ffmpeg stream only, for 15 s: files run in parallel on 2 cores,
 * and OBS's 720p decoded in software beside them starves the page (what the OBS stream's
 * playlists promise is checked there by test/integration/obs-playlists.test.ts). The strict run,
 * alone in .ci/run, plays both.
 */

/** The strict run: a minute of playback and the latency aim asserted. The default npm test runs files in parallel on 2 cores, so it only logs latency. */
const STRICT = process.env['TIDECAST_LL_BROWSER'] === '1';
const MEASURE_SECONDS = STRICT ? 60 : 15;
const SAMPLE_INTERVAL_MS = 500;
/** The aim (issue 9): median ≤ 1.2 s behind ingest with the defaults (PART-HOLD-BACK 0.603 s). */
const MAX_MEDIAN_PDT_LATENCY_SECONDS = 1.2;
/** A 'waiting' fired by a seek within the buffer (the page's catch-up) that resumes within this is not a stall. */
const SEEK_WAIT_ALLOWANCE_MS = 250;
/** currentTime must advance at least this fraction of the wall time measured. */
const MIN_ADVANCE_RATIO = 0.9;
/** …and at least this fraction in every sampling interval: a freeze of over ~250 ms fails, 'waiting' or not. */
const MIN_INTERVAL_ADVANCE_RATIO = 0.5;
/** hls.js starts once the playlist has PART-HOLD-BACK of parts: the first segment (~2 s) plus startup. */
const PLAYBACK_START_TIMEOUT_MS = 40_000;
/** The fixture is 10 s; looped so the stream outlasts startup plus the measurement. */
const FFMPEG_TIMEOUT_MS = (MEASURE_SECONDS + 90) * 1000;
const TEST_TIMEOUT_MS = (MEASURE_SECONDS + 100) * 1000;

type Publisher = 'obs' | 'ffmpeg';
/** TIDECAST_LL_PUBLISHER=obs (or ffmpeg) runs one of them only, to debug it. */
const ONLY = process.env['TIDECAST_LL_PUBLISHER'];
const PUBLISHERS: readonly Publisher[] = (STRICT ? (['obs', 'ffmpeg'] as const) : (['ffmpeg'] as const)).filter((p) => ONLY === undefined || p === ONLY);

const ffmpeg = await ffmpegPath();
const skipReason = browserSkipReason(ffmpeg);

let live: LiveServer | undefined;
let browser: ChromiumSession | undefined;
let obs: ObsReplay | undefined;

afterEach(async () => {
  obs?.stop();
  obs = undefined;
  await browser?.close();
  browser = undefined;
  await live?.close();
  live = undefined;
});

/** One sample taken in the page; `t` is the page's performance.now(), ms. */
interface Sample {
  t: number;
  currentTime: number;
  /** hls.latency: estimated live edge (last playlist's end + its age) − currentTime, s. */
  latency: number;
  targetLatency: number | null;
  /** Date.now() − hls.playingDate (PROGRAM-DATE-TIME at currentTime), s; null before hls.js knows it. */
  pdtLatency: number | null;
  readyState: number;
  paused: boolean;
  playbackRate: number;
  /** Buffered media ahead of currentTime in the range that holds it, s. */
  bufferAhead: number;
  /** A 'waiting' was seen and no 'playing' since. */
  waiting: boolean;
  seeking: boolean;
  /** The element's buffered ranges, `start-end` joined by spaces (debug output). */
  ranges: string;
}

interface ProbeEvent {
  t: number;
  details: string;
  fatal: boolean;
  /** hls.js's reason (or its error's message): what the debug output and a failure show. */
  reason: string;
  /** The element's currentTime when it was raised (after hls.js's own seek, for a bufferSeekOverHole). */
  currentTime: number;
}

/** What the init script keeps in the page (globalThis.tidecastProbe). */
interface Probe {
  errors: ProbeEvent[];
  /** 'waiting' events; `seeking` when the element was seeking (a jump, not starved of data). */
  waiting: { t: number; seeking: boolean; currentTime: number }[];
  playing: number[];
  /** 'seeking' events: the page's catch-up jumps and hls.js's start-up seek. */
  seeks: { t: number; to: number }[];
  samples: Sample[];
  waitingNow: boolean;
  timer: unknown;
  lowLatency?: { lowLatencyMode: boolean; partTarget: number; canBlockReload: boolean; partHoldBack: number; holdBack: number; targetduration: number };
}

/** The page's globals the probe touches, typed structurally: the project's lib has no DOM. */
interface MediaLike {
  currentTime: number;
  seeking: boolean;
  readyState: number;
  paused: boolean;
  playbackRate: number;
  buffered: { length: number; start: (i: number) => number; end: (i: number) => number };
  addEventListener: (type: string, listener: () => void) => void;
}
interface LevelDetailsLike {
  partTarget: number;
  canBlockReload: boolean;
  partHoldBack: number;
  holdBack: number;
  targetduration: number;
}
interface HlsLike {
  on: (event: string, listener: (event: unknown, data: { fatal: boolean; details: string; reason?: string; error?: { message: string } }) => void) => void;
  latency: number;
  targetLatency: number | null;
  playingDate: Date | null;
  lowLatencyMode: boolean;
  latestLevelDetails: LevelDetailsLike | null;
}
interface ProbeGlobals {
  document: { getElementById: (id: string) => unknown };
  performance: { now: () => number };
  setInterval: (fn: () => void, ms: number) => unknown;
  clearInterval: (id: unknown) => void;
  Hls: { Events: { ERROR: string } };
  tidecastPlayer?: { url: string; hls: HlsLike | null };
  tidecastProbe: Probe;
}

/**
 * Installed before the page's scripts: a trap on `tidecastPlayer`, which the page sets as soon as
 * it creates hls.js and before loading starts, so every hls.js error and every media event is seen.
 */
function installProbe(): void {
  const w = globalThis as unknown as ProbeGlobals;
  const probe: Probe = { errors: [], waiting: [], playing: [], seeks: [], samples: [], waitingNow: false, timer: undefined };
  w.tidecastProbe = probe;
  let player: ProbeGlobals['tidecastPlayer'];
  Object.defineProperty(w, 'tidecastPlayer', {
    configurable: true,
    get: () => player,
    set: (value: ProbeGlobals['tidecastPlayer']) => {
      player = value;
      const video = w.document.getElementById('video') as MediaLike | null;
      value?.hls?.on(w.Hls.Events.ERROR, (_e, d) =>
        probe.errors.push({ t: w.performance.now(), details: d.details, fatal: d.fatal, reason: d.reason ?? d.error?.message ?? '', currentTime: video?.currentTime ?? Number.NaN }),
      );
      if (video === null) return;
      video.addEventListener('waiting', () => {
        probe.waiting.push({ t: w.performance.now(), seeking: video.seeking, currentTime: video.currentTime });
        probe.waitingNow = true;
      });
      video.addEventListener('seeking', () => probe.seeks.push({ t: w.performance.now(), to: video.currentTime }));
      video.addEventListener('playing', () => {
        probe.playing.push(w.performance.now());
        probe.waitingNow = false;
      });
    },
  });
}

/** Starts sampling every `intervalMs` in the page. */
async function startSampling(page: Page, intervalMs: number): Promise<void> {
  await page.evaluate((ms) => {
    const w = globalThis as unknown as ProbeGlobals;
    const probe = w.tidecastProbe;
    const video = w.document.getElementById('video') as MediaLike;
    const hls = w.tidecastPlayer!.hls!;
    const sample = (): void => {
      const now = Date.now();
      const t = w.performance.now();
      const date = hls.playingDate;
      let bufferAhead = 0;
      for (let i = 0; i < video.buffered.length; i++) {
        if (video.buffered.start(i) <= video.currentTime + 0.1 && video.currentTime < video.buffered.end(i)) bufferAhead = video.buffered.end(i) - video.currentTime;
      }
      probe.samples.push({
        t,
        currentTime: video.currentTime,
        latency: hls.latency,
        targetLatency: hls.targetLatency,
        pdtLatency: date === null ? null : (now - date.getTime()) / 1000,
        readyState: video.readyState,
        paused: video.paused,
        playbackRate: video.playbackRate,
        bufferAhead,
        waiting: probe.waitingNow,
        seeking: video.seeking,
        ranges: Array.from({ length: video.buffered.length }, (_, i) => `${video.buffered.start(i).toFixed(3)}-${video.buffered.end(i).toFixed(3)}`).join(' '),
      });
      const d = hls.latestLevelDetails;
      if (d !== null) probe.lowLatency = { lowLatencyMode: hls.lowLatencyMode, partTarget: d.partTarget, canBlockReload: d.canBlockReload, partHoldBack: d.partHoldBack, holdBack: d.holdBack, targetduration: d.targetduration };
    };
    sample();
    probe.timer = w.setInterval(sample, ms);
  }, intervalMs);
}

async function stopSampling(page: Page): Promise<Probe> {
  return page.evaluate(() => {
    const w = globalThis as unknown as ProbeGlobals;
    w.clearInterval(w.tidecastProbe.timer);
    return { ...w.tidecastProbe, timer: undefined };
  });
}

/** Nearest-rank percentile (p in 0..1) of `values`; NaN when empty. */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** The requests hls.js made, seen from the browser: when, what, and how each ended. */
interface SeenRequest {
  at: number;
  method: string;
  path: string;
  status?: number;
  failed?: string;
}

const BLOCKING_RELOAD = /\/index\.m3u8\?(.*&)?_HLS_msn=\d+/;
const PART = /\/(video|audio)\/\d+\.\d+\.m4s$/;
const SEGMENT = /\/(video|audio)\/\d+\.m4s$/;

function byDetails(events: readonly ProbeEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) {
    const key = `${e.details}${e.fatal ? ' (fatal)' : ''}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

function count(requests: readonly SeenRequest[], pattern: RegExp, from = 0): number {
  return requests.filter((r) => r.at >= from && pattern.test(r.path)).length;
}

describe.skipIf(skipReason !== undefined)(`hls.js in Chromium plays the LL-HLS stream at low latency${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  // A real-time run on a shared 2-core machine: a run that stalls is run once more, and the test
  // fails if it stalls again (every attempt's figures are logged). In npm test the page shares the
  // cores with the other files; the strict run in .ci/run is alone, and stalled once in about ten
  // 60 s runs (ffmpeg publishing, 2026-12-06), passing on the next.
  it.for(PUBLISHERS)(`%s publishing: plays ${MEASURE_SECONDS} s in low-latency mode without a stall or an error, and records its latency`, { timeout: TEST_TIMEOUT_MS, retry: 1 }, async (publisher, { annotate }) => {
    live = await startLiveServer();
    const STREAM = publisher === 'obs' ? OBS_STREAM : 'live/llbrowser';
    if (publisher === 'obs') {
      // OBS as recorded, read by read at its pace; 70 s covers startup plus the 60 s window.
      const published = nextPublish(live.server, OBS_STREAM.slice('live/'.length));
      obs = replayObs(Number(new URL(live.rtmpUrl('')).port));
      await published;
    } else {
      // ffmpeg -re, the fixture looped until the test ends (killed by PID in afterEach) or the timeout.
      await live.publish(STREAM.slice('live/'.length), { loop: true, timeoutMs: FFMPEG_TIMEOUT_MS });
    }
    const http = { port: Number(new URL(live.httpUrl('')).port) };

    browser = await launchChromium();
    const { context } = browser;
    const page = context.pages()[0] ?? (await context.newPage());
    await page.addInitScript(installProbe);

    // Every request the page makes, from the browser's side (hls.js loads with XHR on the main thread).
    const requests: SeenRequest[] = [];
    const byRequest = new Map<object, SeenRequest>();
    const origin = `http://127.0.0.1:${http.port}`;
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(`${origin}/${STREAM}/`)) return;
      const seen: SeenRequest = { at: performance.now(), method: request.method(), path: url.slice(origin.length) };
      requests.push(seen);
      byRequest.set(request, seen);
    });
    page.on('response', (response) => {
      const seen = byRequest.get(response.request());
      if (seen !== undefined) seen.status = response.status();
    });
    page.on('requestfailed', (request) => {
      const seen = byRequest.get(request);
      if (seen !== undefined) seen.failed = request.failure()?.errorText ?? 'failed';
    });

    await page.goto(`${origin}/`);
    const item = page.locator(`#streams li[data-stream="${STREAM}"]`);
    await item.waitFor({ timeout: 20_000 });
    await item.click();
    await page.waitForFunction(() => (globalThis as unknown as ProbeGlobals).tidecastPlayer?.hls != null, undefined, { timeout: 20_000 });

    // Playback has started: the clock runs and the element is neither paused nor waiting.
    const createdAt = performance.now();
    await page.waitForFunction(
      () => {
        const w = globalThis as unknown as ProbeGlobals;
        const video = w.document.getElementById('video') as MediaLike;
        return video.currentTime > 0 && !video.paused && !w.tidecastProbe.waitingNow && w.tidecastProbe.playing.length > 0;
      },
      undefined,
      { timeout: PLAYBACK_START_TIMEOUT_MS, polling: 100 },
    );
    const startupSeconds = (performance.now() - createdAt) / 1000;

    const windowStart = performance.now();
    const pageWindowStart = await page.evaluate(() => (globalThis as unknown as ProbeGlobals).performance.now());
    await startSampling(page, SAMPLE_INTERVAL_MS);
    await delay(MEASURE_SECONDS * 1000);
    const probe = await stopSampling(page);

    const samples = probe.samples;
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const wallSeconds = (last.t - first.t) / 1000;
    const advanced = last.currentTime - first.currentTime;
    const latencies = samples.map((s) => s.latency).filter((v) => v > 0);
    const pdtLatencies = samples.map((s) => s.pdtLatency).filter((v): v is number => v !== null);
    // The clock over each sampling interval: a freeze that fires no 'waiting' (a renderer
    // underflow) still shows as an interval in which currentTime barely moved.
    const intervalRatios = samples.slice(1).map((s, i) => (s.currentTime - samples[i]!.currentTime) / ((s.t - samples[i]!.t) / 1000));
    const clockLagSeconds = samples.slice(1).reduce((sum, s, i) => sum + Math.max(0, (s.t - samples[i]!.t) / 1000 - (s.currentTime - samples[i]!.currentTime)), 0);
    const inWindow = (t: number): boolean => t >= pageWindowStart && t <= last.t;
    const errorsInWindow = probe.errors.filter((e) => inWindow(e.t));
    // hls.js seeks from 0 to its start position once the first main fragment is buffered; if its
    // gap controller ticks first (a busy page), it jumps the same way and says so as a
    // bufferSeekOverHole "seeking from 0 to …". Before playback has started that is a start-up
    // race inside the player, not a hole in the stream: counted apart, not an error.
    const firstPlaying = probe.playing[0] ?? Number.POSITIVE_INFINITY;
    const startGap = (e: ProbeEvent): boolean => e.details === 'bufferSeekOverHole' && !e.fatal && e.t < firstPlaying && /seeking from 0 to /.test(e.reason);
    const errors = probe.errors.filter((e) => !startGap(e));
    const stalledErrors = errorsInWindow.filter((e) => e.details === 'bufferStalledError').length;
    // A 'waiting' is a stall unless the element was seeking (a catch-up jump within the buffer)
    // and played again at once.
    const waits = probe.waiting.filter((w) => inWindow(w.t)).map((w) => ({ ...w, ms: (probe.playing.find((t) => t >= w.t) ?? last.t) - w.t }));
    const stallWaits = waits.filter((w) => !w.seeking || w.ms > SEEK_WAIT_ALLOWANCE_MS);
    const fetched = requests.filter((r) => r.method !== 'HEAD' && r.at <= windowStart + wallSeconds * 1000);
    const statusCounts: Record<string, number> = {};
    for (const r of fetched) if (r.status !== undefined && r.status !== 200) statusCounts[String(r.status)] = (statusCounts[String(r.status)] ?? 0) + 1;
    const figures = {
      windowSeconds: round(wallSeconds),
      startupSeconds: round(startupSeconds),
      samples: samples.length,
      advanceRatio: round(advanced / wallSeconds),
      minIntervalAdvanceRatio: round(Math.min(...intervalRatios)),
      clockLagSeconds: round(clockLagSeconds),
      hlsLatency: { median: round(percentile(latencies, 0.5)), p95: round(percentile(latencies, 0.95)), max: round(Math.max(...latencies)) },
      pdtLatency: { median: round(percentile(pdtLatencies, 0.5)), p95: round(percentile(pdtLatencies, 0.95)), max: round(Math.max(...pdtLatencies)) },
      targetLatency: last.targetLatency === null ? null : round(last.targetLatency),
      bufferAhead: { median: round(percentile(samples.map((s) => s.bufferAhead), 0.5)), min: round(Math.min(...samples.map((s) => s.bufferAhead))) },
      maxPlaybackRate: Math.max(...samples.map((s) => s.playbackRate)),
      stalls: { bufferStalledError: stalledErrors, waiting: stallWaits.length, seekWaits: waits.length - stallWaits.length, seeks: probe.seeks.filter((e) => inWindow(e.t)).length },
      beforeWindow: { waiting: probe.waiting.filter((w) => w.t < pageWindowStart).length, seeks: probe.seeks.filter((e) => e.t < pageWindowStart).length, startGapSkips: probe.errors.filter(startGap).length, errors: byDetails(errors.filter((e) => e.t < pageWindowStart)) },
      errors: byDetails(errorsInWindow),
      lowLatency: probe.lowLatency,
      requests: {
        blockingReloads: count(fetched, BLOCKING_RELOAD, windowStart),
        videoParts: count(fetched, /\/video\/\d+\.\d+\.m4s$/, windowStart),
        audioParts: count(fetched, /\/audio\/\d+\.\d+\.m4s$/, windowStart),
        wholeSegments: count(fetched, SEGMENT, windowStart),
        wholeSegmentsBeforeWindow: count(fetched, SEGMENT) - count(fetched, SEGMENT, windowStart),
        notOk: statusCounts,
        failed: fetched.filter((r) => r.failed !== undefined).map((r) => `${r.path} ${r.failed!}`),
      },
    };
    const line = `LL-HLS hls.js ${STRICT ? 'strict' : 'default'} run, ${publisher} publishing: ${JSON.stringify(figures)}`;
    console.log(line);
    // Every sample, request and event: printed with TIDECAST_LL_DEBUG=1, and whenever an assertion fails (a CI log then says what happened).
    const printDebug = (): void => {
      for (const s of samples) console.log(`S ${((s.t - pageWindowStart) / 1000).toFixed(1)} ct=${s.currentTime.toFixed(3)} lat=${s.latency.toFixed(3)} pdt=${s.pdtLatency?.toFixed(3)} buf=${s.bufferAhead.toFixed(3)} rate=${s.playbackRate} tgt=${s.targetLatency} ranges=${s.ranges}`);
      for (const r of requests) console.log(`R ${((r.at - windowStart) / 1000).toFixed(3)} ${r.method} ${r.path} ${r.status ?? ''} ${r.failed ?? ''}`);
      console.log(JSON.stringify({ errors: probe.errors, waiting: probe.waiting, playing: probe.playing, seeks: probe.seeks, pageWindowStart }));
    };
    if (process.env['TIDECAST_LL_DEBUG'] === '1') printDebug();
    await annotate(line);

    try {
      // hls.js ran in low-latency mode: parts announced, blocking reloads and part loads made.
      expect(probe.lowLatency).toMatchObject({ lowLatencyMode: true, canBlockReload: true });
      expect(probe.lowLatency!.partTarget).toBeGreaterThan(0);
      expect(figures.requests.blockingReloads).toBeGreaterThan(0);
      expect(requests.some((r) => r.at >= windowStart && BLOCKING_RELOAD.test(r.path) && /[?&]_HLS_part=\d+/.test(r.path))).toBe(true);
      expect(figures.requests.videoParts).toBeGreaterThan(0);
      expect(requests.filter((r) => r.at >= windowStart && PART.test(r.path)).length).toBeGreaterThan(0);

      // The playlists promised 2 s segments, as the publisher's keyframes are 2 s apart.
      expect(probe.lowLatency!.targetduration).toBe(2);

      // It played through: no hls.js error at all (bufferSeekOverHole included), no stall, no wait for data, the clock kept up.
      expect(errors.map((e) => `${e.details}${e.fatal ? ' (fatal)' : ''} at currentTime ${e.currentTime}: ${e.reason}`)).toEqual([]);
      expect(figures.stalls).toMatchObject({ bufferStalledError: 0, waiting: 0 });
      expect(samples.filter((s) => s.paused || (s.waiting && !s.seeking)).length).toBe(0);
      expect(samples.length).toBeGreaterThanOrEqual(Math.floor((MEASURE_SECONDS * 1000) / SAMPLE_INTERVAL_MS) - 2);
      expect(advanced).toBeGreaterThanOrEqual(MIN_ADVANCE_RATIO * wallSeconds);
      expect(figures.minIntervalAdvanceRatio).toBeGreaterThanOrEqual(MIN_INTERVAL_ADVANCE_RATIO);

      // Latency was measured both ways.
      expect(latencies.length).toBeGreaterThan(samples.length / 2);
      expect(pdtLatencies.length).toBeGreaterThan(samples.length / 2);
      if (STRICT) expect(figures.pdtLatency.median).toBeLessThanOrEqual(MAX_MEDIAN_PDT_LATENCY_SECONDS);
    } catch (error) {
      if (process.env['TIDECAST_LL_DEBUG'] !== '1') printDebug();
      throw error;
    }
  });
});

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
