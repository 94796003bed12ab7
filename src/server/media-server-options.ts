import { PORT_RANGE, checkBooleanOption, checkNumberRange as check, integerRange } from '../config/index.js';
import type { HubOptions } from '../hub/index.js';
import { resolveLiveOptions, type LivePackagerOptions } from '../hls/index.js';
import type { RtmpServerOptions } from '../rtmp/index.js';
import { DEFAULT_RTMP_HOST } from '../rtmp/server-options.js';
import type { ConnectionLimitOptions } from '../http/index.js';
import type { MemoryStoreOptions, SegmentStore } from '../store/index.js';
import type { StoreTap } from './store-taps.js';
import type { ClusterOptions } from './cluster-wiring.js';
import type { TranscodeOptions } from './ladder-tier.js';
import type { JobsOptions } from './job-runtime.js';
import { DEFAULT_MAX_BYTES_WITHOUT_KEYFRAME, DEFAULT_MAX_KEYFRAME_INTERVAL_MS } from './keyframe-watch.js';
import type { MetricsOptions } from './metrics.js';
import type { WebhookOptions } from './webhooks.js';
import type { AuthorizerOptions } from './authorization.js';
import type { PlaySessionOptions } from './play-auth.js';
import type { ApiOptions } from './control-api-auth.js';
import type { ObjectStorageOptions } from './object-storage-options.js';
import { resolveRecordOptions, type RecordOptions } from './recorder-options.js';
import { checkRecordingsMode } from './object-storage-options.js';

/** 8080: the usual unprivileged HTTP port (80 needs root or a capability). */
export const DEFAULT_HTTP_PORT = 8080;

/**
 * 10 000 ms: OBS and FFmpeg reconnect within a few seconds, and a player must not see the stream
 * end meanwhile (see `endGraceMs`).
 */
export const DEFAULT_END_GRACE_MS = 10_000;

/**
 * 60 000 ms: players still in the last window can finish it, and a server that sees many one-off
 * stream keys does not keep every last window in memory for ever (see `endedRetentionMs`).
 */
export const DEFAULT_ENDED_RETENTION_MS = 60_000;

/** False: each RTMP player's timeline starts at 0 with its first frame, as players expect. */
export const DEFAULT_RTMP_PLAY_ABSOLUTE_TIMESTAMPS = false;

/**
 * The range of each numeric option of the server itself, checked at start (`tidecast serve` takes
 * its flags' ranges from here too): the end grace up to an hour, the retention up to a day, a
 * keyframe at least every 0.1 s to an hour, and from 1 KiB to 1 TiB of media between keyframes.
 */
export const MEDIA_SERVER_OPTION_RANGES = {
  httpPort: PORT_RANGE,
  endGraceMs: integerRange(0, 3_600_000),
  endedRetentionMs: integerRange(0, 86_400_000),
  maxKeyframeIntervalMs: integerRange(100, 3_600_000),
  maxBytesWithoutKeyframe: integerRange(1024, 2 ** 40),
} as const;

export interface MediaServerOptions {
  /** RTMP ingest; `port` defaults to 1935 (DEFAULT_RTMP_PORT), `host` to '0.0.0.0' (DEFAULT_RTMP_HOST). */
  rtmp?: RtmpServerOptions;
  /**
   * RTMP playback. `absoluteTimestamps`: players get the publisher's own timestamps (nginx-rtmp's
   * `atc on`); default false (DEFAULT_RTMP_PLAY_ABSOLUTE_TIMESTAMPS), each player's timeline
   * starts at 0 with its first frame.
   */
  rtmpPlay?: { absoluteTimestamps?: boolean };
  /**
   * HTTP delivery. Default port 8080 (DEFAULT_HTTP_PORT) on the RTMP host; port 0 picks a free
   * one. With `tls` (PEM certificate chain and private key) it is HTTPS with HTTP/2, HTTP/1.1
   * still accepted.
   */
  /**
   * HTTP: address, TLS, connection limits, and `maxParked`: LL-HLS requests parked at once, all
   * streams (LiveDelivery; default DEFAULT_MAX_PARKED), past which one more is answered 503 at once.
   */
  http?: { port?: number; host?: string; tls?: { cert: string | Buffer; key: string | Buffer }; maxParked?: number } & ConnectionLimitOptions;
  /** Live HLS packaging: LL-HLS on (default) or off, segment target (2 s), part target (0.2 s), window (6 segments), … */
  hls?: Omit<LivePackagerOptions, 'onSegment' | 'onPart' | 'onWriteError'>;
  /** Stream registry: takeover policy, reader and GOP cache bounds. */
  hub?: HubOptions;
  /** Where segments and playlists live. Default: a MemoryStore with `memoryStore`'s options. */
  store?: SegmentStore;
  /** Told of every put and delete of the store (store-taps.ts): recording, object storage. */
  storeTaps?: readonly StoreTap[];
  /** The default store's bound (`maxBytes`, default 2 GiB); unused when `store` is given. */
  memoryStore?: MemoryStoreOptions;
  /**
   * A publisher whose video sends no keyframe for this long (in its own timestamps) is told
   * (NetStream.Failed) and closed: segments are cut only at keyframes, so its open segment would
   * grow without bound. Default 30 000 ms (DEFAULT_MAX_KEYFRAME_INTERVAL_MS).
   */
  maxKeyframeIntervalMs?: number;
  /** The same bound in bytes of audio and video since the last keyframe. Default 64 MiB (DEFAULT_MAX_BYTES_WITHOUT_KEYFRAME). */
  maxBytesWithoutKeyframe?: number;
  /**
   * Time after a publisher leaves before its playlists get EXT-X-ENDLIST. Default 10 000 ms
   * (DEFAULT_END_GRACE_MS); a reconnect inside the grace continues the playlists after a
   * DISCONTINUITY.
   */
  endGraceMs?: number;
  /**
   * Time an ended stream's last playlists and segments stay served after EXT-X-ENDLIST before they
   * are deleted and the stream forgotten. Default 60 000 ms (DEFAULT_ENDED_RETENTION_MS).
   */
  endedRetentionMs?: number;
  /** Wall clock in epoch ms, for PROGRAM-DATE-TIME and rates. Default Date.now (tests inject one). */
  /** The ABR ladder (transcode/): which streams get one and the ffmpeg that runs them. Default: none. */
  transcode?: TranscodeOptions;
  /** Prometheus `/metrics` (docs/metrics.md): `maxStreams` streams get per-stream series (default 100). */
  metrics?: MetricsOptions;
  /** Signed webhooks for stream, session and health events (docs/webhooks.md). Default: none (events stay in process, `server.control.events`). */
  webhooks?: WebhookOptions;
  /** Publish and play authorization (docs/auth.md): per-app strategies, fail-closed. Default none: open. */
  auth?: Omit<AuthorizerOptions, 'now'> & {
    /** HTTP play sessions (docs/auth.md): the token secret (shared by origins), the lifetime, a CDN's shared secret. */
    sessions?: PlaySessionOptions;
  };
  /** Live jobs and their API (/api/jobs): where they persist. Default none (no job API). */
  jobs?: JobsOptions;
  /**
   * The control API (/api, docs/api.md): `tokens`, bearer tokens as `sha256:<hex>` (hashKey) or
   * plain; without any, loopback clients only. `failureLimit`: failed attempts per address before
   * 429, default 10 per 60 000 ms.
   */
  api?: ApiOptions;
  /** Live HLS uploaded to an S3-compatible bucket as it is made (docs/storage.md). Default none: the media stays at the origin. */
  objectStorage?: ObjectStorageOptions;
  /**
   * Recording (docs/recording.md): the packager's CMAF files of the chosen streams kept under `dir`
   * (`streams`: 'all', 'none' (the default: only the API's start and publishes authorized with
   * `record: true`), or `{ apps, keys }` patterns), a folder per recording from `pathTemplate`,
   * cut at `maxDurationSeconds` (6 h), deleted after `deleteAfterSeconds` (kept), stopped under
   * `minFreeBytes` free (1 GiB). Default none: `server.recording` is undefined.
   */
  record?: RecordOptions;
  /**
   * This server as one origin of a cluster (docs/cluster.md "Origins"): publishes claim their stream
   * in the registry and continue the previous owner's playlists; requests for streams another
   * origin owns are forwarded to it. Default none: one process, no registry.
   */
  cluster?: ClusterOptions;
  now?: () => number;
}

export interface ResolvedMediaServerOptions {
  httpPort: number;
  httpHost: string;
  endGraceMs: number;
  endedRetentionMs: number;
  maxKeyframeIntervalMs: number;
  maxBytesWithoutKeyframe: number;
  rtmpPlayAbsoluteTimestamps: boolean;
}

export function resolveMediaServerOptions(o: MediaServerOptions): ResolvedMediaServerOptions {
  const resolved = {
    httpPort: o.http?.port ?? DEFAULT_HTTP_PORT,
    httpHost: o.http?.host ?? o.rtmp?.host ?? DEFAULT_RTMP_HOST,
    endGraceMs: o.endGraceMs ?? DEFAULT_END_GRACE_MS,
    endedRetentionMs: o.endedRetentionMs ?? DEFAULT_ENDED_RETENTION_MS,
    maxKeyframeIntervalMs: o.maxKeyframeIntervalMs ?? DEFAULT_MAX_KEYFRAME_INTERVAL_MS,
    maxBytesWithoutKeyframe: o.maxBytesWithoutKeyframe ?? DEFAULT_MAX_BYTES_WITHOUT_KEYFRAME,
    rtmpPlayAbsoluteTimestamps: o.rtmpPlay?.absoluteTimestamps ?? DEFAULT_RTMP_PLAY_ABSOLUTE_TIMESTAMPS,
  };
  const ranges = MEDIA_SERVER_OPTION_RANGES;
  check('http.port', resolved.httpPort, ranges.httpPort);
  check('endGraceMs', resolved.endGraceMs, ranges.endGraceMs);
  check('endedRetentionMs', resolved.endedRetentionMs, ranges.endedRetentionMs);
  // Checked now, at start, rather than when the first stream's packager is built.
  resolveLiveOptions(o.hls ?? {});
  // Before the server makes anything (the store's spill folder): a bad template or folder refuses it first.
  if (o.record !== undefined) resolveRecordOptions(o.record);
  if (o.objectStorage !== undefined) checkRecordingsMode(o.objectStorage, o.record !== undefined);
  check('maxKeyframeIntervalMs', resolved.maxKeyframeIntervalMs, ranges.maxKeyframeIntervalMs);
  check('maxBytesWithoutKeyframe', resolved.maxBytesWithoutKeyframe, ranges.maxBytesWithoutKeyframe);
  checkBooleanOption('rtmpPlay.absoluteTimestamps', resolved.rtmpPlayAbsoluteTimestamps);
  return resolved;
}
