import type { Track } from '../media/index.js';
import { averageBitrate, peakBitrate } from './bitrate.js';
import { invalid } from './invalid.js';
import { epochField, initUri } from './live-names.js';
import type { LivePlaylistKind } from './live-options.js';
import type { MediaPlaylist, MediaSegment } from './media-playlist.js';
import { roundedSegmentSeconds } from './target-duration.js';

/**
 * The timeline of one live rendition as a pure value (design.md "Timeline"; the "decide purely"
 * half of the packager): appending a segment returns the next timeline and what fell out of it,
 * and the packager turns that into store writes and deletes. No clock, no I/O; tests compare the
 * playlists it renders as exact strings.
 */

/** One published segment. */
export interface LiveSegment {
  /** Media sequence number (RFC 8216bis 4.4.3.2). */
  readonly msn: number;
  /** URI relative to the media playlist: `<msn>.m4s`, `e<epoch>-<msn>.m4s` with an epoch (live-names.ts). */
  readonly uri: string;
  readonly durationSeconds: number;
  readonly byteLength: number;
  /** EXT-X-PROGRAM-DATE-TIME, epoch ms (4.4.4.6). */
  readonly programDateTimeMs: number;
  /** EXT-X-DISCONTINUITY before it (4.4.4.3): a republish or a new encoder configuration. */
  readonly discontinuity: boolean;
  /** Init segment generation: its EXT-X-MAP is `init-<generation>.mp4` (initUri(generation, epoch)). */
  readonly generation: number;
  /** The cluster epoch its files are named with (live-names.ts); absent: plain names. */
  readonly epoch?: number;
  /** LL-HLS: the parts it was published as, in order (their durations add up to durationSeconds). */
  readonly parts?: readonly LivePart[];
  /**
   * Where it starts in the track's timescale: its decode time, which is also its earliest
   * presentation time (the packager shifts the composition delay so a segment's first frame
   * presents at its decode time). A DASH SegmentTimeline's S@t. Set by the packager.
   */
  readonly startTicks?: number;
  /** Its exact duration in the track's timescale (S@d); the next segment of the same presentation starts there. Set by the packager. */
  readonly durationTicks?: number;
  /** The track its init section describes (a generation's codec, size, rate): what a DASH Representation of its Period says. Set by the packager. */
  readonly track?: Track;
}

/** One LL-HLS Partial Segment (4.4.4.9) of a live rendition. */
export interface LivePart {
  /** Media sequence number of its Parent Segment. */
  readonly msn: number;
  /** Position in the Parent Segment, from 0. */
  readonly index: number;
  /** `<msn>.<index>.m4s`, with its segment's epoch prefix. */
  readonly uri: string;
  readonly durationSeconds: number;
  /** Starts with an independent frame (INDEPENDENT=YES). */
  readonly independent: boolean;
  readonly byteLength: number;
}

/** The Parent Segment being written: the tags it will have and its parts so far. */
export interface OpenLiveSegment {
  readonly msn: number;
  readonly programDateTimeMs: number;
  readonly discontinuity: boolean;
  readonly generation: number;
  /** The cluster epoch its files are named with; absent: plain names. */
  readonly epoch?: number;
  /** The decode time of its first sample, in the track's timescale (what S@t will be). */
  readonly startTicks?: number;
  readonly parts: readonly LivePart[];
}

export interface LiveTimeline {
  /** The segments the playlist lists, oldest first. */
  readonly segments: readonly LiveSegment[];
  /** Segments out of the playlist but still in the store (6.2.2), oldest first. */
  readonly retired: readonly LiveSegment[];
  /** 4.4.3.3: discontinuity tags that slid out of the window. */
  readonly discontinuitySequence: number;
  readonly targetDurationSeconds: number;
  /** Times a segment longer than the target forced it up after the first playlist (see appendLiveSegment). */
  readonly targetDurationRaises: number;
  /** Largest peak segment bit rate (4.1) measured over any window so far, bit/s. */
  readonly peakBitsPerSecond: number;
  /** Average segment bit rate (4.1) of the segments listed now, bit/s; 0 before the first. */
  readonly averageBitsPerSecond: number;
  /** Number the next segment must exceed the last one by; EXT-X-MEDIA-SEQUENCE of an empty playlist. */
  readonly nextMsn: number;
  readonly ended: boolean;
  /**
   * The publisher left and nothing is being written (its open segments were cut and listed): a
   * comeback (resume) or the end follows. The playlist does not show it; DASH delivery holds a
   * request for the next number meanwhile, and its low-latency MPD is updated more often.
   */
  readonly away: boolean;
  /** LL-HLS PART-TARGET (4.4.3.7), fixed for the rendition's life; undefined: no parts. */
  readonly partTargetSeconds: number | undefined;
  /** LL-HLS: the segment whose parts are being published, until appendLiveSegment lists it. */
  readonly open: OpenLiveSegment | undefined;
  /**
   * The cluster epoch the packager names its objects with (live-names.ts), fixed for the
   * timeline's life: the preload hint's part, and which part names can still appear. Absent: plain names.
   */
  readonly epoch?: number;
}

/** What the window policy reads from the options. */
export interface LiveWindowPolicy {
  readonly windowSegments: number;
  readonly keepAfterWindowSegments: number;
  readonly playlistType: LivePlaylistKind;
  /** Segments at the live edge kept hot; an older one is retired while still listed. Default: all (retired as it leaves the window). */
  readonly hotSegments?: number;
}

export interface LiveTimelineUpdate {
  readonly timeline: LiveTimeline;
  /** Segments to delete from the store now: out of the playlist for keepAfterWindowSegments more. */
  readonly expired: readonly LiveSegment[];
  /**
   * Segments to retire with this append, each once: the one that now has `hotSegments` newer ones
   * (still listed), and any that left the playlist before getting there (6.2.2: they stay
   * available until they expire). A store may move their files to slower storage
   * (SegmentStore.retire).
   */
  readonly retiredNow: readonly LiveSegment[];
  /** Init generations no remaining segment (listed or retired) uses any more: delete their files. */
  readonly releasedGenerations: readonly number[];
}

export function createLiveTimeline(targetDurationSeconds: number, firstMsn = 0, partTargetSeconds?: number, discontinuitySequence = 0, epoch?: number): LiveTimeline {
  return {
    segments: [],
    retired: [],
    discontinuitySequence,
    targetDurationSeconds,
    targetDurationRaises: 0,
    peakBitsPerSecond: 0,
    averageBitsPerSecond: 0,
    nextMsn: firstMsn,
    ended: false,
    away: false,
    partTargetSeconds,
    open: undefined,
    ...epochField(epoch),
  };
}

/**
 * Appends `segment` and slides the window.
 *
 * EXT-X-TARGETDURATION: 6.2.1 says it MUST NOT change, 4.4.3.1 that every EXTINF, rounded, MUST be
 * ≤ it. Segments are cut at the first keyframe past the segment target, so their length is set by
 * the encoder's GOP, which the packager learns only from the first segment: the target starts at
 * ceil(segment target) and is raised to the first segment's rounded duration before any playlist
 * exists (OBS's "auto" keyframe interval gives 8–10 s segments, which a fixed 2 would make
 * invalid from the start). A later, longer GOP still raises it — changing the target once is
 * something clients absorb (they pace reloads by it), while an EXTINF above it makes the whole
 * playlist invalid (clients "MUST fail to parse", Section 4) — and is counted in
 * targetDurationRaises so the embedder can warn about the encoder's keyframe interval.
 */
export function appendLiveSegment(timeline: LiveTimeline, segment: LiveSegment, policy: LiveWindowPolicy): LiveTimelineUpdate {
  if (!Number.isSafeInteger(segment.msn) || segment.msn < timeline.nextMsn) {
    throw invalid('segment.msn', `must be an integer ≥ ${timeline.nextMsn} (media sequence numbers only grow, 6.2.1), got ${segment.msn}`);
  }
  const rounded = roundedSegmentSeconds(segment.durationSeconds);
  const first = timeline.segments.length === 0 && timeline.retired.length === 0;
  const raise = rounded > timeline.targetDurationSeconds && !first;
  const targetDurationSeconds = Math.max(timeline.targetDurationSeconds, rounded);
  let segments = [...timeline.segments, segment];
  let retired = timeline.retired;
  let discontinuitySequence = timeline.discontinuitySequence;
  // A listed segment cools once `hotSegments` newer ones follow it: the one at that place now did
  // (those before it did at earlier appends); one the window drops before that is retired then.
  const hot = policy.hotSegments ?? Number.POSITIVE_INFINITY;
  const cooling = segments.length > hot ? segments[segments.length - 1 - hot] : undefined;
  let retiredNow: LiveSegment[] = cooling === undefined ? [] : [cooling];
  if (policy.playlistType === 'sliding') {
    const slid = slide(segments, targetDurationSeconds, policy.windowSegments);
    // Segment i of the list before sliding has length − 1 − i newer ones: fewer than `hot`, never cooled.
    const uncooled = slid.removed.filter((_, i) => segments.length - 1 - i < hot);
    segments = slid.kept;
    // 4.4.3.3: the discontinuity sequence counts the EXT-X-DISCONTINUITY tags removed with their segments.
    discontinuitySequence += slid.removed.filter((s) => s.discontinuity).length;
    retired = [...retired, ...slid.removed];
    retiredNow = [...uncooled, ...retiredNow];
  }
  const expiredCount = Math.max(0, retired.length - policy.keepAfterWindowSegments);
  const expired = retired.slice(0, expiredCount);
  retired = retired.slice(expiredCount);
  const next: LiveTimeline = {
    segments,
    retired,
    discontinuitySequence,
    targetDurationSeconds,
    targetDurationRaises: timeline.targetDurationRaises + (raise ? 1 : 0),
    peakBitsPerSecond: Math.max(timeline.peakBitsPerSecond, peakBitrate(segments, targetDurationSeconds)),
    averageBitsPerSecond: averageBitrate(segments),
    nextMsn: segment.msn + 1,
    ended: timeline.ended,
    away: timeline.away,
    partTargetSeconds: timeline.partTargetSeconds,
    open: timeline.open !== undefined && timeline.open.msn > segment.msn ? timeline.open : undefined,
    ...epochField(timeline.epoch),
  };
  // A segment kept for no time at all (keepAfterWindowSegments 0) is deleted, not retired.
  const goneNow = new Set(expired);
  return { timeline: next, expired, retiredNow: retiredNow.filter((s) => !goneNow.has(s)), releasedGenerations: released(expired, [...segments, ...retired]) };
}

/**
 * The oldest segments go while more than `windowSegments` are listed — but 6.2.2: "The server MUST
 * NOT remove a Media Segment from a Playlist file without an EXT-X-ENDLIST tag if that would
 * produce a Playlist whose duration is less than three times the target duration."
 */
function slide(segments: LiveSegment[], targetDurationSeconds: number, windowSegments: number): { kept: LiveSegment[]; removed: LiveSegment[] } {
  let total = segments.reduce((sum, s) => sum + s.durationSeconds, 0);
  let start = 0;
  while (segments.length - start > windowSegments && total - segments[start]!.durationSeconds >= 3 * targetDurationSeconds) {
    total -= segments[start]!.durationSeconds;
    start += 1;
  }
  return { kept: segments.slice(start), removed: segments.slice(0, start) };
}

function released(expired: readonly LiveSegment[], remaining: readonly LiveSegment[]): number[] {
  const used = new Set(remaining.map((s) => s.generation));
  const newest = remaining.at(-1)?.generation ?? Infinity;
  return [...new Set(expired.map((s) => s.generation))].filter((g) => !used.has(g) && g < newest);
}

/** The publisher left: no segment follows (4.4.3.4 EXT-X-ENDLIST). */
export function endLiveTimeline(timeline: LiveTimeline): LiveTimeline {
  return timeline.ended ? timeline : { ...timeline, ended: true, open: undefined };
}

/** The publisher left, perhaps to come back: nothing is being written until reopenLiveTimeline. */
export function awayLiveTimeline(timeline: LiveTimeline): LiveTimeline {
  return timeline.away || timeline.ended ? timeline : { ...timeline, away: true, open: undefined };
}

/** The same stream was published again: the playlist goes on (after a discontinuity). */
export function reopenLiveTimeline(timeline: LiveTimeline): LiveTimeline {
  return timeline.ended || timeline.away ? { ...timeline, ended: false, away: false } : timeline;
}

/**
 * The Media Playlist model of the timeline. 6.2.1: a live playlist only appends, removes from the
 * front and counts up EXT-X-MEDIA-SEQUENCE and EXT-X-DISCONTINUITY-SEQUENCE; every segment names
 * its init section, so the EXT-X-MAP in force survives the window sliding past the point where it
 * changed, and carries EXT-X-PROGRAM-DATE-TIME (4.4.4.6), which also re-anchors the clock a
 * client keeps across a discontinuity.
 */
export function liveMediaPlaylist(timeline: LiveTimeline, playlistType: LivePlaylistKind, segments: readonly MediaSegment[] = timeline.segments.map(liveSegmentModel)): MediaPlaylist {
  return {
    independentSegments: true,
    targetDurationSeconds: timeline.targetDurationSeconds,
    mediaSequence: timeline.segments[0]?.msn ?? timeline.nextMsn,
    discontinuitySequence: timeline.discontinuitySequence,
    ...(playlistType === 'EVENT' ? { playlistType: 'EVENT' as const } : {}),
    segments,
    endList: timeline.ended,
  };
}

/** A published segment as the playlist model lists it (without its parts). */
export function liveSegmentModel(s: LiveSegment): MediaSegment {
  return {
    uri: s.uri,
    durationSeconds: s.durationSeconds,
    map: { uri: initUri(s.generation, s.epoch) },
    programDateTimeMs: s.programDateTimeMs,
    ...(s.discontinuity ? { discontinuity: true } : {}),
  };
}
