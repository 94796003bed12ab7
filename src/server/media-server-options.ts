import { checkIntegerOption as check } from '../config/check-option.js';
import type { HubOptions } from '../hub/index.js';
import { resolveLiveOptions, type LivePackagerOptions } from '../hls/index.js';
import type { RtmpServerOptions } from '../rtmp/index.js';
import type { ConnectionLimitOptions } from '../http/index.js';
import type { MemoryStoreOptions, SegmentStore } from '../store/index.js';
import { ConfigError } from '../errors/index.js';
import { DEFAULT_MAX_BYTES_WITHOUT_KEYFRAME, DEFAULT_MAX_KEYFRAME_INTERVAL_MS } from './keyframe-watch.js';

export interface MediaServerOptions {
  /** RTMP ingest; `port` defaults to 1935, `host` to '0.0.0.0'. */
  rtmp?: RtmpServerOptions;
  /**
   * RTMP playback. `absoluteTimestamps`: players get the publisher's own timestamps (nginx-rtmp's
   * `atc on`); default false, each player's timeline starts at 0 with its first frame.
   */
  rtmpPlay?: { absoluteTimestamps?: boolean };
  /**
   * HTTP delivery. Default port 8080 on '0.0.0.0'; port 0 picks a free one. With `tls` (PEM
   * certificate chain and private key) it is HTTPS with HTTP/2, HTTP/1.1 still accepted.
   */
  http?: { port?: number; host?: string; tls?: { cert: string | Buffer; key: string | Buffer } } & ConnectionLimitOptions;
  /** Live HLS packaging: LL-HLS on (default) or off, segment target (2 s), part target (0.2 s), window (6 segments), … */
  hls?: Omit<LivePackagerOptions, 'onSegment' | 'onPart' | 'onWriteError'>;
  /** Stream registry: takeover policy, reader and GOP cache bounds. */
  hub?: HubOptions;
  /** Where segments and playlists live. Default: a MemoryStore with `memoryStore`'s options. */
  store?: SegmentStore;
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
   * Time after a publisher leaves before its playlists get EXT-X-ENDLIST. Default 10 000 ms: OBS
   * and FFmpeg reconnect within a few seconds, and a player must not see the stream end meanwhile;
   * a reconnect inside the grace continues the playlists after a DISCONTINUITY.
   */
  endGraceMs?: number;
  /**
   * Time an ended stream's last playlists and segments stay served after EXT-X-ENDLIST before they
   * are deleted and the stream forgotten. Default 60 000 ms: players still in the last window can
   * finish it, and a server that sees many one-off stream keys does not keep every last window in
   * memory for ever.
   */
  endedRetentionMs?: number;
  /** Wall clock in epoch ms, for PROGRAM-DATE-TIME and rates. Default Date.now (tests inject one). */
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
    httpPort: o.http?.port ?? 8080,
    httpHost: o.http?.host ?? o.rtmp?.host ?? '0.0.0.0',
    endGraceMs: o.endGraceMs ?? 10_000,
    endedRetentionMs: o.endedRetentionMs ?? 60_000,
    maxKeyframeIntervalMs: o.maxKeyframeIntervalMs ?? DEFAULT_MAX_KEYFRAME_INTERVAL_MS,
    maxBytesWithoutKeyframe: o.maxBytesWithoutKeyframe ?? DEFAULT_MAX_BYTES_WITHOUT_KEYFRAME,
    rtmpPlayAbsoluteTimestamps: o.rtmpPlay?.absoluteTimestamps ?? false,
  };
  check('http.port', resolved.httpPort, 0, 65535);
  check('endGraceMs', resolved.endGraceMs, 0, 3_600_000);
  check('endedRetentionMs', resolved.endedRetentionMs, 0, 86_400_000);
  // Checked now, at start, rather than when the first stream's packager is built.
  resolveLiveOptions(o.hls ?? {});
  check('maxKeyframeIntervalMs', resolved.maxKeyframeIntervalMs, 100, 3_600_000);
  check('maxBytesWithoutKeyframe', resolved.maxBytesWithoutKeyframe, 1024, 2 ** 40);
  if (typeof resolved.rtmpPlayAbsoluteTimestamps !== 'boolean') {
    const value = String(resolved.rtmpPlayAbsoluteTimestamps);
    throw new ConfigError('ERR_CONFIG_INVALID', `option rtmpPlay.absoluteTimestamps must be true or false, got ${value}`, { option: 'rtmpPlay.absoluteTimestamps', value });
  }
  return resolved;
}
