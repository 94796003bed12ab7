import { parseLiveObjectName } from '../hls/index.js';

/**
 * What object storage does with each file the packagers put (pure: no I/O, no clock). A bucket
 * behind a CDN serves plain HLS (RFC 8216bis without the LL-HLS tags): init segments, media
 * segments, the multivariant playlist and one media playlist per rendition. Parts
 * (`<msn>.<index>.m4s`) stay at the origin: only LL-HLS playlists list them, and those are not
 * uploaded. With LL-HLS on, a rendition's plain view (`plain.m3u8`) is uploaded under the key
 * `<rendition>/index.m3u8`, the URI the multivariant playlist gives; with it off the packager's
 * `index.m3u8` is already plain.
 *
 *   origin store path                          bucket key (under the prefix)
 *   <app>/<key>/index.m3u8                  →  <app>/<key>/index.m3u8            multivariant
 *   <app>/<key>/plain.m3u8                  →  (not uploaded: the multivariant above serves)
 *   <app>/<key>/<r>/init-<generation>.mp4   →  <app>/<key>/<r>/init-<generation>.mp4
 *   <app>/<key>/<r>/<msn>.m4s               →  <app>/<key>/<r>/<msn>.m4s
 *   <app>/<key>/<r>/<msn>.<index>.m4s       →  (not uploaded: an LL-HLS part)
 *   <app>/<key>/<r>/plain.m3u8              →  <app>/<key>/<r>/index.m3u8        LL-HLS on
 *   <app>/<key>/<r>/index.m3u8              →  <app>/<key>/<r>/index.m3u8        LL-HLS off only
 *
 * In cluster mode the media names start with the stream's epoch, `e<epoch>-` (hls/live-names.ts):
 * they are uploaded under the names the playlists list, prefix and all, so a bucket that two
 * origins fed holds each one's objects apart, as a cache does.
 */

/**
 * What an object is. A live stream's: segment, init, playlist (a media playlist), multivariant. A
 * recording's (object-storage-recordings.ts) the same, and `manifest` (its DASH MPD), `info`
 * (recording.json, or any other file of its folder); `recording` is a whole recording's outcome.
 */
export type UploadKind = 'segment' | 'init' | 'playlist' | 'multivariant' | 'manifest' | 'info' | 'recording';

export interface UploadTarget {
  readonly kind: UploadKind;
  /** The object's path under the prefix, `<app>/<key>/...`. */
  readonly objectPath: string;
  /** `<app>/<key>`: the stream the file belongs to. */
  readonly stream: string;
}

/**
 * What a put means for the bucket: the object to upload, if any, and whether it shows the stream is
 * LL-HLS (a part, or a plain view: the packager puts a segment's parts before the segment, so
 * before any media playlist of the stream).
 */
export interface PutPlan {
  readonly target: UploadTarget | undefined;
  readonly stream: string | undefined;
  readonly lowLatency: boolean;
}

/** A recording's names (recorder-playlists.ts): always without an epoch. */
const SEGMENT = /^\d+\.m4s$/;
const INIT = /^init-\d+\.mp4$/;

/** The plan for a put of `path`; `lowLatency(stream)` says whether the stream is known to be LL-HLS. */
export function planPut(path: string, lowLatency: (stream: string) => boolean): PutPlan {
  const parts = path.split('/');
  if (parts.length < 3) return { target: undefined, stream: undefined, lowLatency: false };
  const stream = `${parts[0]}/${parts[1]}`;
  const plan = (kind: UploadKind | undefined, objectPath = path, ll = false): PutPlan => ({ target: kind === undefined ? undefined : { kind, objectPath, stream }, stream, lowLatency: ll });
  if (parts.length === 3) return parts[2] === 'index.m3u8' ? plan('multivariant') : plan(undefined, path, parts[2] === 'plain.m3u8');
  if (parts.length !== 4) return plan(undefined);
  const file = parts[3]!;
  const media = parseLiveObjectName(file)?.kind;
  if (media === 'segment') return plan('segment');
  if (media === 'init') return plan('init');
  if (media === 'part') return plan(undefined, path, true);
  if (file === 'plain.m3u8') return plan('playlist', `${stream}/${parts[2]}/index.m3u8`, true);
  if (file === 'index.m3u8' && !lowLatency(stream)) return plan('playlist');
  return plan(undefined);
}

/**
 * The object a delete of `path` removes (with `deleteWithWindow`), or undefined: parts and the
 * LL-HLS playlists were never uploaded. A delete of `plain.m3u8` removes `<r>/index.m3u8`, a
 * delete of `<r>/index.m3u8` too when the stream is not LL-HLS.
 */
export function planDelete(path: string, lowLatency: (stream: string) => boolean): UploadTarget | undefined {
  return planPut(path, lowLatency).target;
}

/**
 * The object paths a playlist lists (RFC 8216bis 4.1: each URI line; 4.4.4.5 EXT-X-MAP, 4.4.6.1
 * EXT-X-MEDIA and other tags carry theirs in a URI attribute), resolved against the playlist's own
 * folder. Absolute URLs and anything that climbs out of the stream's folder are left out: they
 * are not objects this uploader puts.
 */
export function playlistDependencies(objectPath: string, text: string): string[] {
  const folder = objectPath.slice(0, objectPath.lastIndexOf('/') + 1);
  const uris: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith('#')) uris.push(line);
    else for (const match of line.matchAll(/URI="([^"]*)"/g)) uris.push(match[1]!);
  }
  const out: string[] = [];
  for (const uri of uris) {
    const resolved = resolveRelative(folder, uri);
    if (resolved !== undefined) out.push(resolved);
  }
  return out;
}

function resolveRelative(folder: string, uri: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/')) return undefined;
  const bare = uri.split(/[?#]/)[0]!;
  const out = folder.split('/').filter((p) => p !== '');
  for (const part of bare.split('/')) {
    if (part === '..') {
      if (out.length <= 2) return undefined;
      out.pop();
    } else if (part !== '.' && part !== '') out.push(part);
  }
  return out.join('/');
}

/**
 * A file of a finished recording's folder, by its path in the folder (`video/3.m4s`,
 * `index.m3u8`): what it is, its Content-Type, and its stage: 0 the media (init segments,
 * segments, files the recorder does not name), 1 the media playlists, 2 the multivariant playlist
 * and the MPD (they name the media playlists and the media), 3 recording.json (it says the
 * recording is there: last of all). `audio(rendition)` says a rendition folder holds audio.
 */
export function planRecordingFile(relativePath: string, audio: (rendition: string) => boolean): { kind: UploadKind; contentType: string; stage: 0 | 1 | 2 | 3 } {
  const parts = relativePath.split('/');
  if (parts.length === 1) {
    if (parts[0] === 'index.m3u8') return { kind: 'multivariant', contentType: PLAYLIST_TYPE, stage: 2 };
    if (parts[0] === 'manifest.mpd') return { kind: 'manifest', contentType: 'application/dash+xml', stage: 2 };
    if (parts[0] === 'recording.json') return { kind: 'info', contentType: 'application/json', stage: 3 };
  } else if (parts.length === 2) {
    const media = audio(parts[0]!) ? 'audio/mp4' : 'video/mp4';
    if (parts[1] === 'index.m3u8') return { kind: 'playlist', contentType: PLAYLIST_TYPE, stage: 1 };
    if (SEGMENT.test(parts[1]!)) return { kind: 'segment', contentType: media, stage: 0 };
    if (INIT.test(parts[1]!)) return { kind: 'init', contentType: media, stage: 0 };
  }
  return { kind: 'info', contentType: 'application/octet-stream', stage: 0 };
}

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';

/**
 * One year, immutable (RFC 8246): a segment or init segment never changes under its name, so a
 * CDN and players keep it as long as they like.
 */
export const SEGMENT_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/**
 * A live playlist changes with every segment: a CDN may keep it for about half a target duration
 * (RFC 8216bis 6.2.2 has clients reload every target duration), 1 s at the default 2 s target.
 */
export const DEFAULT_PLAYLIST_MAX_AGE_SECONDS = 1;

export function cacheControlFor(kind: UploadKind, playlistMaxAgeSeconds: number): string {
  return kind === 'segment' || kind === 'init' ? SEGMENT_CACHE_CONTROL : `public, max-age=${playlistMaxAgeSeconds}`;
}

/** `<prefix>/<objectPath>`, or the path alone without a prefix. */
export function bucketKey(prefix: string, objectPath: string): string {
  return prefix === '' ? objectPath : `${prefix}/${objectPath}`;
}

/** What a failed attempt says (pure: read from the SDK's error). */
export interface FailureDescription {
  /** `<name or code>: <message>`, with the HTTP status when there was an answer. */
  readonly message: string;
  readonly status: number | undefined;
  /**
   * Likely to pass later by itself: no answer (refused, reset, timed out), a 5xx, 408 or 429, or a
   * throttling code. Other 4xx (AccessDenied, NoSuchBucket) need the operator: still retried, but
   * a success elsewhere does not wake them early.
   */
  readonly transient: boolean;
}

const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeTooSkewed']);

export function describeFailure(error: unknown): FailureDescription {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.code ?? e.name ?? 'Error';
  const text = e.message === undefined || e.message === '' ? String(error) : e.message;
  const transient = status === undefined || status >= 500 || status === 408 || status === 429 || THROTTLING.has(name);
  return { message: `${name}${status === undefined ? '' : ` (HTTP ${status})`}: ${text}`, status, transient };
}
