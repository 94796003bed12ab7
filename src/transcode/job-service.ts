import { EventEmitter } from 'eventemitter3';
import { streamNameProblem } from '../config/index.js';
import { TranscodeError } from '../errors/index.js';
import { JOB_ID_BYTES, STREAM_KEY_BYTES, newJob, randomToken, resumeJob, transitionJob, withJobCrash, withJobError, type Job, type JobState } from './job-model.js';
import { parseJobRequest, type JobSpec } from './job-spec.js';
import type { JobStore } from './job-store.js';

/**
 * The live jobs of one server: what the job API (src/http) asks for and what the ladder runtime
 * (src/server) reports, kept in memory and persisted in a JobStore.
 *
 * Every change runs one at a time, in call order: decide on the job as it is now (the pure
 * functions of job-model.ts), persist, then update memory and emit `change`. A change the store
 * refuses is not made (memory stays as stored) and its call rejects with the store's error.
 * Reads (`get`, `list`, `byStreamKey`) are synchronous, from memory.
 *
 * At open, jobs are loaded as they were stored, `running` ones included: the runtime re-arms them
 * (`running` with no publisher back becomes `waiting` through `transition`).
 */

export interface JobServiceEvents {
  /** A job was created or changed; the change is persisted when this fires. Listeners must not throw. */
  change: [job: Job];
  /** A job was deleted (as it last was): the runtime stops its ladder if it runs one. */
  delete: [job: Job];
}

export interface JobServiceOptions {
  readonly store: JobStore;
  /** The clock, ms since the epoch. Default Date.now. */
  readonly now?: () => number;
  /** `bytes` random bytes as url-safe text, for ids and stream keys. Default randomToken (node:crypto). */
  readonly randomId?: (bytes: number) => string;
}

export interface JobListOptions {
  /** Jobs per page, 1 to MAX_JOB_LIST_LIMIT (beyond: held to the nearest end). Default DEFAULT_JOB_LIST_LIMIT. */
  readonly limit?: number;
  /** The `next` of the previous page: the jobs created after this one. */
  readonly after?: string;
}

export interface JobPage {
  /** In creation order. */
  readonly jobs: readonly Job[];
  /** The cursor of the next page, when there are more jobs. */
  readonly next?: string;
}

/** A page of the job list: 50 by default, at most 500 (a few hundred kB of JSON). */
export const DEFAULT_JOB_LIST_LIMIT = 50;
/** Jobs kept at once: every one is a stream key, a file or Redis entry and a ladder waiting to run; a client's loop must not grow them without end. */
export const MAX_JOBS = 10_000;
export const MAX_JOB_LIST_LIMIT = 500;

/** Draws of a fresh id before giving up: a repeat of 96 random bits is a broken `randomId`, not chance. */
const MAX_ID_DRAWS = 16;

export class JobService extends EventEmitter<JobServiceEvents> {
  readonly #store: JobStore;
  readonly #now: () => number;
  readonly #randomId: (bytes: number) => string;
  /** By id, in creation (seq) order. */
  readonly #jobs = new Map<string, Job>();
  /** `<app>/<streamKey>` → id. */
  readonly #byKey = new Map<string, string>();
  #lastSeq = 0;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(options: JobServiceOptions) {
    super();
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#randomId = options.randomId ?? randomToken;
  }

  /** A service over the jobs `store` holds (rejects with the store's error when it cannot load them). */
  static async open(options: JobServiceOptions): Promise<JobService> {
    const service = new JobService(options);
    const jobs = await options.store.load();
    for (const job of jobs.sort((a, b) => a.seq - b.seq)) service.#index(job);
    return service;
  }

  /** A new job from a request body (parseJobRequest), `waiting` for its publisher once persisted; LadderSpecError for a bad body. */
  create(body: unknown): Promise<Job> {
    let spec: JobSpec;
    try {
      spec = parseJobRequest(body);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#serial(async () => {
      if (this.#jobs.size >= MAX_JOBS) {
        throw new TranscodeError('ERR_TRANSCODE_JOB_LIMIT', `the server keeps at most ${MAX_JOBS} live jobs; delete one first`, { limit: MAX_JOBS });
      }
      const atMs = this.#now();
      const created = newJob({ id: this.#freshId(), seq: this.#lastSeq + 1, streamKey: this.#freshKey(spec.app), spec, atMs });
      return this.#save(transitionJob(created, 'waiting', atMs));
    });
  }

  /** The job `id`, or ERR_TRANSCODE_JOB_NOT_FOUND. */
  get(id: string): Job {
    const job = this.#jobs.get(id);
    if (job === undefined) throw new TranscodeError('ERR_TRANSCODE_JOB_NOT_FOUND', `no job ${JSON.stringify(id)}`, { id });
    return job;
  }

  /** A page of jobs in creation order; an `after` that is no job (deleted since) is ERR_TRANSCODE_JOB_NOT_FOUND. */
  list(options: JobListOptions = {}): JobPage {
    const wanted = options.limit ?? DEFAULT_JOB_LIST_LIMIT;
    const limit = Number.isFinite(wanted) ? Math.min(Math.max(Math.floor(wanted), 1), MAX_JOB_LIST_LIMIT) : DEFAULT_JOB_LIST_LIMIT;
    const all = [...this.#jobs.values()];
    const start = options.after === undefined ? 0 : all.indexOf(this.get(options.after)) + 1;
    const jobs = all.slice(start, start + limit);
    const last = jobs.at(-1);
    return start + limit < all.length && last !== undefined ? { jobs, next: last.id } : { jobs };
  }

  /** The job publishing at `<app>/<streamKey>`, in whatever state, or undefined. */
  byStreamKey(app: string, streamKey: string): Job | undefined {
    const id = this.#byKey.get(`${app}/${streamKey}`);
    return id === undefined ? undefined : this.#jobs.get(id);
  }

  /** waiting|running → stopped; the job, its key and URLs are kept for a resume. */
  stop(id: string, reason = 'stopped by the API'): Promise<Job> {
    return this.#serial(() => this.#save(transitionJob(this.get(id), 'stopped', this.#now(), reason)));
  }

  /** stopped|failed → waiting, with the same id, key and URLs; the crash count starts again. */
  resume(id: string): Promise<Job> {
    return this.#serial(() => this.#save(resumeJob(this.get(id), this.#now())));
  }

  /** Removes the job in any state; emits `delete` once the store has removed it. */
  delete(id: string): Promise<void> {
    return this.#serial(async () => {
      const job = this.get(id);
      await this.#store.delete(id);
      this.#jobs.delete(id);
      this.#byKey.delete(`${job.app}/${job.streamKey}`);
      this.emit('delete', job);
    });
  }

  /** For the runtime: `id` to `state` (running when its publisher is on, waiting when it left, failed); failed's reason is also its last error. */
  transition(id: string, state: JobState, reason?: string): Promise<Job> {
    return this.#serial(() => {
      const atMs = this.#now();
      const moved = transitionJob(this.get(id), state, atMs, reason);
      return this.#save(state === 'failed' && reason !== undefined ? withJobError(moved, reason, atMs) : moved);
    });
  }

  /** For the runtime: `message` becomes the job's last error. */
  recordError(id: string, message: string): Promise<Job> {
    return this.#serial(() => this.#save(withJobError(this.get(id), message, this.#now())));
  }

  /** For the runtime: the ladder crashed with `message`; it retries at `retryAtMs` (its backoff), if it does. */
  recordCrash(id: string, message: string, retryAtMs?: number): Promise<Job> {
    return this.#serial(() => this.#save(withJobCrash(this.get(id), message, this.#now(), retryAtMs)));
  }

  /** Waits for the changes already called, then closes the store. */
  async close(): Promise<void> {
    await this.#queue;
    await this.#store.close();
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #save(job: Job): Promise<Job> {
    await this.#store.put(job);
    this.#index(job);
    this.emit('change', job);
    return job;
  }

  #index(job: Job): void {
    this.#jobs.set(job.id, job);
    this.#byKey.set(`${job.app}/${job.streamKey}`, job.id);
    this.#lastSeq = Math.max(this.#lastSeq, job.seq);
  }

  #freshId(): string {
    return this.#draw(JOB_ID_BYTES, (id) => !this.#jobs.has(id));
  }

  #freshKey(app: string): string {
    return this.#draw(STREAM_KEY_BYTES, (key) => streamNameProblem(key) === undefined && !this.#byKey.has(`${app}/${key}`));
  }

  #draw(bytes: number, fits: (token: string) => boolean): string {
    for (let i = 0; i < MAX_ID_DRAWS; i++) {
      const token = this.#randomId(bytes);
      if (fits(token)) return token;
    }
    throw new Error(`randomId gave ${MAX_ID_DRAWS} taken or invalid tokens in a row: it is not random`);
  }
}
