import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { invalidOption, redactedRedisUrl } from '../config/index.js';
import { isTidecastError } from '../errors/index.js';
import type { Job } from './job-model.js';
import { parseStoredJob, unavailableJobStore, type JobStore, type JobStoreWatcher } from './job-store.js';

/**
 * Jobs in Redis (ioredis), for a server whose state lives with the rest of a deployment's, and for
 * the origins of a cluster, which share them (docs/cluster.md "Jobs across origins").
 *
 * Layout: one hash, `<prefix>jobs`, field = job id, value = the job as JSON. Chosen over a key
 * per job plus a set of ids because every operation is then one atomic command: load is one
 * HGETALL (a consistent snapshot in one round trip), put one HSET, delete one HDEL; with two
 * structures a crash between SET and SADD leaves an orphan or a dangling id. Jobs are a few kB
 * and a server has hundreds, far inside what one hash holds well; a key per job would only pay
 * off with per-job TTLs or keyspace watches, which jobs do not need. Commands on one connection
 * run in the order sent, so two puts never interleave and the last one sent wins.
 *
 * Changes are announced: every put, replace and delete is a Lua script that writes the hash and
 * PUBLISHes `{"src":<this store's random id>,"id":<job id>}` on the channel `<prefix>jobs:changes`
 * in the same atomic step, so the messages come in the order of the writes and no write goes
 * unannounced. `watch` subscribes on a second connection (ioredis resubscribes after a
 * reconnection) and tells its watcher of the other stores' changes (its own are skipped); after
 * every (re)subscription it says `resync`, because messages published while a subscriber is away
 * are lost (redis.io, "Pub/Sub": at-most-once). `replace` is a compare-and-set in the same script:
 * the field must still hold the JSON the writer decided on.
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

/** KEYS[1] the hash; ARGV: id, job JSON, channel, message. */
const PUT_LUA = `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;
/** KEYS[1] the hash; ARGV: id, job JSON, '1' when none may be stored yet else '0', the expected JSON, channel, message. 1 stored, 0 not. */
const REPLACE_LUA = `local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[3] == '1' then
  if current then return 0 end
elseif current ~= ARGV[4] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1`;
/** KEYS[1] the hash; ARGV: id, channel, message. Announced only when there was something to delete. */
const DELETE_LUA = `local n = redis.call('HDEL', KEYS[1], ARGV[1])
if n > 0 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return n`;

interface JobCommands {
  tcJobPut(key: string, id: string, json: string, channel: string, message: string): Promise<number>;
  tcJobReplace(key: string, id: string, json: string, none: string, expected: string, channel: string, message: string): Promise<number>;
  tcJobDelete(key: string, id: string, channel: string, message: string): Promise<number>;
}
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** Reconnection delays: 200 ms, 400 ms, … up to 2 s; Redis restarting takes about a second. */
const MAX_RECONNECT_DELAY_MS = 2000;

export class RedisJobStore implements JobStore {
  /** The hash holding the jobs. */
  readonly key: string;
  /** The channel its changes are published on: `<prefix>jobs:changes`. */
  readonly channel: string;
  /** The URL with its password hidden, for messages. */
  readonly where: string;
  /** This instance's id in its change messages, so its watcher skips its own. */
  readonly source = randomBytes(9).toString('base64url');
  readonly #url: string;
  readonly #connectTimeoutMs: number;
  readonly #client: Redis & JobCommands;
  #subscriber: Redis | undefined;
  #lastError: Error | undefined;
  #closed = false;

  constructor(options: RedisJobStoreOptions) {
    const shown = redactedRedisUrl(options.url);
    if (shown === undefined) throw invalidOption('url', 'a redis:// or rediss:// URL', '(not a redis URL)');
    this.key = `${options.prefix ?? DEFAULT_REDIS_JOB_PREFIX}jobs`;
    this.channel = `${this.key}:changes`;
    this.where = `${shown} key ${this.key}`;
    this.#url = options.url;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const client = new Redis(options.url, {
      lazyConnect: true,
      // One reconnection attempt per command, then a rejection: a job API call answers 503, not hangs.
      maxRetriesPerRequest: 1,
      connectTimeout: this.#connectTimeoutMs,
      retryStrategy,
    });
    client.defineCommand('tcJobPut', { numberOfKeys: 1, lua: PUT_LUA });
    client.defineCommand('tcJobReplace', { numberOfKeys: 1, lua: REPLACE_LUA });
    client.defineCommand('tcJobDelete', { numberOfKeys: 1, lua: DELETE_LUA });
    this.#client = client as Redis & JobCommands;
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
      await this.#client.tcJobPut(this.key, job.id, JSON.stringify(job), this.channel, this.#message(job.id));
    });
  }

  delete(id: string): Promise<void> {
    return this.#command('delete', async () => {
      await this.#client.tcJobDelete(this.key, id, this.channel, this.#message(id));
    });
  }

  get(id: string): Promise<Job | undefined> {
    return this.#command('get', async () => {
      const text = await this.#client.hget(this.key, id);
      return text === null ? undefined : parseStoredJob(text, `${this.where} field ${id}`);
    });
  }

  replace(job: Job, previous: Job | undefined): Promise<boolean> {
    return this.#command('put', async () => {
      const expected = previous === undefined ? '' : JSON.stringify(previous);
      const stored = await this.#client.tcJobReplace(this.key, job.id, JSON.stringify(job), previous === undefined ? '1' : '0', expected, this.channel, this.#message(job.id));
      return stored === 1;
    });
  }

  /**
   * Subscribes on a connection of its own; resolves once subscribed, or once the first attempt
   * failed (it goes on in the background: the watcher hears `resync` when it gets through).
   */
  async watch(watcher: JobStoreWatcher): Promise<void> {
    if (this.#subscriber !== undefined) throw new Error('RedisJobStore.watch: one watcher per store');
    if (this.#closed) return;
    const subscriber = new Redis(this.#url, { lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: this.#connectTimeoutMs, retryStrategy });
    this.#subscriber = subscriber;
    subscriber.on('error', () => {});
    subscriber.on('message', (channel: string, text: string) => {
      if (channel !== this.channel || this.#closed) return;
      const id = changedId(text, this.source);
      if (id !== undefined) watcher.changed(id);
    });
    let subscribed: () => void = () => {};
    const first = new Promise<void>((resolve) => (subscribed = resolve));
    subscriber.on('ready', () => {
      // ioredis resubscribes after a reconnection; subscribing here too (idempotent) tells when it
      // took effect, and only a resync after that is sure to miss nothing.
      subscriber.subscribe(this.channel).then(
        () => {
          subscribed();
          if (!this.#closed) watcher.resync();
        },
        () => {},
      );
    });
    try {
      await subscriber.connect();
    } catch {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#connectTimeoutMs)))]);
    clearTimeout(timer);
  }

  /** QUIT after the commands sent before it; a connection never made or already lost is just dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#subscriber?.disconnect();
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

  #message(id: string): string {
    return JSON.stringify({ src: this.source, id });
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

/** Reconnection delays: 200 ms, 400 ms, … up to 2 s. */
function retryStrategy(attempt: number): number {
  return Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS);
}

/** The job id of a change message, or undefined when it is this store's own (`source`) or not one. */
function changedId(text: string, source: string): string | undefined {
  try {
    const message = JSON.parse(text) as { src?: unknown; id?: unknown };
    return message.src !== source && typeof message.id === 'string' ? message.id : undefined;
  } catch {
    return undefined;
  }
}
