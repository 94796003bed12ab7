import { afterAll, describe, expect, it } from 'vitest';
import { LlServerChild, figures, listsTrigger, openFileLimit, parkedLoad, percentile, type ParkedLoad } from '../../bench/ll-hls.bench.js';
import { ffmpegPath } from '../helpers/ffmpeg.js';

/*
 * LL-HLS under load: N blocking playlist requests (`_HLS_msn=M&_HLS_part=P`, RFC 8216bis 6.2.5.2)
 * parked on one stream's video playlist are all answered when the part appears.
 *
 * The server runs in a child process (bench/ll-hls-child.ts: createMediaServer on loopback and an
 * ffmpeg -re publisher of the looped fixture), so the clients' parsing does not share its event
 * loop; it reports each video part's publication time (performance.timeOrigin + performance.now(),
 * taken in the server's 'part' event, before the release), how many requests were parked then,
 * and its RSS. This process holds N raw keep-alive TCP connections (node:net) and times each
 * answer's first and last byte on the same clock. The measurement itself is shared with the bench
 * (bench/ll-hls.bench.ts, parkedLoad): after a warm-up, three timed rounds, each asking for the
 * part three past the newest one, so that all N are parked before it appears (parking 2 000 takes
 * the server more than one 0.2 s part).
 *
 * Checked every round: all N were parked when the part appeared, every answer is a 200 playlist
 * listing the awaited part, none arrived before it was published, and nothing stays parked. The
 * bound: the release spread (last answer received − part published), median of the three rounds.
 *
 * npm test skips it (.ci/run runs it at full size); TIDECAST_LL_PARKED=500: 500 requests, bound
 * 200 ms, figures printed. TIDECAST_LOAD=1 (CI runs load tests
 * alone): 2 000 requests, bound 250 ms. The issue's target is 20 ms, which this 2-core machine does
 * not reach: one thread writing to 2 000 loopback sockets costs 16–18 µs a write even for bare
 * node:net with nothing else to do (32–37 ms for 2 000, docs/benchmarks.md "LL-HLS"), and the server
 * measures 60–130 ms. The line printed says whether the target held; TIDECAST_LL_TARGET=1 asserts it.
 * TIDECAST_LL_PARKED sets another N. With TIDECAST_LOAD=1 the same N is also measured through the
 * multi-process origin (`tidecast serve --http-workers 2`: two worker processes share the port, each
 * collapsing its share of the parked requests onto one request to the media server and writing the
 * answers), under the same bound; the line printed says whether 20 ms held there.
 */

const ffmpeg = await ffmpegPath();
const FULL = process.env['TIDECAST_LOAD'] === '1';
const N = Number(process.env['TIDECAST_LL_PARKED'] ?? (FULL ? 2000 : 500));
/** The issue's target for 2 000 parked requests. */
const TARGET_MS = 20;
const BOUND_MS = process.env['TIDECAST_LL_TARGET'] === '1' ? TARGET_MS : FULL ? 250 : 200;
const ROUNDS = 3;
/** Descriptors this process needs besides the N sockets (the child has its own table, of the same limit). */
const FD_MARGIN = 100;
const FD_LIMIT = openFileLimit();
const FD_OK = N + FD_MARGIN <= FD_LIMIT;
if (!FD_OK) console.warn(`ll-parked-load: skipped, ${N} connections need ulimit -n ≥ ${N + FD_MARGIN} (it is ${FD_LIMIT}); raise it with ulimit -n`);

/** The measurement and its checks, through `workers` HTTP workers (0: the media server's own port). */
function parkedSuite(workers: number): void {
  const through = workers === 0 ? '' : ` through ${workers} HTTP workers (--http-workers ${workers})`;
  let server: LlServerChild | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it(
    `are all answered with the awaited part within ${BOUND_MS} ms of it appearing${through}`,
    async () => {
      server = await LlServerChild.start({ publishSeconds: 60, workers });
      const load: ParkedLoad = await parkedLoad(server, N, { rounds: ROUNDS });

      for (const [i, r] of load.rounds.entries()) {
        const name = `round ${i + 1} (_HLS_msn=${r.msn}&_HLS_part=${r.part}, released by ${r.triggerUri})`;
        expect(r.trigger.parked, `${name}: parked when the part appeared`).toBe(N);
        expect(r.answers.filter((a) => !listsTrigger(a, r)).map((a) => (a instanceof Error ? a.message : `${a.status} ${a.body.slice(0, 200)}`)).slice(0, 3), `${name}: answers`).toEqual([]);
        expect(Math.min(...r.firstByteDelays), `${name}: no answer before the part`).toBeGreaterThanOrEqual(0);
      }
      expect((await server.usage()).parked, 'parked after the rounds').toBe(0);

      const f = figures(load);
      const spreads = load.rounds.map((r) => r.spreadMs.toFixed(1)).join(' / ');
      console.info(
        [
          `ll-parked-load: ${N} parked${through}, ${ROUNDS} rounds (bound ${BOUND_MS} ms on the median release):`,
          `  release (last answer received − part published): ${spreads} ms, median ${f.releaseMedianMs.toFixed(1)} ms — the ${TARGET_MS} ms target ${f.releaseMedianMs <= TARGET_MS ? 'held' : 'was missed'}`,
          `  per-request delay p50 ${f.delayP50Ms.toFixed(1)} ms, p95 ${f.delayP95Ms.toFixed(1)} ms (medians over rounds, ${load.rounds.map((r) => `${percentile(r.delays, 0.5).toFixed(1)}/${percentile(r.delays, 0.95).toFixed(1)}`).join(', ')})`,
          `  first answer ${f.firstAnswerMs.toFixed(1)} ms, server's last write ${f.serverLastWriteMs.toFixed(1)} ms after the part; parking all ${N} took ${f.parkMs.toFixed(0)} ms`,
          `  server RSS${workers === 0 ? '' : ' (with its workers)'} ${(load.idle.rss / 1e6).toFixed(1)} MB idle → ${(load.connected.rss / 1e6).toFixed(1)} MB with ${N} connections → ${(load.parked.rss / 1e6).toFixed(1)} MB with them parked:` +
            ` +${f.rssGrowthMB.toFixed(1)} MB, ${f.rssPerRequestKB.toFixed(1)} KB per parked request (${f.rssParkingPerRequestKB.toFixed(1)} KB of it parking, the rest the connection); heap ${f.heapPerRequestKB.toFixed(1)} KB per request`,
        ].join('\n'),
      );
      expect(f.releaseMedianMs, `median release of ${N} parked requests${through} (rounds: ${spreads} ms)`).toBeLessThanOrEqual(BOUND_MS);
    },
    30_000,
  );
}

// npm test leaves it to .ci/run (TIDECAST_LOAD=1), or TIDECAST_LL_PARKED=<n> runs it at that size.
const RUN = FULL || process.env['TIDECAST_LL_PARKED'] !== undefined;
describe.skipIf(ffmpeg === undefined || !FD_OK || !RUN)(`LL-HLS: ${N} parked blocking playlist requests on one stream${RUN ? '' : ' (skipped: TIDECAST_LOAD=1 runs it, .ci/run)'}`, () => parkedSuite(0));

// The multi-process origin (issue 14, What-to-build 8), in the load run only: the same N through
// two HTTP workers, each collapsing its share onto one request to the media server.
describe.skipIf(ffmpeg === undefined || !FD_OK || !FULL)(`LL-HLS: ${N} parked blocking playlist requests on one stream, multi-process origin`, () => parkedSuite(2));
