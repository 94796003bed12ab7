import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSkipReason, launchChromium, type ChromiumSession } from '../helpers/browser.js';
import { openDashPage, playerVersion, PROBE_QUERY, recordDashRequests, stopDashPage, type DashProbe, type DashRequest, type PlayerName } from '../helpers/dash-page.js';
import { ffmpegPath, spawnFfmpeg, type FfmpegRun, testsrcPublisherArgs } from '../helpers/ffmpeg.js';
import { percentile, round } from '../helpers/ladder-page.js';
import { getText, nextPublish, startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';
import { delay, killByPid, withTimeout } from '../helpers/process.js';

/**
 * Issue 11, "Done when" 1: dash.js and Shaka Player, from their npm bundles, in headless Chromium,
 * each play `manifest.mpd` (SegmentTimeline) and `manifest-ll.mpd` (`$Number$` + `@duration`,
 * availabilityTimeOffset, chunked delivery of the segment being written) of one ffmpeg `-re`
 * publish, one play after the other, with the players' defaults: the page creates the player and
 * gives it the MPD URL, nothing else (dash.js enters its low-latency mode from
 * availabilityTimeComplete="false", Shaka's `streaming.lowLatencyMode` is true by default in 5.x).
 *
 * Measured per player × MPD, from the page script's first statement on: the time to the first
 * 'playing'; stalls ('waiting' after the first 'playing' unless the element was seeking and
 * played again within SEEK_WAIT_ALLOWANCE_MS); every player error event; latency two ways, the
 * player's own figure (dash.js getCurrentLiveLatency(), Shaka getStats().liveLatency) and
 * Date.now() − (AST + currentTime) with AST read by the page from the MPD. The element's clock is
 * MPD time — Period@start + (t − PTO) / timescale — in both players (dash.js and Shaka append with
 * MSE timestampOffset = Period@start − PTO / timescale), so AST + currentTime is the wall-clock
 * time the frame on screen was due; the two figures are compared (LATENCY_AGREEMENT_SECONDS), and
 * the AST the player works with must be the MPD's. Every request of the page and its status is
 * recorded (playwright's request/response events): a segment 404 counts against the play.
 *
 * Targets: first frame ≤ 1.0 s, 0 stalls, no player error, 0 segment 404s; latency median ≤ 1.2 s
 * (both ways) on the LL MPD, ≤ 6.5 s on the regular one (asserted for plays of 60 s or more). Every figure is one JSON line (and an
 * annotation); every failed check of a play is reported together, with its samples, requests,
 * player errors and console lines.
 *
 * Run alone (real time, 2 cores): `TIDECAST_DASH_BROWSER=1 npx vitest run test/browser/dash-players.test.ts`.
 * TIDECAST_DASH_SECONDS sets the playback per play (default 60, as the issue asks; 15 for a quick
 * run); TIDECAST_DASH_DEBUG=1 prints every sample and request and plays the players' debug builds
 * with their logs at info level; TIDECAST_DASH_ONLY=dashjs (or shaka, or ll, or regular) plays a subset.
 */

const PLAY_SECONDS = Number(process.env['TIDECAST_DASH_SECONDS'] ?? 60);
/**
 * The latency targets are the issue's for 60 s of playback: dash.js starts about half a second
 * behind its target and catches up at ≤ 4 % (the MPD's PlaybackRate), so a shorter run's median
 * says more about the start than the steady state. Shorter runs log the latency and do not assert it.
 */
const ASSERT_LATENCY = PLAY_SECONDS >= 60;
const DEBUG = process.env['TIDECAST_DASH_DEBUG'] === '1';
const ONLY = process.env['TIDECAST_DASH_ONLY'];
const SAMPLE_INTERVAL_MS = 500;
/** Issue 11: the first frame within this of the page script's start. */
const MAX_FIRST_FRAME_SECONDS = 1.0;
/** Issue 11: the LL MPD's latency median, both ways, for dash.js and for Shaka in low-latency mode. */
const MAX_LL_MEDIAN_LATENCY_SECONDS = 1.2;
/** Issue 11: the regular MPD's latency (suggestedPresentationDelay is three 2 s segments). */
const MAX_REGULAR_MEDIAN_LATENCY_SECONDS = 6.5;
/** The player's own latency and the page's wall-clock one describe the same thing: their medians may differ this much (a clock sync, a sample's rounding). */
const LATENCY_AGREEMENT_SECONDS = 0.1;
/** The AST the player uses may differ from the MPD's this much (its parse of the ms). */
const AST_AGREEMENT_MS = 1;
/** A 'waiting' fired by a seek within the buffer (a catch-up jump) that resumes within this is not a stall. */
const SEEK_WAIT_ALLOWANCE_MS = 250;
/** currentTime must advance at least this fraction of the wall time in every sampling interval (a freeze that fires no 'waiting'). */
const MIN_INTERVAL_ADVANCE_RATIO = 0.5;
/** The first 'playing' must come within this, or the play is given up (and fails). */
const PLAYBACK_START_TIMEOUT_MS = 20_000;
/** A viewer joins a running stream: the HLS playlist lists this many segments before the first play (the regular MPD starts 3 segments back). */
const SEGMENTS_BEFORE_FIRST_PLAY = 4;
const PLAYS: ReadonlyArray<{ player: PlayerName; mpd: 'manifest.mpd' | 'manifest-ll.mpd' }> = (
  [
    { player: 'dashjs', mpd: 'manifest-ll.mpd' },
    { player: 'dashjs', mpd: 'manifest.mpd' },
    { player: 'shaka', mpd: 'manifest-ll.mpd' },
    { player: 'shaka', mpd: 'manifest.mpd' },
  ] as const
).filter((p) => ONLY === undefined || ONLY === p.player || (ONLY === 'll' && p.mpd === 'manifest-ll.mpd') || (ONLY === 'regular' && p.mpd === 'manifest.mpd'));
/** One publisher for every play: startup, then each play with its page's start and end. */
const PUBLISH_SECONDS = 30 + PLAYS.length * (PLAY_SECONDS + 15);
const STREAM_KEY = 'dash';

const ffmpeg = await ffmpegPath();
/** Real-time playback of four players one after another: never in every `npm test`. */
const SUITE = process.env['TIDECAST_DASH_BROWSER'] === '1';
const skipReason = SUITE ? browserSkipReason(ffmpeg) : 'TIDECAST_DASH_BROWSER=1 runs it (a few minutes of real-time playback; .ci/run runs it alone)';

/** The one publisher command (test/helpers/ffmpeg.ts testsrcPublisherArgs): PUBLISH_SECONDS of 640x360 testsrc at 30 fps, 2 s GOPs with B-frames, AAC. */
const publisherArgs = (rtmpUrl: string): string[] => testsrcPublisherArgs(rtmpUrl, PUBLISH_SECONDS);

/** A request of the page, seen from the browser (test/helpers/dash-page.ts recordDashRequests). */
type SeenRequest = DashRequest;

const SEGMENT = /\/\d+\.m4s$/;
const INIT = /\/init-\d+\.mp4$/;

let live: LiveServer | undefined;
let browser: ChromiumSession | undefined;
let publisher: FfmpegRun | undefined;

beforeAll(async () => {
  if (skipReason !== undefined) return;
  live = await startLiveServer();
  const accepted = nextPublish(live.server, STREAM_KEY);
  publisher = await spawnFfmpeg(publisherArgs(live.rtmpUrl(`live/${STREAM_KEY}`)), { timeoutMs: (PUBLISH_SECONDS + 20) * 1000 });
  const run = publisher;
  await withTimeout(Promise.race([accepted, run.done.then((r) => Promise.reject(new Error(`ffmpeg ended before publishing: ${r.stderr}`)))]), 10_000, `publish of live/${STREAM_KEY}`);
  const server = live;
  await waitUntil(
    async () => ((await getText(server.httpUrl(`live/${STREAM_KEY}/video/index.m3u8`))) ?? '').split('\n').filter((l) => l.startsWith('#EXTINF')).length >= SEGMENTS_BEFORE_FIRST_PLAY,
    30_000,
    `${SEGMENTS_BEFORE_FIRST_PLAY} segments listed`,
    200,
  );
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  browser = undefined;
  if (publisher !== undefined) {
    killByPid(publisher.child);
    await publisher.done.catch(() => undefined);
  }
  await live?.close();
  live = undefined;
});


function figuresOf(probe: DashProbe, requests: readonly SeenRequest[], ll: boolean) {
  const firstPlaying = probe.playing[0];
  const played = probe.samples.filter((s) => firstPlaying !== undefined && s.t >= firstPlaying && s.currentTime > 0);
  const playerLatencies = played.map((s) => s.playerLatency).filter((v): v is number => v !== null);
  const wallLatencies = played.map((s) => s.wallLatency).filter((v): v is number => v !== null);
  const end = probe.samples.at(-1)?.t ?? 0;
  const waits = probe.waiting.filter((w) => firstPlaying !== undefined && w.t > firstPlaying).map((w) => ({ ...w, ms: (probe.playing.find((t) => t >= w.t) ?? end) - w.t }));
  const stalls = waits.filter((w) => !w.seeking || w.ms > SEEK_WAIT_ALLOWANCE_MS);
  const intervalRatios = played.slice(1).map((s, i) => (s.currentTime - played[i]!.currentTime) / ((s.t - played[i]!.t) / 1000));
  const media = requests.filter((r) => !r.path.includes(PROBE_QUERY));
  const segments = media.filter((r) => SEGMENT.test(r.path));
  const notOk = media.filter((r) => (r.status !== undefined && r.status >= 400) || r.failed !== undefined);
  const durations = segments.filter((r) => r.finishedAt !== undefined).map((r) => r.finishedAt! - r.at);
  const stats = (values: readonly number[]) => ({ median: round(percentile(values, 0.5)), p95: round(percentile(values, 0.95)), min: round(Math.min(...values)), max: round(Math.max(...values)), n: values.length });
  return {
    firstFrameSeconds: firstPlaying === undefined ? null : round(firstPlaying / 1000),
    playedSeconds: played.length < 2 ? 0 : round((played.at(-1)!.t - played[0]!.t) / 1000),
    advanceRatio: played.length < 2 ? 0 : round((played.at(-1)!.currentTime - played[0]!.currentTime) / ((played.at(-1)!.t - played[0]!.t) / 1000)),
    minIntervalAdvanceRatio: round(Math.min(...intervalRatios)),
    playerLatency: stats(playerLatencies),
    wallLatency: stats(wallLatencies),
    targetLatency: played.at(-1)?.targetLatency ?? null,
    playbackRate: { min: Math.min(...played.map((s) => s.playbackRate)), max: Math.max(...played.map((s) => s.playbackRate)) },
    bufferAhead: { median: round(percentile(played.map((s) => s.bufferAhead), 0.5)), min: round(Math.min(...played.map((s) => s.bufferAhead))) },
    stalls: stalls.length,
    seekWaits: waits.length - stalls.length,
    seeks: probe.seeks.length,
    errors: probe.errors.map((e) => `${e.code}: ${e.message}`),
    scriptError: probe.scriptError,
    lowLatency: probe.lowLatency,
    astMs: { mpd: probe.mpd?.astMs ?? null, player: probe.playerAstMs, periods: probe.mpd?.periods ?? null, periodStartSeconds: probe.mpd?.periodStartSeconds ?? null },
    requests: {
      mpd: media.filter((r) => /\.mpd$/.test(r.path)).length,
      time: media.filter((r) => r.path.startsWith('/time')).length,
      init: media.filter((r) => INIT.test(r.path)).length,
      segments: segments.length,
      segment404s: segments.filter((r) => r.status === 404).length,
      // How long a segment answer lasted: a chunked one runs while its segment is being written.
      segmentMs: ll ? stats(durations) : { median: round(percentile(durations, 0.5)) },
      notOk: notOk.map((r) => `${r.method} ${r.path} ${r.status ?? ''} ${r.failed ?? ''}`.trim()),
    },
    shaka: probe.finalStats === null ? undefined : pick(probe.finalStats, ['stallsDetected', 'gapsJumped', 'nonFatalErrorCount', 'bufferingTime', 'loadLatency', 'timeToFirstFrame', 'manifestPeriodCount']),
  };
}

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

function printDebug(label: string, probe: DashProbe, requests: readonly SeenRequest[], consoleLines: readonly string[]): void {
  console.log(`--- ${label}: samples (s since the page script started)`);
  for (const s of probe.samples) {
    console.log(`S ${(s.t / 1000).toFixed(1)} ct=${s.currentTime.toFixed(3)} lat=${s.playerLatency?.toFixed(3)} wall=${s.wallLatency?.toFixed(3)} tgt=${s.targetLatency} buf=${s.bufferAhead.toFixed(3)} rate=${s.playbackRate} rs=${s.readyState}${s.waiting ? ' WAITING' : ''}${s.seeking ? ' SEEKING' : ''}${s.paused ? ' PAUSED' : ''} ranges=${s.ranges}`);
  }
  console.log(`--- ${label}: requests (s)`);
  for (const r of requests) console.log(`R ${(r.at / 1000).toFixed(3)} ${r.finishedAt === undefined ? '' : `→${(r.finishedAt / 1000).toFixed(3)} `}${r.method} ${r.path} ${r.status ?? ''} ${r.failed ?? ''}`);
  console.log(`--- ${label}: events ${JSON.stringify({ errors: probe.errors, waiting: probe.waiting, playing: probe.playing, seeks: probe.seeks, scriptError: probe.scriptError })}`);
  console.log(`--- ${label}: console (${consoleLines.length} lines)\n${consoleLines.slice(-400).join('\n')}`);
}

describe.skipIf(skipReason !== undefined)(`dash.js and Shaka Player in Chromium play the live and low-latency MPDs${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it.for(PLAYS)(`$player plays $mpd for ${PLAY_SECONDS} s: first frame ≤ 1 s, no stall, no error, no segment 404, latency within target`, { timeout: (PLAY_SECONDS + 60) * 1000 }, async ({ player, mpd }, { annotate }) => {
    const server = live!;
    const ll = mpd === 'manifest-ll.mpd';
    const origin = new URL(server.httpUrl('')).origin;
    const prefix = `${origin}/live/${STREAM_KEY}/`;
    const page = await browser!.context.newPage();
    // Times are epoch ms until the page script reports its start; then they are put on the page's time (ms since that start).
    const requests = recordDashRequests(page, origin, prefix);
    const consoleLines: Array<{ at: number; text: string }> = [];
    page.on('console', (m) => consoleLines.push({ at: Date.now(), text: `${m.type()} ${m.text()}` }));
    page.on('pageerror', (e) => consoleLines.push({ at: Date.now(), text: `PAGEERROR ${e.message}` }));
    const ast = /availabilityStartTime="([^"]+)"/.exec((await getText(`${prefix}${mpd}`)) ?? '')?.[1];
    try {
      await openDashPage(page, origin, { player, mpdUrl: `${prefix}${mpd}`, sampleIntervalMs: SAMPLE_INTERVAL_MS, verbose: DEBUG });
      await page.waitForFunction(() => (globalThis as unknown as { tidecastProbe: DashProbe }).tidecastProbe.playing.length > 0, undefined, { timeout: PLAYBACK_START_TIMEOUT_MS, polling: 100 }).catch(() => undefined);
      await delay(PLAY_SECONDS * 1000);
      const probe = await stopDashPage(page);
      for (const r of requests) {
        r.at -= probe.startEpochMs;
        if (r.finishedAt !== undefined) r.finishedAt -= probe.startEpochMs;
      }
      const lines = consoleLines.map((c) => `C ${((c.at - probe.startEpochMs) / 1000).toFixed(3)} ${c.text}`);
      const figures = { player: `${player} ${playerVersion(player)}`, mpd, playSeconds: PLAY_SECONDS, mpdAst: ast, ...figuresOf(probe, requests, ll) };
      const line = `DASH ${player} ${mpd}: ${JSON.stringify(figures)}`;
      console.log(line);
      await annotate(line);

      const failures: string[] = [];
      const check = (what: string, assertion: () => void): void => {
        try {
          assertion();
        } catch (error) {
          failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
        }
      };
      const maxLatency = ll ? MAX_LL_MEDIAN_LATENCY_SECONDS : MAX_REGULAR_MEDIAN_LATENCY_SECONDS;
      check('the page script ran', () => expect(figures.scriptError).toBeNull());
      check('playback started', () => expect(figures.firstFrameSeconds).not.toBeNull());
      check(`first frame ≤ ${MAX_FIRST_FRAME_SECONDS} s after the page script started`, () => expect(figures.firstFrameSeconds ?? Infinity).toBeLessThanOrEqual(MAX_FIRST_FRAME_SECONDS));
      check('played the whole window', () => expect(figures.playedSeconds).toBeGreaterThanOrEqual(PLAY_SECONDS - 2));
      check('no stall', () => expect(figures.stalls).toBe(0));
      check('the clock never froze', () => expect(figures.minIntervalAdvanceRatio).toBeGreaterThanOrEqual(MIN_INTERVAL_ADVANCE_RATIO));
      check('no player error', () => expect(figures.errors).toEqual([]));
      check('no segment 404', () => expect(figures.requests.segment404s).toBe(0));
      check('no request failed', () => expect(figures.requests.notOk).toEqual([]));
      if (ll) {
        check('the player runs in its low-latency mode', () => {
          if (player === 'dashjs') expect(figures.lowLatency).toMatchObject({ lowLatencyModeEnabled: true });
          else expect(figures.lowLatency).toMatchObject({ lowLatencyModeConfig: true, manifestIsLowLatency: true });
        });
      }
      check('the player works with the MPD\'s AST', () => expect(Math.abs((figures.astMs.player ?? NaN) - (figures.astMs.mpd ?? NaN))).toBeLessThanOrEqual(AST_AGREEMENT_MS));
      if (ASSERT_LATENCY) {
        check(`the player's latency median ≤ ${maxLatency} s`, () => expect(figures.playerLatency.median).toBeLessThanOrEqual(maxLatency));
        check(`the wall-clock latency median ≤ ${maxLatency} s`, () => expect(figures.wallLatency.median).toBeLessThanOrEqual(maxLatency));
      }
      check('the two latency figures agree', () => expect(Math.abs(figures.playerLatency.median - figures.wallLatency.median)).toBeLessThanOrEqual(LATENCY_AGREEMENT_SECONDS));

      if (failures.length > 0 || DEBUG) {
        printDebug(`${player} ${mpd}`, probe, requests, lines);
        console.log(`--- ${mpd} now\n${(await getText(`${prefix}${mpd}`)) ?? '(none)'}`);
      }
      if (failures.length > 0) throw new Error(`${player} ${mpd}: ${failures.length} check(s) failed:\n${failures.join('\n')}`);
    } finally {
      await page.close();
    }
  });
});
