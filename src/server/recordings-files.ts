import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MEDIA_CACHE_CONTROL, MPD_CONTENT_TYPE, NO_STORE_CACHE_CONTROL, PLAYLIST_CACHE_CONTROL } from '../http/index.js';
import { AUDIO_MP4_CONTENT_TYPE, PLAYLIST_CONTENT_TYPE, VIDEO_MP4_CONTENT_TYPE } from '../store/index.js';
import type { PlayAuth } from './play-auth.js';
import { readRecordingInfo, recordingFolder, type RecordingInfo } from './recording-catalog.js';
import { RECORDING_MPD_FILE } from './recording-mpd.js';

/**
 * A recording's files over HTTP (docs/recording.md "Playback and VOD"), from the recordings dir:
 *
 *   GET|HEAD /recordings/<id>/index.m3u8                    multivariant playlist
 *   GET|HEAD /recordings/<id>/manifest.mpd                  static DASH MPD (once finished, recording-mpd.ts)
 *   GET|HEAD /recordings/<id>/<rendition>/index.m3u8        media playlist (EVENT while recording, then VOD)
 *   GET|HEAD /recordings/<id>/<rendition>/init-<n>.mp4      CMAF header
 *   GET|HEAD /recordings/<id>/<rendition>/<msn>.m4s         CMAF segment
 *   the same under /t/<session>/                            with play authorization (below)
 *
 * Only those names are served, of a folder that holds a recording.json, and a rendition it lists:
 * never recording.json, a temporary file, '..' or a symlink. Single byte ranges (RFC 9110 14.2)
 * for players and ffmpeg that seek by them. Cache-Control: a finished recording's files never
 * change (immutable, a year); while it records, its playlists grow and its last segment is being
 * appended to, so every file is `no-cache`.
 *
 * Play authorization (docs/auth.md) applies as to the live stream the recording is of: where the
 * recording's app is not open, a request without a session is judged by the Authorizer with its
 * credentials (`?token=`, a bearer token) and redirected under `/t/<session>/`, where the
 * playlists' relative URIs keep it; a live session of that app/key is valid here too.
 */

export interface RecordingFilesOptions {
  /** The recordings dir; undefined when recording is not configured (404). */
  dir(): string | undefined;
  /** Play authorization, when the server has it. */
  readonly play?: PlayAuth;
}

interface FileRoute {
  Params: { '*': string };
}
type FileRequest = FastifyRequest<FileRoute>;

/** A rendition's own files, by name (the recorder's layout, docs/recording.md). */
const RENDITION_FILE = /^(?:index\.m3u8|init-\d{1,9}\.mp4|\d{1,15}\.m4s)$/;
const MULTIVARIANT = 'index.m3u8';
/** The packager's rendition folder names (hls/live-rendition.ts): one path segment, no dot. */
const RENDITION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isRenditionName(name: string): boolean {
  return RENDITION_NAME.test(name);
}

export function registerRecordingFiles(http: FastifyInstance, options: RecordingFilesOptions): void {
  // GET and HEAD declared together: fastify's own HEAD route would answer content-length 0.
  http.route<FileRoute>({ method: ['GET', 'HEAD'], url: '/recordings/*', handler: async (request, reply) => serveRecordingFile(options, request.params['*'], undefined, request, reply) });
  const play = options.play;
  if (play === undefined) return;
  // `/t/<session>/recordings/…`. A wildcard, not a `:session` parameter: a token for a long app and
  // key outgrows the router's parameter length. With play authorization every `/t/` path is a
  // session's (play-auth.ts): a live one is rewritten to its plain path before routing.
  http.route<FileRoute>({
    method: ['GET', 'HEAD'],
    url: '/t/*',
    handler: async (request, reply) => {
      const rest = request.params['*'];
      const slash = rest.indexOf('/');
      if (slash < 1 || !rest.startsWith('recordings/', slash + 1)) return reply.code(404).header('cache-control', NO_STORE_CACHE_CONTROL).send({ error: 'not found' });
      return serveRecordingFile(options, rest.slice(slash + 1 + 'recordings/'.length), rest.slice(0, slash), request, reply);
    },
  });
}

/** Where a request path points inside the recordings dir. */
interface Located {
  readonly info: RecordingInfo;
  readonly file: string;
  readonly kind: 'playlist' | 'mpd' | 'video' | 'audio';
}

/** `rest`: the path after `/recordings/`; `session`: the token of a `/t/<session>/` path. */
async function serveRecordingFile(options: RecordingFilesOptions, rest: string, session: string | undefined, request: FileRequest, reply: FastifyReply): Promise<FastifyReply> {
  const dir = options.dir();
  const located = dir === undefined ? undefined : await locate(dir, rest);
  if (located === undefined) return reply.code(404).header('cache-control', NO_STORE_CACHE_CONTROL).send({ error: 'not found' });
  if (options.play !== undefined) {
    const url = request.raw.url ?? request.url;
    const q = url.indexOf('?');
    const query = q < 0 ? '' : url.slice(q + 1);
    const verdict = await options.play.judge({ app: located.info.app, key: located.info.streamKey, ...(session === undefined ? {} : { session }) }, query, request.headers, request.ip);
    if (verdict.kind === 'deny') {
      if (verdict.status === 401) void reply.header('www-authenticate', 'Bearer realm="tidecast play"');
      return reply.code(verdict.status).header('cache-control', NO_STORE_CACHE_CONTROL).send({ error: 'not authorized', reason: verdict.reason });
    }
    if (verdict.kind === 'session') {
      const kept = new URLSearchParams(query);
      kept.delete('token');
      const left = kept.toString();
      const pathname = q < 0 ? url : url.slice(0, q);
      return reply.code(302).header('location', `/t/${verdict.token}${pathname}${left === '' ? '' : `?${left}`}`).header('cache-control', NO_STORE_CACHE_CONTROL).send();
    }
  }
  return sendFile(request, reply, located);
}

/**
 * The recording and file a path under /recordings/ names: `<id>/index.m3u8` (the multivariant),
 * `<id>/manifest.mpd` or `<id>/<rendition>/<file>`. Recordings do not nest (a recording's sub-folders are its
 * renditions), so at most one reading holds a recording.json.
 */
async function locate(dir: string, rest: string): Promise<Located | undefined> {
  const segments = rest.split('/');
  const name = segments[segments.length - 1]!;
  const rendition = segments[segments.length - 2] ?? '';
  if (segments.length >= 3 && RENDITION_FILE.test(name) && isRenditionName(rendition)) {
    const folder = recordingFolder(dir, segments.slice(0, -2).join('/'));
    const info = folder === undefined ? undefined : await readRecordingInfo(folder);
    const listed = info?.renditions.find((r) => r.name === rendition);
    if (info !== undefined && listed !== undefined) {
      return { info, file: path.join(folder!, rendition, name), kind: name.endsWith('.m3u8') ? 'playlist' : listed.kind };
    }
  }
  if (segments.length >= 2 && (name === MULTIVARIANT || name === RECORDING_MPD_FILE)) {
    const folder = recordingFolder(dir, segments.slice(0, -1).join('/'));
    const info = folder === undefined ? undefined : await readRecordingInfo(folder);
    if (info !== undefined) return { info, file: path.join(folder!, name), kind: name === MULTIVARIANT ? 'playlist' : 'mpd' };
  }
  return undefined;
}

const CONTENT_TYPES = { playlist: PLAYLIST_CONTENT_TYPE, mpd: MPD_CONTENT_TYPE, video: VIDEO_MP4_CONTENT_TYPE, audio: AUDIO_MP4_CONTENT_TYPE } as const;

async function sendFile(request: FileRequest, reply: FastifyReply, located: Located): Promise<FastifyReply> {
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: a symlink planted in a recording's folder is not followed out of it.
    handle = await open(located.file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return reply.code(404).header('cache-control', NO_STORE_CACHE_CONTROL).send({ error: 'not found' });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      return reply.code(404).header('cache-control', NO_STORE_CACHE_CONTROL).send({ error: 'not found' });
    }
    const finished = located.info.state !== 'recording';
    const lastModified = stat.mtime.toUTCString();
    void reply
      .header('content-type', CONTENT_TYPES[located.kind])
      .header('cache-control', finished ? MEDIA_CACHE_CONTROL : PLAYLIST_CACHE_CONTROL)
      .header('last-modified', lastModified)
      .header('accept-ranges', 'bytes');
    const ifRange = request.headers['if-range'];
    const range = byteRange(request.headers.range, typeof ifRange === 'string' ? ifRange : undefined, lastModified, stat.size);
    if (range === 'unsatisfiable') {
      await handle.close();
      return reply.code(416).type('application/json; charset=utf-8').header('content-range', `bytes */${stat.size}`).header('cache-control', NO_STORE_CACHE_CONTROL).send({ error: 'range not satisfiable' });
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? stat.size - 1;
    if (range !== undefined) void reply.code(206).header('content-range', `bytes ${start}-${end}/${stat.size}`);
    void reply.header('content-length', String(end - start + 1));
    if (request.method === 'HEAD' || stat.size === 0) {
      await handle.close();
      return reply.send();
    }
    // The stream owns the handle from here and closes it when it ends or fails (autoClose).
    return reply.send(handle.createReadStream({ start, end }));
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The one byte range a `Range` header asks of a file of `size` bytes (RFC 9110 14.1.2):
 * `bytes=a-b`, `bytes=a-` or `bytes=-n`. Undefined: answer the whole file — no Range, a syntax
 * this does not read (several ranges, another unit: 14.2 lets a server ignore them), or an
 * If-Range that is not the file's Last-Modified (13.1.5). 'unsatisfiable': 416.
 */
export function byteRange(header: string | undefined, ifRange: string | undefined, lastModified: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined || (ifRange !== undefined && ifRange !== lastModified)) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== '' && Number(match[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}
