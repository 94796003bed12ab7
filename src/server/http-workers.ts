import cluster, { type Worker } from 'node:cluster';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { integerRange } from '../config/index.js';
import { DEFAULT_HTTP_MAX_CONNECTIONS } from '../http/connection-limits.js';
import type { CoalescingProxyStats, CollapsedWrites } from '../http/coalescing-proxy.js';

/**
 * The multi-process origin (`tidecast serve --http-workers N`, docs/hls.md "Multi-process origin"):
 * the media server keeps RTMP ingest, packaging and HTTP delivery in this process, its HTTP
 * listener on an internal loopback port; N node:cluster workers share the public HTTP host:port
 * (node:cluster's round-robin on Linux: the primary accepts and hands each connection to a worker)
 * and each runs a CoalescingProxy (src/http/coalescing-proxy.ts) to the internal port. A crowd of
 * viewers parked on the same blocking reload costs the media server one request per worker, and
 * the answers to the crowd are written by N processes at once: past one process's per-connection
 * write cost (docs/benchmarks.md "LL-HLS").
 *
 * A worker that exits is started again, after 0.1 s doubling to 5 s while they keep dying (a worker
 * that lived 10 s resets it). `close()` stops them (asked over IPC, SIGKILL by PID after 2 s). A
 * worker exits by itself when its IPC channel to the primary closes: a primary killed with SIGKILL
 * leaves no worker behind. Workers ignore SIGINT and SIGTERM (Ctrl-C and systemd signal the whole
 * group): the primary stops them, after which it stops the server.
 */

/** 0: no workers, the media server listens on the public port itself (one process). */
export const DEFAULT_HTTP_WORKERS = 0;

/** Up to 64 workers: more than the cores of any machine this runs on is only contention. */
export const HTTP_WORKERS_RANGE = integerRange(0, 64);

/**
 * The media server's `http` option behind the workers: on 127.0.0.1, port 0, and no per-address
 * limit of its own (every worker connection comes from 127.0.0.1; the workers count the clients'
 * addresses). TLS is refused with workers (`tidecast serve` checks it in its settings).
 */
export function internalHttpOptions<H extends { host?: string; port?: number; maxConnections?: number; maxConnectionsPerAddress?: number }>(http: H | undefined): H {
  const maxConnections = http?.maxConnections ?? DEFAULT_HTTP_MAX_CONNECTIONS;
  return { ...(http as H), host: '127.0.0.1', port: 0, maxConnections, maxConnectionsPerAddress: maxConnections };
}

/** What a worker is given (the TIDECAST_HTTP_WORKER variable, JSON). */
export interface HttpWorkerConfig {
  /** The media server's internal HTTP base URL (http://127.0.0.1:<port>). */
  upstream: string;
  host: string;
  port: number;
  /** This worker's share of the connection limits. */
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

/** A worker's answer to a stats request. */
export interface HttpWorkerStats extends CoalescingProxyStats {
  pid: number;
  /** Open client connections. */
  connections: number;
  /** Only when asked for (`memory`): process.memoryUsage() costs about as much as a stats round trip. */
  rss?: number;
  heapUsed?: number;
  /** Collapsed answers written since the last stats request that asked for them. */
  writes?: CollapsedWrites;
}

export interface HttpWorkersOptions {
  /** Worker processes, 1 or more. */
  count: number;
  /** The media server's internal HTTP port on 127.0.0.1. */
  upstreamPort: number;
  /** The public address and port the workers share (0: a free one, the same for all). */
  host: string;
  port: number;
  /** Connection limits for all workers together: each gets its share (rounded up). */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Lines for the server's log. */
  log?: { info(fields: object, msg: string): void; warn(fields: object, msg: string): void };
}

export interface HttpWorkers {
  /** The public port (the one asked for, or the one port 0 gave). */
  readonly port: number;
  readonly count: number;
  /** The workers' PIDs now. */
  pids(): number[];
  /**
   * Asks every worker for its counters; `memory`: its RSS and heap too (`gc`: after a full
   * collection, when the worker has --expose-gc); `writes`: take its collapsed writes.
   */
  stats(options?: { memory?: boolean; gc?: boolean; writes?: boolean }): Promise<HttpWorkerStats[]>;
  /** Stops the workers; resolves once all have exited. */
  close(): Promise<void>;
}

/** Messages between the primary and a worker. */
export const WORKER_MESSAGE = { stop: 'tidecast:http-worker:stop', stats: 'tidecast:http-worker:stats' } as const;

const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5000;
/** A worker that lived this long resets the back-off. */
const HEALTHY_MS = 10_000;
const STOP_GRACE_MS = 2000;
const LISTEN_TIMEOUT_MS = 20_000;

/** The worker's entry file: http-worker-main.ts beside this one (.ts under tsx, .js built). */
function workerEntry(): string {
  const self = fileURLToPath(import.meta.url);
  return self.slice(0, -extname(self).length).replace(/http-workers$/, 'http-worker-main') + extname(self);
}

let started = false;

/**
 * Forks the workers (node:cluster, this process as the primary; one set per process) and resolves
 * once every one listens. A worker that fails to listen (the port taken) rejects it.
 */
export async function startHttpWorkers(options: HttpWorkersOptions): Promise<HttpWorkers> {
  if (!cluster.isPrimary) throw new Error('startHttpWorkers: not in a primary process');
  if (started) throw new Error('startHttpWorkers: the workers of this process are already started');
  if (!Number.isInteger(options.count) || options.count < 1) throw new RangeError(`startHttpWorkers: count must be an integer ≥ 1, got ${options.count}`);
  started = true;
  const config: HttpWorkerConfig = {
    upstream: `http://127.0.0.1:${options.upstreamPort}`,
    host: options.host,
    port: options.port,
    maxConnections: Math.ceil(options.maxConnections / options.count),
    maxConnectionsPerAddress: Math.ceil(options.maxConnectionsPerAddress / options.count),
  };
  cluster.setupPrimary({ exec: workerEntry(), args: [], silent: false });
  const workers = new Set<Worker>();
  let stopping = false;
  let backoff = RESTART_MIN_MS;
  let nextRequest = 0;

  const fork = (): Worker => {
    const worker = cluster.fork({ TIDECAST_HTTP_WORKER: JSON.stringify(config) });
    const bornAt = Date.now();
    workers.add(worker);
    worker.once('exit', (code, signal) => {
      workers.delete(worker);
      if (stopping) return;
      if (Date.now() - bornAt >= HEALTHY_MS) backoff = RESTART_MIN_MS;
      const wait = backoff;
      backoff = Math.min(RESTART_MAX_MS, backoff * 2);
      options.log?.warn({ pid: worker.process.pid, code, signal, restartInMs: wait }, 'http worker exited; starting another');
      const timer = setTimeout(() => {
        if (stopping) return;
        const next = fork();
        next.once('listening', () => options.log?.info({ pid: next.process.pid }, 'http worker started'));
      }, wait);
      timer.unref();
    });
    return worker;
  };

  // The first set: all listening, or the first failure.
  const first = Array.from({ length: options.count }, fork);
  let port = options.port;
  try {
    await new Promise<void>((resolve, reject) => {
      let listening = 0;
      const timer = setTimeout(() => reject(new Error(`http workers: not all listening after ${LISTEN_TIMEOUT_MS} ms`)), LISTEN_TIMEOUT_MS);
      for (const w of first) {
        w.once('listening', (address) => {
          port = address.port;
          options.log?.info({ pid: w.process.pid }, 'http worker started');
          if (++listening === first.length) {
            clearTimeout(timer);
            resolve();
          }
        });
        w.once('message', (m: { type?: string; message?: string }) => {
          if (m.type === 'tidecast:http-worker:error') {
            clearTimeout(timer);
            reject(new Error(`http worker: ${m.message}`));
          }
        });
        w.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`http worker ${w.process.pid} exited (${code}) before it listened`));
        });
      }
    });
  } catch (error) {
    stopping = true;
    await stopAll(workers);
    started = false;
    throw error;
  }

  return {
    port,
    count: options.count,
    pids: () => [...workers].map((w) => w.process.pid).filter((p): p is number => p !== undefined),
    stats: (asked = {}) =>
      Promise.all(
        [...workers].map(
          (w) =>
            new Promise<HttpWorkerStats>((resolve, reject) => {
              const id = ++nextRequest;
              const timer = setTimeout(() => done(new Error(`http worker ${w.process.pid}: no stats in 5 s`)), 5000);
              const on = (m: { type?: string; id?: number; stats?: HttpWorkerStats }): void => {
                if (m.type === WORKER_MESSAGE.stats && m.id === id) done(undefined, m.stats);
              };
              const gone = (): void => done(new Error(`http worker ${w.process.pid} exited`));
              function done(error: Error | undefined, stats?: HttpWorkerStats): void {
                clearTimeout(timer);
                w.off('message', on);
                w.off('exit', gone);
                if (error === undefined) resolve(stats!);
                else reject(error);
              }
              w.on('message', on);
              w.once('exit', gone);
              w.send({ type: WORKER_MESSAGE.stats, id, memory: asked.memory === true || asked.gc === true, gc: asked.gc === true, writes: asked.writes === true });
            }),
        ),
      ),
    close: async () => {
      stopping = true;
      await stopAll(workers);
      started = false;
    },
  };
}

/** Asks each worker to stop, SIGKILLs by PID those still there after STOP_GRACE_MS, and waits for every exit. */
async function stopAll(workers: Set<Worker>): Promise<void> {
  await Promise.all(
    [...workers].map(async (w) => {
      if (w.isDead()) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      try {
        if (w.isConnected()) w.send({ type: WORKER_MESSAGE.stop });
      } catch {
        // the channel closed meanwhile: it is exiting
      }
      const timer = setTimeout(() => {
        if (!w.isDead() && w.process.pid !== undefined) {
          try {
            process.kill(w.process.pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }
      }, STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }),
  );
}
