import type { AudioTrack, VideoTrack } from '../media/index.js';

/**
 * What a live MPD is rendered from (live-mpd.ts): each HLS rendition's track and timeline as the
 * packager publishes them (a structural view: dash/ does not depend on hls/, design.md "Layout"),
 * and the options of a render.
 */

/**
 * What the MPD reads of a track (a media Track has these fields and more): a live stream passes
 * its packager's Track, a recording (static-mpd.ts) what its init segment and recording.json say.
 */
export type DashTrack =
  | Pick<VideoTrack, 'kind' | 'timescale' | 'codecString' | 'width' | 'height' | 'frameRate' | 'sarWidth' | 'sarHeight'>
  | Pick<AudioTrack, 'kind' | 'timescale' | 'codecString' | 'sampleRate' | 'channels'>;

/** One HLS rendition of the stream as the MPD sees it: its folder name, its track, its timeline. */
export interface DashRendition {
  readonly name: string;
  readonly track: DashTrack;
  readonly timeline: DashTimeline;
}

/**
 * What the MPD reads of a rendition's live timeline (the HLS packager's LiveTimeline has these
 * fields and more; dash/ does not depend on hls/, design.md "Layout").
 */
export interface DashTimeline {
  /** The segments the playlist lists, oldest first. */
  readonly segments: readonly LiveSegment[];
  /**
   * The segment whose parts are being published; `discontinuity`: it starts a new presentation
   * (the next Period, which the low-latency MPD shows from its first part: its date and first tick).
   */
  readonly open: OpenSegment | undefined;
  /** LL-HLS PART-TARGET; undefined without parts. */
  readonly partTargetSeconds: number | undefined;
  readonly peakBitsPerSecond: number;
  readonly averageBitsPerSecond: number;
  /** The publisher left for good (EXT-X-ENDLIST): no segment follows. */
  readonly ended: boolean;
  /** The publisher left, perhaps to come back: nothing is being written (the low-latency MPD is updated more often). */
  readonly away?: boolean;
}

/** The segment being written, as far as the MPD reads it. */
export interface OpenSegment {
  readonly msn: number;
  readonly discontinuity?: boolean;
  readonly programDateTimeMs?: number;
  readonly generation?: number;
  /** The cluster epoch its files are named with (objectNamePrefix). */
  readonly epoch?: number;
  /** S@t it will have. */
  readonly startTicks?: number;
}

/** A listed segment as the MPD reads it. */
export interface LiveSegment {
  /** Media sequence number: `$Number$`. */
  readonly msn: number;
  /** PROGRAM-DATE-TIME, epoch ms. */
  readonly programDateTimeMs: number;
  /** A new presentation starts with it: a new Period. */
  readonly discontinuity: boolean;
  /** Its init section is `init-<generation>.mp4`. */
  readonly generation: number;
  /** The cluster epoch its files are named with: `e<epoch>-init-<generation>.mp4`, `e<epoch>-<msn>.m4s` (objectNamePrefix). */
  readonly epoch?: number;
  /** S@t and S@d, in the track's timescale (segments without them are not listed). */
  readonly startTicks?: number;
  readonly durationTicks?: number;
  /** The track of its generation (codec, size, rate); the rendition's current track when absent. */
  readonly track?: DashTrack;
}

export interface LiveMpdOptions {
  /** The stream's segment target (the packager's), seconds: @duration of the low-latency MPD, MUP, minBufferTime. */
  readonly segmentTargetSeconds: number;
  /** Segments the HLS playlists list: timeShiftBufferDepth is one less. */
  readonly windowSegments: number;
  /** UTCTiming (http-xsdate): the server's own clock, e.g. '/time'. */
  readonly timeUrl: string;
  /** Epoch ms of the render: publishTime when the content changed. */
  readonly nowMs: number;
  /** Low-latency DASH: `$Number$` + `@duration`, availabilityTimeOffset, ServiceDescription, ProducerReferenceTime. */
  readonly lowLatency?: LowLatencyDashOptions;
}

export interface LowLatencyDashOptions {
  readonly targetLatencyMs: number;
  readonly minLatencyMs: number;
  readonly maxLatencyMs: number;
  readonly minPlaybackRate: number;
  readonly maxPlaybackRate: number;
}

/** The listed segments of each rendition, as a render reads them. */
export type ListedSegments = ReadonlyArray<{ readonly rendition: DashRendition; readonly segments: readonly TimedSegment[] }>;

/** Segments that can be placed: the packager sets their ticks. */
export type TimedSegment = LiveSegment & { readonly startTicks: number; readonly durationTicks: number };

export function timed(s: LiveSegment): s is TimedSegment {
  return s.startTicks !== undefined && s.durationTicks !== undefined;
}

/**
 * The first segment of a new presentation while it is being written, placed like a listed one of
 * no duration yet (the low-latency MPD announces its Period from the first part); undefined for
 * any other open segment.
 */
export function openingSegment(rendition: DashRendition): TimedSegment | undefined {
  const open = rendition.timeline.open;
  if (open?.discontinuity !== true || open.startTicks === undefined || open.programDateTimeMs === undefined || open.generation === undefined) return undefined;
  return { msn: open.msn, programDateTimeMs: open.programDateTimeMs, discontinuity: true, generation: open.generation, ...(open.epoch === undefined ? {} : { epoch: open.epoch }), startTicks: open.startTicks, durationTicks: 0, track: rendition.track };
}

/**
 * The prefix of the object names a packager with a cluster epoch writes, `e<epoch>-` (the HLS
 * packager's live-names.ts: dash/ does not depend on hls/); nothing without one. Every segment
 * of a Period was written by one packager, so its first segment's epoch names them all.
 */
export function objectNamePrefix(epoch: number | undefined): string {
  return epoch === undefined ? '' : `e${epoch}-`;
}
