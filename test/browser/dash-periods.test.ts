import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveSegmentEvent } from '../../src/hls/index.js';
import { checkLadderSpec } from '../../src/transcode/index.js';
import { browserSkipReason, launchChromium, type ChromiumSession } from '../helpers/browser.js';
import {
  dashjsVideoRepresentations, onPageTime, openDashPage, playerVersion, PROBE_QUERY, recordDashRequests, setDashjsVideoRepresentation, stopDashPage,
  type DashProbe, type DashRequest, type PlayerName,
} from '../helpers/dash-page.js'; // prettier-ignore
import { ffmpegPath, spawnFfmpeg, type FfmpegRun, testsrcPublisherArgs } from '../helpers/ffmpeg.js';
import { round } from '../helpers/ladder-page.js';
import { getText, nextPublish, startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';
import { delay, killByPid, withTimeout } from '../helpers/process.js';

/**
 * Issue 11, "Done when" 2 and 3, with the page of test/helpers/dash-page.ts (dash.js 5 and Shaka 5
 * from their npm bundles, in headless Chromium, on the server's origin).
 *
 * Ladder (2): a 3-rung ladder (the 640x360 source as a copy rung, 240p and 144p with ultrafast, as
 * test/browser/ll-hls-ladder.test.ts) played by dash.js from manifest-ll.mpd, then manifest.mpd.
 * Its ABR is off (`abr.autoSwitchBitrate.video` false) and the page forces the lowest rung, then
 * the highest, LADDER_ROUNDS times (setRepresentationForTypeById), holding HOLD_SECONDS after each
 * switch is rendered. A switch is rendered when the element's videoHeight is the rung's; dash.js's
 * QUALITY_CHANGE_RENDERED is logged beside it. Asserted: every switch rendered within the bound, no
 * stall, no player error, no segment 404.
 *
 * Periods (3): publisher A (640x360 30 fps, 2 s GOPs, AAC) for A_SECONDS is killed, nothing is
 * sent for GAP_SECONDS (less than the server's end grace, so the same playlists continue after a
 * DISCONTINUITY), then publisher B on the same key: the same encoding (`republish`) or 426x240
 * Baseline (`codec`: a new init segment, other `codecs` and size). dash.js and Shaka play
 * manifest.mpd and manifest-ll.mpd at once from before the kill. The test reads the MPDs: a second
 * Period `p<msn>` of the first segment after the DISCONTINUITY, its video AdaptationSet with
 * period-connectivity for a republish and without for a codec change. A page has resumed at its
 * first sample whose currentTime (MPD time) is past the new Period's start and advancing; measured
 * from the server's 'segment' event of that first segment (and from AST + Period@start). Asserted:
 * resumed ≤ MAX_RESUME_SECONDS after that event, no player error, no stall outside the gap (the
 * 'waiting' between A's last frame and the resume is expected: there is no media).
 *
 * One JSON figures line per scenario; every failed check is reported together with the samples,
 * requests, player events and console of the play.
 *
 * Run alone (real time, 2 cores): `TIDECAST_DASH_BROWSER=1 npx vitest run test/browser/dash-periods.test.ts`.
 * TIDECAST_DASH_ONLY=ladder (or periods) runs a part; TIDECAST_DASH_MPDS=ll (or regular) one MPD;
 * TIDECAST_DASH_PLAYERS=dashjs (or shaka) one player of the Period plays;
 * TIDECAST_DASH_HOLD_SECONDS, TIDECAST_DASH_A_SECONDS, TIDECAST_DASH_GAP_SECONDS,
 * TIDECAST_DASH_AFTER_SECONDS set the lengths; TIDECAST_DASH_DEBUG=1 prints everything (and every
 * distinct MPD across the republish) and plays the players' debug builds, TIDECAST_DASH_PLAYER_LOG
 * raises their logs further; TIDECAST_DASH_SHAKA_CONFIG (JSON) configures Shaka for an experiment.
 */

const DEBUG = process.env['TIDECAST_DASH_DEBUG'] === '1';
/** The players' logs below info (debug builds, with TIDECAST_DASH_DEBUG=1): Shaka's level name ('V1', 'V2'), any value for dash.js's debug level. */
const PLAYER_LOG = process.env['TIDECAST_DASH_PLAYER_LOG'];
/** Shaka configuration (JSON) for an experiment, e.g. '{"streaming":{"segmentPrefetchLimit":0}}'; the players' defaults otherwise. */
const SHAKA_CONFIG: unknown = process.env['TIDECAST_DASH_SHAKA_CONFIG'] === undefined ? undefined : JSON.parse(process.env['TIDECAST_DASH_SHAKA_CONFIG']);
const ONLY = process.env['TIDECAST_DASH_ONLY'];
const MPDS = (['manifest-ll.mpd', 'manifest.mpd'] as const).filter((m) => process.env['TIDECAST_DASH_MPDS'] === undefined || (process.env['TIDECAST_DASH_MPDS'] === 'll') === (m === 'manifest-ll.mpd'));
type MpdName = (typeof MPDS)[number];
/** Fine enough to time a resume or a switch to a tenth of a second. */
const SAMPLE_INTERVAL_MS = 100;
/** Forced switches: lowest, highest, this many times over. */
const LADDER_ROUNDS = 2;
/** Playback on a rung after its switch is rendered, before the next one is forced. */
const HOLD_SECONDS = Number(process.env['TIDECAST_DASH_HOLD_SECONDS'] ?? 4);
/** The brief's bound for a forced switch to reach the screen: the next segment of the other rung (a 2 s GOP) and its load. */
const MAX_SWITCH_SECONDS = 5;
/** Publisher A's length, the silence before B (under the default 10 s end grace), and B's playback after the resume. */
const A_SECONDS = Number(process.env['TIDECAST_DASH_A_SECONDS'] ?? 12);
const GAP_SECONDS = Number(process.env['TIDECAST_DASH_GAP_SECONDS'] ?? 5);
const AFTER_SECONDS = Number(process.env['TIDECAST_DASH_AFTER_SECONDS'] ?? 8);
/** Issue 11: both players resume within this of the first new segment. */
const MAX_RESUME_SECONDS = 3;
/** Pages are given this long past MAX_RESUME_SECONDS to resume late (measured, then failed). */
const RESUME_GRACE_SECONDS = 7;
/** A 'waiting' fired by a seek within the buffer that resumes within this is not a stall (as dash-players.test.ts). */
const SEEK_WAIT_ALLOWANCE_MS = 250;
const PLAYBACK_START_TIMEOUT_MS = 20_000;
/** The test's own reads of the MPDs across the republish (when the second Period appears, for the debug log). */
const MPD_POLL_MS = 200;
/** Segments listed before the first page opens: the regular MPD starts 2 segments back. */
const SEGMENTS_BEFORE_PLAY = 3;
const PLAYERS = (['dashjs', 'shaka'] as const).filter((p) => process.env['TIDECAST_DASH_PLAYERS'] === undefined || process.env['TIDECAST_DASH_PLAYERS'] === p);
const DASHJS_FORCED_ABR = { streaming: { abr: { autoSwitchBitrate: { video: false } } } };
const CHANGES = ['republish', 'codec'] as const;
type Change = (typeof CHANGES)[number];

const LADDER_KEY = 'ladder';
const LADDER = checkLadderSpec({
  rungs: [
    { codec: 'copy', name: '360p' },
    { codec: 'h264', height: 240, bitrateKbps: 300, preset: 'ultrafast' },
    { codec: 'h264', height: 144, bitrateKbps: 120, preset: 'ultrafast' },
  ],
});

const ffmpeg = await ffmpegPath();
/** Real-time publishes and plays: never in every `npm test`. */
const SUITE = process.env['TIDECAST_DASH_BROWSER'] === '1';
const skipReason = SUITE ? browserSkipReason(ffmpeg) : 'TIDECAST_DASH_BROWSER=1 runs it (about three minutes of real-time playback)';

/** A (and B of a republish): the browser tests' publisher (testsrcPublisherArgs); B of a codec change: 426x240 Baseline (no B-frames), 2 s GOPs, AAC. */
function publisherArgs(rtmpUrl: string, seconds: number, variant: 'source' | 'baseline240'): string[] {
  if (variant === 'source') return testsrcPublisherArgs(rtmpUrl, seconds);
  return [
    '-v', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc=size=426x240:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-b:v', '400k',
    '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '96k',
    '-t', String(seconds), '-f', 'flv', rtmpUrl,
  ]; // prettier-ignore
}

let live: LiveServer | undefined;
let browser: ChromiumSession | undefined;
const publishers: FfmpegRun[] = [];

beforeAll(async () => {
  if (skipReason !== undefined) return;
  live = await startLiveServer({ transcode: { ladder: (_app, key) => (key === LADDER_KEY ? LADDER : undefined) } });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  browser = undefined;
  for (const run of publishers.splice(0)) await stopPublisher(run);
  await live?.close();
  live = undefined;
});

async function publish(server: LiveServer, key: string, seconds: number, variant: 'source' | 'baseline240'): Promise<FfmpegRun> {
  const accepted = nextPublish(server.server, key);
  const run = await spawnFfmpeg(publisherArgs(server.rtmpUrl(`live/${key}`), seconds, variant), { timeoutMs: (seconds + 20) * 1000 });
  publishers.push(run);
  await withTimeout(Promise.race([accepted, run.done.then((r) => Promise.reject(new Error(`ffmpeg ended before publishing: ${r.stderr}`)))]), 10_000, `publish of live/${key}`);
  return run;
}

async function stopPublisher(run: FfmpegRun): Promise<void> {
  killByPid(run.child);
  await run.done.catch(() => undefined);
  const at = publishers.indexOf(run);
  if (at >= 0) publishers.splice(at, 1);
}

async function segmentsListed(server: LiveServer, playlist: string): Promise<number> {
  return ((await getText(server.httpUrl(playlist))) ?? '').split('\n').filter((l) => l.startsWith('#EXTINF')).length;
}

/** One page playing one MPD, and what it saw. */
interface Play {
  readonly player: PlayerName;
  readonly mpd: MpdName;
  readonly page: Page;
  readonly requests: DashRequest[];
  readonly console: Array<{ at: number; text: string }>;
}

async function openPlay(server: LiveServer, key: string, player: PlayerName, mpd: MpdName, dashjsSettings?: unknown): Promise<Play> {
  const origin = new URL(server.httpUrl('')).origin;
  const prefix = `${origin}/live/${key}/`;
  const page = await browser!.context.newPage();
  const requests = recordDashRequests(page, origin, prefix);
  const lines: Play['console'] = [];
  page.on('console', (m) => lines.push({ at: Date.now(), text: `${m.type()} ${m.text()}` }));
  page.on('pageerror', (e) => lines.push({ at: Date.now(), text: `PAGEERROR ${e.message}` }));
  await openDashPage(page, origin, { player, mpdUrl: `${prefix}${mpd}`, sampleIntervalMs: SAMPLE_INTERVAL_MS, verbose: DEBUG, ...(dashjsSettings === undefined ? {} : { dashjsSettings }), ...(SHAKA_CONFIG === undefined ? {} : { shakaConfig: SHAKA_CONFIG }) });
  if (PLAYER_LOG !== undefined) await page.evaluate(raisePlayerLog, { player, level: PLAYER_LOG });
  return { player, mpd, page, requests, console: lines };
}

function waitPlaying(page: Page): Promise<unknown> {
  return page.waitForFunction(() => (globalThis as unknown as { tidecastProbe: DashProbe }).tidecastProbe.playing.length > 0, undefined, { timeout: PLAYBACK_START_TIMEOUT_MS, polling: 100 }).catch(() => undefined);
}

/** In the page: the player's log at `level` (see PLAYER_LOG). */
function raisePlayerLog({ player, level }: { player: PlayerName; level: string }): void {
  const w = globalThis as unknown as {
    shaka: { log: { setLevel: (l: number) => void; Level: Record<string, number> } };
    dashjs: { Debug: Record<string, number> };
    tidecastPlayer: { updateSettings?: (s: unknown) => void };
  };
  if (player === 'shaka') w.shaka.log.setLevel(w.shaka.log.Level[level] ?? w.shaka.log.Level['V1']!);
  else w.tidecastPlayer.updateSettings?.({ debug: { logLevel: w.dashjs.Debug['LOG_LEVEL_DEBUG'] } });
}

/** Stops the page's sampling; the requests are put on the page's time. */
async function finishPlay(play: Play): Promise<DashProbe> {
  const probe = await stopDashPage(play.page);
  onPageTime(play.requests, probe.startEpochMs);
  return probe;
}

/** Stalls: 'waiting' after the first 'playing' (not an instant seek), none inside `expected` (page ms). */
function stallsOf(probe: DashProbe, expected?: { from: number; to: number }): Array<{ t: number; ms: number; currentTime: number }> {
  const first = probe.playing[0];
  const end = probe.samples.at(-1)?.t ?? 0;
  return probe.waiting
    .filter((w) => first !== undefined && w.t > first && (expected === undefined || w.t < expected.from || w.t > expected.to))
    .map((w) => ({ t: round(w.t / 1000), ms: Math.round((probe.playing.find((t) => t >= w.t) ?? end) - w.t), seeking: w.seeking, currentTime: round(w.currentTime) }))
    .filter((w) => !w.seeking || w.ms > SEEK_WAIT_ALLOWANCE_MS)
    .map(({ t, ms, currentTime }) => ({ t, ms, currentTime }));
}

function requestFigures(requests: readonly DashRequest[]) {
  const media = requests.filter((r) => !r.path.includes(PROBE_QUERY));
  const segments = media.filter((r) => /\/\d+\.m4s$/.test(r.path));
  return {
    mpd: media.filter((r) => /\.mpd$/.test(r.path)).length,
    init: media.filter((r) => /\/init-\d+\.mp4$/.test(r.path)).length,
    segments: segments.length,
    segment404s: segments.filter((r) => r.status === 404).map((r) => `${(r.at / 1000).toFixed(1)} ${r.path}`),
    notOk: media.filter((r) => (r.status !== undefined && r.status >= 400) || r.failed !== undefined).map((r) => `${(r.at / 1000).toFixed(1)} ${r.method} ${r.path} ${r.status ?? ''} ${r.failed ?? ''}`.trim()),
  };
}

function printDebug(label: string, play: Play, probe: DashProbe): void {
  console.log(`--- ${label}: samples (s since the page script started)`);
  let last = '';
  for (const s of probe.samples) {
    const line = `ct=${s.currentTime.toFixed(2)} buf=${s.bufferAhead.toFixed(2)} ${s.videoWidth}x${s.videoHeight} rep=${s.representation} lat=${s.playerLatency?.toFixed(2)} rate=${s.playbackRate} rs=${s.readyState}${s.waiting ? ' WAITING' : ''}${s.seeking ? ' SEEKING' : ''}${s.paused ? ' PAUSED' : ''} ranges=${s.ranges}`;
    // Every sample at 100 ms is too much to read: a line when anything but the clock moved, or every second.
    const shape = line.replace(/ct=\S+ buf=\S+ /, '').replace(/lat=\S+ /, '');
    if (shape !== last || Math.round(s.t) % 1000 < SAMPLE_INTERVAL_MS) console.log(`S ${(s.t / 1000).toFixed(1)} ${line}`);
    last = shape;
  }
  console.log(`--- ${label}: requests (s)`);
  for (const r of play.requests) console.log(`R ${(r.at / 1000).toFixed(3)} ${r.finishedAt === undefined ? '' : `→${(r.finishedAt / 1000).toFixed(3)} `}${r.method} ${r.path} ${r.status ?? ''} ${r.failed ?? ''}`);
  console.log(`--- ${label}: events ${JSON.stringify({ errors: probe.errors, waiting: probe.waiting, playing: probe.playing, seeks: probe.seeks, playerEvents: probe.playerEvents, scriptError: probe.scriptError })}`);
  const lines = play.console.filter((c) => !c.text.includes('internal Manifest structure')).map((c) => `C ${((c.at - probe.startEpochMs) / 1000).toFixed(3)} ${c.text}`);
  console.log(`--- ${label}: console (${lines.length} lines)\n${lines.slice(PLAYER_LOG === undefined ? -400 : 0).join('\n')}`);
}

/** Runs every check, keeps every failure. */
function checker(): { failures: string[]; check: (what: string, assertion: () => void) => void } {
  const failures: string[] = [];
  return {
    failures,
    check(what, assertion) {
      try {
        assertion();
      } catch (error) {
        failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}

/** xs:duration `PT1H2M3.5S` in seconds. */
function durationSeconds(text: string): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(text);
  if (m === null) throw new Error(`not an xs:duration: ${text}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

interface MpdPeriod {
  id: string;
  startSeconds: number;
  /** The video AdaptationSet's period-connectivity value (the previous Period's id), if any. */
  videoConnectivity: string | null;
  videoCodecs: string[];
  videoHeights: number[];
}

function readPeriods(text: string): { astMs: number; periods: MpdPeriod[] } {
  const astMs = Date.parse(/availabilityStartTime="([^"]+)"/.exec(text)?.[1] ?? '');
  const periods = [...text.matchAll(/<Period\b([^>]*)>([\s\S]*?)<\/Period>/g)].map(([, attributes, body]) => {
    const video = /<AdaptationSet\b[^>]*contentType="video"[^>]*>([\s\S]*?)<\/AdaptationSet>/.exec(body!)?.[0] ?? '';
    return {
      id: /\bid="([^"]+)"/.exec(attributes!)?.[1] ?? '?',
      startSeconds: durationSeconds(/\bstart="([^"]+)"/.exec(attributes!)?.[1] ?? 'PT0S'),
      videoConnectivity: /schemeIdUri="urn:mpeg:dash:period-connectivity:2015" value="([^"]+)"/.exec(video)?.[1] ?? null,
      videoCodecs: [...video.matchAll(/<Representation\b[^>]*codecs="([^"]+)"/g)].map((m) => m[1]!),
      videoHeights: [...video.matchAll(/<Representation\b[^>]*height="(\d+)"/g)].map((m) => Number(m[1])),
    };
  });
  return { astMs, periods };
}

/** Every distinct MPD of `key` (publishTime aside), polled from now until stop(). */
function watchMpds(server: LiveServer, key: string): { stop: () => Promise<Array<{ mpd: MpdName; atMs: number; text: string }>> } {
  const history: Array<{ mpd: MpdName; atMs: number; text: string }> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const mpd of MPDS) {
        const text = (await getText(server.httpUrl(`live/${key}/${mpd}`))) ?? '';
        const last = history.findLast((h) => h.mpd === mpd);
        const strip = (t: string): string => t.replace(/publishTime="[^"]*"/, '');
        if (last === undefined || strip(last.text) !== strip(text)) history.push({ mpd, atMs: Date.now(), text });
      }
      await delay(MPD_POLL_MS);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return history;
    },
  };
}

/** The lines of an MPD that place segments: Periods, templates, timelines. */
function compactMpd(text: string): string {
  return text
    .split('\n')
    .filter((l) => /<(MPD|Period|Representation|SegmentTemplate|S |SupplementalProperty)\b/.test(l))
    .map((l) => l.replace(/ xmlns="[^"]*"| profiles="[^"]*"/g, ''))
    .join('\n');
}

describe.skipIf(skipReason !== undefined)(`dash.js and Shaka Player across ladder rungs and Periods${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it.skipIf(ONLY !== undefined && ONLY !== 'ladder')(
    `dash.js plays the ladder's MPDs with ABR switches forced down and up ${LADDER_ROUNDS} times: each rendered ≤ ${MAX_SWITCH_SECONDS} s, no stall, no error, no segment 404`,
    { timeout: MPDS.length * (LADDER_ROUNDS * 2 * (HOLD_SECONDS + MAX_SWITCH_SECONDS) + 40) * 1000 + 30_000 },
    async ({ annotate }) => {
      const server = live!;
      const publishSeconds = MPDS.length * (LADDER_ROUNDS * 2 * (HOLD_SECONDS + MAX_SWITCH_SECONDS) + 30) + 20;
      const run = await publish(server, LADDER_KEY, publishSeconds, 'source');
      const failures: string[] = [];
      try {
        // Every rung listed: the copy rung leads, the encoded ones follow their encoders' start.
        await waitUntil(async () => (await Promise.all(['360p', '240p', '144p'].map((r) => segmentsListed(server, `live/${LADDER_KEY}/${r}/index.m3u8`)))).every((n) => n >= SEGMENTS_BEFORE_PLAY), 30_000, 'every rung lists segments', 200);
        for (const mpd of MPDS) failures.push(...(await playLadder(server, mpd, annotate)));
      } finally {
        await stopPublisher(run);
      }
      if (failures.length > 0) throw new Error(`${failures.length} check(s) failed:\n${failures.join('\n')}`);
    },
  );

  it.skipIf(ONLY !== undefined && ONLY !== 'periods').for(CHANGES)(
    `%s after ${GAP_SECONDS} s: a new Period, dash.js and Shaka resume ≤ ${MAX_RESUME_SECONDS} s after its first segment, no error, no stall outside the gap`,
    { timeout: (A_SECONDS + GAP_SECONDS + MAX_RESUME_SECONDS + RESUME_GRACE_SECONDS + AFTER_SECONDS + 60) * 1000 },
    async (change, { annotate }) => {
      const failures = await playPeriods(live!, change, annotate);
      if (failures.length > 0) throw new Error(`${change}: ${failures.length} check(s) failed:\n${failures.join('\n')}`);
    },
  );
});

async function playLadder(server: LiveServer, mpd: MpdName, annotate: (message: string) => Promise<unknown>): Promise<string[]> {
  const play = await openPlay(server, LADDER_KEY, 'dashjs', mpd, DASHJS_FORCED_ABR);
  const { failures, check } = checker();
  try {
    await waitPlaying(play.page);
    const representations = await dashjsVideoRepresentations(play.page);
    const byBandwidth = [...representations].sort((a, b) => a.bandwidth - b.bandwidth);
    const lowest = byBandwidth[0];
    const highest = byBandwidth.at(-1);
    const switches: Array<{ to: string; height: number; atSeconds: number; renderedSeconds: number | null; eventSeconds: number | null }> = [];
    if (lowest !== undefined && highest !== undefined) {
      await delay(HOLD_SECONDS * 1000);
      for (let round_ = 0; round_ < LADDER_ROUNDS; round_++) {
        for (const target of [lowest, highest]) {
          const at = await setDashjsVideoRepresentation(play.page, target.id);
          const rendered = await play.page
            .waitForFunction(
              ({ since, height }) => {
                const probe = (globalThis as unknown as { tidecastProbe: DashProbe }).tidecastProbe;
                return probe.samples.find((s) => s.t >= since && s.videoHeight === height)?.t ?? false;
              },
              { since: at, height: target.height },
              { timeout: (MAX_SWITCH_SECONDS + 3) * 1000, polling: 100 },
            )
            .then((h) => h.jsonValue() as Promise<number>)
            .catch(() => null);
          const event = await play.page.evaluate(
            ({ since, id }) => (globalThis as unknown as { tidecastProbe: DashProbe }).tidecastProbe.playerEvents.find((e) => e.t >= since && e.type === 'QUALITY_CHANGE_RENDERED' && e.detail.startsWith(`${id} `))?.t ?? null,
            { since: at, id: target.id },
          );
          switches.push({ to: target.id, height: target.height, atSeconds: round(at / 1000), renderedSeconds: rendered === null ? null : round((rendered - at) / 1000), eventSeconds: event === null ? null : round((event - at) / 1000) });
          await delay(HOLD_SECONDS * 1000);
        }
      }
    }
    const probe = await finishPlay(play);
    const requests = requestFigures(play.requests);
    const firstPlaying = probe.playing[0];
    const heights = [...new Set(probe.samples.filter((s) => s.videoHeight > 0).map((s) => s.videoHeight))];
    const figures = {
      player: `dashjs ${playerVersion('dashjs')}`,
      mpd,
      representations,
      firstFrameSeconds: firstPlaying === undefined ? null : round(firstPlaying / 1000),
      switches,
      renderedHeights: heights,
      qualityEvents: probe.playerEvents.filter((e) => e.type.startsWith('QUALITY')).map((e) => `${(e.t / 1000).toFixed(1)} ${e.type.replace('QUALITY_CHANGE_', '')} ${e.detail}`),
      stalls: stallsOf(probe),
      errors: probe.errors.map((e) => `${e.code}: ${e.message}`),
      scriptError: probe.scriptError,
      requests,
    };
    const line = `DASH ladder dashjs ${mpd}: ${JSON.stringify(figures)}`;
    console.log(line);
    await annotate(line);
    check(`${mpd}: the page script ran`, () => expect(figures.scriptError).toBeNull());
    check(`${mpd}: playback started`, () => expect(firstPlaying).toBeDefined());
    check(`${mpd}: three video Representations`, () => expect(representations.map((r) => r.height).sort((a, b) => a - b)).toEqual([144, 240, 360]));
    check(`${mpd}: ${LADDER_ROUNDS * 2} switches forced`, () => expect(switches).toHaveLength(LADDER_ROUNDS * 2));
    for (const [i, s] of switches.entries()) check(`${mpd}: switch ${i + 1} to ${s.to} rendered ≤ ${MAX_SWITCH_SECONDS} s`, () => expect(s.renderedSeconds ?? Infinity).toBeLessThanOrEqual(MAX_SWITCH_SECONDS));
    check(`${mpd}: no stall`, () => expect(figures.stalls).toEqual([]));
    check(`${mpd}: no player error`, () => expect(figures.errors).toEqual([]));
    check(`${mpd}: no segment 404`, () => expect(requests.segment404s).toEqual([]));
    check(`${mpd}: no request failed`, () => expect(requests.notOk).toEqual([]));
    if (failures.length > 0 || DEBUG) {
      printDebug(`ladder dashjs ${mpd}`, play, probe);
      console.log(`--- ${mpd} now\n${(await getText(server.httpUrl(`live/${LADDER_KEY}/${mpd}`))) ?? '(none)'}`);
    }
  } finally {
    await play.page.close();
  }
  return failures;
}

async function playPeriods(server: LiveServer, change: Change, annotate: (message: string) => Promise<unknown>): Promise<string[]> {
  const key = `periods-${change}`;
  // The first segment after the DISCONTINUITY: when the server published it (its 'segment' event).
  let firstNew: { event: LiveSegmentEvent; atMs: number } | undefined;
  const onSegment = (name: { app: string; streamKey: string }, event: LiveSegmentEvent): void => {
    if (name.streamKey === key && event.track === 'video' && event.discontinuity && firstNew === undefined) firstNew = { event, atMs: Date.now() };
  };
  server.server.on('segment', onSegment);
  const { failures, check } = checker();
  const plays: Play[] = [];
  try {
    const a = await publish(server, key, A_SECONDS + 30, 'source');
    const aStartMs = Date.now();
    await waitUntil(async () => (await segmentsListed(server, `live/${key}/video/index.m3u8`)) >= SEGMENTS_BEFORE_PLAY, 20_000, `${SEGMENTS_BEFORE_PLAY} segments listed`, 200);
    for (const mpd of MPDS) for (const player of PLAYERS) plays.push(await openPlay(server, key, player, mpd));
    await Promise.all(plays.map((p) => waitPlaying(p.page)));
    await delay(Math.max(0, aStartMs + A_SECONDS * 1000 - Date.now()));
    await stopPublisher(a);
    const killMs = Date.now();
    const watcher = watchMpds(server, key);
    await delay(GAP_SECONDS * 1000);
    const bVariant = change === 'codec' ? 'baseline240' : 'source';
    await publish(server, key, MAX_RESUME_SECONDS + RESUME_GRACE_SECONDS + AFTER_SECONDS + 20, bVariant);
    const bAcceptedMs = Date.now();
    await waitUntil(() => firstNew !== undefined, 15_000, 'the first segment after the DISCONTINUITY').catch(() => undefined);
    const resumeDeadline = (firstNew?.atMs ?? Date.now()) + (MAX_RESUME_SECONDS + RESUME_GRACE_SECONDS) * 1000;
    await delay(Math.max(0, resumeDeadline - Date.now()) + AFTER_SECONDS * 1000);
    const probes = await Promise.all(plays.map((p) => finishPlay(p)));
    const history = await watcher.stop();
    // The MPDs' second Period, as first listed.
    const seen = new Map(MPDS.flatMap((mpd) => {
      const first = history.find((h) => h.mpd === mpd && readPeriods(h.text).periods.length >= 2);
      return first === undefined ? [] : [[mpd, first] as const];
    }));

    check('a first segment after the DISCONTINUITY', () => expect(firstNew).toBeDefined());
    for (const [i, play] of plays.entries()) {
      const probe = probes[i]!;
      const mpdSeen = seen.get(play.mpd);
      const mpd = readPeriods(mpdSeen?.text ?? '');
      const newPeriod = mpd.periods.at(-1);
      const label = `${play.player} ${play.mpd}`;
      // The page's time of the server's instants.
      const pageMs = (epochMs: number): number => epochMs - probe.startEpochMs;
      const periodWallMs = newPeriod === undefined ? Number.NaN : mpd.astMs + newPeriod.startSeconds * 1000;
      const resumed = newPeriod === undefined ? undefined : probe.samples.find((s, j) => s.currentTime > newPeriod.startSeconds && !s.paused && (probe.samples[j + 1]?.currentTime ?? 0) > s.currentTime);
      const resumeEpochMs = resumed === undefined ? undefined : probe.startEpochMs + resumed.t;
      const after = resumed === undefined ? [] : probe.samples.filter((s) => s.t > resumed.t);
      const stalls = stallsOf(probe, { from: pageMs(killMs), to: resumed?.t ?? Infinity });
      const figures = {
        change,
        player: `${play.player} ${playerVersion(play.player)}`,
        mpd: play.mpd,
        firstFrameSeconds: probe.playing[0] === undefined ? null : round(probe.playing[0] / 1000),
        periods: mpd.periods,
        firstNewSegment: firstNew === undefined ? null : { msn: firstNew.event.msn, generation: firstNew.event.generation, afterKillSeconds: round((firstNew.atMs - killMs) / 1000), afterBPublishSeconds: round((firstNew.atMs - bAcceptedMs) / 1000), afterPeriodStartSeconds: round((firstNew.atMs - periodWallMs) / 1000) },
        secondPeriodListedAfterSegmentSeconds: mpdSeen === undefined || firstNew === undefined ? null : round((mpdSeen.atMs - firstNew.atMs) / 1000),
        resumeAfterSegmentSeconds: resumeEpochMs === undefined || firstNew === undefined ? null : round((resumeEpochMs - firstNew.atMs) / 1000),
        resumeAfterPeriodStartSeconds: resumeEpochMs === undefined ? null : round((resumeEpochMs - periodWallMs) / 1000),
        resumedAtCurrentTime: resumed === undefined ? null : round(resumed.currentTime),
        advanceAfterResume: after.length < 2 ? null : round((after.at(-1)!.currentTime - after[0]!.currentTime) / ((after.at(-1)!.t - after[0]!.t) / 1000)),
        heightsBeforeAfter: [probe.samples.find((s) => s.videoHeight > 0)?.videoHeight ?? null, after.at(-1)?.videoHeight ?? null],
        latencyAfterSeconds: after.length === 0 || Number.isNaN(mpd.astMs) ? null : round((probe.startEpochMs + after.at(-1)!.t) / 1000 - (mpd.astMs / 1000 + after.at(-1)!.currentTime)),
        gapWaits: probe.waiting.filter((w) => w.t >= pageMs(killMs) && (resumed === undefined || w.t <= resumed.t)).length,
        stalls,
        errors: probe.errors.map((e) => `${(e.t / 1000).toFixed(1)} ${e.code}: ${e.message}`),
        scriptError: probe.scriptError,
        playerEvents: probe.playerEvents.map((e) => `${(e.t / 1000).toFixed(1)} ${e.type} ${e.detail}`),
        requests: requestFigures(play.requests),
      };
      const line = `DASH periods ${change} ${label}: ${JSON.stringify(figures)}`;
      console.log(line);
      await annotate(line);
      const before = failures.length;
      check(`${label}: the page script ran`, () => expect(figures.scriptError).toBeNull());
      check(`${label}: played before the kill`, () => expect(probe.playing.some((t) => t < pageMs(killMs))).toBe(true));
      check(`${label}: the MPD has a second Period`, () => expect(mpd.periods.length).toBeGreaterThanOrEqual(2));
      check(`${label}: the new Period is p<msn> of the first segment after the DISCONTINUITY`, () => expect(newPeriod?.id).toBe(`p${firstNew?.event.msn}`));
      check(`${label}: the new Period starts at that segment's date (−AST)`, () => expect(Math.abs(periodWallMs - (firstNew?.event.programDateTimeMs ?? Number.NaN))).toBeLessThanOrEqual(1));
      if (change === 'republish') check(`${label}: a republish is period-connected`, () => expect(newPeriod?.videoConnectivity).toBe(mpd.periods.at(-2)?.id));
      else {
        check(`${label}: a codec change is not period-connected`, () => expect(newPeriod?.videoConnectivity ?? null).toBeNull());
        check(`${label}: the new Period's video is 240 lines with other codecs`, () => {
          expect(newPeriod?.videoHeights).toEqual([240]);
          expect(newPeriod?.videoCodecs).not.toEqual(mpd.periods.at(-2)?.videoCodecs);
        });
        check(`${label}: the player renders 240 lines after the resume`, () => expect(figures.heightsBeforeAfter).toEqual([360, 240]));
      }
      check(`${label}: resumed ≤ ${MAX_RESUME_SECONDS} s after the first new segment`, () => expect(figures.resumeAfterSegmentSeconds ?? Infinity).toBeLessThanOrEqual(MAX_RESUME_SECONDS));
      check(`${label}: playing after the resume`, () => expect(figures.advanceAfterResume ?? 0).toBeGreaterThanOrEqual(0.8));
      check(`${label}: no player error`, () => expect(figures.errors).toEqual([]));
      check(`${label}: no stall outside the gap`, () => expect(stalls).toEqual([]));
      if (failures.length > before || DEBUG) printDebug(`periods ${change} ${label}`, play, probe);
    }
    if (failures.length > 0 || DEBUG) {
      const zero = firstNew?.atMs ?? killMs;
      for (const h of history) console.log(`--- ${h.mpd} at ${((h.atMs - zero) / 1000).toFixed(2)} s after the first new segment\n${compactMpd(h.text)}`);
    }
  } finally {
    server.server.off('segment', onSegment);
    for (const p of plays) await p.page.close();
    for (const run of [...publishers]) await stopPublisher(run);
  }
  return failures;
}
