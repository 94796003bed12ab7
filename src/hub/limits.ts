import { checkIntegerOption as checkInteger, invalidOption } from '../config/index.js';

export { checkInteger };

/**
 * What happens when a second `publish` names a stream that already has a publisher.
 * - 'takeover-when-quiet': the newer one wins if the older sent nothing for `quietMs`, else refused.
 * - 'takeover': the newer one always wins (the key holder is trusted to be one encoder).
 * - 'reject': the older one keeps the stream until it ends.
 */
export type TakeoverPolicy = 'takeover-when-quiet' | 'takeover' | 'reject';

/**
 * 2 000 ms. An encoder reconnecting after a network drop must never be told "already publishing":
 * the old TCP connection may still look open until the RTMP idle timeout (30 s) notices it. A live
 * encoder sends several frames a second, so two seconds without one is a dead connection, not
 * jitter, yet it is short enough that a reconnect is accepted on its first or second attempt.
 */
export const DEFAULT_QUIET_MS = 2_000;

/**
 * 8 MiB, about 10 s of a 6.5 Mbit/s 1080p stream: several 2-s GOPs, so a reader that stalls for a
 * GC pause or a TCP window loses nothing, while one 10 s behind is no longer live and restarts at
 * the next keyframe. Queued samples are views shared by every reader, so many stuck readers hold
 * the same payloads, not copies. Equal to the GOP cache bound so a default reader takes a whole GOP.
 */
export const DEFAULT_MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * 8 MiB: a 10-s GOP at 6.5 Mbit/s. It bounds the memory of a stream whose encoder sends keyframes
 * rarely or never ("keyframe interval: auto"); such a stream simply gives new readers no fast start.
 */
export const DEFAULT_MAX_GOP_CACHE_BYTES = 8 * 1024 * 1024;

/**
 * 5 000 ms: at least two GOPs at the usual 2-s keyframe interval, so the estimate does not swing
 * with each keyframe's size; close to the span HLS BANDWIDTH is measured over (a few segments).
 */
export const DEFAULT_BITRATE_WINDOW_MS = 5_000;

export interface HubOptions {
  /** Policy for a second publish on a live key. Default 'takeover-when-quiet'. */
  takeoverPolicy?: TakeoverPolicy;
  /** Silence after which 'takeover-when-quiet' lets a newer publisher in. Default `DEFAULT_QUIET_MS`. */
  quietMs?: number;
  /** Bound of each stream's GOP cache. Default `DEFAULT_MAX_GOP_CACHE_BYTES`. */
  maxGopCacheBytes?: number;
  /** Span of the bitrate and frame-rate estimates. Default `DEFAULT_BITRATE_WINDOW_MS`. */
  bitrateWindowMs?: number;
  /** Queue bound of a reader that does not choose one. Default `DEFAULT_MAX_QUEUED_BYTES`. */
  defaultMaxQueuedBytes?: number;
}

export type ResolvedHubOptions = Required<HubOptions>;

const POLICIES: readonly TakeoverPolicy[] = ['takeover-when-quiet', 'takeover', 'reject'];

/** Validates at construction so a bad option fails at start, naming the option and the value. */
export function resolveHubOptions(o: HubOptions = {}): ResolvedHubOptions {
  const resolved: ResolvedHubOptions = {
    takeoverPolicy: o.takeoverPolicy ?? 'takeover-when-quiet',
    quietMs: o.quietMs ?? DEFAULT_QUIET_MS,
    maxGopCacheBytes: o.maxGopCacheBytes ?? DEFAULT_MAX_GOP_CACHE_BYTES,
    bitrateWindowMs: o.bitrateWindowMs ?? DEFAULT_BITRATE_WINDOW_MS,
    defaultMaxQueuedBytes: o.defaultMaxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
  };
  if (!POLICIES.includes(resolved.takeoverPolicy)) {
    throw invalidOption('takeoverPolicy', `one of ${POLICIES.join(', ')}`, String(resolved.takeoverPolicy));
  }
  checkInteger('quietMs', resolved.quietMs, 0, 86_400_000);
  checkInteger('maxGopCacheBytes', resolved.maxGopCacheBytes, 0, 2 ** 40);
  // The window is cut into buckets of a tenth of a second or more (see RateWindow).
  checkInteger('bitrateWindowMs', resolved.bitrateWindowMs, 100, 3_600_000);
  checkInteger('defaultMaxQueuedBytes', resolved.defaultMaxQueuedBytes, 1, 2 ** 40);
  return resolved;
}

