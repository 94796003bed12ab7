/**
 * The server side of the LL-HLS parked-request measurement (bench/ll-hls.bench.ts and
 * test/integration/ll-parked-load.test.ts), in its own process so that the clients' parsing does not
 * share the server's event loop: a createMediaServer on loopback ports 0, and an ffmpeg publisher
 * (`-re`, the looped 10 s fixture, `-c copy`, a separate process) that it starts against itself.
 *
 * Over IPC it reports:
 * - `ready` {httpPort, rtmpPort, ffmpegPid} once the server listens and ffmpeg is started;
 * - `part` {msn, index, at, parked} for each video part, `at` = performance.timeOrigin +
 *   performance.now() (epoch ms, high resolution, comparable across processes on one machine) taken
 *   in the server's 'part' event, which the packager emits before it releases the parked requests;
 *   `parked` = server.liveDelivery.parked at that moment (all still parked);
 * - `segment` {msn, at, parked} for each video segment (a request for a part past a segment's last
 *   one is released when the segment closes);
 * - `written` {count, first, last} on request: how many blocking playlist answers the server finished
 *   writing (handed to the kernel) since the last `written`, and the first and last such time;
 * - `profiled` after `profile` {action: 'start' | 'stop', path}: a CPU profile of the window between
 *   (V8's sampler through node:inspector), written to `path` as a .cpuprofile;
 * - `usage` {rss, heapUsed, parked, at} on request (`{type: 'usage', gc: true}` collects first; the
 *   child runs with --expose-gc);
 * - `dash-writes` {writes: [{path, first, last, count}], open} on request: the DASH parts written to
 *   chunked segment answers since the last request (DashDelivery.takePartWrites), and how many such
 *   answers are open.
 *
 * `stop` kills ffmpeg (by its PID) and closes the server; losing the parent does the same. ffmpeg
 * is also bounded by `-t` (argv[2], seconds), so it cannot outlive a killed child for long.
 *
 * With argv[4] = W > 0 it is the multi-process origin of `tidecast serve --http-workers W`: the
 * server listens on an internal port and W HTTP workers (src/server/http-workers.ts, coalescing
 * proxies) share the port `ready` reports. Then `parked` counts the requests waiting in the
 * workers (polled every 50 ms: the 'part' event reports the last poll), `usage` adds the workers'
 * RSS and heap to the child's (after a GC in each), and `written` is the workers' collapsed
 * answers (the first and last time a worker's release loop began and ended).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createMediaServer } from '../src/server/index.js';
import { internalHttpOptions, startHttpWorkers } from '../src/server/http-workers.js';
import { locateFfmpeg } from '../src/transcode/index.js';

const epochMs = (): number => performance.timeOrigin + performance.now();
const seconds = Number(process.argv[2] ?? 60);
const key = process.argv[3] ?? 'll';
const workerCount = Number(process.argv[4] ?? 0);
const fixture = fileURLToPath(new URL('../fixtures/media/h264-aac.flv', import.meta.url));

const ffmpeg = await locateFfmpeg();
if (ffmpeg === undefined) {
  process.send!({ type: 'error', message: 'ffmpeg not found (FFMPEG_PATH, PATH or @ffmpeg-installer/ffmpeg)' });
  process.exit(1);
}

// The load generator is one address (127.0.0.1) opening thousands of connections: above the
// per-address defaults (docs/limits.md), which are meant for the open internet.
const httpOptions = { port: 0, host: '127.0.0.1', maxConnectionsPerAddress: 100_000, maxConnections: 100_000 };
const server = createMediaServer({
  rtmp: { port: 0, host: '127.0.0.1', maxConnectionsPerAddress: 1000 },
  http: workerCount > 0 ? internalHttpOptions(httpOptions) : httpOptions,
  endGraceMs: 1000,
});
/** With workers: the requests waiting in them at the last poll. */
let workerWaiting = 0;
const parkedNow = (): number => (workers === undefined ? server.liveDelivery.parked : workerWaiting);
server.on('part', (_stream, p) => {
  if (p.track === 'video') process.send!({ type: 'part', msn: p.msn, index: p.index, at: epochMs(), parked: parkedNow() });
});
server.on('segment', (_stream, s) => {
  if (s.track === 'video') process.send!({ type: 'segment', msn: s.msn, at: epochMs(), parked: parkedNow() });
});
const { rtmp, http: internal } = await server.listen();
const workers = workerCount > 0 ? await startHttpWorkers({ count: workerCount, upstreamPort: internal.port, host: '127.0.0.1', port: 0, maxConnections: 100_000, maxConnectionsPerAddress: 100_000 }) : undefined;
const http = { port: workers?.port ?? internal.port };
if (workers !== undefined) {
  // One poll at a time, 50 ms after the last answer.
  const poll = (): void => {
    workers.stats().then(
      (all) => {
        workerWaiting = all.reduce((sum, w) => sum + w.waiting, 0);
        setTimeout(poll, 50).unref();
      },
      () => undefined,
    );
  };
  poll();
}

// When the server handed each blocking playlist answer to its socket (the return of the Node
// response's end(), which writes it): the server's own share of the release, apart from the clients
// reading. ('finish' would come a tick later, after every other answer's work.) Reported and reset
// by 'written'.
let written: number[] = [];
server.http.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
  if (req.url?.includes('_HLS_msn=') !== true) return;
  const end = res.end;
  res.end = function (this: ServerResponse, ...args: Parameters<typeof end>) {
    const result = end.apply(this, args);
    written.push(epochMs());
    return result;
  } as typeof end;
});

const publisher = spawn(
  ffmpeg.path,
  ['-hide_banner', '-nostdin', '-v', 'error', '-re', '-stream_loop', '-1', '-i', fixture, '-t', String(seconds), '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmp.port}/live/${key}`],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
const killPublisher = (): void => {
  if (publisher.pid !== undefined && publisher.exitCode === null && publisher.signalCode === null) {
    try {
      process.kill(publisher.pid, 'SIGKILL');
    } catch {
      // it ended meanwhile
    }
  }
};

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  killPublisher();
  const bound = setTimeout(() => process.exit(0), 3000);
  bound.unref();
  void (workers?.close() ?? Promise.resolve()).then(() => server.close()).then(() => process.exit(0));
};

process.send!({ type: 'ready', httpPort: http.port, rtmpPort: rtmp.port, ffmpegPid: publisher.pid });
process.on('disconnect', stop);
// CPU profile of a chosen window (the release of parked requests, not their parking): V8's sampling
// profiler through the inspector, started and stopped over IPC, written as a .cpuprofile.
let session: Session | undefined;
async function profile(m: { action: 'start' | 'stop'; path?: string; intervalMicros?: number }): Promise<void> {
  if (m.action === 'start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: m.intervalMicros ?? 100 });
    await session.post('Profiler.start');
    // The profile's times are V8's monotonic microseconds (CLOCK_MONOTONIC, as process.hrtime): this pair maps them to epoch ms.
    process.send!({ type: 'profiled', hrtimeMicros: Number(process.hrtime.bigint() / 1000n), at: epochMs() });
    return;
  } else if (session !== undefined) {
    const { profile: result } = await session.post('Profiler.stop');
    session.disconnect();
    session = undefined;
    if (m.path !== undefined) writeFileSync(m.path, JSON.stringify(result));
  }
  process.send!({ type: 'profiled' });
}

process.on('message', (m: { type: string; gc?: boolean; action?: 'start' | 'stop'; path?: string; intervalMicros?: number }) => {
  if (m.type === 'usage') {
    if (m.gc === true) (globalThis as { gc?: () => void }).gc?.();
    const mem = process.memoryUsage();
    if (workers === undefined) process.send!({ type: 'usage', rss: mem.rss, heapUsed: mem.heapUsed, parked: server.liveDelivery.parked, at: epochMs() });
    else
      void workers.stats({ memory: true, gc: m.gc === true }).then((all) => {
        workerWaiting = all.reduce((sum, w) => sum + w.waiting, 0);
        process.send!({ type: 'usage', rss: all.reduce((sum, w) => sum + w.rss!, mem.rss), heapUsed: all.reduce((sum, w) => sum + w.heapUsed!, mem.heapUsed), parked: workerWaiting, at: epochMs() });
      });
  } else if (m.type === 'written') {
    if (workers === undefined) {
      process.send!({ type: 'written', count: written.length, first: Math.min(...written), last: Math.max(...written) });
      written = [];
    } else
      void workers.stats({ writes: true }).then((all) => {
        const writes = all.map((w) => w.writes!);
        process.send!({ type: 'written', count: writes.reduce((sum, w) => sum + w.count, 0), first: Math.min(...writes.map((w) => w.first)), last: Math.max(...writes.map((w) => w.last)) });
      });
  } else if (m.type === 'dash-writes') {
    // DASH chunked answers: per part file, when it was first and last written (epoch ms) and to how many answers.
    process.send!({ type: 'dash-writes', writes: [...server.dash.takePartWrites()].map(([path, w]) => ({ path, ...w })), open: server.dash.openChunked });
  } else if (m.type === 'profile') void profile(m as Parameters<typeof profile>[0]);
  else if (m.type === 'stop') stop();
});
