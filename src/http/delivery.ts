import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PLAYLIST_CONTENT_TYPE, type SegmentStore, type StoredFile } from '../store/index.js';
import { cacheControlFor } from './cache-control.js';
import { hasDirectives, parseDirectives, partCacheControl, type LiveDelivery, type LiveLookup, type LiveResponse, type LiveSource } from './live-delivery.js';
import { renderPage } from './page.js';
import { deliveryPath } from './path-rules.js';
import type { StreamSummary } from './streams-api.js';

export interface DeliveryOptions {
  /** Where the packagers put each stream's files, under `<app>/<key>/`. */
  store: SegmentStore;
  /** The live streams for `GET /api/streams` and the page. */
  streams: () => StreamSummary[];
  /** Title of the page at `/`. Default 'tidecast'. */
  title?: string;
  /**
   * LL-HLS: the live stream behind `/<app>/<key>/`, for blocking playlist reloads, delta updates
   * and preload-hinted parts (live-delivery.ts); with `liveDelivery`, which parks the requests.
   */
  live?: LiveLookup;
  liveDelivery?: LiveDelivery;
}

/**
 * The delivery routes (design.md "http/"):
 *
 *   GET /                          the page: live streams, a player (hls.js from this server)
 *   GET /assets/hls.min.js         hls.js from the installed package
 *   GET /api/streams               live streams as JSON
 *   GET|HEAD /<app>/<key>/<path>   playlists, init and media segments from the store
 *
 * Files go out as the store holds them, a list of pieces (header + sample views): no join.
 * CORS is open (players on other origins fetch playlists and segments), as every HLS origin does.
 */
export function registerDelivery(app: FastifyInstance, options: DeliveryOptions): void {
  const page = renderPage(options.title);
  const hlsJs = readFileSync(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('access-control-allow-origin', '*');
  });
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page));
  app.get('/assets/hls.min.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(hlsJs),
  );
  app.get('/api/streams', async (_request, reply) => reply.header('cache-control', 'no-cache').send({ streams: options.streams() }));
  app.options('/*', async (_request, reply) =>
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, HEAD, OPTIONS')
      .header('access-control-allow-headers', 'range, content-type')
      .header('access-control-max-age', '86400')
      .send(),
  );
  const serve = (request: FileRequest, reply: FastifyReply): Promise<FastifyReply> => serveFile(options, request, reply);
  // Fastify answers HEAD for every GET route (exposeHeadRoutes), keeping the headers, dropping the body.
  app.get('/:app/:key/*', serve);
}

type FileRequest = FastifyRequest<{ Params: { app: string; key: string; '*': string }; Querystring: Record<string, unknown> }>;

async function serveFile(options: DeliveryOptions, request: FileRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { app, key } = request.params;
  const rest = request.params['*'];
  const path = deliveryPath(app, key, rest);
  if (path === undefined) return reply.code(400).send({ error: 'bad path' });
  const [rendition, name] = rest.split('/');
  const source = name === undefined || options.liveDelivery === undefined ? undefined : options.live?.(app, key);
  if (source !== undefined && name === 'index.m3u8' && hasDirectives(request.query)) {
    const response = await parked(reply, (respond) => options.liveDelivery!.playlist(source, `${app}/${key}`, rendition!, parseDirectives(request.query), respond));
    return sendLive(options.store, path, response, reply);
  }
  const file = await options.store.get(path);
  if (file === undefined && source !== undefined) {
    const response = await parked(reply, (respond) => {
      const cancel = options.liveDelivery!.part(source, `${app}/${key}`, rendition!, name!, respond);
      if (cancel === undefined) respond({ status: 404, cacheControl: 'no-store' });
      return cancel ?? (() => undefined);
    });
    return sendLive(options.store, path, response, reply);
  }
  if (file === undefined) return reply.code(404).send({ error: 'not found' });
  return sendFile(reply, file, partCacheControlOf(source, rendition, name) ?? cacheControlFor(path));
}

function sendFile(reply: FastifyReply, file: StoredFile, cacheControl: string): FastifyReply {
  reply.header('content-type', file.contentType).header('cache-control', cacheControl).header('content-length', String(file.byteLength));
  const { pieces } = file;
  return reply.send(pieces.length === 1 ? Buffer.from(pieces[0]!.buffer, pieces[0]!.byteOffset, pieces[0]!.byteLength) : Readable.from(pieces, { objectMode: false }));
}

/** Parts get a short cache lifetime from their stream's target duration; undefined for anything else. */
function partCacheControlOf(source: LiveSource | undefined, rendition: string | undefined, name: string | undefined): string | undefined {
  if (source === undefined || rendition === undefined || name === undefined || !/^\d+\.\d+\.m4s$/.test(name)) return undefined;
  const timeline = source.timeline(rendition);
  return timeline === undefined ? undefined : partCacheControl(timeline);
}

/** Waits for LiveDelivery's answer; a client that goes away meanwhile is forgotten at once. */
function parked(reply: FastifyReply, start: (respond: (response: LiveResponse) => void) => () => void): Promise<LiveResponse> {
  return new Promise((resolve) => {
    let done = false;
    const cancel = start((response) => {
      done = true;
      resolve(response);
    });
    if (done) return;
    reply.raw.once('close', () => {
      if (done) return;
      done = true;
      cancel();
      resolve({ status: 503, cacheControl: 'no-store' });
    });
  });
}

async function sendLive(store: SegmentStore, path: string, response: LiveResponse, reply: FastifyReply): Promise<FastifyReply> {
  if (response.status !== 200) return reply.code(response.status).header('cache-control', response.cacheControl).send({ error: statusText(response.status) });
  if (response.kind === 'part') {
    const file = await store.get(path);
    if (file === undefined) return reply.code(404).header('cache-control', 'no-store').send({ error: 'not found' });
    return sendFile(reply, file, response.cacheControl);
  }
  const body = response.body!;
  return reply
    .header('content-type', PLAYLIST_CONTENT_TYPE)
    .header('cache-control', response.cacheControl)
    .header('content-length', String(body.byteLength))
    .send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
}

function statusText(status: number): string {
  return status === 400 ? 'bad request' : status === 404 ? 'not found' : 'not available in time';
}
