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
 * - `usage` {rss, heapUsed, parked, at} on request (`{type: 'usage', gc: true}` collects first; the
 *   child runs with --expose-gc).
 *
 * `stop` kills ffmpeg (by its PID) and closes the server; losing the parent does the same. ffmpeg
 * is also bounded by `-t` (argv[2], seconds), so it cannot outlive a killed child for long.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createMediaServer } from '../src/server/index.js';
import { locateFfmpeg } from '../src/transcode/index.js';

const epochMs = (): number => performance.timeOrigin + performance.now();
const seconds = Number(process.argv[2] ?? 60);
const key = process.argv[3] ?? 'll';
const fixture = fileURLToPath(new URL('../fixtures/media/h264-aac.flv', import.meta.url));

const ffmpeg = await locateFfmpeg();
if (ffmpeg === undefined) {
  process.send!({ type: 'error', message: 'ffmpeg not found (FFMPEG_PATH, PATH or @ffmpeg-installer/ffmpeg)' });
  process.exit(1);
}

const server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' }, endGraceMs: 1000 });
server.on('part', (_stream, p) => {
  if (p.track === 'video') process.send!({ type: 'part', msn: p.msn, index: p.index, at: epochMs(), parked: server.liveDelivery.parked });
});
server.on('segment', (_stream, s) => {
  if (s.track === 'video') process.send!({ type: 'segment', msn: s.msn, at: epochMs(), parked: server.liveDelivery.parked });
});
const { rtmp, http } = await server.listen();

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
  void server.close().then(() => process.exit(0));
};

process.send!({ type: 'ready', httpPort: http.port, rtmpPort: rtmp.port, ffmpegPid: publisher.pid });
process.on('disconnect', stop);
process.on('message', (m: { type: string; gc?: boolean }) => {
  if (m.type === 'usage') {
    if (m.gc === true) (globalThis as { gc?: () => void }).gc?.();
    const mem = process.memoryUsage();
    process.send!({ type: 'usage', rss: mem.rss, heapUsed: mem.heapUsed, parked: server.liveDelivery.parked, at: epochMs() });
  } else if (m.type === 'stop') stop();
});
