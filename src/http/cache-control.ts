/**
 * Cache-Control per file kind. Live playlists change with every segment, so caches must
 * revalidate them (RFC 8216bis 6.2.1 lets clients reload as often as the target duration);
 * segments and init sections never change under their name (each generation of a stream gets a
 * new init name), so they are immutable for a year.
 */
export const PLAYLIST_CACHE_CONTROL = 'no-cache';
export const MEDIA_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export function cacheControlFor(path: string): string {
  return path.endsWith('.m3u8') ? PLAYLIST_CACHE_CONTROL : MEDIA_CACHE_CONTROL;
}
