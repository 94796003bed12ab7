import { Redis } from 'ioredis';
import { jobsOptions } from '../../src/cli/serve.js';
import { JsonFileJobStore } from '../../src/transcode/job-store-file.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobRuntime, LADDER_MOVED_REASON } from '../../src/server/job-runtime.js';
import type { Job } from '../../src/transcode/job-model.js';
import { JobService, type JobChangeOrigin } from '../../src/transcode/job-service.js';
import { RedisJobStore } from '../../src/transcode/job-store-redis.js';
import type { JobStore } from '../../src/transcode/job-store.js';
import { waitUntil } from '../helpers/live.js';
import { REDIS_SKIP_REASON, startRedis, type RedisServer } from '../helpers/redis.js';

/**
 * Jobs shared by several servers through one Redis (docs/cluster.md "Jobs across origins"): each
 * server's JobService sees the others' creates, changes and deletes as they are made (pub/sub),
 * resyncs after every resubscription (a Redis restart), decides each change on the job as stored
 * (compare-and-set), and the runtimes keep a job's running state to the origin running its ladder.
 */

const BODY = { ladder: { rungs: [{ codec: 'h264', height: 240, bitrateKbps: 300, preset: 'ultrafast' }] } };

interface Seen {
  readonly type: 'change' | 'delete';
  readonly id: string;
  readonly state: Job['state'];
  readonly origin: JobChangeOrigin;
}

function record(service: JobService): Seen[] {
  const seen: Seen[] = [];
  service.on('change', (job, origin) => seen.push({ type: 'change', id: job.id, state: job.state, origin }));
  service.on('delete', (job, origin) => seen.push({ type: 'delete', id: job.id, state: job.state, origin }));
  return seen;
}

/** `store` without its watch: a server that misses every announcement (its copy goes stale). */
function deaf(store: RedisJobStore): JobStore {
  return { load: () => store.load(), put: (j) => store.put(j), delete: (id) => store.delete(id), close: () => store.close(), get: (id) => store.get(id), replace: (j, p) => store.replace(j, p) };
}

describe.skipIf(REDIS_SKIP_REASON !== '')(`jobs shared through Redis${REDIS_SKIP_REASON}`, () => {
  let redis: RedisServer;
  let prefixes = 0;
  const closers: Array<() => Promise<unknown>> = [];
  const store = (prefix: string): RedisJobStore => new RedisJobStore({ url: redis.url, prefix, connectTimeoutMs: 1000 });
  const open = async (s: JobStore): Promise<JobService> => {
    const service = await JobService.open({ store: s });
    closers.push(() => service.close().catch(() => undefined));
    return service;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  afterAll(async () => redis?.stop());

  it('the store: every write announced on <prefix>jobs:changes in write order, its own skipped by its watcher; replace is a compare-and-set', async () => {
    const prefix = `store${++prefixes}:`;
    const [one, two] = [store(prefix), store(prefix)];
    closers.push(() => one.close(), () => two.close());
    const heard: string[] = [];
    let resyncs = 0;
    await one.watch({ changed: (id) => heard.push(id), resync: () => void (resyncs += 1) });
    expect(one.channel).toBe(`${prefix}jobs:changes`);
    const service = await open(two);
    const job = await service.create(BODY);
    await one.put({ ...job, crashes: 5 }); // its own: not heard
    await service.recordError(job.id, 'x').catch(() => undefined); // decided on a stale copy: read again, then written
    await two.delete(job.id);
    await two.delete(job.id); // nothing deleted: nothing announced
    await waitUntil(() => heard.length >= 3, 2000, 'three announcements');
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual([job.id, job.id, job.id]);
    expect(resyncs).toBe(1);
    expect(await one.replace(job, undefined)).toBe(true);
    expect(await one.replace({ ...job, crashes: 1 }, { ...job, crashes: 9 })).toBe(false);
    expect(await one.replace({ ...job, crashes: 1 }, job)).toBe(true);
    expect(await one.replace(job, undefined)).toBe(false);
    expect(await two.get(job.id)).toEqual({ ...job, crashes: 1 });
    expect(await two.get('nope')).toBeUndefined();
  });

  it('two services on one Redis see each other\'s create, change and delete at once, as remote changes, and never their own twice', async () => {
    const prefix = `shared${++prefixes}:`;
    const [a, b] = [await open(store(prefix)), await open(store(prefix))];
    expect(a.shared).toBe(true);
    const [seenA, seenB] = [record(a), record(b)];

    const job = await a.create(BODY);
    await waitUntil(() => b.list().jobs.length === 1, 2000, 'b sees a\'s job');
    expect(b.get(job.id)).toEqual(job);
    expect(b.byStreamKey(job.app, job.streamKey)?.id).toBe(job.id);

    const stopped = await b.stop(job.id);
    await waitUntil(() => a.get(job.id).state === 'stopped', 2000, 'a sees b\'s stop');
    expect(a.get(job.id)).toEqual(stopped);
    await a.resume(job.id);
    await waitUntil(() => b.get(job.id).state === 'waiting', 2000, 'b sees a\'s resume');

    const second = await b.create(BODY);
    await waitUntil(() => a.list().jobs.length === 2, 2000, 'a sees b\'s job');
    expect(a.list().jobs.map((j) => j.id)).toEqual([job.id, second.id]);
    await a.delete(job.id);
    await waitUntil(() => b.list().jobs.length === 1, 2000, 'b sees a\'s delete');
    expect(() => b.get(job.id)).toThrow(expect.objectContaining({ code: 'ERR_TRANSCODE_JOB_NOT_FOUND' }));

    expect(seenA).toEqual([
      { type: 'change', id: job.id, state: 'waiting', origin: 'local' },
      { type: 'change', id: job.id, state: 'stopped', origin: 'remote' },
      { type: 'change', id: job.id, state: 'waiting', origin: 'local' },
      { type: 'change', id: second.id, state: 'waiting', origin: 'remote' },
      { type: 'delete', id: job.id, state: 'waiting', origin: 'local' },
    ]);
    expect(seenB).toEqual([
      { type: 'change', id: job.id, state: 'waiting', origin: 'remote' },
      { type: 'change', id: job.id, state: 'stopped', origin: 'local' },
      { type: 'change', id: job.id, state: 'waiting', origin: 'remote' },
      { type: 'change', id: second.id, state: 'waiting', origin: 'local' },
      { type: 'delete', id: job.id, state: 'waiting', origin: 'remote' },
    ]);
  });

  it('a change decided on a stale copy is decided again on the stored job (compare-and-set), never written over it', async () => {
    const prefix = `stale${++prefixes}:`;
    const b = await open(store(prefix));
    const job = await b.create(BODY);
    // a misses every announcement: its copy stays "waiting" while b makes the job running.
    const a = await open(deaf(store(prefix)));
    expect(a.shared).toBe(false);
    await b.transition(job.id, 'running', 'ffmpeg is encoding the ladder');
    expect(a.get(job.id).state).toBe('waiting');
    const seenA = record(a);
    // waiting → running is right for a's copy, wrong for the stored job: a reads it and decides again.
    await expect(a.transition(job.id, 'running', 'a too')).rejects.toMatchObject({ code: 'ERR_TRANSCODE_JOB_STATE' });
    expect(seenA).toEqual([{ type: 'change', id: job.id, state: 'running', origin: 'remote' }]);
    expect(a.get(job.id)).toEqual(b.get(job.id));
    // A condition is asked of the stored job too.
    const asked: string[] = [];
    await b.recordError(job.id, 'b changed it');
    await a.transition(job.id, 'waiting', 'the publisher left', (stored) => (asked.push(stored.lastError?.message ?? '-'), false));
    expect(asked).toEqual(['-', 'b changed it']);
    // Now up to date, a's stop is written, and b sees it.
    expect((await a.stop(job.id)).state).toBe('stopped');
    await waitUntil(() => b.get(job.id).state === 'stopped', 2000, 'b sees a\'s stop');
    const reasons = (await store(prefix).get(job.id))!.history.map((h) => h.reason);
    expect(reasons).not.toContain('a too');
  });

  it('after a Redis restart every service resyncs: the store as it is now, and announcements again', async () => {
    const prefix = `restart${++prefixes}:`;
    const [a, b] = [await open(store(prefix)), await open(store(prefix))];
    const job = await a.create(BODY);
    await waitUntil(() => b.list().jobs.length === 1, 2000, 'b sees the job');
    const seenB = record(b);

    await redis.stop();
    // The store's error behaviour holds while it is away: the change is refused, not made.
    await expect(a.stop(job.id)).rejects.toMatchObject({ code: 'ERR_TRANSCODE_JOB_STORE_UNAVAILABLE' });
    expect(a.get(job.id).state).toBe('waiting');
    redis = await startRedis({ port: redis.port });
    // The new Redis is empty (no persistence in tests): on resubscribing, both follow it.
    await waitUntil(() => a.list().jobs.length === 0 && b.list().jobs.length === 0, 10_000, 'both resynced with the empty Redis');
    expect(seenB).toEqual([{ type: 'delete', id: job.id, state: 'waiting', origin: 'remote' }]);

    // A job written behind their backs (no announcement) is found by the next resubscription's resync.
    const raw = new Redis(redis.url);
    try {
      await raw.hset(`${prefix}jobs`, job.id, JSON.stringify(job));
      expect(b.list().jobs).toEqual([]);
      await raw.client('KILL', 'TYPE', 'pubsub');
      await waitUntil(() => a.list().jobs.length === 1 && b.list().jobs.length === 1, 10_000, 'resync after the resubscription');
    } finally {
      await raw.quit();
    }
    // And announcements flow again.
    const next = await b.create(BODY);
    await waitUntil(() => a.list().jobs.some((j) => j.id === next.id), 2000, 'a sees b\'s new job');
  });

  it('runtimes: the origin running the ladder writes its state; another origin\'s stale reports do not overwrite it; a publish elsewhere takes the job over; a stop anywhere ends the stream', async () => {
    const prefix = `runtime${++prefixes}:`;
    const ended: Record<'a' | 'b', string[]> = { a: [], b: [] };
    const runtime = async (name: 'a' | 'b'): Promise<JobRuntime> => {
      const r = await JobRuntime.open({ store: store(prefix), shared: true }, { endStream: async (app, key) => void ended[name].push(`${app}/${key}`) });
      closers.push(() => r.close().catch(() => undefined));
      return r;
    };
    const a = await runtime('a');
    const b = await runtime('b');
    const job = await a.service.create(BODY);
    const { app, streamKey: key } = job;
    await waitUntil(() => b.activeJob(app, key) !== undefined, 2000, 'b knows the job');
    const settled = async (state: Job['state'], what: string): Promise<void> => {
      await waitUntil(() => a.service.get(job.id).state === state && b.service.get(job.id).state === state, 3000, what);
      await new Promise((r) => setTimeout(r, 100));
    };

    // The publish lands on a: a's ladder runs, a writes running.
    a.ladderState(app, key, 'starting', undefined);
    a.ladderState(app, key, 'running', undefined);
    await settled('running', 'running everywhere');
    // b hears it as a remote change and writes nothing of its own (no ladder there).
    b.ladderState(app, key, 'waiting', undefined);
    b.crashed(app, key, 'not b\'s ladder', undefined);
    await new Promise((r) => setTimeout(r, 200));
    expect(b.service.get(job.id)).toMatchObject({ state: 'running', crashes: 0 });

    // a dies without a word (its runtime simply stops reporting); the publisher comes back on b.
    b.ladderState(app, key, 'starting', undefined);
    await settled('waiting', 'b took the job over');
    expect(b.service.get(job.id).history.at(-1)).toMatchObject({ state: 'waiting', reason: LADDER_MOVED_REASON });
    b.ladderState(app, key, 'running', undefined);
    await settled('running', 'running on b');
    // a was only frozen: its late reports (its publisher left, its ffmpeg crashed) change nothing.
    a.ladderState(app, key, 'waiting', undefined);
    a.crashed(app, key, 'a\'s stale ffmpeg', undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(a.service.get(job.id)).toMatchObject({ state: 'running', crashes: 0 });
    expect(b.service.get(job.id)).toMatchObject({ state: 'running', crashes: 0 });
    // b's own crash and departure are written.
    b.crashed(app, key, 'b\'s ffmpeg', undefined);
    await waitUntil(() => a.service.get(job.id).crashes === 1, 2000, 'b\'s crash seen by a');
    expect(b.service.get(job.id).history.map((h) => h.state)).toEqual(['created', 'waiting', 'running', 'waiting', 'running']);

    // A stop through a's API ends the stream on b, where it is published.
    ended.b.length = 0;
    await a.stop(job.id);
    await waitUntil(() => ended.b.includes(`${app}/${key}`), 2000, 'b ended the stream');
    b.ladderState(app, key, 'waiting', undefined);
    await new Promise((r) => setTimeout(r, 200));
    expect(a.service.get(job.id).state).toBe('stopped');
    expect(b.service.get(job.id).state).toBe('stopped');
    // A delete through b ends it on a too (wherever it might be published).
    ended.a.length = 0;
    await b.service.resume(job.id);
    await b.service.delete(job.id);
    await waitUntil(() => ended.a.includes(`${app}/${key}`), 2000, 'a ended the deleted job\'s stream');
  });

  it('one server (not shared): a running job is waiting again after a restart, as before', async () => {
    const prefix = `single${++prefixes}:`;
    const first = await JobRuntime.open({ store: store(prefix) }, { endStream: async () => undefined });
    const job = await first.service.create(BODY);
    first.ladderState(job.app, job.streamKey, 'starting', undefined);
    first.ladderState(job.app, job.streamKey, 'running', undefined);
    await waitUntil(() => first.service.get(job.id).state === 'running', 2000, 'running');
    await first.close();
    const second = await JobRuntime.open({ store: store(prefix) }, { endStream: async () => undefined });
    closers.push(() => second.close());
    expect(second.service.get(job.id).history.at(-1)).toMatchObject({ state: 'waiting', reason: 'the server restarted' });
    const shared = await JobRuntime.open({ store: store(prefix), shared: true }, { endStream: async () => undefined });
    closers.push(() => shared.close());
    expect(shared.service.get(job.id).state).toBe('waiting');
  });
});

describe('the CLI\'s job store (serve.ts jobsOptions)', () => {
  const cluster = { redisUrl: 'redis://10.0.0.5:6379' };
  it('in a cluster with no `redis` setting: the cluster\'s Redis under its prefix, shared', async () => {
    const options = jobsOptions({ redis: 'off', jobsFile: 'jobs.json', cluster });
    expect(options.shared).toBe(true);
    expect(options.store).toBeInstanceOf(RedisJobStore);
    expect((options.store as RedisJobStore).key).toBe('tc:jobs');
    expect((options.store as RedisJobStore).where).toContain('redis://10.0.0.5:6379');
    expect((jobsOptions({ redis: 'off', jobsFile: 'jobs.json', cluster: { ...cluster, prefix: 'c2:' } }).store as RedisJobStore).key).toBe('c2:jobs');
    await options.store.close();
  });
  it('`redis` wins when set (shared in a cluster); without either, the file', async () => {
    const set = jobsOptions({ redis: 'redis://127.0.0.1:6380', jobsFile: 'jobs.json', cluster });
    expect(set).toMatchObject({ shared: true });
    expect((set.store as RedisJobStore).key).toBe('tidecast:jobs');
    const alone = jobsOptions({ redis: 'redis://127.0.0.1:6380', jobsFile: 'jobs.json' });
    expect(alone.shared).toBeUndefined();
    const file = jobsOptions({ redis: 'off', jobsFile: 'jobs.json' });
    expect(file.store).toBeInstanceOf(JsonFileJobStore);
    await Promise.all([set.store.close(), alone.store.close(), file.store.close()]);
  });
});
