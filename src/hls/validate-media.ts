import { decimalInteger, enumeratedString } from './attributes.js';
import { invalid } from './invalid.js';
import { checkLowLatency } from './low-latency-rules.js';
import type { MediaPlaylist, MediaSegment } from './media-playlist.js';
import { checkUtcOffset } from './program-date-time.js';
import { renderContext, type MediaRenderCache } from './render-cache.js';
import { checkSegmentDuration, checkTargetDuration, targetDuration } from './target-duration.js';
import { MEDIA_VERSION_RULES, resolveVersion } from './version.js';

/**
 * The checks of a Media Playlist model that relate several values, run before a line is written.
 * Single values (a URI, a date, a byte range) are checked by the formatter that writes them, so
 * each rule lives in one place; rendering is pure, so a throw halfway leaves nothing behind.
 */

/** The values renderMediaPlaylist writes that the model may leave to defaults. */
export interface ResolvedMediaPlaylist {
  readonly version: number;
  readonly targetDurationSeconds: number;
  readonly mediaSequence: number;
  readonly utcOffsetMinutes: number;
}

export interface RenderMediaOptions {
  /**
   * `'strict'` (default): every part lasts at most PART-TARGET and, unless exempt, at least 85 % of
   * it (4.4.4.9). `'lenient'`: parts only need a positive duration — for a live packager, whose
   * parts are cut from whatever timestamps the encoder sends (a variable frame rate, a dropped
   * frame) and which must keep publishing; it counts the parts off the target instead.
   */
  readonly partDurations?: 'strict' | 'lenient';
  /**
   * Text and checks kept from earlier renders of the same playlist, reused for the segment objects
   * it has seen in the same settings (render-cache.ts). The output is the same with or without it.
   */
  readonly cache?: MediaRenderCache;
}

export function validateMediaPlaylist(playlist: MediaPlaylist, options: RenderMediaOptions = {}): ResolvedMediaPlaylist {
  if (playlist === null || typeof playlist !== 'object' || !Array.isArray(playlist.segments)) {
    throw invalid('segments', 'a media playlist needs a segments array');
  }
  const context = renderContext(playlist, options);
  // A list checked before as a whole (the same array object, same settings) needs none of its segments' checks.
  const listChecked = playlist.targetDurationSeconds !== undefined && options.cache?.listChecked(playlist.segments, context, playlist.targetDurationSeconds) === true;
  const fresh = (segment: MediaSegment): boolean => !listChecked && options.cache?.checked(segment, context) !== true;
  playlist.segments.forEach((segment, i) => {
    if (fresh(segment)) checkSegmentDuration(`segments[${i}].durationSeconds`, segment.durationSeconds);
  });
  const targetDurationSeconds = playlist.targetDurationSeconds ?? targetDuration(playlist.segments);
  if (!listChecked) checkTargetDuration(targetDurationSeconds, playlist.segments);
  if (playlist.legacyTargetDuration === true) {
    playlist.segments.forEach((segment, i) => {
      if (segment.durationSeconds > targetDurationSeconds) throw invalid(`segments[${i}].durationSeconds`, `${segment.durationSeconds} s is over EXT-X-TARGETDURATION ${targetDurationSeconds}, which clients before version 6 read unrounded`);
    });
  }
  const version = resolveVersion(MEDIA_VERSION_RULES, playlist);
  const mediaSequence = playlist.mediaSequence ?? 0;
  decimalInteger('mediaSequence', mediaSequence);
  if (playlist.discontinuitySequence !== undefined) decimalInteger('discontinuitySequence', playlist.discontinuitySequence);
  if (playlist.playlistType !== undefined) enumeratedString('playlistType', playlist.playlistType, ['VOD', 'EVENT']);
  const utcOffsetMinutes = playlist.programDateTimeUtcOffsetMinutes ?? 0;
  checkUtcOffset('programDateTimeUtcOffsetMinutes', utcOffsetMinutes);
  checkLowLatency(playlist, targetDurationSeconds, options.partDurations ?? 'strict', fresh);
  checkSequenceRange(playlist, mediaSequence);
  checkEverySegmentHasInit(playlist);
  return { version, targetDurationSeconds, mediaSequence, utcOffsetMinutes };
}

/**
 * Every segment's media sequence number is a decimal-integer too (clients compute it as
 * EXT-X-MEDIA-SEQUENCE plus the position, 4.4.3.2, and _HLS_msn requests name it), so the last one
 * must still be exact.
 */
function checkSequenceRange(playlist: MediaPlaylist, mediaSequence: number): void {
  const last = mediaSequence + (playlist.skip?.skippedSegments ?? 0) + playlist.segments.length;
  if (!Number.isSafeInteger(last)) throw invalid('mediaSequence', `segment numbers reach ${last}, beyond ${Number.MAX_SAFE_INTEGER}`);
}

/**
 * EXT-X-MAP "applies to every Media Segment that appears after it in the Playlist until the next
 * EXT-X-MAP tag or until the end of the Playlist" (4.4.4.5): once one is written there is no way to
 * say "no init section" for a later segment. Without a playlist-wide map, either every segment
 * names its init section or none does.
 */
function checkEverySegmentHasInit(playlist: MediaPlaylist): void {
  if (playlist.map !== undefined) return;
  const all = [...playlist.segments, ...(playlist.openSegment === undefined ? [] : [playlist.openSegment])];
  const withMap = all.filter((s) => s.map !== undefined).length;
  if (withMap === 0 || withMap === all.length) return;
  const index = all.findIndex((s) => s.map === undefined);
  const field = index === playlist.segments.length ? 'openSegment.map' : `segments[${index}].map`;
  throw invalid(field, 'some segments name an init section and this one does not, and the playlist has no map to fall back on (RFC 8216bis 4.4.4.5)');
}
