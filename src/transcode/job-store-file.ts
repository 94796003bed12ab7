import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Job } from './job-model.js';
import { checkStoredJob, corruptJobStore, unavailableJobStore, type JobStore } from './job-store.js';

/**
 * Jobs in one JSON state file, the default store: `{"version":1,"jobs":[…]}`, one job a line.
 *
 * Every change rewrites the whole file atomically: a temporary file in the same directory (so the
 * rename stays on one file system), written, fsynced, renamed over the old one, then the directory
 * fsynced so the rename itself survives a power cut. A crash at any point leaves the old file or
 * the new one, never a mix. Calls run one at a time in call order, so two puts never interleave
 * and the last one called is the one on disk. The file holds stream keys (secrets): it is created
 * 0600. One process owns the file; it is read once and then kept in memory.
 */

export const JOB_FILE_VERSION = 1;

export class JsonFileJobStore implements JobStore {
  /** The state file, absolute. */
  readonly path: string;
  #jobs: ReadonlyMap<string, Job> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #temps = 0;
  #closed = false;

  constructor(path: string) {
    this.path = resolve(path);
  }

  load(): Promise<Job[]> {
    return this.#serial('load', async () => {
      this.#jobs = undefined;
      return [...(await this.#current()).values()];
    });
  }

  put(job: Job): Promise<void> {
    return this.#serial('put', async () => {
      const jobs = new Map(await this.#current()).set(job.id, job);
      await this.#write(jobs);
      this.#jobs = jobs;
    });
  }

  delete(id: string): Promise<void> {
    return this.#serial('delete', async () => {
      const jobs = new Map(await this.#current());
      if (!jobs.delete(id)) return;
      await this.#write(jobs);
      this.#jobs = jobs;
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
  }

  /** `op` after every call before it, whether they succeeded or not. */
  #serial<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(unavailableJobStore(this.path, what, new Error('the store is closed')));
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #current(): Promise<ReadonlyMap<string, Job>> {
    this.#jobs ??= await this.#read();
    return this.#jobs;
  }

  async #read(): Promise<Map<string, Job>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw unavailableJobStore(this.path, 'read', err);
    }
    let file: unknown;
    try {
      file = JSON.parse(text);
    } catch (err) {
      throw corruptJobStore(this.path, `is not JSON (${(err as Error).message})`, err);
    }
    const record = typeof file === 'object' && file !== null ? (file as Record<string, unknown>) : {};
    if (record['version'] !== JOB_FILE_VERSION || !Array.isArray(record['jobs'])) {
      throw corruptJobStore(this.path, `is not a tidecast job file ({"version":${JOB_FILE_VERSION},"jobs":[…]})`);
    }
    const jobs = new Map<string, Job>();
    (record['jobs'] as unknown[]).forEach((value, i) => {
      const job = checkStoredJob(value, `${this.path} jobs[${i}]`);
      if (jobs.has(job.id)) throw corruptJobStore(`${this.path} jobs[${i}]`, `repeats the id ${job.id}`);
      jobs.set(job.id, job);
    });
    return jobs;
  }

  async #write(jobs: ReadonlyMap<string, Job>): Promise<void> {
    const dir = dirname(this.path);
    const temp = join(dir, `.${basename(this.path)}.${process.pid}.${++this.#temps}.tmp`);
    const lines = [...jobs.values()].map((job) => JSON.stringify(job));
    const text = `{"version":${JOB_FILE_VERSION},"jobs":[\n${lines.join(',\n')}\n]}\n`;
    try {
      await mkdir(dir, { recursive: true });
      const handle = await open(temp, 'w', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
      await syncDirectory(dir);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw unavailableJobStore(this.path, 'write', err);
    }
  }
}

/** fsync of a directory, so a rename in it is durable; file systems that refuse it (EINVAL, EISDIR on some) are left as they are. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw err;
  } finally {
    await handle.close();
  }
}
