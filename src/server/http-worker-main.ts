import cluster from 'node:cluster';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { CoalescingProxy } from '../http/coalescing-proxy.js';
import { limitConnections } from '../http/connection-limits.js';
import { WORKER_MESSAGE, type HttpWorkerConfig, type HttpWorkerStats } from './http-workers.js';

/**
 * The entry of one HTTP worker process of the multi-process origin (forked by http-workers.ts with
 * node:cluster; its settings in TIDECAST_HTTP_WORKER): a node:http server on the shared public
 * host:port whose every request goes through a CoalescingProxy to the media server's internal port.
 * Connection limits count this worker's connections (its share of the server's). It exits when
 * the primary asks, or when its channel to the primary closes (the primary is gone); SIGINT and
 * SIGTERM are the primary's to act on.
 */

if (!cluster.isWorker || process.env['TIDECAST_HTTP_WORKER'] === undefined) {
  throw new Error('http-worker-main: run by startHttpWorkers (node:cluster), not by itself');
}
const config = JSON.parse(process.env['TIDECAST_HTTP_WORKER']) as HttpWorkerConfig;

/**
 * A loopback client that names no proxy passes as itself (no X-Forwarded-For), so that the media
 * server's control API still sees a program on this machine as local (control-api-auth.ts); every
 * other client's address is added.
 */
const forwardedFor = (address: string, headers: IncomingHttpHeaders): boolean =>
  !/^(?:127\.|::1$|::ffff:127\.)/.test(address) || headers['x-forwarded-for'] !== undefined || headers['forwarded'] !== undefined || headers['x-real-ip'] !== undefined;

const proxy = new CoalescingProxy({ upstream: config.upstream, forwardedFor });
const server = createServer(proxy.handle);
const limits = limitConnections(server, { maxConnections: config.maxConnections, maxConnectionsPerAddress: config.maxConnectionsPerAddress });

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => undefined);

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  proxy.close();
  server.closeAllConnections();
  server.close();
  // Nothing this worker holds needs more: the answers in flight are the media server's to give again.
  setImmediate(() => process.exit(0));
}

process.on('disconnect', stop);
process.on('message', (m: { type?: string; id?: number; memory?: boolean; gc?: boolean; writes?: boolean }) => {
  if (m.type === WORKER_MESSAGE.stop) stop();
  else if (m.type === WORKER_MESSAGE.stats) {
    if (m.gc === true) (globalThis as { gc?: () => void }).gc?.();
    const memory = m.memory === true ? process.memoryUsage() : undefined;
    const stats: HttpWorkerStats = {
      pid: process.pid,
      ...proxy.stats,
      connections: limits.open,
      ...(memory === undefined ? {} : { rss: memory.rss, heapUsed: memory.heapUsed }),
      ...(m.writes === true ? { writes: proxy.takeWrites() } : {}),
    };
    process.send?.({ type: WORKER_MESSAGE.stats, id: m.id, stats });
  }
});

server.on('error', (error) => {
  process.send?.({ type: 'tidecast:http-worker:error', message: `cannot listen on ${config.host}:${config.port}: ${error.message}` });
  setImmediate(() => process.exit(1));
});
server.listen(config.port, config.host);
