import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { Reader } from '../../src/hub/index.js';
import { checkLadderSpec } from '../../src/transcode/index.js';
import { browserSkipReason, launchChromium, type ChromiumSession } from '../helpers/browser.js';
import { ffmpegPath, spawnFfmpeg, type FfmpegRun, testsrcPublisherArgs } from '../helpers/ffmpeg.js';
import {
  advanceAfter, installLadderProbe, medianPdt, nextSwitch, pageLevels, pageNow, percentile, playbackFigures, playbackStarted, printDebug, round, setNextLevel,
  startLadderSampling, stopLadderSampling, switchLine, type LevelSwitch, type SeenRequest,
} from '../helpers/ladder-page.js'; // prettier-ignore
import { getText, nextPublish, startLiveServer, type LiveServer } from '../helpers/live.js';
import { delay, killByPid, withTimeout } from '../helpers/process.js';

/**
 * Issue 10, "Done when" 2: hls.js in headless Chromium, driven by the page at `/` with the page's
 * own hls.js configuration, plays a 3-rung ladder (the source as a copy rung, 240p and 144p encoded
 * with ultrafast) in low-latency mode and switches levels: forced by `hls.nextLevel` down to the
 * lowest and up to the highest, three times each, then by its own ABR when the page's network is
 * throttled (CDP Network.emulateNetworkConditions) until it switches down, after which the
 * throttle is lifted. Every LEVEL_SWITCHED is logged (level, height, time). Asserted over the whole
 * playback: no hls.js error at all (bufferSeekOverHole included; the one exception is the start-up
 * jump from 0 the browser LL-HLS test counts as startGapSkips), no stall (no BUFFER_STALLED_ERROR,
 * no 'waiting' other than an instant catch-up seek, no sampling interval in which the clock froze),
 * the clock advancing after every switch.
 *
 * Latency is the PROGRAM-DATE-TIME latency (Date.now() − hls.playingDate: delay behind ingest) of
 * the same publisher command on two stream keys of one server, `plain` without a ladder and
 * `ladder` with it, played one after the other (not at once: the two would share the cores), each
 * for a steady window of the same length under the page's ABR: the ladder's median may exceed the
 * plain stream's by LADDER_LATENCY_ALLOWANCE_SECONDS at most. That comparison holds only if the
 * dates say what docs/ll-hls.md says they say (when the segment's first frame reached the server),
 * so the test also watches each source stream in the hub and notes when each keyframe arrived:
 * a date's error is its segment's PROGRAM-DATE-TIME − the arrival of the source keyframe that
 * starts it. The first segment's error must be within DATE_TOLERANCE_SECONDS for both streams;
 * later segments also carry how late the publisher's first frame came against its later pace (the
 * dates are one anchor plus media time), so the latency comparison is made with each stream's
 * median error taken out (both ways logged).
 *
 * Every check runs and every failure is reported together, after the figures and (on a failure,
 * or with TIDECAST_LL_DEBUG=1) every sample, switch, error and request, and the playlists. The file
 * runs alone: `TIDECAST_LADDER_BROWSER=1 npx vitest run test/browser/ll-hls-ladder.test.ts`.
 */

const STEADY_SECONDS = 8;
const SAMPLE_INTERVAL_MS = 500;
/** The aim of issue 10: the ladder costs at most this much latency over the source played alone. */
const LADDER_LATENCY_ALLOWANCE_SECONDS = 0.3;
/** The first PROGRAM-DATE-TIME may differ this much from the first keyframe's arrival: an event-loop turn or two. */
const DATE_TOLERANCE_SECONDS = 0.1;
/** Forced switches: lowest, highest, three times over. */
const FORCED_ROUNDS = 3;
/** A forced switch waits for the next independent part of the other level: a GOP (2 s) and its load. */
const SWITCH_TIMEOUT_MS = 5_000;
/** Playback on a level after its switch before the next one is forced; the clock must advance meanwhile. */
// 3 segments: hls.js 1.7.4, back on a level whose part N.0 it loaded within the parts still
// listed, takes N.0 as loaded although the buffer now holds the other level's N, and loads from
// N.1 (INDEPENDENT=NO): a hole, then a stall. Held 1.5 s, every run stalled once around the 5th
// switch; held 6 s, neither of two runs did (issue 10's note).
const HOLD_AFTER_SWITCH_MS = 6_000;
/**
 * The throttle (TIDECAST_THROTTLE_KBPS changes it). Meant as room for 144p with audio (120 + 96 kb/s)
 * and the playlist reloads, none for 360p (800 kb/s). Issue 10's note: at 400, 360p parts took
 * 1.2–1.7 s each and hls.js did not switch down within 12 s (the delay reached it as time to first
 * byte, which its estimate leaves out); at 700 it switched down after 0.56 s, switched back up 0.4 s
 * later and appended 360p's non-independent next part (a hole to the next segment).
 */
const THROTTLE_KBITS_PER_SECOND = Number(process.env['TIDECAST_THROTTLE_KBPS'] ?? 400);
/** hls.js's ABR has this long to switch down by itself under the throttle. */
const THROTTLE_SWITCH_TIMEOUT_MS = 12_000;
/** Playback under the throttle after the switch down, then after the throttle is lifted. */
const THROTTLED_HOLD_MS = 2_000;
const RECOVERY_MS = 3_000;
/** A 'waiting' fired by a seek within the buffer (the page's catch-up) that resumes within this is not a stall. */
const SEEK_WAIT_ALLOWANCE_MS = 250;
/** currentTime must advance at least this fraction of the wall time in every sampling interval. */
const MIN_INTERVAL_ADVANCE_RATIO = 0.5;
/** …and at least this fraction over the HOLD_AFTER_SWITCH_MS after each switch. */
const MIN_ADVANCE_AFTER_SWITCH_RATIO = 0.8;
const PLAYBACK_START_TIMEOUT_MS = 20_000;
/** The publisher outlives both plays; it is killed by PID when its play ends, or by spawnFfmpeg at this bound. */
const PUBLISH_SECONDS = 100;
const TEST_TIMEOUT_MS = 150_000;

const PLAIN = 'plain';
const LADDERED = 'ladder';
const LADDER = checkLadderSpec({
  rungs: [
    { codec: 'copy', name: '360p' },
    { codec: 'h264', height: 240, bitrateKbps: 300, preset: 'ultrafast' },
    { codec: 'h264', height: 144, bitrateKbps: 120, preset: 'ultrafast' },
  ],
});

const ffmpeg = await ffmpegPath();
/**
 * About 45 s of real-time publishes, ffmpeg encodes and a browser, so never in every `npm test`:
 * TIDECAST_LADDER_BROWSER=1 runs it. Not yet in .ci/run: it fails on hls.js 1.7.4's stalls after
 * forced switches and under the throttle (issue 10's note has the runs and the evidence), and it
 * joins CI's ladder suite once the ladder passes it.
 */
const SUITE = process.env['TIDECAST_LADDER_BROWSER'] === '1';
const skipReason = SUITE ? browserSkipReason(ffmpeg) : 'TIDECAST_LADDER_BROWSER=1 runs it (issue 10: not yet passing, not yet in .ci/run)';

let live: LiveServer | undefined;
let browser: ChromiumSession | undefined;
const publishers: FfmpegRun[] = [];
const readers: Reader[] = [];
/** The arrival reader keeps nothing but is drained at once; this only bounds a stalled event loop. */
const ARRIVAL_READER_QUEUE_BYTES = 16 * 1024 * 1024;

afterEach(async () => {
  for (const reader of readers.splice(0)) reader.close();
  for (const run of publishers.splice(0)) {
    killByPid(run.child);
    await run.done.catch(() => undefined);
  }
  await browser?.close();
  browser = undefined;
  await live?.close();
  live = undefined;
});

/** The one publisher command (test/helpers/ffmpeg.ts testsrcPublisherArgs): PUBLISH_SECONDS of 640x360 testsrc at 30 fps, 2 s GOPs with B-frames, AAC. */
const publisherArgs = (rtmpUrl: string): string[] => testsrcPublisherArgs(rtmpUrl, PUBLISH_SECONDS);

interface Published {
  readonly run: FfmpegRun;
  /** When each source keyframe reached the hub (Date.now()), in order: seen by a reader subscribed at the publish. */
  readonly keyframeArrivalsMs: number[];
  readonly reader: Reader;
}

async function publish(server: LiveServer, key: string): Promise<Published> {
  const accepted = nextPublish(server.server, key);
  const run = await spawnFfmpeg(publisherArgs(server.rtmpUrl(`live/${key}`)), { timeoutMs: (PUBLISH_SECONDS + 20) * 1000 });
  publishers.push(run);
  await withTimeout(Promise.race([accepted, run.done.then((r) => Promise.reject(new Error(`ffmpeg ended before publishing: ${r.stderr}`)))]), 10_000, `publish of live/${key}`);
  // Subscribed on the publish, before the first frame: its callback runs inside the publisher's push.
  const reader = server.server.hub.stream('live', key)!.subscribe({ startWith: 'live', maxQueuedBytes: ARRIVAL_READER_QUEUE_BYTES });
  const keyframeArrivalsMs: number[] = [];
  let videoId: number | undefined;
  reader.onReadable(() =>
    queueMicrotask(() => {
      const now = Date.now();
      for (const item of reader.drain()) {
        if (item.type === 'tracks') videoId = item.tracks.find((t) => t.kind === 'video')?.id;
        else if (item.type === 'sample' && item.sample.keyframe && item.sample.trackId === videoId) keyframeArrivalsMs.push(now);
      }
    }),
  );
  readers.push(reader);
  return { run, keyframeArrivalsMs, reader };
}

/**
 * PROGRAM-DATE-TIME − its segment's source keyframe arrival, s, for each segment of `playlist`
 * from `sequence` on. Segment n starts at the stream's keyframe n: the packager (or the ladder's
 * output) starts at the first keyframe, and the publisher's GOP is a segment.
 */
async function dateErrors(server: LiveServer, playlist: string, published: Published): Promise<{ sequence: number; bySegment: number[] }> {
  const text = (await getText(server.httpUrl(playlist))) ?? '';
  const sequence = Number(/^#EXT-X-MEDIA-SEQUENCE:(\d+)$/m.exec(text)?.[1]);
  const dates = [...text.matchAll(/^#EXT-X-PROGRAM-DATE-TIME:(\S+)$/gm)].map((m) => Date.parse(m[1]!));
  const bySegment = dates.flatMap((date, i) => {
    const arrival = published.keyframeArrivalsMs[sequence + i];
    return arrival === undefined ? [] : [round((date - arrival) / 1000)];
  });
  return { sequence, bySegment };
}

/** The first segment's date error, read while the playlist still lists it. */
async function firstDateError(server: LiveServer, playlist: string, published: Published): Promise<number> {
  const { sequence, bySegment } = await dateErrors(server, playlist, published);
  return sequence === 0 && bySegment.length > 0 ? bySegment[0]! : Number.NaN;
}

async function unpublish({ run, reader }: Published): Promise<void> {
  reader.close();
  killByPid(run.child);
  await run.done.catch(() => undefined);
  publishers.splice(publishers.indexOf(run), 1);
}

const BLOCKING_RELOAD = /\/index\.m3u8\?(.*&)?_HLS_msn=\d+/;
const PART = /\/\d+\.\d+\.m4s$/;

/** A page playing `live/<key>` with the probe installed, once playback has started. */
async function play(context: BrowserContext, server: LiveServer, key: string): Promise<{ page: Page; requests: SeenRequest[]; startupSeconds: number }> {
  const page = await context.newPage();
  await page.addInitScript(installLadderProbe);
  const origin = new URL(server.httpUrl('')).origin;
  const prefix = `${origin}/live/${key}/`;
  const requests: SeenRequest[] = [];
  const byRequest = new Map<object, SeenRequest>();
  page.on('request', (request) => {
    if (!request.url().startsWith(prefix)) return;
    const seen: SeenRequest = { at: performance.now(), method: request.method(), path: request.url().slice(origin.length) };
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
  const item = page.locator(`#streams li[data-stream="live/${key}"]`);
  await item.waitFor({ timeout: 10_000 });
  const clickedAt = performance.now();
  await item.click();
  await page.waitForFunction(playbackStarted, undefined, { timeout: PLAYBACK_START_TIMEOUT_MS, polling: 100 });
  return { page, requests, startupSeconds: (performance.now() - clickedAt) / 1000 };
}

function count(requests: readonly SeenRequest[], pattern: RegExp): number {
  return requests.filter((r) => r.method !== 'HEAD' && pattern.test(r.path)).length;
}

async function printPlaylists(server: LiveServer, key: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const text = await getText(server.httpUrl(`live/${key}/${name}`)).catch((e: unknown) => String(e));
    console.log(`--- live/${key}/${name}\n${text?.split('\n').slice(-24).join('\n') ?? '(no playlist)'}`);
  }
}

describe.skipIf(skipReason !== undefined)(`hls.js in Chromium plays an LL-HLS ladder and switches levels${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('switches down and up (forced, then by ABR under a throttle) without a stall, a hole or an error, within 0.3 s of the latency without a ladder', { timeout: TEST_TIMEOUT_MS }, async ({ annotate }) => {
    const testStart = performance.now();
    live = await startLiveServer({ transcode: { ladder: (_app, key) => (key === LADDERED ? LADDER : undefined) } });
    expect(live.server.ladders.off).toBeUndefined();
    browser = await launchChromium();
    const { context } = browser;

    // Without the ladder: the baseline latency and date error, and the same checks on playback.
    const plainPublish = await publish(live, PLAIN);
    const plain = await play(context, live, PLAIN);
    const plainFirstDateError = await firstDateError(live, `live/${PLAIN}/video/index.m3u8`, plainPublish);
    const plainWindowStart = await startLadderSampling(plain.page, SAMPLE_INTERVAL_MS);
    await delay(STEADY_SECONDS * 1000);
    const plainProbe = await stopLadderSampling(plain.page);
    const plainDates = await dateErrors(live, `live/${PLAIN}/video/index.m3u8`, plainPublish);
    await plain.page.close();
    await unpublish(plainPublish);
    const plainFigures = playbackFigures(plainProbe, plainWindowStart, SEEK_WAIT_ALLOWANCE_MS);

    // With it: a steady window under ABR, forced switches, the throttle.
    const ladderPublish = await publish(live, LADDERED);
    const laddered = await play(context, live, LADDERED);
    const { page } = laddered;
    const ladderFirstDateError = await firstDateError(live, `live/${LADDERED}/360p/index.m3u8`, ladderPublish);
    const levels = await pageLevels(page, 5_000);
    const byBitrate = levels.map((l, i) => ({ ...l, i })).sort((a, b) => a.bitrate - b.bitrate);
    const lowest = byBitrate[0]!.i;
    const highest = byBitrate.at(-1)!.i;
    const windowStart = await startLadderSampling(page, SAMPLE_INTERVAL_MS);
    await delay(STEADY_SECONDS * 1000);
    const steadyEnd = await pageNow(page);
    const ladderDates = await dateErrors(live, `live/${LADDERED}/360p/index.m3u8`, ladderPublish);

    const forced: Array<{ target: number; setAt: number; seen: LevelSwitch | undefined }> = [];
    // Lowest, highest, FORCED_ROUNDS times; a switch that does not come ends the series.
    const targets = Array.from({ length: 2 * FORCED_ROUNDS }, (_, i) => (i % 2 === 0 ? lowest : highest));
    for (const target of targets) {
      const setAt = await setNextLevel(page, target);
      const seen = await nextSwitch(page, setAt, [target], SWITCH_TIMEOUT_MS);
      forced.push({ target, setAt, seen });
      if (seen === undefined) break;
      await delay(HOLD_AFTER_SWITCH_MS);
    }
    const forcedEnd = await pageNow(page);

    // Back to ABR, then the throttle until ABR switches down by itself, then the throttle lifted.
    await setNextLevel(page, -1);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const throttledAt = await pageNow(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: (THROTTLE_KBITS_PER_SECOND * 1000) / 8, uploadThroughput: -1 });
    const lower = byBitrate.filter((l) => l.i !== highest).map((l) => l.i);
    const abrDown = await nextSwitch(page, throttledAt, lower, THROTTLE_SWITCH_TIMEOUT_MS);
    if (abrDown !== undefined) await delay(THROTTLED_HOLD_MS);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const unthrottledAt = await pageNow(page);
    await delay(RECOVERY_MS);
    const probe = await stopLadderSampling(page);
    await cdp.detach();
    const ladderFigures = playbackFigures(probe, windowStart, SEEK_WAIT_ALLOWANCE_MS);
    const samples = probe.samples;

    const plainLatency = medianPdt(plainProbe.samples, plainWindowStart, plainProbe.samples.at(-1)!.t);
    const ladderLatency = medianPdt(samples, windowStart, steadyEnd);
    // A date later than the arrival by its error makes now − date read that much too low; after the
    // first segment the error also holds how late the publisher's first frame came against its later pace.
    const plainDateError = percentile(plainDates.bySegment, 0.5);
    const ladderDateError = percentile(ladderDates.bySegment, 0.5);
    const plainLatencyTrue = round(plainLatency + plainDateError);
    const ladderLatencyTrue = round(ladderLatency + ladderDateError);
    const perLevel: Record<string, number> = {};
    for (const l of byBitrate) perLevel[`${l.height}p`] = medianPdt(samples.filter((x) => x.level === l.i), windowStart, forcedEnd);
    const switches = probe.switches.filter((x) => x.t >= windowStart);
    const afterSwitch = switches.map((x) => advanceAfter(samples, x.t, HOLD_AFTER_SWITCH_MS + SAMPLE_INTERVAL_MS));
    const phaseOf = (t: number): string => (t < windowStart ? 'startup' : t < steadyEnd ? 'steady' : t < forcedEnd ? 'forced' : t < unthrottledAt ? 'throttled' : 'recovery');
    const figures = {
      wallSeconds: round((performance.now() - testStart) / 1000),
      startupSeconds: { plain: round(plain.startupSeconds), ladder: round(laddered.startupSeconds) },
      pdtLatencyMedian: { plain: plainLatency, ladder: ladderLatency, plainLessDateError: plainLatencyTrue, ladderLessDateError: ladderLatencyTrue, ladderForcedPhase: medianPdt(samples, steadyEnd, forcedEnd), ladderPerLevelSteadyAndForced: perLevel },
      dateError: { plainFirst: plainFirstDateError, ladderFirst: ladderFirstDateError, plainBySegment: plainDates.bySegment, ladderBySegment: ladderDates.bySegment },
      levels: levels.map((l) => `${l.height}p ${l.bitrate} b/s ${l.url.split('/').slice(-2).join('/')}`),
      forcedSwitches: forced.filter((f) => f.seen !== undefined).length,
      forcedSwitchDelayMs: forced.map((f) => (f.seen === undefined ? null : Math.round(f.seen.t - f.setAt))),
      abrSwitchDown: abrDown === undefined ? null : { level: abrDown.level, height: abrDown.height, afterThrottleMs: Math.round(abrDown.t - throttledAt) },
      afterUnthrottle: switches.filter((x) => x.t >= unthrottledAt).map((x) => `${x.height}p`),
      advanceAfterSwitch: afterSwitch,
      plain: plainFigures,
      ladder: { ...ladderFigures, errorPhases: probe.errors.map((e) => phaseOf(e.t)), stallPhases: probe.waiting.filter((w) => !w.seeking).map((w) => phaseOf(w.t)) },
      requests: {
        plain: { blockingReloads: count(plain.requests, BLOCKING_RELOAD), parts: count(plain.requests, PART) },
        ladder: Object.fromEntries(['360p', '240p', '144p', 'audio'].map((name) => [name, { blockingReloads: count(laddered.requests, new RegExp(`/${name}${BLOCKING_RELOAD.source}`)), parts: count(laddered.requests, new RegExp(`/${name}/\\d+\\.\\d+\\.m4s$`)) }])),
        notOk: [...plain.requests, ...laddered.requests].filter((r) => r.method !== 'HEAD' && ((r.status !== undefined && r.status !== 200) || r.failed !== undefined)).map((r) => `${r.path} ${r.status ?? ''} ${r.failed ?? ''}`),
      },
      ladderStats: [...live.server.ladders.sessions.values()][0]?.stats(),
    };
    console.log(`LL-HLS ladder: level switches (s from the steady window's start)\n${switches.map((x) => `${phaseOf(x.t)} ${switchLine(x, windowStart)}`).join('\n')}`);
    const line = `LL-HLS ladder run: ${JSON.stringify(figures)}`;
    console.log(line);
    await annotate(line);

    // Every check runs; the failures are reported together.
    const failures: string[] = [];
    const check = (what: string, assertion: () => void): void => {
      try {
        assertion();
      } catch (error) {
        failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    check('low-latency mode', () => {
      for (const p of [plainProbe, probe]) {
        expect(p.lowLatency).toMatchObject({ lowLatencyMode: true, canBlockReload: true, targetduration: 2 });
        expect(p.lowLatency!.partTarget).toBeGreaterThan(0);
      }
      expect(figures.requests.plain.blockingReloads).toBeGreaterThan(0);
      expect(figures.requests.plain.parts).toBeGreaterThan(0);
      for (const name of ['360p', '144p', 'audio']) expect(figures.requests.ladder[name]!.parts, `parts of ${name}`).toBeGreaterThan(0);
    });
    check('the ladder as levels', () => expect(levels.map((l) => l.height).sort((a, b) => a - b)).toEqual([144, 240, 360]));
    check('forced switches', () => {
      expect(forced.map((f) => (f.seen === undefined ? `no switch to level ${f.target} within ${SWITCH_TIMEOUT_MS} ms` : f.seen.level))).toEqual(forced.map((f) => f.target));
      expect(figures.forcedSwitches).toBeGreaterThanOrEqual(2 * FORCED_ROUNDS);
    });
    check('ABR under the throttle', () => {
      expect(abrDown, `a switch down within ${THROTTLE_SWITCH_TIMEOUT_MS} ms of the ${THROTTLE_KBITS_PER_SECOND} kbit/s throttle`).toBeDefined();
      expect(abrDown!.auto).toBe(true);
    });
    for (const [name, f] of [['plain', plainFigures], ['ladder', ladderFigures]] as const) {
      check(`${name}: no hls.js error`, () => expect(f.errors).toEqual([]));
      check(`${name}: no stall, no hole`, () => expect(f).toMatchObject({ bufferStalledErrors: 0, bufferHoleErrors: 0, stallWaits: 0, stalledSamples: 0 }));
      check(`${name}: the clock never froze`, () => expect(f.minIntervalAdvanceRatio).toBeGreaterThanOrEqual(MIN_INTERVAL_ADVANCE_RATIO));
    }
    check('the clock advanced after every switch', () => {
      // A switch in the last sampling interval has nothing after it to judge (NaN).
      for (const [i, ratio] of afterSwitch.entries()) if (!Number.isNaN(ratio)) expect(ratio, `advance after ${switchLine(switches[i]!, windowStart)}`).toBeGreaterThanOrEqual(MIN_ADVANCE_AFTER_SWITCH_RATIO);
    });
    check('the first date is the first keyframe\'s arrival (docs/ll-hls.md)', () => {
      expect(Math.abs(plainFirstDateError), 'plain: first PROGRAM-DATE-TIME − first source keyframe arrival, s').toBeLessThanOrEqual(DATE_TOLERANCE_SECONDS);
      expect(Math.abs(ladderFirstDateError), 'ladder: first PROGRAM-DATE-TIME − first source keyframe arrival, s').toBeLessThanOrEqual(DATE_TOLERANCE_SECONDS);
    });
    check('latency', () => {
      expect(Number.isFinite(plainLatencyTrue) && Number.isFinite(ladderLatencyTrue)).toBe(true);
      expect(ladderLatencyTrue, `behind ingest: ladder ${ladderLatencyTrue} s (${ladderLatency} s as dated), plain ${plainLatencyTrue} s (${plainLatency} s as dated)`).toBeLessThanOrEqual(plainLatencyTrue + LADDER_LATENCY_ALLOWANCE_SECONDS);
    });

    if (failures.length > 0 || process.env['TIDECAST_LL_DEBUG'] === '1') {
      printDebug('plain', plainProbe, plain.requests, plainWindowStart, testStart);
      printDebug('ladder', probe, laddered.requests, windowStart, testStart);
      await printPlaylists(live, LADDERED, ['index.m3u8', '360p/index.m3u8', '240p/index.m3u8', '144p/index.m3u8', 'audio/index.m3u8']);
    }
    if (failures.length > 0) throw new Error(`${failures.length} check(s) failed:\n${failures.join('\n')}`);
  });
});
