export type {
  ByteRange,
  InitSection,
  MediaPlaylist,
  MediaSegment,
  OpenSegment,
  PartialSegment,
  PlaylistType,
  PreloadHint,
  RenditionReport,
  SegmentTags,
  ServerControl,
  Skip,
} from './media-playlist.js';
export type { MultivariantPlaylist, Rendition, RenditionType, Resolution, VariantStream } from './multivariant-playlist.js';
export { renderMediaPlaylist } from './render-media.js';
export type { RenderMediaOptions } from './validate-media.js';
export { targetDuration, roundedSegmentSeconds, MIN_TARGET_DURATION_SECONDS } from './target-duration.js';
export type { HasDurationSeconds } from './target-duration.js';
export { peakBitrate, averageBitrate } from './bitrate.js';
export type { MeasuredSegment } from './bitrate.js';
export { mediaPlaylistMinimumVersion, multivariantMinimumVersion } from './version.js';
export { formatProgramDateTime } from './program-date-time.js';
export { DURATION_DECIMALS } from './attributes.js';
export { renderMultivariantPlaylist } from './render-multivariant.js';
export { buildMultivariantPlaylist, DEFAULT_AUDIO_GROUP_ID, FMP4_MEDIA_PLAYLIST_VERSION } from './build-multivariant.js';
export type { AudioRenditionSource, MeasuredBitrate, MultivariantSource, VideoVariantSource } from './build-multivariant.js';
export { HlsVodPackager } from './vod-packager.js';
export type { VodPackagerOptions, PackagedFile } from './vod-packager.js';
export { HlsLivePackager } from './live-packager.js';
export type { LivePackagerCounters } from './live-packager.js';
export type { LiveRendition } from './live-rendition.js';
export type { LiveSnapshot, LiveSnapshotListener } from './live-snapshot.js';
export { DEFAULT_SEGMENT_TARGET_SECONDS } from '../cmaf/index.js';
export { resolveLiveOptions, DEFAULT_LOW_LATENCY, DEFAULT_WINDOW_SEGMENTS, DEFAULT_HOT_SEGMENTS, MIN_WINDOW_SEGMENTS, MAX_WINDOW_SEGMENTS, MAX_DVR_WINDOW_SECONDS, DEFAULT_LL_PART_TARGET_SECONDS, MIN_PART_TARGET_SECONDS } from './live-options.js';
export type { LiveContinuation, LivePackagerOptions, LiveSegmentEvent, LivePartEvent, LivePlaylistKind, ResolvedLiveOptions } from './live-options.js';
export {
  appendLivePart,
  blockingReloadState,
  deltaUpdateDue,
  liveEdge,
  liveLowLatencyPlaylist,
  lowLatencyServerControl,
  partFileState,
  partState,
  renditionReport,
} from './live-low-latency.js';
export { epochPrefix, initUri, parseLiveObjectName, parsePartUri, parseSegmentUri, partUri, segmentUri } from './live-names.js';
export type { LiveObjectName } from './live-names.js';
export type { BlockingRequest, LiveEdge, LiveViewOptions, OpenSegmentTags } from './live-low-latency.js';
export { fittedPartTarget } from './part-target.js';
export { createLiveTimeline, appendLiveSegment, endLiveTimeline, reopenLiveTimeline, liveMediaPlaylist } from './live-timeline.js';
export type { LivePart, LiveSegment, LiveTimeline, LiveWindowPolicy, LiveTimelineUpdate, OpenLiveSegment } from './live-timeline.js';
export { applyChanges, ChangeQueue } from './live-changes.js';
export type { StoreChange } from './live-changes.js';
