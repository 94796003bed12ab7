import { MediaError } from '../errors/index.js';
import { fragmentPieces } from './segment-file.js';
import type { Fragment } from '../cmaf/index.js';
import type { Track } from '../media/index.js';
import { AUDIO_MP4_CONTENT_TYPE, DeferredFile, PLAYLIST_CONTENT_TYPE, VIDEO_MP4_CONTENT_TYPE, type StoredFile } from '../store/index.js';
import type { LiveModels } from './live-models.js';
import type { LiveSnapshot } from './live-snapshot.js';
import type { LiveTimeline } from './live-timeline.js';

/** A published LL-HLS part's fragment, kept until its segment closes (the segment is the parts joined). */
export interface OpenPartFile {
  readonly msn: number;
  readonly fragment: Fragment;
}

/** One track's output: its folder name, its timeline, and counters that outlive a generation. */
export interface LiveRendition {
  track: Track;
  /** Folder of its files, fixed for the stream's life: 'video', 'audio', or 'video<id>' when a kind repeats. */
  readonly name: string;
  timeline: LiveTimeline;
  /** mfhd sequence numbers keep increasing across generations (ISO/IEC 14496-12 8.8.5.3). */
  fragments: number;
  /** The next segment follows a discontinuity (a republish or a new generation). */
  discontinuityNext: boolean;
  /** The track is no longer published: its playlist has ended. */
  removed: boolean;
  /** LL-HLS: the announced PART-TARGET, fixed at the rendition's first generation; undefined without LL-HLS. */
  readonly partTargetSeconds: number | undefined;
  /** LL-HLS: the fragments of the open segment's parts, in order. */
  openParts: OpenPartFile[];
  /** The last snapshot published: its timeline is as of the last store write that finished (its files exist). */
  snapshot: LiveSnapshot | undefined;
  /** The playlists of `timeline` given to the store, to become its snapshot once written. */
  rendered: RenderedPlaylists | undefined;
  /** Its playlists' model objects and their rendered text, reused from one render to the next. */
  readonly models: LiveModels;
}

/**
 * A timeline's media playlist, its delta update (undefined when it would skip nothing) and its
 * plain view, each rendered when first asked for and then the same text every time
 * (liveRenditionPlaylists).
 */
export interface RenderedPlaylists {
  readonly timeline: LiveTimeline;
  readonly playlist: () => string;
  readonly delta: () => string | undefined;
  readonly plain: () => string;
}

export function renditionName(track: Track, tracks: readonly Track[]): string {
  const repeated = tracks.filter((t) => t.kind === track.kind).length > 1;
  return repeated ? `${track.kind}${track.id}` : track.kind;
}

/** A rendition folder: one path segment, without dots, so it can never be `..` or look like a file beside it (index.m3u8). */
const RENDITION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** `name` (an embedder's, or the default) as `track`'s folder: checked, and not one `existing` rendition has. */
export function checkedRenditionName(track: Track, name: unknown, existing: Iterable<LiveRendition>): string {
  if (typeof name !== 'string' || !RENDITION_NAME.test(name) || [...existing].some((r) => r.name === name)) {
    throw new MediaError('ERR_MEDIA_INVALID', `rendition name ${JSON.stringify(name)} of track ${track.id} must be 1–64 of [A-Za-z0-9_-], start with a letter or digit, and be unused`, { trackId: track.id });
  }
  return name;
}

export function mediaContentType(track: Track): string {
  return track.kind === 'video' ? VIDEO_MP4_CONTENT_TYPE : AUDIO_MP4_CONTENT_TYPE;
}

const encoder = new TextEncoder();

export function textFile(text: string): StoredFile {
  const bytes = encoder.encode(text);
  return { pieces: [bytes], byteLength: bytes.byteLength, contentType: PLAYLIST_CONTENT_TYPE };
}

/** A playlist file rendered when the store first reads it (DeferredFile). */
export function deferredTextFile(text: () => string): StoredFile {
  return new DeferredFile(() => [encoder.encode(text())], PLAYLIST_CONTENT_TYPE);
}

/** The fragment header, then every sample payload: zero-copy pieces of the segment file. */
export function fragmentFile(f: Fragment, contentType: string): StoredFile {
  return { pieces: fragmentPieces(f), byteLength: f.byteLength, contentType };
}
