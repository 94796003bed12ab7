/**
 * Content-Type values for what the packagers write. RFC 8216bis 4: a playlist served over HTTP
 * "SHOULD be ... application/vnd.apple.mpegurl"; CMAF headers and segments are ISOBMFF, served as
 * video/mp4 or audio/mp4 by the kind of track they carry (RFC 6381 section 3).
 */
export const PLAYLIST_CONTENT_TYPE = 'application/vnd.apple.mpegurl';
export const VIDEO_MP4_CONTENT_TYPE = 'video/mp4';
export const AUDIO_MP4_CONTENT_TYPE = 'audio/mp4';
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * The Content-Type a file's extension implies, for stores that do not keep the one given to put
 * (DiskStore): .m3u8 → playlist, .mp4/.m4s → video/mp4 (a player reads the moov, not the header),
 * .mpd → DASH, anything else → application/octet-stream.
 */
export function contentTypeForPath(path: string): string {
  const dot = path.lastIndexOf('.');
  const extension = dot < 0 ? '' : path.slice(dot + 1).toLowerCase();
  if (extension === 'm3u8') return PLAYLIST_CONTENT_TYPE;
  if (extension === 'mp4' || extension === 'm4s') return VIDEO_MP4_CONTENT_TYPE;
  if (extension === 'mpd') return 'application/dash+xml';
  return DEFAULT_CONTENT_TYPE;
}
