import { Type, type Static } from '@sinclair/typebox';
import type { MediaServerOptions } from '../server/index.js';
import {
  DEFAULT_JOURNAL_DIR,
  DEFAULT_MULTIPART_BYTES,
  DEFAULT_UPLOAD_CLOSE_TIMEOUT_MS,
  DEFAULT_UPLOAD_CONCURRENCY,
  DEFAULT_UPLOAD_MEMORY_BYTES,
  DEFAULT_UPLOAD_REQUEST_TIMEOUT_MS,
  DEFAULT_UPLOAD_RETRY_BASE_MS,
  DEFAULT_UPLOAD_RETRY_MAX_MS,
  OBJECT_STORAGE_OPTION_RANGES as RANGES,
} from '../server/object-storage-options.js';
import { DEFAULT_PLAYLIST_MAX_AGE_SECONDS } from '../server/object-storage-plan.js';
import type { NumberRange } from '../config/index.js';

/**
 * The `objectStorage` section of the config file (docs/storage.md), as control-config.ts writes
 * the control plane's: a TypeBox schema that checks the file, names the TIDECAST_OBJECT_STORAGE_*
 * variables and writes the example; `objectStorageOptions` turns it into createMediaServer's
 * option. The defaults and ranges are the library's own constants.
 */

const integer = (range: NumberRange, defaultValue: number, description: string) => Type.Optional(Type.Integer({ minimum: range.min, maximum: range.max, default: defaultValue, description }));

export const OBJECT_STORAGE_SCHEMA = Type.Object(
  {
    bucket: Type.String({ examples: ['my-live-bucket'], description: 'The bucket the live streams (and recordings) are uploaded to.' }),
    prefix: Type.Optional(Type.String({ examples: ['tidecast'], description: 'A folder in the bucket before <app>/<key>/.' })),
    endpoint: Type.Optional(
      Type.String({ format: 'url', examples: ['http://127.0.0.1:9000'], description: 'The URL of an S3-compatible service (MinIO, Ceph, Garage, R2, …). Default: AWS S3 of the region.' }),
    ),
    region: Type.Optional(Type.String({ examples: ['eu-west-1'], description: "The region requests are signed for. Default: AWS_REGION or the AWS SDK's config, else us-east-1." })),
    forcePathStyle: Type.Optional(Type.Boolean({ default: false, description: 'Path-style addressing (<endpoint>/<bucket>/<key>), which most self-hosted services need, instead of virtual-host (<bucket>.<host>/<key>).' })),
    accessKeyId: Type.Optional(
      Type.String({ secret: true, examples: ['AKIAIOSFODNN7EXAMPLE'], description: "The access key. Default: the AWS SDK's chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, instance and container roles)." }),
    ),
    secretAccessKey: Type.Optional(Type.String({ secret: true, examples: ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'], description: 'The secret key, with accessKeyId.' })),
    journalDir: Type.Optional(Type.String({ default: DEFAULT_JOURNAL_DIR, description: 'The folder of pending uploads, resumed after a restart (one per server).' })),
    maxConcurrency: integer(RANGES.maxConcurrency, DEFAULT_UPLOAD_CONCURRENCY, 'Uploads in flight at once.'),
    maxMemoryBytes: integer(RANGES.maxMemoryBytes, DEFAULT_UPLOAD_MEMORY_BYTES, 'Bytes of pending uploads kept in memory; past it they wait in the journal only.'),
    deleteWithWindow: Type.Optional(Type.Boolean({ default: false, description: 'Delete an object when the origin deletes its file (the live window); off: the bucket keeps every segment.' })),
    live: Type.Optional(Type.Boolean({ default: true, description: "Upload each live stream's plain HLS as it is made." })),
    recordings: Type.Optional(Type.Boolean({ default: false, description: 'Upload each finished recording under <prefix>/recordings/<id>/ (needs the record section or --record on).' })),
    deleteLocalRecordings: Type.Optional(Type.Boolean({ default: false, description: "With recordings: delete a recording's local folder once all its files are in the bucket." })),
    retryBaseMs: integer(RANGES.retryBaseMs, DEFAULT_UPLOAD_RETRY_BASE_MS, 'The first retry delay, ms, doubled at each failure (with jitter).'),
    retryMaxMs: integer(RANGES.retryMaxMs, DEFAULT_UPLOAD_RETRY_MAX_MS, 'The cap of the retry delay, ms: how often a service that is down is probed.'),
    requestTimeoutMs: integer(RANGES.requestTimeoutMs, DEFAULT_UPLOAD_REQUEST_TIMEOUT_MS, "One request's timeout, ms."),
    playlistMaxAgeSeconds: integer(RANGES.playlistMaxAgeSeconds, DEFAULT_PLAYLIST_MAX_AGE_SECONDS, 'Cache-Control max-age of the playlists, s (segments: a year, immutable).'),
    closeTimeoutMs: integer(RANGES.closeTimeoutMs, DEFAULT_UPLOAD_CLOSE_TIMEOUT_MS, 'How long a shutdown waits for pending uploads, ms; the rest stay in the journal.'),
    multipartBytes: integer(RANGES.multipartBytes, DEFAULT_MULTIPART_BYTES, 'Objects this large go up as multipart uploads, in parts of this size.'),
  },
  { title: 'live HLS and recordings uploaded to an S3-compatible bucket (docs/storage.md)', description: 'Object storage (docs/storage.md). Default: none, the media stays at the origin.' },
);

export type ObjectStorageConfig = Static<typeof OBJECT_STORAGE_SCHEMA>;

/** The section as createMediaServer's option, key for key: those left out keep the library's defaults. */
export function objectStorageOptions(section: ObjectStorageConfig): NonNullable<MediaServerOptions['objectStorage']> {
  return { ...section };
}
