import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { isTidecastError } from '../errors/index.js';
import { DEFAULT_JOB_LIST_LIMIT, JOB_STATES, LadderSpecError, MAX_JOB_LIST_LIMIT, type Job, type LadderStats } from '../transcode/index.js';
import { errorBody, openObject, stringEnum } from './control-api-schemas.js';
import type { JobRuntime } from './job-runtime.js';

/**
 * The live job API (docs/jobs.md), learned from ezLiveStreaming's `POST /jobs`:
 *
 *   POST   /api/jobs             a ladder spec (ours or ezLiveStreaming's body) → 201, the job with
 *                                its generated stream key, RTMP ingest URL and playback URLs
 *   GET    /api/jobs             ?limit=&after= pages in creation order
 *   GET    /api/jobs/:id         the job, its state history, last error, and the ladder's live stats
 *   POST   /api/jobs/:id/stop    ffmpeg stopped, playlists ended (ENDLIST), the publisher closed; the job is kept
 *   POST   /api/jobs/:id/resume  waiting again, same id, key and URLs
 *   DELETE /api/jobs/:id         stopped and forgotten → 204
 *
 * Errors: 400 with `problems` (each bad field's path), 404 unknown id, 409 a state the job cannot
 * go to, 503 the job store is unreachable or not open yet. Registered inside the control API
 * (control-api.ts), whose authentication every job route has: each job runs an ffmpeg.
 */

export interface JobsApiOptions {
  /** The runtime, once listen() opened it; undefined before (503). */
  runtime: () => JobRuntime | undefined;
  /** The ladder's live figures of a job's stream, when it is running. */
  stats: (app: string, streamKey: string) => LadderStats | undefined;
  /** The RTMP port the server listens on (the ingest URL's). */
  rtmpPort: () => number | undefined;
}

/** A job as the API shows it. */
export interface JobView {
  readonly id: string;
  readonly state: Job['state'];
  readonly app: string;
  readonly streamKey: string;
  readonly rtmpUrl: string;
  /** OBS's two fields: the server URL and the stream key. */
  readonly obs: { readonly server: string; readonly streamKey: string };
  /**
   * Every output of the job's stream (all are served), and `url`: the one its output's streamType
   * and segmentFormat name (docs/jobs.md).
   */
  readonly playback: { readonly url: string; readonly hls: string; readonly dash: string; readonly dashLowLatency: string; readonly ts: string };
  readonly spec: Job['spec'];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly crashes: number;
  /** While ffmpeg waits out a back-off after repeated crashes: when it respawns. */
  readonly retryAt?: string;
  readonly lastError?: { readonly message: string; readonly at: string };
  readonly history: ReadonlyArray<{ readonly state: Job['state']; readonly at: string; readonly reason?: string }>;
  /** The ladder's live figures (per-rung fps, restarts, back-off), while its stream is published. */
  readonly ladder?: LadderStats;
}

export function registerJobRoutes(http: FastifyInstance, options: JobsApiOptions): void {
  const view = (job: Job, request: FastifyRequest): JobView => {
    const host = hostOf(request);
    const server = `rtmp://${host}:${options.rtmpPort() ?? 1935}/${job.app}`;
    const ladder = options.stats(job.app, job.streamKey);
    return {
      id: job.id,
      state: job.state,
      app: job.app,
      streamKey: job.streamKey,
      rtmpUrl: `${server}/${job.streamKey}`,
      obs: { server, streamKey: job.streamKey },
      playback: playbackUrls(`${request.protocol}://${request.host}/${job.app}/${job.streamKey}/`, job.spec.output),
      spec: job.spec,
      createdAt: iso(job.createdAtMs),
      updatedAt: iso(job.updatedAtMs),
      crashes: job.crashes,
      ...(job.retryAtMs === undefined ? {} : { retryAt: iso(job.retryAtMs) }),
      ...(job.lastError === undefined ? {} : { lastError: { message: job.lastError.message, at: iso(job.lastError.atMs) } }),
      history: job.history.map((h) => ({ state: h.state, at: iso(h.atMs), ...(h.reason === undefined ? {} : { reason: h.reason }) })),
      ...(ladder === undefined ? {} : { ladder }),
    };
  };
  const runtime = (reply: FastifyReply): JobRuntime | undefined => {
    const r = options.runtime();
    if (r === undefined) void reply.code(503).send({ error: 'ERR_TRANSCODE_JOB_STORE_UNAVAILABLE', message: 'the job store is not open yet' });
    return r;
  };
  const handle = (run: (r: JobRuntime, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => async (request: FastifyRequest, reply: FastifyReply) => {
    const r = runtime(reply);
    if (r === undefined) return reply;
    try {
      return await run(r, request, reply);
    } catch (error) {
      return sendError(reply, error);
    }
  };
  const id = (request: FastifyRequest): string => (request.params as { id: string }).id;

  http.post('/api/jobs', routeSchema('Create a job', { body: JobRequestSchema, response: { 201: JobSchema, 400: INVALID, 415: errorBody('A body that is neither JSON nor text'), 429: LIMIT } }), handle(async (r, request, reply) => reply.code(201).send(view(await r.service.create(request.body), request))));
  http.get('/api/jobs', routeSchema('List the jobs', { querystring: JobPageQuery, response: { 200: Type.Object({ jobs: Type.Array(JobSchema), next: Type.Optional(Type.String()) }, { description: 'A page of jobs in creation order' }), 400: INVALID } }), handle(async (r, request, reply) => {
    const query = request.query as { limit?: string; after?: string };
    const limit = query.limit === undefined ? undefined : Number(query.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_JOB_LIST_LIMIT)) {
      return reply.code(400).send({ error: 'ERR_TRANSCODE_LADDER_INVALID', message: `limit must be an integer from 1 to ${MAX_JOB_LIST_LIMIT}`, problems: [{ path: 'limit', message: `an integer from 1 to ${MAX_JOB_LIST_LIMIT}, got ${JSON.stringify(query.limit)}` }] });
    }
    const page = r.service.list({ ...(limit === undefined ? {} : { limit }), ...(query.after === undefined ? {} : { after: query.after }) });
    return reply.send({ jobs: page.jobs.map((j) => view(j, request)), ...(page.next === undefined ? {} : { next: page.next }) });
  }));
  http.get('/api/jobs/:id', routeSchema('Get a job', { params: JobParams, response: { 200: JobSchema, 404: NOT_FOUND } }), handle(async (r, request, reply) => reply.send(view(r.service.get(id(request)), request))));
  http.post('/api/jobs/:id/stop', routeSchema('Stop a job', { params: JobParams, response: { 200: JobSchema, 404: NOT_FOUND, 409: STATE } }), handle(async (r, request, reply) => reply.send(view(await r.stop(id(request)), request))));
  http.post('/api/jobs/:id/resume', routeSchema('Resume a stopped job', { params: JobParams, response: { 200: JobSchema, 404: NOT_FOUND, 409: STATE } }), handle(async (r, request, reply) => reply.send(view(await r.service.resume(id(request)), request))));
  http.delete('/api/jobs/:id', routeSchema('Stop and forget a job', { params: JobParams, response: { 204: Type.Null({ description: 'Deleted' }), 404: NOT_FOUND } }), handle(async (r, request, reply) => {
    await r.service.delete(id(request));
    return reply.code(204).send();
  }));
}

const INVALID = errorBody('A bad job body or `limit` (`ERR_TRANSCODE_LADDER_INVALID`, every bad field in `problems`), or a body that is not JSON');
const NOT_FOUND = errorBody('No job has this id (`ERR_TRANSCODE_JOB_NOT_FOUND`)');
const STATE = errorBody('A state the job cannot go to (`ERR_TRANSCODE_JOB_STATE`)');
const LIMIT = errorBody('The server keeps MAX_JOBS jobs already (`ERR_TRANSCODE_JOB_LIMIT`), or too many failed attempts from this address', { 'retry-after': Type.Integer({ description: 'With too many failed attempts: seconds until it may try again' }) });
const UNAVAILABLE = errorBody('The job store cannot be read or written, or is not open yet (`ERR_TRANSCODE_JOB_STORE_UNAVAILABLE`)');

const JobParams = Type.Object({ id: Type.String({ description: '16 characters of [A-Za-z0-9_-]' }) });

const JobPageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_JOB_LIST_LIMIT, description: `Jobs per page, default ${DEFAULT_JOB_LIST_LIMIT}` })),
  after: Type.Optional(Type.String({ description: 'The `next` of the previous page' })),
});

const JobRequestSchema = Type.Object(
  {
    app: Type.Optional(Type.String({ description: "The stream's app, default `live`" })),
    ladder: Type.Union([Type.String({ description: 'A preset name' }), openObject('A ladder spec: `{ rungs, audio? }` (docs/transcode.md)')]),
    output: Type.Optional(
      Type.Object({
        segmentSeconds: Type.Optional(Type.Number()),
        lowLatency: Type.Optional(Type.Boolean()),
        streamType: Type.Optional(stringEnum(['hls', 'dash'])),
        segmentFormat: Type.Optional(stringEnum(['fmp4', 'cmaf', 'mpegts'])),
      }),
    ),
  },
  { description: "tidecast's job body; ezLiveStreaming's LiveJobSpec (a top-level `Output`) is accepted too (docs/jobs.md)" },
);

const isoTime = Type.String({ format: 'date-time' });
const JobSchema = Type.Object(
  {
    id: Type.String(),
    state: stringEnum(JOB_STATES),
    app: Type.String(),
    streamKey: Type.String({ description: "The publisher's only credential" }),
    rtmpUrl: Type.String(),
    obs: Type.Object({ server: Type.String(), streamKey: Type.String() }, { description: "OBS's two fields" }),
    playback: Type.Object({ url: Type.String(), hls: Type.String(), dash: Type.String(), dashLowLatency: Type.String(), ts: Type.String() }),
    spec: openObject('The job spec as parsed (docs/jobs.md)'),
    createdAt: isoTime,
    updatedAt: isoTime,
    crashes: Type.Integer(),
    retryAt: Type.Optional(isoTime),
    lastError: Type.Optional(Type.Object({ message: Type.String(), at: isoTime })),
    history: Type.Array(Type.Object({ state: stringEnum(JOB_STATES), at: isoTime, reason: Type.Optional(Type.String()) })),
    ladder: Type.Optional(openObject("The ladder's live figures while its stream is published (docs/transcode.md)")),
  },
  { description: 'A job (docs/jobs.md)' },
);

/**
 * A job route's schema, documented in full; its body and query are checked by the job service
 * (parseJobRequest, the `limit` check), not by fastify's validator, which would stop at the first
 * bad field where docs/jobs.md's 400 names every one of them by its path.
 */
function routeSchema(summary: string, schema: { body?: unknown; querystring?: unknown; params?: unknown; response: Record<number, unknown> }): RouteShorthandOptions {
  return {
    schema: { summary, tags: ['jobs'], ...schema, response: { ...schema.response, 503: UNAVAILABLE } },
    validatorCompiler: () => () => true,
  };
}

const STATUS: Readonly<Record<string, number>> = {
  ERR_TRANSCODE_LADDER_INVALID: 400,
  ERR_TRANSCODE_JOB_NOT_FOUND: 404,
  ERR_TRANSCODE_JOB_STATE: 409,
  ERR_TRANSCODE_JOB_LIMIT: 429,
  ERR_TRANSCODE_JOB_STORE_UNAVAILABLE: 503,
};

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof LadderSpecError) return reply.code(400).send({ error: error.code, message: error.message, problems: error.problems });
  if (isTidecastError(error) && STATUS[error.code] !== undefined) return reply.code(STATUS[error.code]!).send({ error: error.code, message: error.message, details: error.details });
  throw error;
}

/** The host name the client used (without its port), for the RTMP URL it should publish to. */
function hostOf(request: FastifyRequest): string {
  return request.hostname.startsWith('[') ? request.hostname : request.hostname.replace(/:\d+$/, '');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The job's outputs under `base` (`<origin>/<app>/<key>/`), and the one its spec names. */
function playbackUrls(base: string, output: Job['spec']['output']): JobView['playback'] {
  const urls = { hls: `${base}index.m3u8`, dash: `${base}manifest.mpd`, dashLowLatency: `${base}manifest-ll.mpd`, ts: `${base}ts.m3u8` };
  const url = output.streamType === 'dash' ? (output.lowLatency === false ? urls.dash : urls.dashLowLatency) : output.segmentFormat === 'mpegts' ? urls.ts : urls.hls;
  return { url, ...urls };
}
