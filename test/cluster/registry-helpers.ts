import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { RedisStreamRegistry, type RedisRegistryOptions } from '../../src/cluster/index.js';
import { delay, killByPid } from '../helpers/process.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

/** Shared by the Redis registry's test files: registries with test timings, waits, child origins. */

/**
 * Timings scaled down from the defaults (6 s lease, 2 s refresh, 500 ms timeout) so that a lapse
 * fits a test; the ratio lease / refresh stays 5 and the timeout leaves room on a loaded machine.
 */
export const FAST = { leaseMs: 1500, refreshMs: 300, commandTimeoutMs: 400, connectTimeoutMs: 1000 } as const;
/** Timers that never fire within a test: what a test sees then came by pub/sub or a resync after a resubscribe. */
export const SLOW = { leaseMs: 60_000, refreshMs: 30_000, commandTimeoutMs: 400, connectTimeoutMs: 1000 } as const;

export async function openRegistry(url: string, prefix: string, originId: string, timings: Partial<RedisRegistryOptions> = FAST): Promise<RedisStreamRegistry> {
  const registry = new RedisStreamRegistry({ url, prefix, originId, baseUrl: `http://${originId}.test:8000`, ...timings });
  await registry.start();
  return registry;
}

/** Polls `check` every 10 ms until it is true; rejects naming `what` after `ms`. Resolves to the time it took. */
export async function waitFor(check: () => boolean, ms: number, what: string): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await delay(10);
  }
  return Date.now() - start;
}

const require = createRequire(import.meta.url);
const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
const childScript = fileURLToPath(new URL('./registry-origin-child.ts', import.meta.url));

export interface ChildOrigin {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every JSON line the child printed so far. */
  readonly lines: Record<string, unknown>[];
  /** Resolves to the first line with `event`, within `ms`. */
  next(event: string, ms: number): Promise<Record<string, unknown>>;
  /** SIGKILL by PID (and SIGCONT first, should it be stopped), then waits until it is gone. */
  kill(): Promise<void>;
}

/** An origin in its own node process (test/cluster/registry-origin-child.ts) that claims `key` and reports `position`. */
export async function startChildOrigin(options: RedisRegistryOptions, key: string, position: { msn: number; dseq: number }): Promise<ChildOrigin> {
  const child = spawn(process.execPath, ['--import', tsxLoader, childScript, JSON.stringify({ options, key, position })], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('the child origin did not start');
  const pid = child.pid;
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let buffered = '';
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr = (stderr + t).slice(-4000)));
  child.stdout!.setEncoding('utf8').on('data', (t: string) => {
    buffered += t;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      lines.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>);
      buffered = buffered.slice(nl + 1);
    }
  });
  const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const origin: ChildOrigin = {
    child,
    pid,
    lines,
    async next(event, ms) {
      await waitFor(() => lines.some((l) => l['event'] === event) || child.exitCode !== null, ms, `child origin event ${event} (stderr: ${stderr})`);
      const line = lines.find((l) => l['event'] === event);
      if (line === undefined) throw new Error(`child origin exited ${child.exitCode} before ${event}: ${stderr}`);
      return line;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGCONT');
      killByPid(child);
      await gone;
    },
  };
  try {
    await origin.next('claimed', 20_000);
  } catch (err) {
    await origin.kill();
    throw err;
  }
  return origin;
}

/** A redis-server of the test's own, its `server` replaced when the test restarts it. */
export interface RigRedis {
  server: RedisServer;
  readonly raw: Redis;
}

/** What a fault test starts, each thing ended (by PID, a frozen one continued first) in cleanup(). */
export interface FaultRig {
  redis(): Promise<RigRedis>;
  registry(url: string, id: string): Promise<RedisStreamRegistry>;
  child(url: string, id: string, key: string, position: { msn: number; dseq: number }): Promise<ChildOrigin>;
  cleanup(): Promise<void>;
}

/** Key prefix of the fault tests. */
export const FAULT_PREFIX = 'f:';

export function faultRig(): FaultRig {
  const steps: (() => Promise<void>)[] = [];
  return {
    async redis() {
      const server = await startRedis();
      const raw = new Redis(server.url, { maxRetriesPerRequest: null });
      raw.on('error', () => {});
      const holder: RigRedis = { server, raw };
      steps.push(async () => {
        raw.disconnect();
        try {
          process.kill(holder.server.pid, 'SIGCONT');
        } catch {
          // already gone
        }
        await holder.server.stop();
      });
      return holder;
    },
    async registry(url, id) {
      const r = await openRegistry(url, FAULT_PREFIX, id);
      steps.push(() => r.close());
      return r;
    },
    async child(url, id, key, position) {
      const origin = await startChildOrigin({ url, prefix: FAULT_PREFIX, originId: id, baseUrl: `http://${id}.test:8000`, ...FAST }, key, position);
      steps.push(() => origin.kill());
      return origin;
    },
    async cleanup() {
      for (const step of steps.splice(0).reverse()) await step();
    },
  };
}
