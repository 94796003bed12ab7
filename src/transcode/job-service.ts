import { EventEmitter } from 'eventemitter3';
import { streamNameProblem } from '../config/index.js';
import { TranscodeError } from '../errors/index.js';
import { JOB_ID_BYTES, STREAM_KEY_BYTES, newJob, randomToken, resumeJob, transitionJob, withJobCrash, withJobError, type Job, type JobState } from './job-model.js';
import { parseJobRequest, type JobSpec } from './job-spec.js';
import { unavailableJobStore, type JobStore } from './job-store.js';

/**
 * The live jobs of one server: what the job API (src/http) asks for and what the ladder runtime
 * (src/server) reports, kept in memory and persisted in a JobStore.
 *
 * Every change runs one at a time, in call order: decide on the job as it is now (the pure
 * functions of job-model.ts), persist, then update memory and emit `change`. A change the store
 * refuses is not made (memory stays as stored) and its call rejects with the store's error.
 * Reads (`get`, `list`, `byStreamKey`) are synchronous, from memory.
 *
 * Over a store several servers share (one with `watch`: RedisJobStore, docs/cluster.md "Jobs
 * across origins"), the other servers' changes are applied to memory as they come and emitted
 * like this server's own, marked 'remote'; every (re)subscription reloads the whole store and
 * applies the difference, because changes announced while the subscription was down are lost.
 * A change is written with the store's compare-and-set (`replace`) over the version it was
 * decided on: when another server changed the job meanwhile, the service reads it again, applies
 * it (a 'remote' change) and decides again on it, so no change is made on a stale copy.
 *
 * At open, jobs are loaded as they were stored, `running` ones included: the runtime re-arms them
 * (`running` with no publisher back becomes `waiting` through `transition`).
 */

/** Whose change an event tells: this service's own call, or another server's through a shared store. */
export type JobChangeOrigin = 'local' | 'remote';

export interface JobServiceEvents {
  /** A job was created or changed; the change is persisted when this fires. Listeners must not throw. */
  change: [job: Job, origin: JobChangeOrigin];
  /** A job was deleted (as it last was): the runtime stops its ladder if it runs one. */
  delete: [job: Job, origin: JobChangeOrigin];
}

export interface JobServiceOptions {
  readonly store: JobStore;
  /** The clock, ms since the epoch. Default Date.now. */
  readonly now?: () => number;
  /** `bytes` random bytes as url-safe text, for ids and stream keys. Default randomToken (node:crypto). */
  readonly randomId?: (bytes: number) => string;
}

/** For the runtime's reports: whether to make the change, asked of the job as stored (after every conflict, again). */
export type JobCondition = (job: Job) => boolean;

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
/** Compare-and-set attempts of one change: each lost one means another server changed the job in that round trip. */
const MAX_CONFLICTS = 16;

export class JobService extends EventEmitter<JobServiceEvents> {
  readonly #store: JobStore;
  readonly #now: () => number;
  readonly #randomId: (bytes: number) => string;
  /** By id, in creation (seq) order. */
  #jobs = new Map<string, Job>();
  /** `<app>/<streamKey>` → id. */
  readonly #byKey = new Map<string, string>();
  #lastSeq = 0;
  /** The latest job in creation order ever indexed (a deleted one included: at worst one needless sort). */
  #newest: Job | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(options: JobServiceOptions) {
    super();
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#randomId = options.randomId ?? randomToken;
  }

  /**
   * A service over the jobs `store` holds (rejects with the store's error when it cannot load them);
   * over a shared store, watching the other servers' changes from then on.
   */
  static async open(options: JobServiceOptions): Promise<JobService> {
    const service = new JobService(options);
    const jobs = await options.store.load();
    for (const job of jobs.sort(creationOrder)) service.#index(job);
    await options.store.watch?.({
      changed: (id) => service.#background(() => service.#reread(id)),
      resync: () => service.#background(() => service.#resync()),
    });
    return service;
  }

  /** Whether other servers share the store (it tells their changes): then 'remote' changes come. */
  get shared(): boolean {
    return this.#store.watch !== undefined;
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
      for (let attempt = 1; ; attempt++) {
        if (this.#jobs.size >= MAX_JOBS) {
          throw new TranscodeError('ERR_TRANSCODE_JOB_LIMIT', `the server keeps at most ${MAX_JOBS} live jobs; delete one first`, { limit: MAX_JOBS });
        }
        const atMs = this.#now();
        const created = transitionJob(newJob({ id: this.#freshId(), seq: this.#lastSeq + 1, streamKey: this.#freshKey(spec.app), spec, atMs }), 'waiting', atMs);
        // A shared store refuses an id another server took meanwhile: draw again.
        if (await this.#write(created, undefined)) return created;
        if (attempt >= MAX_CONFLICTS) throw this.#conflict(created.id);
        await this.#reread(created.id);
      }
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
    return this.#serial(() => this.#update(id, (job) => transitionJob(job, 'stopped', this.#now(), reason)));
  }

  /** stopped|failed → waiting, with the same id, key and URLs; the crash count starts again. */
  resume(id: string): Promise<Job> {
    return this.#serial(() => this.#update(id, (job) => resumeJob(job, this.#now())));
  }

  /** Removes the job in any state; emits `delete` once the store has removed it. */
  delete(id: string): Promise<void> {
    return this.#serial(async () => {
      const job = this.get(id);
      await this.#store.delete(id);
      this.#forget(job);
      this.emit('delete', job, 'local');
    });
  }

  /**
   * For the runtime: `id` to `state` (running when its publisher is on, waiting when it left, failed);
   * failed's reason is also its last error. With `when`, only if it holds of the job as stored
   * (else the job is answered as it is, unchanged).
   */
  transition(id: string, state: JobState, reason?: string, when?: JobCondition): Promise<Job> {
    return this.#serial(() =>
      this.#update(id, (job) => {
        if (when !== undefined && !when(job)) return undefined;
        const atMs = this.#now();
        const moved = transitionJob(job, state, atMs, reason);
        return state === 'failed' && reason !== undefined ? withJobError(moved, reason, atMs) : moved;
      }),
    );
  }

  /** For the runtime: `message` becomes the job's last error (with `when`: as `transition`). */
  recordError(id: string, message: string, when?: JobCondition): Promise<Job> {
    return this.#serial(() => this.#update(id, (job) => (when !== undefined && !when(job) ? undefined : withJobError(job, message, this.#now()))));
  }

  /** For the runtime: the ladder crashed with `message`; it retries at `retryAtMs` (its backoff), if it does (with `when`: as `transition`). */
  recordCrash(id: string, message: string, retryAtMs?: number, when?: JobCondition): Promise<Job> {
    return this.#serial(() => this.#update(id, (job) => (when !== undefined && !when(job) ? undefined : withJobCrash(job, message, this.#now(), retryAtMs))));
  }

  /** Waits for the changes already called, then closes the store (and stops watching it). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    await this.#store.close();
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Another server's change, applied in turn with this server's calls; a failure (the store away) waits for the next resync. */
  #background(op: () => Promise<void>): void {
    if (this.#closed) return;
    void this.#serial(() => (this.#closed ? Promise.resolve() : op())).catch(() => undefined);
  }

  /**
   * `decide` on the job as this service holds it, stored over that version; when the store says
   * another server changed it meanwhile, the job is read again and decided on again. `decide`
   * answering undefined changes nothing (in a shared store, once it said so of the job as stored).
   */
  async #update(id: string, decide: (job: Job) => Job | undefined): Promise<Job> {
    let fresh = false;
    for (let attempt = 1; ; attempt++) {
      const current = this.get(id);
      const next = decide(current);
      if (next === undefined) {
        // "No change" writes nothing, so no compare-and-set checks it: in a shared store, ask the stored job once.
        if (fresh || this.#store.get === undefined) return current;
        fresh = true;
        await this.#reread(id);
        continue;
      }
      if (await this.#write(next, current)) return next;
      fresh = true;
      if (attempt >= MAX_CONFLICTS) throw this.#conflict(id);
      await this.#reread(id);
    }
  }

  /** Persists `job` over `previous` (a compare-and-set where the store has one); true once stored, indexed and emitted. */
  async #write(job: Job, previous: Job | undefined): Promise<boolean> {
    if (this.#store.replace !== undefined) {
      if (!(await this.#store.replace(job, previous))) return false;
    } else {
      await this.#store.put(job);
    }
    this.#index(job);
    this.emit('change', job, 'local');
    return true;
  }

  #conflict(id: string): TranscodeError {
    return unavailableJobStore(`job ${id}`, 'put', new Error(`another server changed the job under each of ${MAX_CONFLICTS} attempts`));
  }

  /** The job `id` as stored now, applied to memory. */
  async #reread(id: string): Promise<void> {
    const stored = this.#store.get !== undefined ? await this.#store.get(id) : (await this.#store.load()).find((job) => job.id === id);
    this.#apply(id, stored);
  }

  /** Every job as stored now, applied to memory: what changed, what came, what went. */
  async #resync(): Promise<void> {
    const stored = await this.#store.load();
    const ids = new Set(stored.map((job) => job.id));
    for (const id of [...this.#jobs.keys()]) if (!ids.has(id)) this.#apply(id, undefined);
    for (const job of stored.sort(creationOrder)) this.#apply(job.id, job);
  }

  /** Another server's version of job `id` (undefined: deleted) into memory, emitted as 'remote' when it differs. */
  #apply(id: string, stored: Job | undefined): void {
    const current = this.#jobs.get(id);
    if (stored === undefined) {
      if (current === undefined) return;
      this.#forget(current);
      this.emit('delete', current, 'remote');
      return;
    }
    if (current !== undefined && JSON.stringify(current) === JSON.stringify(stored)) return;
    this.#index(stored);
    this.emit('change', stored, 'remote');
  }

  #index(job: Job): void {
    const known = this.#jobs.has(job.id);
    this.#jobs.set(job.id, job);
    if (!known) {
      // Another server's job can come after a later one (both made at once): keep creation order.
      if (this.#newest !== undefined && creationOrder(this.#newest, job) > 0) this.#jobs = new Map([...this.#jobs.values()].sort(creationOrder).map((j) => [j.id, j]));
      else this.#newest = job;
    }
    this.#byKey.set(`${job.app}/${job.streamKey}`, job.id);
    this.#lastSeq = Math.max(this.#lastSeq, job.seq);
  }

  #forget(job: Job): void {
    this.#jobs.delete(job.id);
    if (this.#byKey.get(`${job.app}/${job.streamKey}`) === job.id) this.#byKey.delete(`${job.app}/${job.streamKey}`);
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

/** Creation order: seq, then (two servers may give one seq at once) creation time, then id. */
function creationOrder(a: Job, b: Job): number {
  return a.seq - b.seq || a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
