import { accessSync, constants, mkdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { checkIntegerOption, invalidOption } from '../config/index.js';
import { ConfigError } from '../errors/index.js';

/**
 * The `record` option (docs/recording.md): which streams are recorded, where, how the folders are
 * named, and the bounds (length, age, free space). Checked at start with messages naming the key:
 * a bad template token or a folder the server cannot write refuses the config, not the first publish.
 */

export interface RecordOptions {
  /** The folder the recordings go under (made at start when missing; it must be writable). */
  dir: string;
  /**
   * Which publishes are recorded from their start: 'all', 'none' (default: only the control API's
   * `start` and publishes an authorization allowed with `record: true`), or the streams of `apps`
   * (app names, `*` any run of characters) and `keys` (`app/key` patterns, `*` likewise).
   */
  streams?: 'all' | 'none' | { apps?: readonly string[]; keys?: readonly string[] };
  /** Each recording's folder under `dir` (DEFAULT_PATH_TEMPLATE); tokens in RECORDING_TEMPLATE_TOKENS. */
  pathTemplate?: string;
  /** A recording longer than this is closed at the next segment boundary and a new one begins. Default 21 600 (6 h). */
  maxDurationSeconds?: number;
  /** Recordings that ended longer ago than this are deleted (at start and every RETENTION_CHECK_MS). Default: kept. */
  deleteAfterSeconds?: number;
  /** Below this many free bytes on the recordings' file system, recording stops (never the live stream). Default 1 GiB. */
  minFreeBytes?: number;
  /** Bytes waiting for the disk per recording before it is stopped as failed (the disk stalls). Default 64 MiB. */
  maxQueuedBytes?: number;
  /** Free bytes of the file system holding `dir` (default fs.statfs); tests give a small fake quota. */
  freeBytes?: (dir: string) => Promise<number>;
}

/** `%app/%key/%Y-%m-%d_%H-%M-%S`: one folder per app and key, a recording per start time (UTC, to the second). */
export const DEFAULT_PATH_TEMPLATE = '%app/%key/%Y-%m-%d_%H-%M-%S';
/** 6 h: a day's broadcast in four files; a file that would outgrow a disk or an upload is cut before. */
export const DEFAULT_MAX_DURATION_SECONDS = 21_600;
/** 1 GiB: room for a few minutes of several 1080p streams while the operator is told (recording.failed). */
export const DEFAULT_MIN_FREE_BYTES = 1024 ** 3;
/** 64 MiB: some 80 s of a 6 Mb/s stream waiting for the disk: past a hiccup, a stalled disk. */
export const DEFAULT_RECORDER_QUEUE_BYTES = 64 * 1024 * 1024;

/** The template's tokens: the stream's names, and the recording's start in UTC. */
export const RECORDING_TEMPLATE_TOKENS = ['%app', '%key', '%Y', '%m', '%d', '%H', '%M', '%S', '%f', '%s'] as const;

export interface ResolvedRecordOptions {
  readonly dir: string;
  readonly select: (app: string, key: string) => boolean;
  readonly pathTemplate: string;
  readonly maxDurationSeconds: number;
  readonly deleteAfterSeconds: number | undefined;
  readonly minFreeBytes: number;
  readonly maxQueuedBytes: number;
  readonly freeBytes: (dir: string) => Promise<number>;
}

/** Checks `record` (naming `record.<key>` in every refusal), makes its folder, and checks that it can be written. */
export function resolveRecordOptions(o: RecordOptions): ResolvedRecordOptions {
  if (typeof o.dir !== 'string' || o.dir.trim() === '') throw invalidOption('record.dir', 'a folder path', String(o.dir));
  const dir = path.resolve(o.dir);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError('ERR_CONFIG_INVALID', `option record.dir must be a folder the server can write to, got ${JSON.stringify(o.dir)} (${reason})`, { option: 'record.dir', value: o.dir }, { cause: error });
  }
  const pathTemplate = o.pathTemplate ?? DEFAULT_PATH_TEMPLATE;
  const problem = templateProblem(pathTemplate);
  if (problem !== undefined) throw invalidOption('record.pathTemplate', `a path of literal text and the tokens ${RECORDING_TEMPLATE_TOKENS.join(' ')} (${problem})`, JSON.stringify(pathTemplate));
  return {
    dir,
    select: streamSelector(o.streams ?? 'none'),
    pathTemplate,
    maxDurationSeconds: checkIntegerOption('record.maxDurationSeconds', o.maxDurationSeconds ?? DEFAULT_MAX_DURATION_SECONDS, 1, 31 * 86_400),
    deleteAfterSeconds: o.deleteAfterSeconds === undefined ? undefined : checkIntegerOption('record.deleteAfterSeconds', o.deleteAfterSeconds, 1, 100 * 365 * 86_400),
    minFreeBytes: checkIntegerOption('record.minFreeBytes', o.minFreeBytes ?? DEFAULT_MIN_FREE_BYTES, 0, 2 ** 53 - 1),
    maxQueuedBytes: checkIntegerOption('record.maxQueuedBytes', o.maxQueuedBytes ?? DEFAULT_RECORDER_QUEUE_BYTES, 1024 * 1024, 2 ** 40),
    freeBytes: o.freeBytes ?? statfsFreeBytes,
  };
}

/** What statfs says an unprivileged writer may still use (bavail, not bfree: the root reserve is not ours). */
async function statfsFreeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/** Why `template` is not a recording path template, or undefined. */
export function templateProblem(template: string): string | undefined {
  if (typeof template !== 'string' || template === '') return 'it is empty';
  if (template.length > 512) return 'it is longer than 512 characters';
  for (const [token, known] of template.matchAll(/%(app|key|[YmdHMSfs])|%.?/g)) {
    if (known === undefined) return `unknown token ${token}`;
  }
  const literal = /[^A-Za-z0-9._/-]/.exec(template.replace(/%(app|key|[YmdHMSfs])/g, ''));
  if (literal !== null) return `the character ${JSON.stringify(literal[0])} is not one of A-Z a-z 0-9 . _ - /`;
  for (const segment of template.split('/')) {
    if (segment === '') return 'a folder name is empty (a leading, trailing or double /)';
    if (segment.startsWith('.')) return `the folder name ${segment} starts with a dot`;
  }
  return undefined;
}

/** The template with the stream's names and its start (UTC) in place of the tokens. */
export function expandTemplate(template: string, app: string, key: string, startedAtMs: number): string {
  const t = new Date(startedAtMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  const values: Record<string, string> = {
    '%app': app,
    '%key': key,
    '%Y': String(t.getUTCFullYear()),
    '%m': two(t.getUTCMonth() + 1),
    '%d': two(t.getUTCDate()),
    '%H': two(t.getUTCHours()),
    '%M': two(t.getUTCMinutes()),
    '%S': two(t.getUTCSeconds()),
    '%f': String(t.getUTCMilliseconds()).padStart(3, '0'),
    '%s': String(Math.floor(startedAtMs / 1000)),
  };
  return template.replace(/%(app|key|[YmdHMSfs])/g, (token) => values[token]!);
}

const PATTERN = /^[A-Za-z0-9._*-]+$/;

/** The `streams` choice as a test of `app`/`key`; patterns are checked here, named by their place. */
export function streamSelector(streams: NonNullable<RecordOptions['streams']>): (app: string, key: string) => boolean {
  if (streams === 'all') return () => true;
  if (streams === 'none') return () => false;
  if (typeof streams !== 'object' || streams === null) throw invalidOption('record.streams', "'all', 'none' or { apps, keys }", String(streams));
  const apps = (streams.apps ?? []).map((p, i) => {
    if (typeof p !== 'string' || !PATTERN.test(p)) throw invalidOption(`record.streams.apps[${i}]`, 'an app name pattern ([A-Za-z0-9._-] and *)', JSON.stringify(p));
    return glob(p);
  });
  const keys = (streams.keys ?? []).map((p, i) => {
    const parts = typeof p === 'string' ? p.split('/') : [];
    if (parts.length !== 2 || !parts.every((part) => PATTERN.test(part))) throw invalidOption(`record.streams.keys[${i}]`, 'an app/key pattern ([A-Za-z0-9._-] and *, one /)', JSON.stringify(p));
    return glob(p);
  });
  return (app, key) => apps.some((a) => a.test(app)) || keys.some((k) => k.test(`${app}/${key}`));
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.]/g, '\\.')).join('[^/]*')}$`);
}
