import { LlServerChild, figures, openFileLimit, parkedLoad, PARKED_AHEAD, type ParkedFigures } from './ll-hls.bench.js';

/**
 * LL-HLS parked blocking requests through the multi-process origin (`tidecast serve --http-workers
 * W`, src/server/http-workers.ts): the same measurement as bench/ll-hls.bench.ts (parkedLoad: N raw
 * keep-alive connections, all asking for the part PARKED_AHEAD past the newest, every answer timed
 * at the client against the part's publication in the server), with the clients connected to the
 * workers' shared port. Each worker's coalescing proxy holds its share of the N requests on one
 * upstream request, and writes the answer to its share when the media server answers: the release
 * is spread over W processes. W = 0 is the single process, for comparison.
 *
 *   npx tsx bench/ll-workers.ts [--parked 2000,10000] [--workers 0,1,2] [--rounds 7]
 *
 * `npm run bench` runs it as the last part of the LL-HLS section (llHlsBench). RSS counts the
 * child and its workers together.
 */

export interface WorkersFigures extends ParkedFigures {
  readonly workers: number;
}

/** Parts ahead asked for: PARKED_AHEAD, more above 2 000 requests (parking 10 000 takes longer than 3 parts). */
function aheadFor(n: number): number {
  return n > 2000 ? 6 : PARKED_AHEAD;
}

export async function parkedThroughWorkers(n: number, workers: number, rounds: number): Promise<WorkersFigures> {
  const limit = openFileLimit();
  if (n + 64 > limit) throw new Error(`ll-workers: ${n} connections need more than ulimit -n ${limit}`);
  const server = await LlServerChild.start({ publishSeconds: 180, workers });
  try {
    return { workers, ...figures(await parkedLoad(server, n, { rounds, ahead: aheadFor(n) })) };
  } finally {
    await server.stop();
  }
}

/** The bench's cases: 2 000 parked through 0, 1 and 2 workers, 10 000 through 0 and 2 (quick: 500 through 0 and 2, 3 rounds). */
export async function llWorkersBench(options: { quick: boolean; cases?: ReadonlyArray<readonly [number, number]>; rounds?: number }): Promise<string> {
  const cases =
    options.cases ??
    (options.quick
      ? [
          [500, 0],
          [500, 2],
        ]
      : [
          [2000, 0],
          [2000, 1],
          [2000, 2],
          [10_000, 0],
          [10_000, 2],
        ]);
  const rounds = options.rounds ?? (options.quick ? 3 : 7);
  const rows: WorkersFigures[] = [];
  for (const [n, workers] of cases) {
    process.stderr.write(`bench: LL-HLS ${n} parked through ${workers} HTTP workers…\n`);
    rows.push(await parkedThroughWorkers(n, workers, rounds));
  }
  return renderWorkers(rows);
}

export function renderWorkers(rows: readonly WorkersFigures[]): string {
  return [
    'multi-process origin (`tidecast serve --http-workers W`; W = 0: one process):',
    '',
    '| HTTP workers | parked | rounds (all parked) | release ms median | release ms max | per-request p50 ms | per-request p95 ms | first answer ms | server last write ms | park all ms | RSS growth MB (all processes) | RSS KB / request |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.workers} | ${r.parked} | ${r.rounds} (${r.allParked}) | ${r.releaseMedianMs.toFixed(2)} | ${r.releaseMaxMs.toFixed(2)} | ${r.delayP50Ms.toFixed(2)} | ${r.delayP95Ms.toFixed(2)} | ${r.firstAnswerMs.toFixed(2)} | ${r.serverLastWriteMs.toFixed(2)} | ${r.parkMs.toFixed(0)} | ${r.rssGrowthMB.toFixed(1)} | ${r.rssPerRequestKB.toFixed(1)} |`,
    ),
  ].join('\n');
}

function list(flag: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(flag);
  return i < 0 ? fallback : process.argv[i + 1]!.split(',').map(Number);
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const parked = list('--parked', [2000, 10_000]);
  const workers = list('--workers', [0, 1, 2]);
  const rounds = list('--rounds', [7])[0]!;
  const cases = parked.flatMap((n) => workers.map((w) => [n, w] as const));
  console.log(await llWorkersBench({ quick: false, cases, rounds }));
}
