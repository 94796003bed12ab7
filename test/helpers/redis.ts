import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delay, findOnPath, freePort, spawnDaemon } from './process.js';

/**
 * A real redis-server for tests: on a free port, nothing saved (`--save '' --appendonly no`), its
 * files in a temporary directory, ended by its PID. Tests skip with `REDIS_SKIP_REASON` when
 * redis-server is not installed (.ci/run installs Debian's).
 */

export const redisServerPath = findOnPath('redis-server');
export const REDIS_SKIP_REASON = redisServerPath === undefined ? ' (skipped: no redis-server on PATH; .ci/run installs it)' : '';

/** How long redis-server has to answer PING: it starts in milliseconds, a loaded CI machine in seconds. */
const START_TIMEOUT_MS = 10_000;
/** SIGTERM, then SIGKILL after this long. */
const STOP_GRACE_MS = 2000;

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM (SIGKILL after 2 s) to this redis-server, then its directory removed. */
  stop(): Promise<void>;
}

/** Whether a PING on `port` gets +PONG. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

/** Attempts at a start: another process can take the free port between its close and redis's bind. */
const START_ATTEMPTS = 3;

/**
 * Starts redis-server (which must be installed: check redisServerPath first) and waits until it
 * answers PING; on `port` when given (a restart where clients wait for it), else on a free one.
 */
export async function startRedis(options: { port?: number } = {}): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisOnce(options.port);
    } catch (err) {
      if (attempt >= START_ATTEMPTS) throw err;
    }
  }
}

async function startRedisOnce(wantedPort: number | undefined): Promise<RedisServer> {
  if (redisServerPath === undefined) throw new Error('redis-server is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'tidecast-redis-'));
  const port = wantedPort ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', join(dir, 'redis.log')];
  const daemon = spawnDaemon(redisServerPath, args, STOP_GRACE_MS);
  const pid = daemon.pid;
  const stop = async (): Promise<void> => {
    await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  };
  if (pid === undefined) {
    await stop();
    throw new Error(`redis-server at ${redisServerPath} did not start`);
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await pings(port))) {
    if (daemon.exited() || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms (exit ${daemon.child.exitCode ?? daemon.child.signalCode ?? 'none'})`);
    }
    await delay(50);
  }
  return { url: `redis://127.0.0.1:${port}`, port, pid, stop };
}
