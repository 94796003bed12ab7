import { DEFAULT_PART_TARGET_SECONDS, DEFAULT_SEGMENT_TARGET_SECONDS, resolveSegmenterOptions } from '../cmaf/index.js';
import { checkBooleanOption, checkIntegerOption as integer, checkNumberOption, invalidOption } from '../config/index.js';
import type { Sample, Track } from '../media/index.js';

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
  /** The packager's `epoch`, when it has one: its files' names carry it (live-names.ts). */
  readonly epoch?: number;
}

/** What the packager tells an embedder about each LL-HLS part it publishes. */
export interface LivePartEvent {
  readonly track: string;
  readonly trackId: number;
  /** Media sequence number of the Parent Segment. */
  readonly msn: number;
  /** Position in the Parent Segment, from 0. */
  readonly index: number;
  readonly durationSeconds: number;
  readonly byteLength: number;
  readonly independent: boolean;
  /** The packager's `epoch`, when it has one. */
  readonly epoch?: number;
}

/** `'sliding'`: a live window (no EXT-X-PLAYLIST-TYPE); `'EVENT'`: 4.4.3.5, segments are only appended. */
export type LivePlaylistKind = 'sliding' | 'EVENT';

/** Where a stream's playlists stand: what a packager taking the stream over continues from. */
export interface LiveContinuation {
  /** The next segment's media sequence number. */
  readonly mediaSequence: number;
  /** The discontinuity sequence number of the newest segment (RFC 8216bis 6.2.2). */
  readonly discontinuitySequence: number;
}

export interface LivePackagerOptions {
  /** Seconds after which a segment is cut at the next keyframe. Default 2 (DEFAULT_SEGMENT_TARGET_SECONDS). */
  segmentTargetSeconds?: number;
  /**
   * LL-HLS (RFC 8216bis 4.4.4.9 parts, blocking reload, delta updates, rendition reports). Default
   * true (DEFAULT_LOW_LATENCY). False gives plain HLS: whole segments only, as players before
   * LL-HLS expect. With it on, `plain.m3u8` next to each `index.m3u8` serves the same stream
   * without the LL-HLS tags.
   */
  lowLatency?: boolean;
  /**
   * Nominal LL-HLS part target. Default 0.2 (DEFAULT_LL_PART_TARGET_SECONDS). Each rendition
   * announces it fitted to whole frames (fittedPartTarget: 0.202 s at 29.97 fps).
   */
  partTargetSeconds?: number;
  /** Segments listed in a sliding playlist. Default 6 (DEFAULT_WINDOW_SEGMENTS); at least 3. */
  windowSegments?: number;
  /**
   * A DVR (rewind) window, seconds: the sliding playlist lists this much media, so a viewer can seek
   * back as far (windowSegments becomes ceil(dvrWindowSeconds / segmentTargetSeconds); give one or
   * the other). Only `hotSegments` stay in memory: the store serves the rest from disk (MemoryStore's
   * spill folder), and LL-HLS clients reload it by delta updates (EXT-X-SKIP), so neither memory nor
   * the reloads grow with the window. At most MAX_DVR_WINDOW_SECONDS.
   */
  dvrWindowSeconds?: number;
  /**
   * Segments kept in the store after they leave the playlist, so a client that read the playlist
   * just before can still fetch them. Default windowSegments + 1 (see DEFAULT_WINDOW_SEGMENTS).
   */
  keepAfterWindowSegments?: number;
  /**
   * Segments at the live edge whose files the store keeps hot. Each older one, though still listed,
   * is retired (`SegmentStore.retire`) with its parts as the next segment is added: MemoryStore
   * with a spill folder then serves it from disk, so memory holds these few segments and the open
   * one, not the window. Default 2 (DEFAULT_HOT_SEGMENTS).
   */
  hotSegments?: number;
  /** Default 'sliding'. EVENT keeps every segment in playlist and store for the stream's life. */
  playlistType?: LivePlaylistKind;
  /**
   * EXT-X-TARGETDURATION to start from. Default: ceil(segmentTargetSeconds), raised to the first
   * segment's rounded duration before any playlist is written (live-timeline.ts says why).
   */
  targetDurationSeconds?: number;
  /**
   * A rendition's folder name, asked once when the track id first appears; undefined keeps the
   * default ('video', 'audio', or 'video<id>' when a kind repeats). A ladder names its rungs
   * ('720p', '480p') so their URLs say what they are and stay put when the ladder is re-planned.
   * A name is 1–64 of [A-Za-z0-9_-], starting with a letter or digit, one per rendition.
   */
  renditionName?: (track: Track, tracks: readonly Track[]) => string | undefined;
  /**
   * Continue playlists another packager began (a stream taken over by another origin, issue 14,
   * docs/cluster.md): the first segment is numbered `mediaSequence`, every playlist starts at
   * EXT-X-DISCONTINUITY-SEQUENCE `discontinuitySequence`, and the first segment carries
   * EXT-X-DISCONTINUITY (4.4.4.3: a new encoder's timestamps and parameters). Give what the
   * previous packager's `continuation` said. Default: a new presentation from 0.
   */
  continueFrom?: LiveContinuation;
  /**
   * The stream's cluster epoch (its claim's fencing token, src/cluster): every object name this
   * packager writes and lists starts with `e<epoch>-` (`e7-init-0.mp4`, `e7-12.m4s`,
   * `e7-12.3.m4s`; live-names.ts), so no two origins, nor a stale owner and the new one, ever write
   * the same immutable name (docs/cluster.md "Object names"). Playlist names do not change. A
   * non-negative safe integer. Default none: the names without a prefix.
   */
  epoch?: number;
  /** Called once per published segment, after its files were handed to the store. */
  onSegment?: (event: LiveSegmentEvent) => void;
  /** LL-HLS: called once per published part, after its file was handed to the store. */
  onPart?: (event: LivePartEvent) => void;
  /**
   * Called once per published segment (after onSegment) with its samples, built only if `samples`
   * is called, and its generation's track: another muxing of the same segments (the MPEG-TS
   * output) cuts exactly where the CMAF one does.
   */
  onSegmentSamples?: (event: LiveSegmentEvent, samples: () => readonly Sample[], track: Track) => void;
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

/**
 * LL-HLS on by default: LL-HLS players (hls.js, AVPlayer) get parts and blocking reloads, and a
 * player from before LL-HLS can read `plain.m3u8`, the same stream without the LL-HLS tags.
 */
export const DEFAULT_LOW_LATENCY = true;

/**
 * Default hot segments: 2, with the open segment what players at the live edge fetch: an LL-HLS
 * player starts PART-HOLD-BACK (three parts) behind the newest part and follows the new parts; a
 * player of whole segments follows the newest. The older segments of the window are fetched
 * once by a plain player joining (HOLD-BACK, three target durations back) and by players that
 * fell behind; MemoryStore reads those back from its spill folder, keeping the last few read.
 */
export const DEFAULT_HOT_SEGMENTS = 2;

/** 6.2.2: fewer than three segments cannot span three target durations. */
export const MIN_WINDOW_SEGMENTS = 3;

/** A part shorter than a frame at 30 fps would mostly hold one frame and double the request rate for nothing. */
export const MIN_PART_TARGET_SECONDS = 0.033;

/** Upper bound of windowSegments and keepAfterWindowSegments: a 4 h DVR window of 2 s segments. */
export const MAX_WINDOW_SEGMENTS = 7200;

/** Upper bound of dvrWindowSeconds: 4 h (2 h is the usual offer; the window's files are on disk). */
export const MAX_DVR_WINDOW_SECONDS = 14_400;

/**
 * Default nominal LL-HLS part target, 0.2 s: Apple's recommendation (RFC 8216bis appendix and the
 * LL-HLS authoring guide use 200 ms parts with 2 s segments, the defaults of MediaMTX too); with
 * PART-HOLD-BACK three parts, a player starts about 0.6 s behind the newest part.
 */
export const DEFAULT_LL_PART_TARGET_SECONDS = 0.2;

export interface ResolvedLiveOptions {
  readonly lowLatency: boolean;
  readonly segmentTargetSeconds: number;
  readonly partTargetSeconds: number;
  readonly windowSegments: number;
  readonly keepAfterWindowSegments: number;
  readonly hotSegments: number;
  readonly playlistType: LivePlaylistKind;
  readonly targetDurationSeconds: number;
  readonly continueFrom: LiveContinuation | undefined;
  readonly epoch: number | undefined;
}

/** Defaults filled in, every value checked; a bad one throws ERR_CONFIG_INVALID naming it. */
export function resolveLiveOptions(options: LivePackagerOptions = {}): ResolvedLiveOptions {
  const lowLatency = checkBooleanOption('lowLatency', options.lowLatency ?? DEFAULT_LOW_LATENCY);
  const segmentTargetSeconds = options.segmentTargetSeconds ?? DEFAULT_SEGMENT_TARGET_SECONDS;
  const nominalPart = lowLatency ? DEFAULT_LL_PART_TARGET_SECONDS : DEFAULT_PART_TARGET_SECONDS;
  const segmenter = resolveSegmenterOptions({
    segmentTargetSeconds,
    partTargetSeconds: options.partTargetSeconds ?? (typeof segmentTargetSeconds === 'number' ? Math.min(nominalPart, segmentTargetSeconds) : nominalPart),
  });
  if (lowLatency && segmenter.partTargetSeconds < MIN_PART_TARGET_SECONDS) throw invalidOption('partTargetSeconds', `at least ${MIN_PART_TARGET_SECONDS} with LL-HLS`, String(segmenter.partTargetSeconds));
  if (options.dvrWindowSeconds !== undefined && options.windowSegments !== undefined) throw invalidOption('dvrWindowSeconds', 'unset when windowSegments is set (one sizes the window)', String(options.dvrWindowSeconds));
  const dvr = options.dvrWindowSeconds === undefined ? undefined : checkNumberOption('dvrWindowSeconds', options.dvrWindowSeconds, segmenter.segmentTargetSeconds * MIN_WINDOW_SEGMENTS, MAX_DVR_WINDOW_SECONDS);
  const windowSegments = integer('windowSegments', options.windowSegments ?? (dvr === undefined ? DEFAULT_WINDOW_SEGMENTS : Math.ceil(dvr / segmenter.segmentTargetSeconds)), MIN_WINDOW_SEGMENTS, MAX_WINDOW_SEGMENTS);
  // The default, one more than the window, may exceed MAX_WINDOW_SEGMENTS by that one.
  const keepAfterWindowSegments = integer('keepAfterWindowSegments', options.keepAfterWindowSegments ?? windowSegments + 1, 0, MAX_WINDOW_SEGMENTS + 1);
  const hotSegments = integer('hotSegments', options.hotSegments ?? DEFAULT_HOT_SEGMENTS, 1, MAX_WINDOW_SEGMENTS);
  const playlistType = options.playlistType ?? 'sliding';
  if (playlistType !== 'sliding' && playlistType !== 'EVENT') throw invalidOption('playlistType', "'sliding' or 'EVENT'", String(playlistType));
  const minimumTarget = Math.ceil(segmenter.segmentTargetSeconds);
  const targetDurationSeconds = integer('targetDurationSeconds', options.targetDurationSeconds ?? minimumTarget, minimumTarget, 3600);
  for (const name of ['onSegment', 'onPart', 'onSegmentSamples', 'onWriteError', 'renditionName'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw invalidOption(name, 'a function', String(options[name]));
  }
  const continueFrom = options.continueFrom === undefined ? undefined : { mediaSequence: integer('continueFrom.mediaSequence', options.continueFrom.mediaSequence, 0, Number.MAX_SAFE_INTEGER), discontinuitySequence: integer('continueFrom.discontinuitySequence', options.continueFrom.discontinuitySequence, 0, Number.MAX_SAFE_INTEGER) };
  const epoch = options.epoch === undefined ? undefined : integer('epoch', options.epoch, 0, Number.MAX_SAFE_INTEGER);
  return { lowLatency, ...segmenter, windowSegments, keepAfterWindowSegments, hotSegments, playlistType, targetDurationSeconds, continueFrom, epoch };
}
