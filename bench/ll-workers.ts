import { fork } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LlServerChild, RawClients, figures, median, openFileLimit, parkedLoad, PARKED_AHEAD, type ParkedFigures } from './ll-hls.bench.js';
import { startHttpWorkers, type HttpWorkers } from '../src/server/http-workers.js';

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
 *   npx tsx bench/ll-workers.ts --synthetic [--parked 2000] [--workers 0,1,2]
 *
 * `--synthetic` takes the media server and ffmpeg out: a bare node:http server in a child process
 * holds N requests and answers them all in one loop when told (W = 0: itself, to the clients; W >
 * 0: to its W workers, which write to the clients), a 3 KB playlist each, 7 timed rounds after 2.
 * It measures what the release costs on the machine with nothing else in the server's way, and
 * the server's own loop (W = 0).
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

/** The synthetic server (`--synthetic-server W`): holds every request; 'release' answers them all. */
async function syntheticServer(workers: number): Promise<void> {
  const body = '#EXTM3U\n' + 'x'.repeat(3000) + '\n';
  let held: ServerResponse[] = [];
  const server = createServer((_req, res) => void held.push(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let port = (server.address() as AddressInfo).port;
  let pool: HttpWorkers | undefined;
  if (workers > 0) {
    pool = await startHttpWorkers({ count: workers, upstreamPort: port, host: '127.0.0.1', port: 0, maxConnections: 100_000, maxConnectionsPerAddress: 100_000 });
    port = pool.port;
  }
  process.on('message', () => {
    const at = performance.timeOrigin + performance.now();
    const all = held;
    held = [];
    for (const res of all) {
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'public, max-age=1', 'content-length': String(body.length) });
      res.end(body, 'latin1');
    }
    process.send!({ at, loopMs: performance.timeOrigin + performance.now() - at });
  });
  process.on('disconnect', () => void (pool?.close() ?? Promise.resolve()).then(() => process.exit(0)));
  process.send!({ port });
}

/** The synthetic release: N parked through `workers` (0: the server's own loop); the release spread's median over 7 rounds, and the server loop's. */
export async function syntheticRelease(n: number, workers: number): Promise<{ releaseMedianMs: number; loopMedianMs: number; rounds: number[] }> {
  const child = fork(new URL(import.meta.url).pathname, ['--synthetic-server', String(workers)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
    const clients = await RawClients.open(port, n);
    try {
      const spreads: number[] = [];
      const loops: number[] = [];
      for (let round = 0; round < 9; round++) {
        const answers = clients.request(`/live/x/video/index.m3u8?_HLS_msn=${round}&_HLS_part=0`, 20_000);
        // Parked everywhere before the release: a request reaching a worker after it would start an upstream request held for good.
        await new Promise((r) => setTimeout(r, 1500));
        const released = await new Promise<{ at: number; loopMs: number }>((resolve) => {
          child.once('message', resolve);
          child.send('release');
        });
        const last = Math.max(...(await answers).map((a) => (a instanceof Error ? NaN : a.lastByteAt)));
        if (round < 2) continue;
        spreads.push(last - released.at);
        loops.push(released.loopMs);
      }
      return { releaseMedianMs: median(spreads), loopMedianMs: median(loops), rounds: spreads };
    } finally {
      clients.close();
    }
  } finally {
    child.kill('SIGTERM');
  }
}

function list(flag: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(flag);
  return i < 0 ? fallback : process.argv[i + 1]!.split(',').map(Number);
}

if (process.argv.includes('--synthetic-server')) await syntheticServer(Number(process.argv[process.argv.indexOf('--synthetic-server') + 1]));
else if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const parked = list('--parked', process.argv.includes('--synthetic') ? [2000] : [2000, 10_000]);
  const workers = list('--workers', [0, 1, 2]);
  if (process.argv.includes('--synthetic')) {
    for (const n of parked)
      for (const w of workers) {
        const r = await syntheticRelease(n, w);
        console.log(`synthetic: ${n} parked, ${w} HTTP workers: release median ${r.releaseMedianMs.toFixed(1)} ms (rounds ${r.rounds.map((x) => x.toFixed(1)).join(' / ')})${w === 0 ? `, the server's write loop ${r.loopMedianMs.toFixed(1)} ms` : ''}`);
      }
  } else {
    const rounds = list('--rounds', [7])[0]!;
    const cases = parked.flatMap((n) => workers.map((w) => [n, w] as const));
    console.log(await llWorkersBench({ quick: false, cases, rounds }));
  }
}
