import { access, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { page } from './control-api-routes.js';
import { PageQuery, StreamParams, errorBody, stringEnum } from './control-api-schemas.js';
import { readRecordingInfo, recordingFolder, scanRecordings, type RecordingInfo } from './recording-catalog.js';
import { RECORDING_MPD_FILE } from './recording-mpd.js';
import { exportBytes, planExport } from './recordings-export.js';
import { planProgressive, progressiveBytes } from './recordings-progressive.js';

/**
 * The recordings API (docs/recording.md), inside the control API (its authentication, its
 * OpenAPI document):
 *
 *   GET    /api/recordings                       ?limit=&after= pages by id, as /api/streams
 *   GET    /api/recordings/:id                   one recording (the id URL-encoded: it holds '/')
 *   DELETE /api/recordings/:id                   its folder removed → 204; 409 while it records
 *   GET    /api/recordings/:id/export            ?start=&duration=[&format=] → one fMP4 (recordings-export.ts)
 *                                                or progressive MP4 (recordings-progressive.ts) file
 *   POST   /api/streams/:app/:key/record/start   record a live stream from its next segment
 *   POST   /api/streams/:app/:key/record/stop    end its recording (the playlists get ENDLIST)
 *
 * Each recording is its recording.json (recording-catalog.ts) with the URL paths of its VOD
 * playlists and, once finished, its static MPD, served by recordings-files.ts. Without the `record` option every route answers 404.
 */

/** The recorder as the API drives it (`MediaServer.recording`, undefined without the `record` option). */
export interface RecordingControl {
  /** Records the live stream from its next segment; false if it is not live. */
  start(app: string, key: string): boolean;
  /** Ends its recording; false if it was not recording. */
  stop(app: string, key: string): Promise<boolean>;
  isRecording(app: string, key: string): boolean;
  readonly dir: string;
  /** The ids of the recordings being written (their recording.json may lag by a few seconds). */
  readonly recordingIds?: readonly string[];
}

export interface RecordingsApiSources {
  recording(): RecordingControl | undefined;
}

/**
 * Exports read and send at once; beyond this many a request gets 503: each holds two segments in
 * memory and a disk read stream, and eight already saturate a disk a live server also writes to.
 */
export const MAX_CONCURRENT_EXPORTS = 8;
/** The longest export asked, seconds: a day, beyond the longest recording (maxDurationSeconds, 6 h by default). */
const MAX_EXPORT_SECONDS = 86_400;

const RenditionView = Type.Object({
  name: Type.String({ description: 'Its folder' }),
  kind: stringEnum(['video', 'audio']),
  codecs: Type.String({ description: 'RFC 6381 codec string' }),
  bandwidth: Type.Number({ description: 'Peak bit rate, b/s' }),
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  frameRate: Type.Optional(Type.Number()),
  sampleRate: Type.Optional(Type.Integer()),
  channels: Type.Optional(Type.Integer()),
  playlist: Type.String({ description: 'URL path of its media playlist' }),
});

const nullable = <T extends 'integer' | 'string'>(type: T, extra: Record<string, string> = {}) => Type.Unsafe<T extends 'integer' ? number | null : string | null>({ type, nullable: true, ...extra });

const RecordingView = Type.Object(
  {
    version: Type.Integer(),
    id: Type.String({ description: "Its folder under the recordings dir, '/'-separated (the path template expanded)" }),
    app: Type.String(),
    streamKey: Type.String(),
    state: stringEnum(['recording', 'complete', 'recovered'], "'recovered': the server died while recording; the start-up scan closed it"),
    startedAtMs: Type.Integer(),
    startedAt: Type.String({ format: 'date-time' }),
    endedAtMs: nullable('integer'),
    endedAt: nullable('string', { format: 'date-time' }),
    durationSeconds: Type.Number(),
    bytes: Type.Integer(),
    renditions: Type.Array(RenditionView),
    playlist: Type.String({ description: 'URL path of its multivariant playlist (VOD once finished, EVENT while recording)' }),
    mpd: Type.Optional(Type.String({ description: 'URL path of its static DASH MPD (manifest.mpd): finished recordings only' })),
    export: Type.String({ description: 'URL path of its export (add `?start=&duration=`)' }),
  },
  { description: 'A recording (docs/recording.md)' },
);

const IdParams = Type.Object({ id: Type.String({ description: 'The recording id, URL-encoded: `live%2Fcam%2F2026-12-07_13-00-00`' }) });
const ExportQuery = Type.Object({
  start: Type.Number({ minimum: 0, description: "Seconds from the recording's start" }),
  duration: Type.Number({ minimum: 0.001, maximum: MAX_EXPORT_SECONDS, description: 'Seconds' }),
  format: Type.Optional(stringEnum(['fmp4', 'mp4'], 'fmp4: fragmented MP4 (the default); mp4: progressive, one moov with the sample tables before the media')),
});
const RecordState = Type.Object({ app: Type.String(), streamKey: Type.String(), recording: Type.Boolean() }, { description: 'Whether the stream is being recorded now' });

const NOT_CONFIGURED = 'recording is not configured';
const NO_RECORDING = errorBody(`No recording has this id, or ${NOT_CONFIGURED} (the \`record\` option)`);
const BAD_PAGE = errorBody('A `limit` out of range, or not a number');

type IdRequest = FastifyRequest<{ Params: Static<typeof IdParams> }>;
type StreamRequest = FastifyRequest<{ Params: Static<typeof StreamParams> }>;

export function recordingsApiRoutes(sources: RecordingsApiSources): (api: FastifyInstance) => void {
  return (api) => {
    let exports = 0;
    const sending = new Set<Readable>();
    // An export being downloaded would hold fastify.close() (server.close waits for every connection): end them first.
    api.addHook('preClose', async () => {
      for (const body of sending) body.destroy();
    });
    const notConfigured = (reply: FastifyReply): FastifyReply => reply.code(404).send({ error: 'not found', message: NOT_CONFIGURED });
    /** The recording an :id names, or the 404 sent. */
    const find = async (request: IdRequest, reply: FastifyReply): Promise<{ info: RecordingInfo; folder: string } | undefined> => {
      const recording = sources.recording();
      if (recording === undefined) return void notConfigured(reply);
      const folder = recordingFolder(recording.dir, request.params.id);
      const info = folder === undefined ? undefined : await readRecordingInfo(folder);
      if (info === undefined) return void reply.code(404).send({ error: 'not found', message: `no recording ${request.params.id}` });
      return { info: { ...info, id: request.params.id }, folder: folder! };
    };

    api.get('/api/recordings', {
      schema: {
        summary: 'List the recordings',
        description: 'Finished and in progress, sorted by id (with the default path template: by app, key, then start time); paged as /api/streams.',
        tags: ['recordings'],
        querystring: PageQuery,
        response: { 200: Type.Object({ recordings: Type.Array(RecordingView), next: Type.Optional(Type.String()) }, { description: 'A page of recordings' }), 400: BAD_PAGE, 404: errorBody(NOT_CONFIGURED) },
      },
    }, async (request: FastifyRequest<{ Querystring: Static<typeof PageQuery> }>, reply) => {
      const recording = sources.recording();
      if (recording === undefined) return notConfigured(reply);
      const { items, next } = page(await scanRecordings(recording.dir), (r) => r.id, request.query);
      const views = await Promise.all(items.map(async (r) => view(r, await hasMpd(recordingFolder(recording.dir, r.id), r))));
      return { recordings: views, ...(next === undefined ? {} : { next }) };
    });
    api.get('/api/recordings/:id', {
      schema: { summary: 'Get a recording', tags: ['recordings'], params: IdParams, response: { 200: RecordingView, 404: NO_RECORDING } },
    }, async (request: IdRequest, reply) => {
      const found = await find(request, reply);
      return found === undefined ? reply : view(found.info, await hasMpd(found.folder, found.info));
    });
    api.delete('/api/recordings/:id', {
      schema: {
        summary: 'Delete a recording',
        description: 'Its folder and every file in it. One being recorded is refused (409): end it first with `POST /api/streams/:app/:key/record/stop`.',
        tags: ['recordings'],
        params: IdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), 404: NO_RECORDING, 409: errorBody('It is being recorded') },
      },
    }, async (request: IdRequest, reply) => {
      const found = await find(request, reply);
      if (found === undefined) return reply;
      if (found.info.state === 'recording' || sources.recording()?.recordingIds?.includes(found.info.id) === true) return reply.code(409).send({ error: 'recording', message: `${found.info.id} is being recorded: stop it first (POST /api/streams/${found.info.app}/${found.info.streamKey}/record/stop)` });
      await rm(found.folder, { recursive: true, force: true });
      await pruneParents(sources.recording()!.dir, found.folder);
      return reply.code(204).send();
    });
    api.get('/api/recordings/:id/export', {
      schema: {
        summary: 'Export a time range as one MP4 file',
        description: [
          'Fragmented MP4 (one moov with every track, then the fragments) or with `format=mp4` a progressive MP4 (sample tables in the moov, before one mdat),',
          'cut at keyframes without re-encoding: the segments overlapping',
          '[start, start + duration] — the range widened to the keyframes around it, so the file may start up to a GOP before `start` and end up to one after.',
          'Its first frame is at time 0; `x-tidecast-export-start` and `x-tidecast-export-duration` say which part of the recording it is.',
          'A change of codec settings in the range ends the file there.',
        ].join(' '),
        tags: ['recordings'],
        params: IdParams,
        querystring: ExportQuery,
        response: {
          200: {
            description: 'The file (video/mp4, as an attachment)',
            headers: { 'x-tidecast-export-start': Type.Number({ description: "Seconds from the recording's start" }), 'x-tidecast-export-duration': Type.Number({ description: 'Seconds' }) },
            content: { 'video/mp4': { schema: Type.String({ format: 'binary' }) } },
          },
          400: errorBody('A bad `start`, `duration` or `format`, or a range with no segment of the recording'),
          404: NO_RECORDING,
          503: errorBody(`Already ${MAX_CONCURRENT_EXPORTS} exports running`, { 'retry-after': Type.Integer() }),
        },
      },
    }, async (request: FastifyRequest<{ Params: Static<typeof IdParams>; Querystring: Static<typeof ExportQuery> }>, reply) => {
      const { start, duration, format } = request.query;
      const found = await find(request, reply);
      if (found === undefined) return reply;
      if (exports >= MAX_CONCURRENT_EXPORTS) return reply.code(503).header('retry-after', '5').send({ error: 'busy', message: `at most ${MAX_CONCURRENT_EXPORTS} exports at once` });
      const plan = await planExport(found.folder, found.info, start, duration);
      if ('problem' in plan) return reply.code(400).send({ error: 'nothing to export', message: plan.problem });
      exports += 1;
      let body: Readable;
      try {
        if (format === 'mp4') {
          // Every trun is read before the first byte goes out: the moov comes first.
          const progressive = await planProgressive(plan);
          body = Readable.from(progressiveBytes(plan, progressive), { objectMode: false });
          void reply.header('content-length', String(progressive.byteLength));
        } else {
          body = Readable.from(exportBytes(plan), { objectMode: false });
        }
      } catch (error) {
        exports -= 1;
        throw error;
      }
      sending.add(body);
      body.once('close', () => {
        exports -= 1;
        sending.delete(body);
      });
      const name = `${found.info.app}-${found.info.streamKey}-${Math.floor(plan.startSeconds)}s.mp4`.replace(/[^A-Za-z0-9._-]/g, '_');
      return reply
        .type('video/mp4')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('x-tidecast-export-start', plan.startSeconds.toFixed(3))
        .header('x-tidecast-export-duration', plan.durationSeconds.toFixed(3))
        .send(body);
    });

    const switchRoute = (action: 'start' | 'stop'): void => {
      api.post(`/api/streams/:app/:key/record/${action}`, {
        schema: {
          summary: action === 'start' ? 'Start recording a live stream' : "End a stream's recording",
          description: action === 'start'
            ? 'From its next segment, into a new recording (the path template); recording already: nothing changes.'
            : 'Its playlists end (VOD, ENDLIST) and it is listed `complete`; the live stream goes on.',
          tags: ['recordings'],
          params: StreamParams,
          response: { 200: RecordState, 404: errorBody(action === 'start' ? `The stream is not live, or ${NOT_CONFIGURED}` : `The stream is not being recorded, or ${NOT_CONFIGURED}`) },
        },
      }, async (request: StreamRequest, reply) => {
        const recording = sources.recording();
        if (recording === undefined) return notConfigured(reply);
        const { app, key } = request.params;
        const done = action === 'start' ? recording.start(app, key) : await recording.stop(app, key);
        if (!done) return reply.code(404).send({ error: 'not found', message: `${app}/${key} is ${action === 'start' ? 'not live' : 'not being recorded'}` });
        return { app, streamKey: key, recording: action === 'start' };
      });
    };
    switchRoute('start');
    switchRoute('stop');
  };
}

/** The folders a deleted recording leaves empty, up to the recordings dir (as the recorder's retention does). */
async function pruneParents(dir: string, folder: string): Promise<void> {
  const root = path.resolve(dir);
  // rmdir refuses a folder that is not empty: one the recorder is writing a new recording into stays.
  for (let parent = path.dirname(folder); parent.startsWith(root + path.sep); parent = path.dirname(parent)) {
    if (!(await rmdir(parent).then(() => true, () => false))) return;
  }
}

/** Whether a finished recording has its static MPD (one from before it was written, or with no segment placed, has none). */
async function hasMpd(folder: string | undefined, info: RecordingInfo): Promise<boolean> {
  if (folder === undefined || info.state === 'recording') return false;
  return access(path.join(folder, RECORDING_MPD_FILE)).then(() => true, () => false);
}

/** A recording as the API shows it: its recording.json, times as ISO 8601 too, and its URL paths (`mpd` when it has one). */
function view(info: RecordingInfo, mpd: boolean): Static<typeof RecordingView> {
  const base = `/recordings/${info.id.split('/').map(encodeURIComponent).join('/')}`;
  return {
    ...info,
    startedAt: new Date(info.startedAtMs).toISOString(),
    endedAt: info.endedAtMs === null ? null : new Date(info.endedAtMs).toISOString(),
    renditions: info.renditions.map((r) => ({ ...r, playlist: `${base}/${encodeURIComponent(r.name)}/index.m3u8` })),
    playlist: `${base}/index.m3u8`,
    ...(mpd ? { mpd: `${base}/${RECORDING_MPD_FILE}` } : {}),
    export: `/api/recordings/${encodeURIComponent(info.id)}/export`,
  };
}
