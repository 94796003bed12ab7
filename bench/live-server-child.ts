/**
 * The tidecast side of the live benches (bench/live-server.bench.ts, bench/serving.bench.ts), in
 * its own process so that its CPU time and RSS (read from /proc by the bench) are its own: a
 * createMediaServer on loopback ports 0, LL-HLS on as by default, V8 tuned as `tidecast serve` tunes it, that reports over IPC its ports
 * ('ready') and each segment it lists ('segments', batched per turn of the event loop: rendition,
 * size, and when listed, epoch ms at high resolution).
 *
 * For one-off analysis (docs/benchmarks.md, "Live server"):
 * - TIDECAST_BENCH_TRACE=<file>: appends, when the bench collects, each video listing and each
 *   garbage collection as `<performance.now() µs> <stream key> <msn>` or `<µs> gc <ms> <kind>`,
 *   after a first line `<hrtime µs − performance.now() µs> offset 0` to place them in a CPU profile;
 * - TIDECAST_BENCH_HOOK=<module>: imported into this process first (a probe that wraps functions).
 */
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { createMediaServer, tuneHeapGrowing } from '../src/server/index.js';

if (process.env['TIDECAST_BENCH_HOOK']) await import(process.env['TIDECAST_BENCH_HOOK']);

// As `tidecast serve` (what `npm start` runs) sets it at start: src/server/heap-tuning.ts.
tuneHeapGrowing();

const epochMs = (): number => performance.timeOrigin + performance.now();
// The load generator is one address (127.0.0.1) opening thousands of connections: above the
// per-address defaults (docs/limits.md), which are meant for the open internet.
const server = createMediaServer({
  rtmp: { port: 0, host: '127.0.0.1', maxConnectionsPerAddress: 1000 },
  http: { port: 0, host: '127.0.0.1', maxConnectionsPerAddress: 100_000, maxConnections: 100_000 },
  endGraceMs: 1000,
});
const trace = process.env['TIDECAST_BENCH_TRACE'];
const traced: string[] = [`${process.hrtime.bigint() / 1000n - BigInt(Math.round(performance.now() * 1000))} offset 0\n`];
if (trace) new PerformanceObserver((list) => list.getEntries().forEach((e) => traced.push(`${(e.startTime * 1000).toFixed(0)} gc ${e.duration.toFixed(2)} ${((e as unknown as { detail: { kind: number } }).detail.kind)}\n`))).observe({ entryTypes: ['gc'] });
const unsent: object[] = [];
server.on('segment', ({ streamKey }, s) => {
  if (trace && s.track === 'video') traced.push(`${(performance.now() * 1000).toFixed(0)} ${streamKey} ${s.msn}\n`);
  // Sent after the current turn's I/O: at a keyframe every stream lists a segment at once, and the
  // bench's own reports must not queue in front of the next stream's listing.
  if (unsent.length === 0) setImmediate(() => process.send!({ type: 'segments', segments: unsent.splice(0) }));
  unsent.push({ streamKey, track: s.track, msn: s.msn, durationSeconds: s.durationSeconds, byteLength: s.byteLength, listedAtMs: epochMs() });
});
const { rtmp, http } = await server.listen();
process.send!({ type: 'ready', rtmpPort: rtmp.port, httpPort: http.port });
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') void server.close().then(() => process.exit(0));
  if (m.type === 'collect') {
    if (trace) appendFileSync(trace, traced.join(''));
    // Spilled segments are written in the background: give the writes a moment, then collect.
    setTimeout(() => {
      (globalThis as { gc?: () => void }).gc?.();
      const report = { type: 'collected', store: (server.store as { counters?: unknown }).counters, memory: process.memoryUsage() };
      if (process.env['TIDECAST_BENCH_DEBUG'] === '1') process.stderr.write(`bench child: ${JSON.stringify(report)}\n`);
      process.send!(report);
    }, 200);
  }
});
// A bench that dies leaves no server behind.
process.on('disconnect', () => process.exit(0));
