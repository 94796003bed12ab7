import { checkIntegerOption, checkNumberOption } from '../config/index.js';
import type { Sample } from '../media/index.js';

/**
 * What the segmenters emit. A part is a CMAF chunk (ISO/IEC 23000-19 7.3.2: a run of samples
 * written as one moof+mdat, which need not start with a sync sample) and an LL-HLS Partial Segment
 * (RFC 8216bis 4.4.4.9). A segment is a CMAF segment (23000-19 7.3.3: one or more whole fragments,
 * starting with a sync sample) and an HLS Media Segment: exactly the concatenation of its parts, so
 * a VOD packager writes segments and an LL-HLS packager writes each part as it comes and lists the
 * segment once it closes. Times are integer ticks of the track's timescale; samples are the objects
 * that were pushed when their duration was known, else copies with it filled in (a pushed sample is
 * never written to: the hub shares it with every reader).
 */
export interface SegmenterPart {
  readonly type: 'part';
  readonly trackId: number;
  /** Sequence number of the segment the part belongs to. */
  readonly segmentSequence: number;
  /** Position inside that segment, from 0. */
  readonly index: number;
  readonly samples: readonly Sample[];
  /** Starts with a sync sample (RFC 8216bis 4.4.4.9 INDEPENDENT=YES). */
  readonly independent: boolean;
  readonly startDts: number;
  /** Sum of the samples' durations: the next part starts at startDts + duration. */
  readonly duration: number;
}

export interface SegmenterSegment {
  readonly type: 'segment';
  readonly trackId: number;
  /**
   * Media sequence number. Tracks segmented by PresentationSegmenter share them: a follower's
   * segment carries the number of the leader's segment it aligns with, so a number a follower
   * skips (no audio for a whole segment) marks a hole (EXT-X-GAP) rather than a shift.
   */
  readonly sequence: number;
  readonly startDts: number;
  /** Sum of the parts' durations: the next segment starts at startDts + duration. */
  readonly duration: number;
  readonly parts: readonly SegmenterPart[];
}

export type SegmenterEvent = SegmenterPart | SegmenterSegment;

export interface SegmenterCounters {
  /** Samples accepted into a part. */
  samples: number;
  /** Samples dropped because no segment had started (before the first keyframe or cut point). */
  droppedBeforeStart: number;
  parts: number;
  segments: number;
}

export interface SegmenterOptions {
  /**
   * Seconds after which a segment is cut at the next sync sample; segments then last at most this
   * plus one GOP. Default 2: HLS wants EXTINF ≤ EXT-X-TARGETDURATION (RFC 8216bis 4.4.3.1), and
   * 2 s segments holding one 2 s GOP (the keyframe interval OBS and Twitch recommend) keep that
   * bound with the shortest startup a non-LL client gets.
   */
  segmentTargetSeconds?: number;
  /**
   * Seconds a part never exceeds (RFC 8216bis 4.4.3.7 PART-TARGET), except a single sample longer
   * than it, which gets a part of its own. Default 0.5: 4.4.4.9 also wants every part but the last
   * of a segment to last ≥ 85 % of the target, and whole frames reach that at 0.5 s for 25, 29.97,
   * 30, 50 and 60 fps and for 1024-sample AAC at 44.1 and 48 kHz, where 0.2 s fails at 29.97 fps.
   */
  partTargetSeconds?: number;
  /** Sequence number of the first segment. Default 0. */
  firstSequence?: number;
  /**
   * Moves each track's presentation times back by the composition offset of its first sample (the
   * B-frame reorder delay: 66 ms for OBS's x264 with 2 B-frames at 30 fps), so that a segment's
   * first frame presents at its decode time, where a playlist, which times segments and parts by
   * decode time, says it starts. Unshifted, the first video frame of every part a player joins at
   * presents that delay after the part's listed start, and the player (hls.js) finds a hole at its
   * start position. Frames the reorder delay held back get negative offsets: trun version 1, as
   * CMAF's cmf2 brand wants instead of an edit list (ISO/IEC 23000-19 7.5.17). Default false.
   */
  shiftCompositionDelay?: boolean;
}

export const DEFAULT_SEGMENT_TARGET_SECONDS = 2;
export const DEFAULT_PART_TARGET_SECONDS = 0.5;

/** Longest segment target accepted: an hour is already far beyond any live or VOD practice. */
export const MAX_SEGMENT_TARGET_SECONDS = 3600;

export type ResolvedSegmenterOptions = Required<SegmenterOptions>;

/** Fills in defaults and validates; a bad value throws ERR_CONFIG_INVALID naming the option. */
export function resolveSegmenterOptions(options: SegmenterOptions = {}): ResolvedSegmenterOptions {
  const resolved = {
    segmentTargetSeconds: options.segmentTargetSeconds ?? DEFAULT_SEGMENT_TARGET_SECONDS,
    partTargetSeconds: options.partTargetSeconds ?? DEFAULT_PART_TARGET_SECONDS,
    firstSequence: options.firstSequence ?? 0,
    shiftCompositionDelay: options.shiftCompositionDelay === true,
  };
  checkNumberOption('segmentTargetSeconds', resolved.segmentTargetSeconds, 0, MAX_SEGMENT_TARGET_SECONDS, true);
  checkNumberOption('partTargetSeconds', resolved.partTargetSeconds, 0, resolved.segmentTargetSeconds, true);
  checkIntegerOption('firstSequence', resolved.firstSequence, 0, Number.MAX_SAFE_INTEGER);
  return resolved;
}
