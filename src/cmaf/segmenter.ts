/**
 * The pure segmenter: samples in, segment and part boundaries out, no clock (design.md "decide
 * purely, then act": the packagers write and publish what it decides).
 *
 * The shape chosen: one TrackSegmenter per track, because CMAF keeps every track in its own track
 * file with its own segments (ISO/IEC 23000-19 7.3.2.1), and a PresentationSegmenter that keeps
 * them aligned by passing the leading track's cut times to the others. The leader is the video
 * track (its cuts must sit on keyframes); audio follows, cutting at its first frame at or after
 * each video cut, and takes the same sequence number, so segment n of every rendition covers the
 * same span and an HLS client switching or syncing renditions by media sequence number finds the
 * same media. An audio-only presentation lets its first audio track lead and cut by duration.
 *
 * Output: `SegmenterPart` (a CMAF chunk / LL-HLS Partial Segment) as soon as it is complete, then
 * `SegmenterSegment` (a CMAF segment / HLS Media Segment) listing the same part objects.
 */
export { TrackSegmenter } from './segmenter-track.js';
export type { TrackSegmenterOptions } from './segmenter-track.js';
export { PresentationSegmenter, DEFAULT_MAX_FOLLOWER_LEAD_SECONDS } from './segmenter-presentation.js';
export type { PresentationSegmenterOptions } from './segmenter-presentation.js';
export { resolveSegmenterOptions, DEFAULT_SEGMENT_TARGET_SECONDS, DEFAULT_PART_TARGET_SECONDS } from './segmenter-types.js';
export type { SegmenterPart, SegmenterSegment, SegmenterEvent, SegmenterCounters, SegmenterOptions, ResolvedSegmenterOptions } from './segmenter-types.js';
