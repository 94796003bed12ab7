import { TranscodeError } from '../errors/index.js';
import { jobShapeProblem, type Job } from './job-model.js';

/**
 * Where live jobs persist, so a restart finds them: JsonFileJobStore (a state file, the default)
 * or RedisJobStore. A store is written by one JobService per server, which serializes its calls; a
 * store still keeps two writes from interleaving on its own.
 *
 * A store several servers share (RedisJobStore: the origins of a cluster, docs/cluster.md "Jobs
 * across origins") also has `get`, `replace` and `watch`: each server's JobService reads the other
 * servers' changes as they are made, and writes a job only over the version it decided on (a
 * compare-and-set), so two servers never overwrite each other's change unseen. The file store has
 * none of them: one process owns its file.
 *
 * Failures are rejections with a TranscodeError: ERR_TRANSCODE_JOB_STORE_CORRUPT when what is
 * stored is not jobs (the file or key named, nothing reset or overwritten), and
 * ERR_TRANSCODE_JOB_STORE_UNAVAILABLE when the store cannot be reached or written (the cause kept).
 */
export interface JobStore {
  /** Every stored job, in no particular order. */
  load(): Promise<Job[]>;
  /** Stores `job`, replacing the one with its id; resolves once it is durable. */
  put(job: Job): Promise<void>;
  /** Removes the job `id`; nothing when there is none. */
  delete(id: string): Promise<void>;
  /** Finishes pending writes and lets go of the file or connection. */
  close(): Promise<void>;
  /** The job `id` as stored now, or undefined when there is none (a shared store). */
  get?(id: string): Promise<Job | undefined>;
  /**
   * Stores `job` only if the stored job of its id is still `previous` (JSON-equal; undefined: none is
   * stored). Resolves true when it was stored, false when another writer changed or deleted it (or
   * made one of that id) in the meantime: read it again and decide again (a shared store).
   */
  replace?(job: Job, previous: Job | undefined): Promise<boolean>;
  /**
   * Tells `watcher` of the changes other writers make (not this instance's own), from now until
   * close (a shared store). Resolves once the first subscription is made; a store that cannot be
   * reached then keeps trying in the background and says `resync` when it gets through.
   */
  watch?(watcher: JobStoreWatcher): Promise<void>;
}

/** What a shared store tells its watcher. Listeners must not throw. */
export interface JobStoreWatcher {
  /** Another writer put or deleted the job `id`: read it again (`get`). */
  changed(id: string): void;
  /** Changes may have been missed (the subscription was made, or made again after a disconnection): load every job again. */
  resync(): void;
}

/** ERR_TRANSCODE_JOB_STORE_CORRUPT: `where` (a file path, a Redis key and field) holds no job. */
export function corruptJobStore(where: string, problem: string, cause?: unknown): TranscodeError {
  return new TranscodeError('ERR_TRANSCODE_JOB_STORE_CORRUPT', `job store ${where} ${problem}: fix or move it away (nothing was overwritten)`, { where }, { cause });
}

/** ERR_TRANSCODE_JOB_STORE_UNAVAILABLE: `what` failed on `where`, with the underlying error as the cause. */
export function unavailableJobStore(where: string, what: string, cause: unknown): TranscodeError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new TranscodeError('ERR_TRANSCODE_JOB_STORE_UNAVAILABLE', `job store ${where}: ${what} failed: ${reason}`, { where, what }, { cause });
}

/** `text` (one stored job as JSON) as a Job, or ERR_TRANSCODE_JOB_STORE_CORRUPT naming `where`. */
export function parseStoredJob(text: string, where: string): Job {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw corruptJobStore(where, `is not JSON (${(err as Error).message})`, err);
  }
  return checkStoredJob(value, where);
}

/** `value` as a Job, or ERR_TRANSCODE_JOB_STORE_CORRUPT naming `where`. */
export function checkStoredJob(value: unknown, where: string): Job {
  const problem = jobShapeProblem(value);
  if (problem !== undefined) throw corruptJobStore(where, `holds a job that ${problem}`);
  return value as Job;
}
