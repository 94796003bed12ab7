import type { Page } from 'playwright-core';

/**
 * The page side of test/browser/ll-hls-ladder.test.ts: a probe installed before the page at `/`
 * runs, which keeps every hls.js error, every level switch and every media event of the player the
 * page creates, samples the video clock, the level and the latency, and lets the test force a
 * level. The page's functions are serialized into the browser: they reference nothing outside
 * their own bodies, and the project's lib has no DOM, so the page's globals are typed here.
 * Below them, on the test's side: the figures a play's record gives, and its debug output.
 */

/** One sample taken in the page; `t` is the page's performance.now(), ms. */
export interface LadderSample {
  t: number;
  currentTime: number;
  /** hls.currentLevel: the level whose media plays; -1 before one does. */
  level: number;
  /** Date.now() − hls.playingDate (PROGRAM-DATE-TIME at currentTime), s; null before hls.js knows it. */
  pdtLatency: number | null;
  /** hls.latency: estimated live edge − currentTime, s. */
  latency: number;
  paused: boolean;
  playbackRate: number;
  /** Buffered media ahead of currentTime in the range that holds it, s. */
  bufferAhead: number;
  /** The gap, s, between the range that holds currentTime and the next range (0 when there is none): a hole ahead of the playhead. */
  holeAhead: number;
  /** A 'waiting' was seen and no 'playing' since. */
  waiting: boolean;
  seeking: boolean;
  /** The element's buffered ranges, `start-end` joined by spaces (debug output). */
  ranges: string;
}

export interface LadderProbeEvent {
  t: number;
  details: string;
  fatal: boolean;
  reason: string;
  currentTime: number;
}

/** A LEVEL_SWITCHED event: the level whose media now plays. */
export interface LevelSwitch {
  t: number;
  level: number;
  height: number;
  bitrate: number;
  /** hls.autoLevelEnabled when it was raised: false after a forced nextLevel, true under ABR. */
  auto: boolean;
  currentTime: number;
}

export interface LadderProbe {
  errors: LadderProbeEvent[];
  waiting: { t: number; seeking: boolean; currentTime: number }[];
  playing: number[];
  seeks: { t: number; to: number }[];
  switches: LevelSwitch[];
  /** LEVEL_SWITCHING: when hls.js started loading another level. */
  switching: { t: number; level: number }[];
  /** The levels hls.js parsed from the multivariant playlist, in its order. */
  levels: { height: number; bitrate: number; url: string }[];
  samples: LadderSample[];
  waitingNow: boolean;
  timer: unknown;
  lowLatency?: { lowLatencyMode: boolean; partTarget: number; canBlockReload: boolean; targetduration: number };
}

interface MediaLike {
  currentTime: number;
  seeking: boolean;
  paused: boolean;
  playbackRate: number;
  buffered: { length: number; start: (i: number) => number; end: (i: number) => number };
  addEventListener: (type: string, listener: () => void) => void;
}
interface LevelLike {
  height: number;
  bitrate: number;
  url: string[];
}
interface HlsLike {
  on: (event: string, listener: (event: unknown, data: Record<string, unknown>) => void) => void;
  latency: number;
  playingDate: Date | null;
  lowLatencyMode: boolean;
  currentLevel: number;
  nextLevel: number;
  autoLevelEnabled: boolean;
  levels: LevelLike[];
  latestLevelDetails: { partTarget: number; canBlockReload: boolean; targetduration: number } | null;
}
interface ProbeGlobals {
  document: { getElementById: (id: string) => unknown };
  performance: { now: () => number };
  setInterval: (fn: () => void, ms: number) => unknown;
  clearInterval: (id: unknown) => void;
  Hls: { Events: Record<'ERROR' | 'LEVEL_SWITCHED' | 'LEVEL_SWITCHING' | 'MANIFEST_PARSED', string> };
  tidecastPlayer?: { url: string; hls: HlsLike | null };
  tidecastProbe: LadderProbe;
}

/**
 * For page.addInitScript: a trap on `tidecastPlayer`, which the page sets as soon as it creates
 * hls.js and before loading starts, so every event of the player is seen.
 */
export function installLadderProbe(): void {
  const w = globalThis as unknown as ProbeGlobals;
  const probe: LadderProbe = { errors: [], waiting: [], playing: [], seeks: [], switches: [], switching: [], levels: [], samples: [], waitingNow: false, timer: undefined };
  w.tidecastProbe = probe;
  let player: ProbeGlobals['tidecastPlayer'];
  Object.defineProperty(w, 'tidecastPlayer', {
    configurable: true,
    get: () => player,
    set: (value: ProbeGlobals['tidecastPlayer']) => {
      player = value;
      const hls = value?.hls;
      const video = w.document.getElementById('video') as MediaLike | null;
      const currentTime = (): number => video?.currentTime ?? Number.NaN;
      if (hls == null) return;
      hls.on(w.Hls.Events.ERROR, (_e, d) => {
        const error = d['error'] as { message?: string } | undefined;
        probe.errors.push({ t: w.performance.now(), details: String(d['details']), fatal: d['fatal'] === true, reason: String(d['reason'] ?? error?.message ?? ''), currentTime: currentTime() });
      });
      hls.on(w.Hls.Events.MANIFEST_PARSED, () => {
        probe.levels = hls.levels.map((l) => ({ height: l.height, bitrate: l.bitrate, url: l.url[0] ?? '' }));
      });
      hls.on(w.Hls.Events.LEVEL_SWITCHING, (_e, d) => probe.switching.push({ t: w.performance.now(), level: Number(d['level']) }));
      hls.on(w.Hls.Events.LEVEL_SWITCHED, (_e, d) => {
        const level = Number(d['level']);
        const l = hls.levels[level];
        probe.switches.push({ t: w.performance.now(), level, height: l?.height ?? 0, bitrate: l?.bitrate ?? 0, auto: hls.autoLevelEnabled, currentTime: currentTime() });
      });
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

/** Whether the page's player has started: the clock runs, neither paused nor waiting. */
export function playbackStarted(): boolean {
  const w = globalThis as unknown as ProbeGlobals;
  const video = w.document.getElementById('video') as MediaLike;
  return video.currentTime > 0 && !video.paused && !w.tidecastProbe.waitingNow && w.tidecastProbe.playing.length > 0;
}

/** Starts sampling every `intervalMs` in the page; returns the page's clock at the first sample. */
export async function startLadderSampling(page: Page, intervalMs: number): Promise<number> {
  return page.evaluate((ms) => {
    const w = globalThis as unknown as ProbeGlobals;
    const probe = w.tidecastProbe;
    const video = w.document.getElementById('video') as MediaLike;
    const hls = w.tidecastPlayer!.hls!;
    const sample = (): void => {
      const now = Date.now();
      const date = hls.playingDate;
      let bufferAhead = 0;
      let holeAhead = 0;
      for (let i = 0; i < video.buffered.length; i++) {
        if (video.buffered.start(i) <= video.currentTime + 0.1 && video.currentTime < video.buffered.end(i)) {
          bufferAhead = video.buffered.end(i) - video.currentTime;
          if (i + 1 < video.buffered.length) holeAhead = video.buffered.start(i + 1) - video.buffered.end(i);
        }
      }
      probe.samples.push({
        t: w.performance.now(),
        currentTime: video.currentTime,
        level: hls.currentLevel,
        pdtLatency: date === null ? null : (now - date.getTime()) / 1000,
        latency: hls.latency,
        paused: video.paused,
        playbackRate: video.playbackRate,
        bufferAhead,
        holeAhead,
        waiting: probe.waitingNow,
        seeking: video.seeking,
        ranges: Array.from({ length: video.buffered.length }, (_, i) => `${video.buffered.start(i).toFixed(3)}-${video.buffered.end(i).toFixed(3)}`).join(' '),
      });
      const d = hls.latestLevelDetails;
      if (d !== null) probe.lowLatency = { lowLatencyMode: hls.lowLatencyMode, partTarget: d.partTarget, canBlockReload: d.canBlockReload, targetduration: d.targetduration };
    };
    sample();
    probe.timer = w.setInterval(sample, ms);
    return probe.samples[0]!.t;
  }, intervalMs);
}

export async function stopLadderSampling(page: Page): Promise<LadderProbe> {
  return page.evaluate(() => {
    const w = globalThis as unknown as ProbeGlobals;
    w.clearInterval(w.tidecastProbe.timer);
    return { ...w.tidecastProbe, timer: undefined };
  });
}

/** The page's clock (performance.now(), ms): the time base of every probe record. */
export async function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as ProbeGlobals).performance.now());
}

/** The levels hls.js parsed, once it has. */
export async function pageLevels(page: Page, timeoutMs: number): Promise<LadderProbe['levels']> {
  await page.waitForFunction(() => (globalThis as unknown as ProbeGlobals).tidecastProbe.levels.length > 0, undefined, { timeout: timeoutMs, polling: 100 });
  return page.evaluate(() => (globalThis as unknown as ProbeGlobals).tidecastProbe.levels);
}

/** hls.nextLevel = `level` (-1: back to ABR); returns the page's clock when it was set. */
export async function setNextLevel(page: Page, level: number): Promise<number> {
  return page.evaluate((l) => {
    const w = globalThis as unknown as ProbeGlobals;
    w.tidecastPlayer!.hls!.nextLevel = l;
    return w.performance.now();
  }, level);
}

/** The first LEVEL_SWITCHED at or after page time `since` to one of `levels`, waited for up to `timeoutMs`; undefined if none came. */
export async function nextSwitch(page: Page, since: number, levels: readonly number[], timeoutMs: number): Promise<LevelSwitch | undefined> {
  const found = (): Promise<LevelSwitch | undefined> =>
    page.evaluate(([s, wanted]) => (globalThis as unknown as ProbeGlobals).tidecastProbe.switches.find((x) => x.t >= s && wanted.includes(x.level)), [since, [...levels]] as const);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = await found();
    if (hit !== undefined || Date.now() > deadline) return hit;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A request the page made, seen from the browser: when (test clock, ms), what, and how it ended. */
export interface SeenRequest {
  at: number;
  method: string;
  path: string;
  status?: number;
  failed?: string;
}

/** Nearest-rank percentile (p in 0..1); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** The median PDT latency of the samples taken in [from, to] (page clock, ms). */
export function medianPdt(samples: readonly LadderSample[], from: number, to: number): number {
  return round(percentile(samples.filter((s) => s.t >= from && s.t <= to && s.pdtLatency !== null).map((s) => s.pdtLatency!), 0.5));
}

function describeError(e: LadderProbeEvent): string {
  return `${e.details}${e.fatal ? ' (fatal)' : ''} at currentTime ${e.currentTime}: ${e.reason}`;
}

/** What every play is checked for: errors, stalls and the clock, over the window sampled from `windowStart`; a 'waiting' of a seek that resumes within `seekWaitAllowanceMs` is not a stall. */
export function playbackFigures(probe: LadderProbe, windowStart: number, seekWaitAllowanceMs: number) {
  const samples = probe.samples;
  const last = samples.at(-1)!;
  const inWindow = (t: number): boolean => t >= windowStart && t <= last.t;
  // hls.js's jump from currentTime 0 to its start position before playback starts, reported as a
  // bufferSeekOverHole "seeking from 0 to …" when its gap controller ticks first: a start-up race
  // inside the player (see test/browser/ll-hls-js.test.ts), counted apart. Nothing else is.
  const firstPlaying = probe.playing[0] ?? Number.POSITIVE_INFINITY;
  const startGap = (e: LadderProbeEvent): boolean => e.details === 'bufferSeekOverHole' && !e.fatal && e.t < firstPlaying && /seeking from 0 to /.test(e.reason);
  const waits = probe.waiting.filter((w) => inWindow(w.t)).map((w) => ({ ...w, ms: (probe.playing.find((t) => t >= w.t) ?? last.t) - w.t }));
  const intervalRatios = samples.slice(1).map((s, i) => (s.currentTime - samples[i]!.currentTime) / ((s.t - samples[i]!.t) / 1000));
  return {
    errors: probe.errors.filter((e) => !startGap(e)).map(describeError),
    startGapSkips: probe.errors.filter(startGap).length,
    bufferStalledErrors: probe.errors.filter((e) => e.details === 'bufferStalledError').length,
    bufferHoleErrors: probe.errors.filter((e) => !startGap(e) && /hole/i.test(e.details)).length,
    stallWaits: waits.filter((w) => !w.seeking || w.ms > seekWaitAllowanceMs).length,
    seekWaits: waits.filter((w) => w.seeking && w.ms <= seekWaitAllowanceMs).length,
    // A sample taken between an excused seek's 'seeked' and its 'playing' still shows `waiting`.
    stalledSamples: samples.filter((s) => s.paused || (s.waiting && !s.seeking && !waits.some((w) => w.seeking && w.ms <= seekWaitAllowanceMs && s.t >= w.t && s.t <= w.t + w.ms))).length,
    minIntervalAdvanceRatio: round(Math.min(...intervalRatios)),
    holesAheadSeen: samples.filter((s) => s.holeAhead > 0).map((s) => `${((s.t - windowStart) / 1000).toFixed(1)} s: ${s.ranges} at ${s.currentTime.toFixed(3)}`),
  };
}

/** currentTime's advance per second of wall time over the samples in [at, at + spanMs]. */
export function advanceAfter(samples: readonly LadderSample[], at: number, spanMs: number): number {
  const after = samples.filter((s) => s.t >= at && s.t <= at + spanMs);
  if (after.length < 2) return Number.NaN;
  const first = after[0]!;
  const last = after.at(-1)!;
  return round((last.currentTime - first.currentTime) / ((last.t - first.t) / 1000));
}

/** Every sample, request and event of a play (times from `windowStart`, page clock; requests from `nodeStart`, test clock). */
export function printDebug(label: string, probe: LadderProbe, requests: readonly SeenRequest[], windowStart: number, nodeStart: number): void {
  for (const s of probe.samples) {
    console.log(`${label} S ${((s.t - windowStart) / 1000).toFixed(1)} ct=${s.currentTime.toFixed(3)} level=${s.level} pdt=${s.pdtLatency?.toFixed(3)} lat=${s.latency.toFixed(3)} buf=${s.bufferAhead.toFixed(3)} hole=${s.holeAhead.toFixed(3)} rate=${s.playbackRate}${s.paused ? ' paused' : ''}${s.waiting ? ' waiting' : ''}${s.seeking ? ' seeking' : ''} ranges=${s.ranges}`);
  }
  for (const r of requests) console.log(`${label} R ${((r.at - nodeStart) / 1000).toFixed(3)} ${r.method} ${r.path} ${r.status ?? ''} ${r.failed ?? ''}`);
  console.log(`${label} events ${JSON.stringify({ windowStart, levels: probe.levels, switching: probe.switching, switches: probe.switches, errors: probe.errors, waiting: probe.waiting, playing: probe.playing, seeks: probe.seeks })}`);
}

/** One LEVEL_SWITCHED for the log: seconds from `windowStart`, level, height, bit rate, who chose it. */
export function switchLine(s: LevelSwitch, windowStart: number): string {
  return `${((s.t - windowStart) / 1000).toFixed(2)} s: level ${s.level} (${s.height}p, ${s.bitrate} b/s, ${s.auto ? 'ABR' : 'forced'}) at currentTime ${s.currentTime.toFixed(3)}`;
}

