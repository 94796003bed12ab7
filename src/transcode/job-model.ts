import { randomBytes } from 'node:crypto';
import { TranscodeError } from '../errors/index.js';
import type { JobSpec } from './job-spec.js';

/**
 * A live job and its state machine, as plain data: every change is a pure function from one Job
 * to the next (the service decides, then persists, then tells its listeners).
 *
 *   created ──► waiting ◄──────► running      waiting: the stream key waits for its publisher
 *                │    ▲            │          running: a publisher is on, the ladder encodes
 *                ▼    │ resume     ▼          stopped: by the API (kept, resumable)
 *           stopped, failed ◄──────┘          failed:  by the runtime (the ladder cannot run)
 */

export const JOB_STATES = ['created', 'waiting', 'running', 'stopped', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Every legal transition; anything else is ERR_TRANSCODE_JOB_STATE. */
export const JOB_TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  created: ['waiting'],
  waiting: ['running', 'stopped', 'failed'],
  // running → waiting: the publisher left; the job waits for it (or another) to come back.
  running: ['waiting', 'stopped', 'failed'],
  stopped: ['waiting'],
  failed: ['waiting'],
};

/**
 * History entries kept per job: 32 covers a publisher's reconnects over a session (two entries
 * each) and keeps a store of hundreds of jobs small (32 × ~80 B each).
 */
export const MAX_JOB_HISTORY = 32;

/** An error message is cut to this: ffmpeg's stderr can be megabytes, a job's answer should not be. */
export const MAX_JOB_ERROR_CHARS = 1000;

/** 96 bits: unique among any number of jobs a server will see; ids are not secrets (URLs, logs). */
export const JOB_ID_BYTES = 12;

/**
 * 192 bits (≥ 128, a secret no one guesses): the stream key is the publisher's only credential.
 * As base64url it is 32 characters of [A-Za-z0-9_-], a valid stream name (src/config/stream-name-rule.ts).
 */
export const STREAM_KEY_BYTES = 24;

export interface JobEvent {
  readonly state: JobState;
  readonly atMs: number;
  /** Why, when someone said: 'stopped by the API', 'publisher left', ffmpeg's exit. */
  readonly reason?: string;
}

export interface JobError {
  readonly message: string;
  readonly atMs: number;
}

export interface Job {
  /** url-safe, JOB_ID_BYTES random bytes as base64url. */
  readonly id: string;
  /** Creation order (the list order), unique in a store: the service's largest + 1. */
  readonly seq: number;
  readonly app: string;
  /** The publisher's key at `rtmp://<host>/<app>/<streamKey>`: STREAM_KEY_BYTES random bytes as base64url. */
  readonly streamKey: string;
  readonly spec: JobSpec;
  readonly state: JobState;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly lastError?: JobError;
  /** The latest MAX_JOB_HISTORY states, oldest first. */
  readonly history: readonly JobEvent[];
  /** Ladder crashes since the job was last resumed (the runtime counts them and backs off). */
  readonly crashes: number;
  /** When the runtime will start the ladder again after a crash (its backoff), if it is waiting to. */
  readonly retryAtMs?: number;
}

/** `bytes` random bytes as base64url: ids and stream keys. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export function canTransition(from: JobState, to: JobState): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

/** A new job, in state `created`. */
export function newJob(fields: { id: string; seq: number; streamKey: string; spec: JobSpec; atMs: number }): Job {
  const { id, seq, streamKey, spec, atMs } = fields;
  return { id, seq, app: spec.app, streamKey, spec, state: 'created', createdAtMs: atMs, updatedAtMs: atMs, history: [{ state: 'created', atMs }], crashes: 0 };
}

/** `job` in state `to`, or ERR_TRANSCODE_JOB_STATE when JOB_TRANSITIONS has no such arrow. */
export function transitionJob(job: Job, to: JobState, atMs: number, reason?: string): Job {
  if (!canTransition(job.state, to)) {
    const allowed = JOB_TRANSITIONS[job.state];
    throw new TranscodeError('ERR_TRANSCODE_JOB_STATE', `job ${job.id} is ${job.state}: it cannot become ${to} (from ${job.state}: ${allowed.join(', ')})`, { id: job.id, from: job.state, to });
  }
  const event: JobEvent = reason === undefined ? { state: to, atMs } : { state: to, atMs, reason: clip(reason) };
  return { ...job, state: to, updatedAtMs: atMs, history: [...job.history, event].slice(-MAX_JOB_HISTORY) };
}

/** `job` with `message` as its last error. */
export function withJobError(job: Job, message: string, atMs: number): Job {
  return { ...job, lastError: { message: clip(message), atMs }, updatedAtMs: atMs };
}

/** `job` after a ladder crash: one more crash, the error, and when the runtime retries (if it does). */
export function withJobCrash(job: Job, message: string, atMs: number, retryAtMs?: number): Job {
  const { retryAtMs: _, ...rest } = withJobError(job, message, atMs);
  return retryAtMs === undefined ? { ...rest, crashes: job.crashes + 1 } : { ...rest, crashes: job.crashes + 1, retryAtMs };
}

/**
 * `job` resumed (stopped|failed → waiting) with its crash count and backoff cleared. Only those two:
 * running → waiting is the runtime's (the publisher left), never a resume.
 */
export function resumeJob(job: Job, atMs: number): Job {
  if (job.state !== 'stopped' && job.state !== 'failed') {
    throw new TranscodeError('ERR_TRANSCODE_JOB_STATE', `job ${job.id} is ${job.state}: only a stopped or failed job can be resumed`, { id: job.id, from: job.state, to: 'waiting' });
  }
  const { retryAtMs: _, ...rest } = transitionJob(job, 'waiting', atMs, 'resumed by the API');
  return { ...rest, crashes: 0 };
}

function clip(text: string): string {
  return text.length > MAX_JOB_ERROR_CHARS ? `${text.slice(0, MAX_JOB_ERROR_CHARS - 3)}...` : text;
}

/**
 * Why `value`, read back from a store, is not a Job (undefined when it is one). The stores check
 * what they load so a hand-edited or truncated file is reported, not half-loaded; the spec is
 * trusted as written (it passed parseJobRequest when the job was created).
 */
export function jobShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not an object';
  const job = value as Record<string, unknown>;
  for (const field of ['id', 'app', 'streamKey'] as const) if (typeof job[field] !== 'string' || job[field] === '') return `has no ${field} string`;
  for (const field of ['seq', 'createdAtMs', 'updatedAtMs', 'crashes'] as const) if (typeof job[field] !== 'number' || !Number.isFinite(job[field])) return `has no ${field} number`;
  if (!JOB_STATES.includes(job['state'] as JobState)) return `has state ${JSON.stringify(job['state'])}, not one of ${JOB_STATES.join(', ')}`;
  const spec = job['spec'];
  if (typeof spec !== 'object' || spec === null || !Array.isArray((spec as Record<string, unknown>)['notes'])) return 'has no spec';
  if (!Array.isArray(job['history'])) return 'has no history list';
  return undefined;
}
