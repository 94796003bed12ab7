import { cpus } from 'node:os';
import { chunkStreamSuite } from './chunk-reader.bench.js';
import { liveServerBench } from './live-server.bench.js';
import { llHlsBench } from './ll-hls.bench.js';
import { packagingRatios, packagingSuite } from './packaging.bench.js';
import type { BenchRow, BenchSuite } from './suite.js';

/**
 * Runs every benchmark suite and prints one table of medians.
 *
 *   npm run bench               full run (about 20 s per suite after the one-time recordings)
 *   npm run bench -- --quick    short run for CI: same cases, smaller time budgets
 *
 * Last come the live server under concurrent publishers (live-server.bench.ts) and LL-HLS parked
 * blocking playlist requests (ll-hls.bench.ts), each with the server in a child process.
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
  const quick = process.argv.includes('--quick');
  const rows: BenchRow[] = [];
  for (const suite of SUITES) {
    process.stderr.write(`bench: ${suite.name}${quick ? ' (quick)' : ''}…\n`);
    rows.push(...(await suite.run({ quick })));
  }
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores${quick ? ', --quick' : ''}`);
  console.log(table(rows));
  for (const line of packagingRatios(rows)) console.log(line);
  process.stderr.write(`bench: live server under concurrent publishers${quick ? ' (quick)' : ''}…\n`);
  console.log(`\nlive server, 1080p 6 Mb/s publishers replayed at real time (server in its own process):`);
  console.log(await liveServerBench({ quick }));
  process.stderr.write(`bench: LL-HLS parked blocking playlist requests${quick ? ' (quick)' : ''}…\n`);
  console.log(`\nLL-HLS: N blocking playlist requests parked on one stream, released by one part (server in its own process, ffmpeg -re publisher, loopback):`);
  console.log(await llHlsBench({ quick }));
}

await main();
