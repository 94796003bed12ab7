import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newJob, transitionJob, type Job } from '../../src/transcode/job-model.js';
import { parseJobRequest } from '../../src/transcode/job-spec.js';
import { JsonFileJobStore } from '../../src/transcode/job-store-file.js';
import { RedisJobStore } from '../../src/transcode/job-store-redis.js';
import type { JobStore } from '../../src/transcode/job-store.js';
import { REDIS_SKIP_REASON, redisServerPath, startRedis, type RedisServer } from '../helpers/redis.js';

/** One contract for every JobStore, run against the JSON file and a real redis-server; then each one's own failures. */

const SPEC = parseJobRequest({ ladder: 'default', output: { lowLatency: true } });

function job(n: number, atMs = 1000 + n): Job {
  return transitionJob(newJob({ id: `job-${n}`, seq: n, streamKey: `key-${n}`, spec: SPEC, atMs }), 'waiting', atMs + 1);
}

const byId = (a: Job, b: Job): number => a.id.localeCompare(b.id);

interface Backend {
  /** Moves to a new, empty location (a file, a prefix): each test starts there. */
  fresh(): void;
  /** A store instance on the current location; a second call is "the server restarted". */
  open(): JobStore;
  end(): Promise<void>;
}

function contract(name: string, setup: () => Promise<Backend>, skipReason = ''): void {
  describe.skipIf(skipReason !== '')(`JobStore contract: ${name}${skipReason}`, () => {
    let backend: Backend;
    const opened: JobStore[] = [];
    const open = (): JobStore => {
      const store = backend.open();
      opened.push(store);
      return store;
    };

    beforeAll(async () => {
      backend = await setup();
    });
    beforeEach(() => backend.fresh());
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });
    afterAll(async () => backend?.end());

    it('starts empty', async () => {
      expect(await open().load()).toEqual([]);
    });

    it('gives back what was put, through JSON', async () => {
      const store = open();
      const failed = { ...transitionJob(job(2), 'failed', 3000, 'ffmpeg exited'), lastError: { message: 'ffmpeg exited', atMs: 3000 } };
      await store.put(job(1));
      await store.put(failed);
      expect((await store.load()).sort(byId)).toEqual([job(1), failed]);
    });

    it('replaces a job with the same id, and deletes (an unknown id is nothing)', async () => {
      const store = open();
      await store.put(job(1));
      await store.put(job(2));
      const running = transitionJob(job(1), 'running', 5000);
      await store.put(running);
      await store.delete('job-2');
      await store.delete('no-such-job');
      expect(await store.load()).toEqual([running]);
    });

    it('a new instance on the same place (a restart) sees the jobs', async () => {
      const first = open();
      await Promise.all([1, 2, 3].map((n) => first.put(job(n))));
      await first.delete('job-2');
      await first.close();
      const second = open();
      expect((await second.load()).sort(byId)).toEqual([job(1), job(3)]);
      await second.put(job(4));
      expect((await open().load()).sort(byId)).toEqual([job(1), job(3), job(4)]);
    });

    it('concurrent puts are applied one by one in call order: all of them, and the last of one id', async () => {
      const store = open();
      const order: number[] = [];
      const puts = Array.from({ length: 60 }, (_, i) =>
        store.put(i < 40 ? job(i) : { ...job(7), updatedAtMs: 10_000 + i }).then(() => order.push(i)),
      );
      await Promise.all(puts);
      expect(order).toEqual(Array.from({ length: 60 }, (_, i) => i));
      const loaded = await open().load();
      expect(loaded).toHaveLength(40);
      expect(loaded.find((j) => j.id === 'job-7')!.updatedAtMs).toBe(10_059);
    });

    it('after close, the store refuses work', async () => {
      const store = open();
      await store.put(job(1));
      await store.close();
      await expect(store.put(job(2))).rejects.toMatchObject({ code: 'ERR_TRANSCODE_JOB_STORE_UNAVAILABLE' });
    });
  });
}

contract('JsonFileJobStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tidecast-jobs-'));
  let files = 0;
  let path = '';
  return {
    fresh: () => (path = join(dir, `jobs-${++files}.json`)),
    open: () => new JsonFileJobStore(path),
    end: () => rm(dir, { recursive: true, force: true }),
  };
});

contract(
  'RedisJobStore',
  async () => {
    const server = await startRedis();
    let prefixes = 0;
    let prefix = '';
    return {
      fresh: () => (prefix = `contract${++prefixes}:`),
      open: () => new RedisJobStore({ url: server.url, prefix }),
      end: () => server.stop(),
    };
  },
  REDIS_SKIP_REASON,
);

describe('JsonFileJobStore on its own', () => {
  let own = '';
  beforeAll(async () => {
    own = await mkdtemp(join(tmpdir(), 'tidecast-jobs-own-'));
  });
  afterAll(async () => rm(own, { recursive: true, force: true }));

  it('writes one job a line, 0600, through a temporary file that does not stay', async () => {
    const path = join(own, 'state', 'jobs.json');
    const store = new JsonFileJobStore(path);
    await Promise.all([1, 2, 3].map((n) => store.put(job(n))));
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')).toHaveLength(6);
    expect(JSON.parse(text)).toEqual({ version: 1, jobs: [job(1), job(2), job(3)] });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(own, 'state'))).toEqual(['jobs.json']);
    await store.close();
  });

  it.each([
    ['not JSON', '{"version":1,"jobs":[', 'is not JSON'],
    ['empty', '', 'is not JSON'],
    ['another format', '[]', 'is not a tidecast job file'],
    ['another version', '{"version":2,"jobs":[]}', 'is not a tidecast job file'],
    ['a job without an id', JSON.stringify({ version: 1, jobs: [{ ...job(1), id: 5 }] }), 'jobs[0] holds a job that has no id string'],
    ['an id twice', JSON.stringify({ version: 1, jobs: [job(1), job(1)] }), 'jobs[1] repeats the id job-1'],
  ])('a file that is %s is ERR_TRANSCODE_JOB_STORE_CORRUPT naming it, and is never overwritten', async (name, text, problem) => {
    const path = join(own, `corrupt-${name.replaceAll(' ', '-')}.json`);
    await writeFile(path, text);
    const store = new JsonFileJobStore(path);
    const err = await store.load().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_TRANSCODE_JOB_STORE_CORRUPT', details: { where: expect.stringContaining(path) } });
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain(problem);
    await expect(store.put(job(2))).rejects.toMatchObject({ code: 'ERR_TRANSCODE_JOB_STORE_CORRUPT' });
    await expect(new JsonFileJobStore(path).delete('job-1')).rejects.toMatchObject({ code: 'ERR_TRANSCODE_JOB_STORE_CORRUPT' });
    expect(await readFile(path, 'utf8')).toBe(text);
    await store.close();
  });

  it('a write that fails is ERR_TRANSCODE_JOB_STORE_UNAVAILABLE, and the next call still runs', async () => {
    const locked = join(own, 'locked');
    await mkdir(locked);
    const store = new JsonFileJobStore(join(locked, 'jobs.json'));
    await store.put(job(1));
    await chmod(locked, 0o500);
    try {
      // root ignores directory permissions: only check the refusal where it applies.
      const refused = await store.put(job(2)).then(
        () => false,
        (err: unknown) => {
          expect(err).toMatchObject({ code: 'ERR_TRANSCODE_JOB_STORE_UNAVAILABLE', details: { what: 'write' } });
          return true;
        },
      );
      if (refused) expect(await store.load()).toEqual([job(1)]);
    } finally {
      await chmod(locked, 0o700);
    }
    await store.put(job(3));
    expect((await new JsonFileJobStore(join(locked, 'jobs.json')).load()).map((j) => j.id)).toContain('job-3');
    await store.close();
  });

  it('a path whose parent is a file is ERR_TRANSCODE_JOB_STORE_UNAVAILABLE', async () => {
    const file = join(own, 'plain-file');
    await writeFile(file, 'x');
    const store = new JsonFileJobStore(join(file, 'jobs.json'));
    await expect(store.load()).rejects.toMatchObject({ code: 'ERR_TRANSCODE_JOB_STORE_UNAVAILABLE', details: { what: 'read' } });
    await expect(store.put(job(1))).rejects.toMatchObject({ code: 'ERR_TRANSCODE_JOB_STORE_UNAVAILABLE' });
    await store.close();
  });
});

describe.skipIf(redisServerPath === undefined)(`RedisJobStore on its own${REDIS_SKIP_REASON}`, () => {
  let server: RedisServer;
  let raw: Redis;
  beforeAll(async () => {
    server = await startRedis();
    raw = new Redis(server.url);
  });
  afterAll(async () => {
    await raw.quit();
    await server.stop();
  });

  it('keeps jobs in one hash, <prefix>jobs, field = id', async () => {
    const store = new RedisJobStore({ url: server.url, prefix: 'own:' });
    await store.put(job(1));
    expect(await raw.hkeys('own:jobs')).toEqual(['job-1']);
    expect(JSON.parse((await raw.hget('own:jobs', 'job-1'))!)).toEqual(job(1));
    expect(await new RedisJobStore({ url: server.url, prefix: 'other:' }).load()).toEqual([]);
    await store.close();
  });

  it('the default prefix is tidecast:', () => {
    expect(new RedisJobStore({ url: server.url }).key).toBe('tidecast:jobs');
  });

  it.each([
    ['not JSON', '{"id":'],
    ['not a job', '{"id":"job-9"}'],
  ])('a field that is %s is ERR_TRANSCODE_JOB_STORE_CORRUPT naming the key and field', async (_, text) => {
    await raw.hset('bad:jobs', 'job-9', text);
    const store = new RedisJobStore({ url: server.url, prefix: 'bad:' });
    const err = await store.load().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_TRANSCODE_JOB_STORE_CORRUPT' });
    expect((err as Error).message).toContain(`${server.url} key bad:jobs field job-9`);
    await store.close();
  });

  it('an unreachable Redis is a prompt ERR_TRANSCODE_JOB_STORE_UNAVAILABLE saying why, the password hidden', async () => {
    const dead = await startRedis();
    await dead.stop();
    const store = new RedisJobStore({ url: `redis://user:s3cret@127.0.0.1:${dead.port}`, connectTimeoutMs: 1000 });
    const startedMs = Date.now();
    const err = await store.load().catch((e: unknown) => e);
    expect(Date.now() - startedMs).toBeLessThan(5000);
    expect(err).toMatchObject({ code: 'ERR_TRANSCODE_JOB_STORE_UNAVAILABLE', details: { what: 'load' } });
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect((err as Error).message).toContain(`redis://user:***@127.0.0.1:${dead.port}`);
    expect((err as Error).message).not.toContain('s3cret');
    await expect(store.put(job(1))).rejects.toMatchObject({ code: 'ERR_TRANSCODE_JOB_STORE_UNAVAILABLE' });
    await store.close();
  });

  it('works again after its connection is dropped', async () => {
    const store = new RedisJobStore({ url: server.url, prefix: 'back:' });
    await store.put(job(1));
    await raw.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await expect.poll(async () => store.load().then((jobs) => jobs.length, () => -1), { timeout: 5000 }).toBe(1);
    await store.close();
  });

  it('closing a store that never connected resolves', async () => {
    await new RedisJobStore({ url: server.url }).close();
  });

  it('a URL that is not redis:// is ERR_CONFIG_INVALID', () => {
    expect(() => new RedisJobStore({ url: 'http://127.0.0.1:6379' })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    expect(() => new RedisJobStore({ url: 'not a url' })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });
});
