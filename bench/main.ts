import { cpus } from 'node:os';
import { chunkStreamSuite } from './chunk-reader.bench.js';
import { clusterBenchMain } from './cluster.js';
import { dashChunkedBench } from './dash-chunked.bench.js';
import { liveServerBench } from './live-server.bench.js';
import { llHlsBench } from './ll-hls.bench.js';
import { packageCliBench } from './package-cli.bench.js';
import { packagingRatios, packagingSuite } from './packaging.bench.js';
import { recorderBench } from './recorder.bench.js';
import { servingBench } from './serving.bench.js';
import type { BenchRow, BenchSuite } from './suite.js';
import { transcodeBench } from './transcode.bench.js';

/**
 * Runs every benchmark suite and prints one table of medians.
 *
 *   npm run bench               full run (about 20 s per suite after the one-time recordings)
 *   npm run bench -- --quick    short run for CI: same cases, smaller time budgets
 *   npm run bench -- cluster    the cluster suite alone, opt-in (bench/cluster.ts: redis-server, two
 *                               origins, HAProxy, Varnish and nginx edges; its options follow, e.g.
 *                               `-- cluster --viewers 200 --seconds 60 --parked 2000,10000`); never
 *                               part of the full run or of --quick
 *
 * Then come `tidecast package` against ffmpeg as whole processes (package-cli.bench.ts), the live
 * server under concurrent publishers and the serving of a live stream's files, both side by side
 * with nginx-rtmp (live-server.bench.ts, serving.bench.ts; nginx and wrk from Debian, skipped with a
 * note by --quick when missing), and LL-HLS parked blocking playlist requests (ll-hls.bench.ts),
 * each server in a process of its own, the recording overhead next to the live figures (a recorder tap
 * on live packaging, recorder.bench.ts), and DASH chunked answers for the segment being written
 * (dash-chunked.bench.ts). Last, the transcode tier (transcode.bench.ts): its server
 * runs in this process, so it comes after every other suite has closed its own.
 */

const SUITES: BenchSuite[] = [chunkStreamSuite, packagingSuite];

function table(rows: BenchRow[]): string {
  const header = ['suite', 'case', 'median ms', 'payload MB', 'MB/s', 'samples'];
  const body = rows.map((r) => [r.suite, r.name, r.medianMs.toFixed(2), (r.payloadBytes / 1e6).toFixed(1), r.payloadMBps.toFixed(0), String(r.samples)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((line) => line[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i >= 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const cluster = process.argv.indexOf('cluster', 2);
  if (cluster >= 0) {
    process.stderr.write('bench: cluster (opt-in suite)…\n');
    await clusterBenchMain(process.argv.slice(cluster + 1));
    return;
  }
  const quick = process.argv.includes('--quick');
  const rows: BenchRow[] = [];
  for (const suite of SUITES) {
    process.stderr.write(`bench: ${suite.name}${quick ? ' (quick)' : ''}…\n`);
    rows.push(...(await suite.run({ quick })));
  }
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores${quick ? ', --quick' : ''}`);
  console.log(table(rows));
  for (const line of packagingRatios(rows)) console.log(line);
  process.stderr.write(`bench: tidecast package vs ffmpeg, whole processes${quick ? ' (quick)' : ''}…\n`);
  console.log(`\ntidecast package vs ffmpeg -c copy -f hls fmp4, whole processes:`);
  console.log(await packageCliBench({ quick }));
  process.stderr.write(`bench: live server under concurrent publishers${quick ? ' (quick)' : ''}…\n`);
  console.log(`\nlive server, 1080p 6 Mb/s publishers replayed at real time, an HLS reader each (each server in its own process):`);
  console.log(await liveServerBench({ quick }));
  process.stderr.write(`bench: recording overhead${quick ? ' (quick)' : ''}…\n`);
  console.log(`\nrecording overhead: live packaging of the 20 s 1080p recording with and without a recorder tap writing it to disk (this process):`);
  console.log(await recorderBench({ quick }));
  process.stderr.write(`bench: serving a live stream's playlist and segment (wrk)${quick ? ' (quick)' : ''}…\n`);
  console.log(`\nserving one live stream's files over HTTP (each server in its own process, one ffmpeg -re publisher each):`);
  console.log(await servingBench({ quick }));
  process.stderr.write(`bench: LL-HLS parked blocking playlist requests${quick ? ' (quick)' : ''}…\n`);
  console.log(`\nLL-HLS: N blocking playlist requests parked on one stream, released by one part (server in its own process, ffmpeg -re publisher, loopback):`);
  console.log(await llHlsBench({ quick }));
  process.stderr.write(`bench: DASH chunked answers${quick ? ' (quick)' : ''}…\n`);
  console.log(`\nDASH: N open chunked answers for the video segment being written, each part written as it is made (server in its own process, ffmpeg -re publisher, loopback):`);
  console.log(await dashChunkedBench({ quick }));
  process.stderr.write(`bench: transcode tier, a 3-rung ladder${quick ? ' (quick)' : ''}…\n`);
  console.log(`\ntranscode tier: a 720p30 publish through a 3-rung ladder (server in this process, ffmpeg -re publisher):`);
  console.log(await transcodeBench({ quick }));
}

await main();
