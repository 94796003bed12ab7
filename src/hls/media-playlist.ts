/**
 * The Media Playlist model (RFC 8216bis 4.4.3 Media Playlist tags, 4.4.4 Media Segment tags,
 * 4.4.5 Media Metadata tags): plain data that renderMediaPlaylist turns into text. Every field is
 * named after the tag or attribute it becomes, with its unit. Optional fields left undefined leave
 * their tag out. Times are given, never read from a clock.
 */

/** EXT-X-PLAYLIST-TYPE (4.4.3.5): VOD never changes; EVENT only grows at the end. */
export type PlaylistType = 'VOD' | 'EVENT';

/** A sub-range of a resource: `length` bytes starting at `offset` (4.4.4.2 `<n>[@<o>]`). */
export interface ByteRange {
  readonly length: number;
  /** Omitted: the range starts right after the previous sub-range of the same resource. */
  readonly offset?: number;
}

/** EXT-X-MAP (4.4.4.5): the Media Initialization Section, for fMP4 the init segment (ftyp+moov). */
export interface InitSection {
  readonly uri: string;
  readonly byteRange?: ByteRange;
}

/**
 * EXT-X-PART (4.4.4.9), a Partial Segment of LL-HLS: a CMAF chunk of its Parent Segment, published
 * before the Parent Segment is complete.
 */
export interface PartialSegment {
  readonly uri: string;
  /** DURATION; at most the playlist's partTargetSeconds. */
  readonly durationSeconds: number;
  /** INDEPENDENT=YES: starts with an independent frame, so a client can join here. */
  readonly independent?: boolean;
  readonly byteRange?: ByteRange;
  /** GAP=YES: the part is not available. */
  readonly gap?: boolean;
}

/** The tags that apply to a Parent Segment and so also to its first part (4.4.4.9). */
export interface SegmentTags {
  /** EXT-X-DISCONTINUITY (4.4.4.3) before this segment: a change of encoder, timestamps or format. */
  readonly discontinuity?: boolean;
  /**
   * The init section of this segment; undefined means the playlist's `map`. EXT-X-MAP is written
   * whenever the init section differs from the previous segment's, e.g. after a discontinuity with
   * a new encoder configuration. Each segment names its own init section, so a sliding window that
   * drops the segment where the init changed still renders the right EXT-X-MAP.
   */
  readonly map?: InitSection;
  /** EXT-X-PROGRAM-DATE-TIME (4.4.4.6): wall-clock time of the segment's first sample, epoch ms. */
  readonly programDateTimeMs?: number;
  /** LL-HLS parts of this segment, in order; rendered before its EXTINF (4.4.4.9). */
  readonly parts?: readonly PartialSegment[];
}

/** One Media Segment: EXTINF and URI line, plus the tags of SegmentTags. */
export interface MediaSegment extends SegmentTags {
  readonly uri: string;
  /** EXTINF duration (4.4.4.1), in seconds; printed with at most 5 decimals. */
  readonly durationSeconds: number;
  /** EXT-X-GAP (4.4.4.7): the segment is missing; clients skip it rather than fetch it. */
  readonly gap?: boolean;
}

/** LL-HLS: the Parent Segment still being written, known only by its tags and parts so far. */
export interface OpenSegment extends SegmentTags {
  readonly parts: readonly PartialSegment[];
}

/** EXT-X-SERVER-CONTROL (4.4.3.8): which Delivery Directives (6.2.5) the server supports. */
export interface ServerControl {
  /** CAN-BLOCK-RELOAD=YES: _HLS_msn/_HLS_part requests are held until the segment or part exists. */
  readonly canBlockReload?: boolean;
  /** CAN-SKIP-UNTIL, the Skip Boundary for delta updates; MUST be ≥ 6 × target duration. */
  readonly canSkipUntilSeconds?: number;
  /** HOLD-BACK: minimum distance from the live edge to start at; MUST be ≥ 3 × target duration. */
  readonly holdBackSeconds?: number;
  /** PART-HOLD-BACK: the same in low-latency mode; REQUIRED with parts, MUST be ≥ 2 × part target. */
  readonly partHoldBackSeconds?: number;
}

/**
 * EXT-X-SKIP (4.4.5.2) in a Playlist Delta Update: the first `skippedSegments` segments (counted from
 * mediaSequence) are left out; `segments` then holds only the ones after them. tidecast writes no
 * EXT-X-DATERANGE, so RECENTLY-REMOVED-DATERANGES is not modelled.
 */
export interface Skip {
  readonly skippedSegments: number;
}

/** EXT-X-PRELOAD-HINT (4.4.5.3): a resource the client may request before it exists. */
export interface PreloadHint {
  readonly type: 'PART' | 'MAP';
  readonly uri: string;
  /** BYTERANGE-START; absent means 0. */
  readonly byteRangeStart?: number;
  /** BYTERANGE-LENGTH; absent means up to the end of the resource. */
  readonly byteRangeLength?: number;
}

/** EXT-X-RENDITION-REPORT (4.4.5.4): where another rendition's live edge is. */
export interface RenditionReport {
  /** The other rendition's Media Playlist, relative to this playlist's URI. */
  readonly uri: string;
  /** LAST-MSN: media sequence number of its last segment (or of its last part's parent). */
  readonly lastMsn: number;
  /** LAST-PART: index of its last part within LAST-MSN; required when it has parts. */
  readonly lastPart?: number;
}

export interface MediaPlaylist {
  /** EXT-X-VERSION; default and minimum: mediaPlaylistMinimumVersion() (6, or 9 with EXT-X-SKIP). */
  readonly version?: number;
  /** EXT-X-INDEPENDENT-SEGMENTS (4.4.2.1): every segment starts with a keyframe (true for CMAF). */
  readonly independentSegments?: boolean;
  /** EXT-X-TARGETDURATION; default targetDuration(segments). Give it for live: it MUST NOT change (6.2.1). */
  readonly targetDurationSeconds?: number;
  /**
   * EXT-X-TARGETDURATION as clients before version 6 read it: at least every EXTINF, not rounded
   * (RFC 8216bis Section 8), so the playlist can declare version 3 (MPEG-TS for legacy players and
   * set-top boxes: no EXT-X-MAP). Renders fail when a segment is longer.
   */
  readonly legacyTargetDuration?: boolean;
  /** EXT-X-MEDIA-SEQUENCE (4.4.3.2): the number of the first segment (before any skipped ones). Default 0. */
  readonly mediaSequence?: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE (4.4.3.3): discontinuities that slid out of a live window. */
  readonly discontinuitySequence?: number;
  readonly playlistType?: PlaylistType;
  /** The init section of every segment that does not name its own. */
  readonly map?: InitSection;
  /** The zone EXT-X-PROGRAM-DATE-TIME values are written in, minutes east of UTC. Default 0 ('Z'). */
  readonly programDateTimeUtcOffsetMinutes?: number;
  readonly segments: readonly MediaSegment[];
  /** EXT-X-ENDLIST (4.4.3.4): no segment will be added. */
  readonly endList?: boolean;

  /** LL-HLS: EXT-X-PART-INF PART-TARGET (4.4.3.7), REQUIRED when there are parts. */
  readonly partTargetSeconds?: number;
  readonly serverControl?: ServerControl;
  readonly skip?: Skip;
  readonly openSegment?: OpenSegment;
  /** At most one per TYPE (6.2.6); none once the playlist has EXT-X-ENDLIST (4.4.5.3). */
  readonly preloadHints?: readonly PreloadHint[];
  readonly renditionReports?: readonly RenditionReport[];
}
