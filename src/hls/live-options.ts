import { DEFAULT_PART_TARGET_SECONDS, DEFAULT_SEGMENT_TARGET_SECONDS, resolveSegmenterOptions } from '../cmaf/index.js';
import { ConfigError } from '../errors/index.js';

/** What the packager tells an embedder about each segment it publishes: data only. */
export interface LiveSegmentEvent {
  /** Rendition name, the folder of its files: 'video', 'audio' ('video2' … when a kind repeats). */
  readonly track: string;
  readonly trackId: number;
  /** Media sequence number (RFC 8216bis 4.4.3.2), shared by the renditions' aligned segments. */
  readonly msn: number;
  readonly durationSeconds: number;
  readonly byteLength: number;
  /** Wall-clock time (the nowMs given) at which the segment's first sample arrived, epoch ms. */
  readonly programDateTimeMs: number;
  /** Init segment generation the segment decodes with (`init-<generation>.mp4`). */
  readonly generation: number;
  readonly discontinuity: boolean;
}

/** `'sliding'`: a live window (no EXT-X-PLAYLIST-TYPE); `'EVENT'`: 4.4.3.5, segments are only appended. */
export type LivePlaylistKind = 'sliding' | 'EVENT';

export interface LivePackagerOptions {
  /** Seconds after which a segment is cut at the next keyframe. Default 2 (DEFAULT_SEGMENT_TARGET_SECONDS). */
  segmentTargetSeconds?: number;
  /** LL-HLS part target handed to the segmenter (parts are not published yet). Default 0.5. */
  partTargetSeconds?: number;
  /** Segments listed in a sliding playlist. Default 6 (DEFAULT_WINDOW_SEGMENTS); at least 3. */
  windowSegments?: number;
  /**
   * Segments kept in the store after they leave the playlist, so a client that read the playlist
   * just before can still fetch them. Default windowSegments + 1 (see DEFAULT_WINDOW_SEGMENTS).
   */
  keepAfterWindowSegments?: number;
  /** Default 'sliding'. EVENT keeps every segment in playlist and store for the stream's life. */
  playlistType?: LivePlaylistKind;
  /**
   * EXT-X-TARGETDURATION to start from. Default: ceil(segmentTargetSeconds), raised to the first
   * segment's rounded duration before any playlist is written (live-timeline.ts says why).
   */
  targetDurationSeconds?: number;
  /** Called once per published segment, after its files were handed to the store. */
  onSegment?: (event: LiveSegmentEvent) => void;
  /**
   * Receives a failed asynchronous store write (DiskStore: disk full, permissions). Default none:
   * the promise the call returned rejects instead. Synchronous stores throw from the call itself.
   */
  onWriteError?: (error: unknown) => void;
}

/**
 * Default window: 6 segments (12 s at the 2 s target). RFC 8216bis 6.2.2 needs a live playlist of
 * at least three target durations; Apple's authoring guidance and hls.js's default live sync
 * (3 target durations behind the edge) want twice that, so a client joining at the hold-back point
 * still has segments behind it to absorb a slow reload.
 *
 * Default keep-after-window: windowSegments + 1 (7). 6.2.2: a removed segment "MUST remain
 * available to clients for a period of time equal to the duration of the segment plus the duration
 * of the longest Playlist file distributed by the server containing that segment" — one segment
 * plus a window of segments, counted in segments because segments are cut at about the same length
 * and a new one is appended (pushing one out) about once per segment duration.
 */
export const DEFAULT_WINDOW_SEGMENTS = 6;

/** 6.2.2: fewer than three segments cannot span three target durations. */
export const MIN_WINDOW_SEGMENTS = 3;

/** Upper bound of windowSegments and keepAfterWindowSegments: an hour of 2 s segments. */
export const MAX_WINDOW_SEGMENTS = 1800;

export interface ResolvedLiveOptions {
  readonly segmentTargetSeconds: number;
  readonly partTargetSeconds: number;
  readonly windowSegments: number;
  readonly keepAfterWindowSegments: number;
  readonly playlistType: LivePlaylistKind;
  readonly targetDurationSeconds: number;
}

/** Defaults filled in, every value checked; a bad one throws ERR_CONFIG_INVALID naming it. */
export function resolveLiveOptions(options: LivePackagerOptions = {}): ResolvedLiveOptions {
  const segmenter = resolveSegmenterOptions({
    segmentTargetSeconds: options.segmentTargetSeconds ?? DEFAULT_SEGMENT_TARGET_SECONDS,
    partTargetSeconds: options.partTargetSeconds ?? Math.min(DEFAULT_PART_TARGET_SECONDS, options.segmentTargetSeconds ?? DEFAULT_SEGMENT_TARGET_SECONDS),
  });
  const windowSegments = integer('windowSegments', options.windowSegments ?? DEFAULT_WINDOW_SEGMENTS, MIN_WINDOW_SEGMENTS, MAX_WINDOW_SEGMENTS);
  const keepAfterWindowSegments = integer('keepAfterWindowSegments', options.keepAfterWindowSegments ?? windowSegments + 1, 0, MAX_WINDOW_SEGMENTS);
  const playlistType = options.playlistType ?? 'sliding';
  if (playlistType !== 'sliding' && playlistType !== 'EVENT') throw invalid('playlistType', playlistType, "'sliding' or 'EVENT'");
  const minimumTarget = Math.ceil(segmenter.segmentTargetSeconds);
  const targetDurationSeconds = integer('targetDurationSeconds', options.targetDurationSeconds ?? minimumTarget, minimumTarget, 3600);
  for (const name of ['onSegment', 'onWriteError'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw invalid(name, options[name], 'a function');
  }
  return { ...segmenter, windowSegments, keepAfterWindowSegments, playlistType, targetDurationSeconds };
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid(name, value, `an integer from ${min} to ${max}`);
  return value;
}

function invalid(name: string, value: unknown, expected: string): ConfigError {
  return new ConfigError('ERR_CONFIG_INVALID', `option ${name} must be ${expected}, got ${String(value)}`, { option: name, value: String(value) });
}
