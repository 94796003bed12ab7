import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isTidecastError } from '../errors/index.js';
import { LadderSpecError, MAX_JOB_LIST_LIMIT, type Job, type LadderStats } from '../transcode/index.js';
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
 * go to, 503 the job store is unreachable or not open yet; 403 for a client not on this machine
 * (every job runs an ffmpeg: the API is loopback-only until the control plane brings API tokens).
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
    // Every job runs an ffmpeg: until the control plane's API tokens, only this machine may ask.
    if (!isLoopback(request.socket.remoteAddress)) return reply.code(403).send({ error: 'forbidden', message: 'the job API answers clients on this machine (loopback) only' });
    const r = runtime(reply);
    if (r === undefined) return reply;
    try {
      return await run(r, request, reply);
    } catch (error) {
      return sendError(reply, error);
    }
  };
  const id = (request: FastifyRequest): string => (request.params as { id: string }).id;

  http.post('/api/jobs', handle(async (r, request, reply) => reply.code(201).send(view(await r.service.create(request.body), request))));
  http.get('/api/jobs', handle(async (r, request, reply) => {
    const query = request.query as { limit?: string; after?: string };
    const limit = query.limit === undefined ? undefined : Number(query.limit);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_JOB_LIST_LIMIT)) {
      return reply.code(400).send({ error: 'ERR_TRANSCODE_LADDER_INVALID', message: `limit must be an integer from 1 to ${MAX_JOB_LIST_LIMIT}`, problems: [{ path: 'limit', message: `an integer from 1 to ${MAX_JOB_LIST_LIMIT}, got ${JSON.stringify(query.limit)}` }] });
    }
    const page = r.service.list({ ...(limit === undefined ? {} : { limit }), ...(query.after === undefined ? {} : { after: query.after }) });
    return reply.send({ jobs: page.jobs.map((j) => view(j, request)), ...(page.next === undefined ? {} : { next: page.next }) });
  }));
  http.get('/api/jobs/:id', handle(async (r, request, reply) => reply.send(view(r.service.get(id(request)), request))));
  http.post('/api/jobs/:id/stop', handle(async (r, request, reply) => reply.send(view(await r.stop(id(request)), request))));
  http.post('/api/jobs/:id/resume', handle(async (r, request, reply) => reply.send(view(await r.service.resume(id(request)), request))));
  http.delete('/api/jobs/:id', handle(async (r, request, reply) => {
    await r.service.delete(id(request));
    return reply.code(204).send();
  }));
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

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
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
