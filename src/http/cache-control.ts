import { DEFAULT_SEGMENT_TARGET_SECONDS, parsePartUri } from '../hls/index.js';

/**
 * Cache-Control per file kind. Live playlists change with every segment, so caches must
 * revalidate them (RFC 8216bis 6.2.1 lets clients reload as often as the target duration);
 * segments and init sections never change under their name (each generation of a stream gets a
 * new init name), so they are immutable for a year; LL-HLS parts and blocking-reload answers get
 * short lifetimes of their own (below).
 */
export const PLAYLIST_CACHE_CONTROL = 'no-cache';
export const MEDIA_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** An answer that holds only for now: a 404 for a part that may yet appear, a 503, an error. */
export const NO_STORE_CACHE_CONTROL = 'no-store';

/**
 * The target duration assumed when a part is served without its stream's timeline: the one a
 * stream at the default segment target has (EXT-X-TARGETDURATION is whole seconds, 4.4.3.1).
 */
const DEFAULT_TARGET_DURATION_SECONDS = Math.ceil(DEFAULT_SEGMENT_TARGET_SECONDS);

/**
 * LL-HLS parts (`<msn>.<index>.m4s`) never change under their name either, but are only of use
 * near the live edge (they are listed for three target durations): cached that long.
 */
export function partCacheControl(targetDurationSeconds: number): string {
  return `public, max-age=${Math.max(1, Math.ceil(3 * targetDurationSeconds))}`;
}

/**
 * A blocking reload's answer is keyed by its full URL (`_HLS_msn`/`_HLS_part` name the edge it
 * waited for), so a CDN may hand it to every viewer asking the same while it is fresh: one target
 * duration — long enough to collapse a burst of viewers onto one origin request, short enough that
 * a late viewer's answer still has the edge near (Apple's LL-HLS CDN guidance).
 */
export function blockingPlaylistCacheControl(targetDurationSeconds: number): string {
  return `public, max-age=${Math.max(1, Math.ceil(targetDurationSeconds))}`;
}

/** By path; `targetDurationSeconds` of the stream, when known, sets a part's lifetime. */
export function cacheControlFor(path: string, targetDurationSeconds = DEFAULT_TARGET_DURATION_SECONDS): string {
  if (path.endsWith('.m3u8')) return PLAYLIST_CACHE_CONTROL;
  const name = path.slice(path.lastIndexOf('/') + 1);
  return parsePartUri(name) === undefined ? MEDIA_CACHE_CONTROL : partCacheControl(targetDurationSeconds);
}
