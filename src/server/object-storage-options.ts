import type { S3Client } from '@aws-sdk/client-s3';
import { resolve } from 'node:path';
import { checkBooleanOption, checkNumberRange, integerRange, invalidOption } from '../config/index.js';
import { DEFAULT_PLAYLIST_MAX_AGE_SECONDS } from './object-storage-plan.js';

/**
 * The `objectStorage` option (docs/storage.md): which bucket, how to reach it, and the uploader's
 * bounds. Checked at start, each refusal naming the option and the value.
 */
export interface ObjectStorageOptions {
  /** The bucket. Required. */
  bucket: string;
  /** A folder in the bucket before `<app>/<key>/` (slashes at either end dropped). Default none. */
  prefix?: string;
  /**
   * The S3-compatible service's URL (MinIO, Ceph, Garage, R2, s3rver, …), `http://` or `https://`.
   * Default: AWS S3 of `region`.
   */
  endpoint?: string;
  /** The region requests are signed for. Default: the AWS SDK's (AWS_REGION, ~/.aws/config), else 'us-east-1'. */
  region?: string;
  /**
   * Path-style addressing, `<endpoint>/<bucket>/<key>` (most self-hosted services need it), instead
   * of virtual-host, `<bucket>.<endpoint host>/<key>`. Default false.
   */
  forcePathStyle?: boolean;
  /**
   * Credentials. Default: the AWS SDK's chain — AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with
   * AWS_SESSION_TOKEN), AWS_PROFILE and ~/.aws/credentials, SSO, web identity, container and
   * instance roles. Both keys or neither.
   */
  accessKeyId?: string;
  /** The secret of `accessKeyId`. */
  secretAccessKey?: string;
  /** A session token of temporary credentials (STS), with the two above. */
  sessionToken?: string;
  /** The journal folder (pending uploads, resumed after a restart); created if missing. Default `tidecast-uploads` in the working directory. */
  journalDir?: string;
  /** Uploads in flight at once. Default 4 (DEFAULT_UPLOAD_CONCURRENCY). */
  maxConcurrency?: number;
  /** Bytes of pending uploads kept in memory; past it they wait in the journal only. Default 64 MiB (DEFAULT_UPLOAD_MEMORY_BYTES). */
  maxMemoryBytes?: number;
  /** Delete an object when the origin deletes its file (the live window's end). Default false: the bucket keeps every segment. */
  deleteWithWindow?: boolean;
  /** First retry delay, doubled at each failure (with jitter) up to `retryMaxMs`. Default 500 ms (DEFAULT_UPLOAD_RETRY_BASE_MS). */
  retryBaseMs?: number;
  /** The retry delay's cap, and how often a down service is probed. Default 10 000 ms (DEFAULT_UPLOAD_RETRY_MAX_MS). */
  retryMaxMs?: number;
  /** One request's timeout. Default 30 000 ms. */
  requestTimeoutMs?: number;
  /** `Cache-Control: public, max-age=<this>` on playlists. Default 1 s (segments: a year, immutable). */
  playlistMaxAgeSeconds?: number;
  /** How long the server's close() waits for pending uploads; what is left stays in the journal. Default 5000 ms. */
  closeTimeoutMs?: number;
  /** Objects at least this large go up as multipart uploads (lib-storage Upload), in parts of this size. Default 16 MiB; at least 5 MiB (S3's part floor). */
  multipartBytes?: number;
  /** Upload each live stream's plain HLS as it is made (the store tap). Default true. */
  live?: boolean;
  /**
   * Upload each finished recording's folder (docs/storage.md "Recordings") under
   * `<prefix>/recordings/<id>/`; needs the server's `record` option. Default false.
   */
  recordings?: boolean;
  /** With `recordings`: delete a recording's local folder once every file of it is in the bucket. Default false. */
  deleteLocalRecordings?: boolean;
  /** An S3 client of the embedder's (its own middleware, HTTP agent); the addressing and credential options above are then unused. Without it the AWS SDK is loaded on first use. */
  client?: S3Client;
}

/**
 * 4 uploads at once: a few streams' segments and playlists go out in parallel while one slow
 * request (a large segment, a retry) does not hold the rest; more only adds to a struggling
 * service's load.
 */
export const DEFAULT_UPLOAD_CONCURRENCY = 4;

/**
 * 64 MiB of waiting bytes in memory: over two minutes of a 4 Mb/s stream's segments, enough to
 * ride out a short outage without reading back from disk; past it waiting bytes live in the journal only.
 */
export const DEFAULT_UPLOAD_MEMORY_BYTES = 64 * 1024 * 1024;

/** 500 ms: a blip (a reset connection, one 503) is retried before the next segment is due. */
export const DEFAULT_UPLOAD_RETRY_BASE_MS = 500;
/**
 * 10 s: during an outage the service is probed (at most maxConcurrency requests) this often, and
 * once it is back the uploads resume within this long; five live segments at the 2 s target.
 */
export const DEFAULT_UPLOAD_RETRY_MAX_MS = 10_000;
/** 30 s: a few MB over a slow uplink; a service that holds a request longer is treated as down. */
export const DEFAULT_UPLOAD_REQUEST_TIMEOUT_MS = 30_000;
/** 5 s: within the CLI's 8 s shutdown, after the playlists' last versions are put. */
export const DEFAULT_UPLOAD_CLOSE_TIMEOUT_MS = 5000;
/** 16 MiB: a live segment is far smaller (PutObject); a larger object goes up in parts of this size. */
export const DEFAULT_MULTIPART_BYTES = 16 * 1024 * 1024;
/** S3's smallest part (but the last): UploadPart refuses smaller ones. */
export const MIN_MULTIPART_BYTES = 5 * 1024 * 1024;
/** Beside the jobs file (`tidecast-jobs.json`): the working directory is where a service keeps its state. */
export const DEFAULT_JOURNAL_DIR = 'tidecast-uploads';

/**
 * The options' ranges, checked at start (the config section takes its bounds from here): up to 64
 * requests at once, a TiB of memory, delays up to an hour (a day for the retry cap), parts from
 * S3's 5 MiB floor to its 5 GiB ceiling.
 */
export const OBJECT_STORAGE_OPTION_RANGES = {
  maxConcurrency: integerRange(1, 64),
  maxMemoryBytes: integerRange(0, 2 ** 40),
  retryBaseMs: integerRange(1, 3_600_000),
  retryMaxMs: integerRange(1, 86_400_000),
  requestTimeoutMs: integerRange(100, 3_600_000),
  playlistMaxAgeSeconds: integerRange(0, 3600),
  closeTimeoutMs: integerRange(0, 600_000),
  multipartBytes: integerRange(MIN_MULTIPART_BYTES, 5 * 1024 ** 3),
} as const;

export interface ResolvedObjectStorageOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly journalDir: string;
  readonly maxConcurrency: number;
  readonly maxMemoryBytes: number;
  readonly deleteWithWindow: boolean;
  readonly live: boolean;
  readonly recordings: boolean;
  readonly deleteLocalRecordings: boolean;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly requestTimeoutMs: number;
  readonly playlistMaxAgeSeconds: number;
  readonly closeTimeoutMs: number;
  readonly multipartBytes: number;
  /** Where an object can be read over HTTP, without credentials if the bucket allows (docs/storage.md). */
  readonly publicBase: string;
}

/** S3 bucket names: 3–63 of lowercase letters, digits, dots and hyphens (a dot allowed for older buckets). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function resolveObjectStorageOptions(o: ObjectStorageOptions): ResolvedObjectStorageOptions {
  const name = (key: string): string => `objectStorage.${key}`;
  if (typeof o.bucket !== 'string' || !BUCKET.test(o.bucket)) throw invalidOption(name('bucket'), 'an S3 bucket name (3 to 63 of a-z, 0-9, . and -)', String(o.bucket));
  const prefix = (o.prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && prefix.split('/').some((p) => p === '' || p === '.' || p === '..')) throw invalidOption(name('prefix'), 'a folder path without empty, . or .. parts', JSON.stringify(o.prefix));
  if (o.endpoint !== undefined && !isHttpUrl(o.endpoint)) throw invalidOption(name('endpoint'), 'an http:// or https:// URL', JSON.stringify(o.endpoint));
  if ((o.accessKeyId === undefined) !== (o.secretAccessKey === undefined)) {
    throw invalidOption(name(o.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey'), 'given with the other key (or neither, for the AWS SDK chain)', 'nothing');
  }
  const ranges = OBJECT_STORAGE_OPTION_RANGES;
  const resolved = {
    bucket: o.bucket,
    prefix,
    journalDir: resolve(o.journalDir ?? DEFAULT_JOURNAL_DIR),
    maxConcurrency: checkNumberRange(name('maxConcurrency'), o.maxConcurrency ?? DEFAULT_UPLOAD_CONCURRENCY, ranges.maxConcurrency),
    maxMemoryBytes: checkNumberRange(name('maxMemoryBytes'), o.maxMemoryBytes ?? DEFAULT_UPLOAD_MEMORY_BYTES, ranges.maxMemoryBytes),
    deleteWithWindow: checkBooleanOption(name('deleteWithWindow'), o.deleteWithWindow ?? false),
    live: checkBooleanOption(name('live'), o.live ?? true),
    recordings: checkBooleanOption(name('recordings'), o.recordings ?? false),
    deleteLocalRecordings: checkBooleanOption(name('deleteLocalRecordings'), o.deleteLocalRecordings ?? false),
    retryBaseMs: checkNumberRange(name('retryBaseMs'), o.retryBaseMs ?? DEFAULT_UPLOAD_RETRY_BASE_MS, ranges.retryBaseMs),
    retryMaxMs: checkNumberRange(name('retryMaxMs'), o.retryMaxMs ?? DEFAULT_UPLOAD_RETRY_MAX_MS, ranges.retryMaxMs),
    requestTimeoutMs: checkNumberRange(name('requestTimeoutMs'), o.requestTimeoutMs ?? DEFAULT_UPLOAD_REQUEST_TIMEOUT_MS, ranges.requestTimeoutMs),
    playlistMaxAgeSeconds: checkNumberRange(name('playlistMaxAgeSeconds'), o.playlistMaxAgeSeconds ?? DEFAULT_PLAYLIST_MAX_AGE_SECONDS, ranges.playlistMaxAgeSeconds),
    closeTimeoutMs: checkNumberRange(name('closeTimeoutMs'), o.closeTimeoutMs ?? DEFAULT_UPLOAD_CLOSE_TIMEOUT_MS, ranges.closeTimeoutMs),
    multipartBytes: checkNumberRange(name('multipartBytes'), o.multipartBytes ?? DEFAULT_MULTIPART_BYTES, ranges.multipartBytes),
    publicBase: publicBase(o),
  };
  checkBooleanOption(name('forcePathStyle'), o.forcePathStyle ?? false);
  if (resolved.deleteLocalRecordings && !resolved.recordings) throw invalidOption(name('deleteLocalRecordings'), 'used with objectStorage.recordings: true', 'true');
  if (resolved.retryMaxMs < resolved.retryBaseMs) throw invalidOption(name('retryMaxMs'), `at least retryBaseMs (${resolved.retryBaseMs})`, String(resolved.retryMaxMs));
  return resolved;
}

/**
 * The recording mode needs a recorder: `objectStorage.recordings: true` without the server's
 * `record` option is refused at start (nothing would ever be recorded to upload), and
 * `deleteLocalRecordings` without `recordings`. Checked with the server's options, before it makes anything.
 */
export function checkRecordingsMode(o: ObjectStorageOptions, recording: boolean): void {
  if (o.recordings === true && !recording) throw invalidOption('objectStorage.recordings', 'used with the record option (a recorder: the record section, or --record on)', 'true');
  if (o.deleteLocalRecordings === true && o.recordings !== true) throw invalidOption('objectStorage.deleteLocalRecordings', 'used with objectStorage.recordings: true', 'true');
}

/** The HTTP base of the bucket's objects: path-style `<endpoint>/<bucket>`, else `<scheme>://<bucket>.<host>`. */
function publicBase(o: ObjectStorageOptions): string {
  const endpoint = new URL(o.endpoint ?? `https://s3.${regionOf(o)}.amazonaws.com`);
  const path = endpoint.pathname.replace(/\/+$/, '');
  if (o.forcePathStyle === true) return `${endpoint.origin}${path}/${o.bucket}`;
  return `${endpoint.protocol}//${o.bucket}.${endpoint.host}${path}`;
}

/** The region requests are signed for: the option, else the AWS environment, else us-east-1. */
export function regionOf(o: ObjectStorageOptions): string {
  return o.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1';
}

function isHttpUrl(value: string): boolean {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  return url?.protocol === 'http:' || url?.protocol === 'https:';
}
