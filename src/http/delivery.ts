import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SegmentStore } from '../store/index.js';
import { cacheControlFor } from './cache-control.js';
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
  const serve = (request: FastifyRequest<{ Params: { app: string; key: string; '*': string } }>, reply: FastifyReply): Promise<FastifyReply> =>
    serveFile(options.store, request, reply);
  // Fastify answers HEAD for every GET route (exposeHeadRoutes), keeping the headers, dropping the body.
  app.get('/:app/:key/*', serve);
}

async function serveFile(
  store: SegmentStore,
  request: FastifyRequest<{ Params: { app: string; key: string; '*': string } }>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { app, key } = request.params;
  const path = deliveryPath(app, key, request.params['*']);
  if (path === undefined) return reply.code(400).send({ error: 'bad path' });
  const file = await store.get(path);
  if (file === undefined) return reply.code(404).send({ error: 'not found' });
  reply.header('content-type', file.contentType).header('cache-control', cacheControlFor(path)).header('content-length', String(file.byteLength));
  const { pieces } = file;
  return reply.send(pieces.length === 1 ? Buffer.from(pieces[0]!.buffer, pieces[0]!.byteOffset, pieces[0]!.byteLength) : Readable.from(pieces, { objectMode: false }));
}
