import { Redis } from 'ioredis';
import { invalidOption } from '../config/index.js';
import { isTidecastError } from '../errors/index.js';
import type { Job } from './job-model.js';
import { parseStoredJob, unavailableJobStore, type JobStore } from './job-store.js';

/**
 * Jobs in Redis (ioredis), for a server whose state lives with the rest of a deployment's.
 *
 * Layout: one hash, `<prefix>jobs`, field = job id, value = the job as JSON. Chosen over a key
 * per job plus a set of ids because every operation is then one atomic command: load is one
 * HGETALL (a consistent snapshot in one round trip), put one HSET, delete one HDEL; with two
 * structures a crash between SET and SADD leaves an orphan or a dangling id. Jobs are a few kB
 * and a server has hundreds, far inside what one hash holds well; a key per job would only pay
 * off with per-job TTLs or keyspace watches, which jobs do not need. Commands on one connection
 * run in the order sent, so two puts never interleave and the last one sent wins.
 *
 * Connection: made at the first command (lazily, so constructing the store does nothing). A
 * command while Redis is unreachable is rejected after one reconnection attempt, not queued for
 * ever, with ERR_TRANSCODE_JOB_STORE_UNAVAILABLE naming the URL (its password hidden) and the
 * socket's error; the client keeps reconnecting in the background (every 200 ms, backing off to
 * 2 s), so the next command works once Redis is back.
 */

export interface RedisJobStoreOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). */
  readonly url: string;
  /** Prefix of the store's key (`<prefix>jobs`), so servers can share a Redis. Default 'tidecast:'. */
  readonly prefix?: string;
  /** A connection attempt gives up after this long. Default 5000 ms: a LAN Redis answers in 1. */
  readonly connectTimeoutMs?: number;
}

export const DEFAULT_REDIS_JOB_PREFIX = 'tidecast:';
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** Reconnection delays: 200 ms, 400 ms, … up to 2 s; Redis restarting takes about a second. */
const MAX_RECONNECT_DELAY_MS = 2000;

export class RedisJobStore implements JobStore {
  /** The hash holding the jobs. */
  readonly key: string;
  /** The URL with its password hidden, for messages. */
  readonly where: string;
  readonly #client: Redis;
  #lastError: Error | undefined;

  constructor(options: RedisJobStoreOptions) {
    const shown = redactedUrl(options.url);
    if (shown === undefined) throw invalidOption('url', 'a redis:// or rediss:// URL', '(not a redis URL)');
    this.key = `${options.prefix ?? DEFAULT_REDIS_JOB_PREFIX}jobs`;
    this.where = `${shown} key ${this.key}`;
    this.#client = new Redis(options.url, {
      lazyConnect: true,
      // One reconnection attempt per command, then a rejection: a job API call answers 503, not hangs.
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
    });
    // Without a listener ioredis prints every failed attempt; the last one explains the next rejection.
    this.#client.on('error', (err: Error) => (this.#lastError = err));
  }

  load(): Promise<Job[]> {
    return this.#command('load', async () => {
      const fields = await this.#client.hgetall(this.key);
      return Object.entries(fields).map(([id, text]) => parseStoredJob(text, `${this.where} field ${id}`));
    });
  }

  put(job: Job): Promise<void> {
    return this.#command('put', async () => {
      await this.#client.hset(this.key, job.id, JSON.stringify(job));
    });
  }

  delete(id: string): Promise<void> {
    return this.#command('delete', async () => {
      await this.#client.hdel(this.key, id);
    });
  }

  /** QUIT after the commands sent before it; a connection never made or already lost is just dropped. */
  async close(): Promise<void> {
    if (this.#client.status === 'ready') {
      try {
        await this.#client.quit();
        return;
      } catch {
        // The connection went while quitting: nothing left to flush.
      }
    }
    this.#client.disconnect();
  }

  async #command<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (isTidecastError(err)) throw err;
      // ioredis's own rejection only says the retries ran out; the socket's error says why.
      const cause = (err as Error).name === 'MaxRetriesPerRequestError' && this.#lastError !== undefined ? this.#lastError : err;
      throw unavailableJobStore(this.where, what, cause);
    }
  }
}

/** `url` with its password replaced by `***`, or undefined when it is not a redis:// or rediss:// URL. */
function redactedUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') return undefined;
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
