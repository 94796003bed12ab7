/**
 * tidecast/hub — live streams keyed by app and stream key, one publisher each with a takeover
 * policy, fan-out to bounded readers that drop to the next keyframe instead of slowing the
 * publisher, and a GOP cache for fast start. No sockets, no timers: time comes in as `nowMs`.
 */
export { Hub, shouldTakeOver } from './hub.js';
export type { HubEvents, PublishRequest, PublishResult } from './hub.js';
export { Publisher } from './publisher.js';
export type { PublisherLink } from './publisher.js';
export { LiveStream } from './live-stream.js';
export type { LiveStreamEvents, LiveStreamOptions, StreamCounters, StreamRates, StreamState, TrackCounters } from './live-stream.js';
export { Reader } from './reader.js';
export type { ReaderCounters, ReaderOptions, ReaderStart } from './reader.js';
export { GopCache } from './gop-cache.js';
export { RateWindow } from './rate-window.js';
export type { HubItem } from './items.js';
export {
  DEFAULT_BITRATE_WINDOW_MS,
  DEFAULT_MAX_GOP_CACHE_BYTES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_QUIET_MS,
  resolveHubOptions,
} from './limits.js';
export type { HubOptions, ResolvedHubOptions, TakeoverPolicy } from './limits.js';
