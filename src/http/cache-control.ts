/**
 * Cache-Control per file kind. Live playlists change with every segment, so caches must
 * revalidate them (RFC 8216bis 6.2.1 lets clients reload as often as the target duration);
 * segments and init sections never change under their name (each generation of a stream gets a
 * new init name), so they are immutable for a year.
 */
export const PLAYLIST_CACHE_CONTROL = 'no-cache';
export const MEDIA_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * LL-HLS parts (`<msn>.<index>.m4s`) are as immutable as segments, but only of use near the live
 * edge: a short lifetime (live delivery gives them three target durations; this is the fallback
 * for a part served after its stream's packager is gone).
 */
export const PART_CACHE_CONTROL = 'public, max-age=6';

export function cacheControlFor(path: string): string {
  if (path.endsWith('.m3u8')) return PLAYLIST_CACHE_CONTROL;
  return /\/\d+\.\d+\.m4s$/.test(path) ? PART_CACHE_CONTROL : MEDIA_CACHE_CONTROL;
}
