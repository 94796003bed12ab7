import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isValidStreamName } from '../../src/config/index.js';
import { LadderSpecError } from '../../src/transcode/ladder-spec.js';
import type { Job } from '../../src/transcode/job-model.js';
import { JobService, MAX_JOBS, MAX_JOB_LIST_LIMIT } from '../../src/transcode/job-service.js';
import { JsonFileJobStore } from '../../src/transcode/job-store-file.js';
import { RedisJobStore } from '../../src/transcode/job-store-redis.js';
import type { JobStore } from '../../src/transcode/job-store.js';
import { REDIS_SKIP_REASON, startRedis } from '../helpers/redis.js';

/** The job service over both stores: the API's calls, the runtime's reports, and what a restart finds. */

const EZLS = JSON.parse(readFileSync(new URL('../../fixtures/jobs/ezls-sample-job.json', import.meta.url), 'utf8')) as unknown;
const BODY = { ladder: 'default', output: { segmentSeconds: 2 } };

interface Backend {
  fresh(): void;
  open(): JobStore;
  end(): Promise<void>;
}

const backends: [string, () => Promise<Backend>, string][] = [
  [
    'JsonFileJobStore',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tidecast-job-service-'));
      let n = 0;
      let path = '';
      return { fresh: () => (path = join(dir, `jobs-${++n}.json`)), open: () => new JsonFileJobStore(path), end: () => rm(dir, { recursive: true, force: true }) };
    },
    '',
  ],
  [
    'RedisJobStore',
    async () => {
      const server = await startRedis();
      let n = 0;
      let prefix = '';
      return { fresh: () => (prefix = `service${++n}:`), open: () => new RedisJobStore({ url: server.url, prefix }), end: () => server.stop() };
    },
    REDIS_SKIP_REASON,
  ],
];

for (const [name, setup, skipReason] of backends) describe.skipIf(skipReason !== '')(`JobService over ${name}${skipReason}`, () => {
  let backend: Backend;
  let clockMs = 0;
  const services: JobService[] = [];
  const open = async (store = backend.open()): Promise<JobService> => {
    const service = await JobService.open({ store, now: () => (clockMs += 10) });
    services.push(service);
    return service;
  };

  beforeAll(async () => {
    backend = await setup();
  });
  beforeEach(() => backend.fresh());
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.close().catch(() => undefined)));
  });
  afterAll(async () => backend?.end());

  it('create: a waiting job with a fresh id and secret key, persisted before it resolves', async () => {
    const service = await open();
    const changes: Job[] = [];
    service.on('change', (job) => changes.push(job));
    const job = await service.create(BODY);
    expect(job).toMatchObject({ app: 'live', state: 'waiting', crashes: 0, spec: { preset: 'default', output: { segmentSeconds: 2 } } });
    expect(job.history.map((e) => e.state)).toEqual(['created', 'waiting']);
    expect(job.id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(job.streamKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(isValidStreamName(job.streamKey)).toBe(true);
    expect(await backend.open().load()).toEqual([job]);
    expect(changes).toEqual([job]);
    expect(service.get(job.id)).toBe(job);
    expect(service.byStreamKey('live', job.streamKey)).toBe(job);
    expect(service.byStreamKey('other', job.streamKey)).toBeUndefined();
  });

  it("create takes ezLiveStreaming's format too", async () => {
    const job = await (await open()).create(EZLS);
    expect(job.spec.format).toBe('ezls');
    expect(job.spec.ladder.rungs.map((r) => r.name)).toEqual(['video2400k', 'video1200k', 'video600k']);
  });

  it('a bad body is LadderSpecError and stores nothing', async () => {
    const service = await open();
    await expect(service.create({ ladder: { rungs: [{ codec: 'h264', height: 481, bitrateKbps: 500 }] } })).rejects.toBeInstanceOf(LadderSpecError);
    expect(service.list().jobs).toEqual([]);
    expect(await backend.open().load()).toEqual([]);
  });

  it('list: pages in creation order, with a cursor', async () => {
    const service = await open();
    const created = await Promise.all(Array.from({ length: 7 }, () => service.create(BODY)));
    expect(created.map((j) => j.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const first = service.list({ limit: 3 });
    const second = service.list({ limit: 3, after: first.next! });
    const third = service.list({ limit: 3, after: second.next! });
    expect([first.jobs, second.jobs, third.jobs].flat()).toEqual(created);
    expect([first.next, second.next, third.next]).toEqual([created[2]!.id, created[5]!.id, undefined]);
    expect(service.list().jobs).toEqual(created);
    expect(service.list({ limit: 0 }).jobs).toEqual([created[0]]);
    expect(service.list({ limit: MAX_JOB_LIST_LIMIT * 10 }).jobs).toHaveLength(7);
    expect(service.list({ limit: 7 }).next).toBeUndefined();
    expect(() => service.list({ after: 'gone' })).toThrow(expect.objectContaining({ code: 'ERR_TRANSCODE_JOB_NOT_FOUND' }));
  });

  it('stop and resume keep the id, key and spec; a wrong state is ERR_TRANSCODE_JOB_STATE', async () => {
    const service = await open();
    const job = await service.create(BODY);
    const stopped = await service.stop(job.id);
    expect(stopped).toMatchObject({ id: job.id, streamKey: job.streamKey, spec: job.spec, state: 'stopped' });
    expect(stopped.history.at(-1)).toMatchObject({ state: 'stopped', reason: 'stopped by the API' });
    await expect(service.stop(job.id)).rejects.toMatchObject({ code: 'ERR_TRANSCODE_JOB_STATE', details: { from: 'stopped', to: 'stopped' } });
    const resumed = await service.resume(job.id);
    expect(resumed).toMatchObject({ id: job.id, streamKey: job.streamKey, state: 'waiting' });
    await expect(service.resume(job.id)).rejects.toMatchObject({ code: 'ERR_TRANSCODE_JOB_STATE', details: { from: 'waiting' } });
    expect((await backend.open().load())[0]).toEqual(resumed);
  });

  it('delete removes the job everywhere and says so', async () => {
    const service = await open();
    const [keep, gone] = [await service.create(BODY), await service.create(BODY)];
    const deleted: Job[] = [];
    service.on('delete', (job) => deleted.push(job));
    await service.delete(gone.id);
    expect(deleted).toEqual([gone]);
    expect(service.list().jobs).toEqual([keep]);
    expect(service.byStreamKey('live', gone.streamKey)).toBeUndefined();
    expect(await backend.open().load()).toEqual([keep]);
  });

  it('an unknown id is ERR_TRANSCODE_JOB_NOT_FOUND for every call', async () => {
    const service = await open();
    const notFound = expect.objectContaining({ code: 'ERR_TRANSCODE_JOB_NOT_FOUND', details: { id: 'nope' } });
    expect(() => service.get('nope')).toThrow(notFound);
    await expect(service.stop('nope')).rejects.toEqual(notFound);
    await expect(service.resume('nope')).rejects.toEqual(notFound);
    await expect(service.delete('nope')).rejects.toEqual(notFound);
    await expect(service.transition('nope', 'running')).rejects.toEqual(notFound);
    await expect(service.recordError('nope', 'x')).rejects.toEqual(notFound);
    await expect(service.recordCrash('nope', 'x')).rejects.toEqual(notFound);
  });

  it("the runtime's reports: running, waiting, crashes, failed with its error", async () => {
    const service = await open();
    const { id } = await service.create(BODY);
    expect((await service.transition(id, 'running', 'publisher on')).state).toBe('running');
    expect((await service.transition(id, 'waiting', 'publisher left')).state).toBe('waiting');
    await service.transition(id, 'running');
    const retryAtMs = clockMs + 1000;
    const crashed = await service.recordCrash(id, 'ffmpeg exited with code 1', retryAtMs);
    expect(crashed).toMatchObject({ state: 'running', crashes: 1, retryAtMs, lastError: { message: 'ffmpeg exited with code 1' } });
    const failed = await service.transition(id, 'failed', 'ffmpeg cannot start: libx265 missing');
    expect(failed).toMatchObject({ state: 'failed', lastError: { message: 'ffmpeg cannot start: libx265 missing', atMs: failed.updatedAtMs } });
    expect((await service.recordError(id, 'later')).lastError!.message).toBe('later');
    const resumed = await service.resume(id);
    expect(resumed).toMatchObject({ state: 'waiting', crashes: 0 });
    expect(resumed).not.toHaveProperty('retryAtMs');
    await expect(service.transition(id, 'created')).rejects.toMatchObject({ code: 'ERR_TRANSCODE_JOB_STATE' });
  });

  it('concurrent calls are applied one by one, each persisted', async () => {
    const service = await open();
    const job = await service.create(BODY);
    const results = await Promise.allSettled([service.transition(job.id, 'running'), service.stop(job.id), service.stop(job.id), service.resume(job.id), service.create(BODY)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(service.get(job.id).history.map((e) => e.state)).toEqual(['created', 'waiting', 'running', 'stopped', 'waiting']);
    expect((await backend.open().load()).sort((a, b) => a.seq - b.seq)).toEqual(service.list().jobs);
  });

  it('a reopen (a restart) finds every job as it was, running ones included, in order', async () => {
    const service = await open();
    const jobs = [];
    for (let i = 0; i < 5; i++) jobs.push(await service.create(i % 2 === 0 ? BODY : EZLS));
    await service.transition(jobs[0]!.id, 'running');
    await service.stop(jobs[1]!.id);
    await service.delete(jobs[2]!.id);
    await service.transition(jobs[3]!.id, 'failed', 'no encoder');
    const before = service.list().jobs;
    await service.close();
    const again = await open();
    expect(again.list().jobs).toEqual(before);
    expect(before.map((j) => j.state)).toEqual(['running', 'stopped', 'failed', 'waiting']);
    expect(again.byStreamKey('live', jobs[4]!.streamKey)?.id).toBe(jobs[4]!.id);
    const next = await again.create(BODY);
    expect(next.seq).toBe(6);
    expect(again.list().jobs.at(-1)).toEqual(next);
  });

  it("a change the store refuses is not made: memory stays as stored, no event", async () => {
    const store = backend.open();
    const service = await open({ load: () => store.load(), put: async (job) => (job.state === 'stopped' ? Promise.reject(new Error('disk full')) : store.put(job)), delete: (id) => store.delete(id), close: () => store.close() });
    const job = await service.create(BODY);
    const changes: Job[] = [];
    service.on('change', (j) => changes.push(j));
    await expect(service.stop(job.id)).rejects.toThrow('disk full');
    expect(service.get(job.id)).toBe(job);
    expect(changes).toEqual([]);
    expect((await service.transition(job.id, 'running')).state).toBe('running');
  });
});

describe('JobService ids', () => {
  it('draws again when an id or key is taken, and refuses a randomId that is not random', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidecast-job-ids-'));
    try {
      const tokens = ['id-a', 'key-a', 'id-a', 'id-b', 'key-a', 'key-b'];
      const service = await JobService.open({ store: new JsonFileJobStore(join(dir, 'jobs.json')), randomId: () => tokens.shift() ?? 'same' });
      const a = await service.create(BODY);
      const b = await service.create(BODY);
      expect([a.id, a.streamKey, b.id, b.streamKey]).toEqual(['id-a', 'key-a', 'id-b', 'key-b']);
      await expect(service.create(BODY)).resolves.toMatchObject({ id: 'same' });
      await expect(service.create(BODY)).rejects.toThrow('randomId gave 16 taken or invalid tokens in a row');
      await service.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('JobService: a bounded number of jobs', () => {
  it(`refuses job ${MAX_JOBS + 1} with ERR_TRANSCODE_JOB_LIMIT, and takes one again after a delete`, async () => {
    const store = { load: async () => [], put: async () => undefined, delete: async () => undefined, close: async () => undefined };
    const service = await JobService.open({ store });
    let last: Job | undefined;
    for (let i = 0; i < MAX_JOBS; i++) last = await service.create({ ladder: 'default' });
    await expect(service.create({ ladder: 'default' })).rejects.toMatchObject({ code: 'ERR_TRANSCODE_JOB_LIMIT', details: { limit: MAX_JOBS } });
    await service.delete(last!.id);
    await expect(service.create({ ladder: 'default' })).resolves.toMatchObject({ state: 'waiting' });
  }, 60_000);
});
