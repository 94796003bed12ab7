/**
 * The server side of the live-server bench, in its own process so its CPU time and RSS are its
 * own: a createMediaServer on loopback ports 0 that reports, over IPC, when each video segment was
 * listed (epoch ms, high resolution) and, on request, its CPU time and RSS.
 */
import { performance } from 'node:perf_hooks';
import { createMediaServer } from '../src/server/index.js';

const epochMs = (): number => performance.timeOrigin + performance.now();
// The load generator is one address (127.0.0.1) opening thousands of connections: above the
// per-address defaults (docs/limits.md), which are meant for the open internet.
const server = createMediaServer({
  rtmp: { port: 0, host: '127.0.0.1', maxConnectionsPerAddress: 1000 },
  http: { port: 0, host: '127.0.0.1', maxConnectionsPerAddress: 100_000, maxConnections: 100_000 },
  endGraceMs: 1000,
});
server.on('segment', ({ streamKey }, s) => {
  if (s.track === 'video') process.send!({ type: 'segment', streamKey, msn: s.msn, durationSeconds: s.durationSeconds, listedAtMs: epochMs() });
});
const { rtmp } = await server.listen();
process.send!({ type: 'ready', rtmpPort: rtmp.port });
process.on('message', (m: { type: string }) => {
  if (m.type === 'usage') {
    const u = process.cpuUsage();
    process.send!({ type: 'usage', cpuMicros: u.user + u.system, rssBytes: process.memoryUsage().rss, atMs: epochMs() });
  } else if (m.type === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
