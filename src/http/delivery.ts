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
  const serve = (request: FileRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => serveFile(options, request, reply);
  // Fastify answers HEAD for every GET route (exposeHeadRoutes), keeping the headers, dropping the body.
  app.get('/:app/:key/*', serve);
}

type FileRequest = FastifyRequest<{ Params: { app: string; key: string; '*': string }; Querystring: Record<string, unknown> }>;

async function serveFile(options: DeliveryOptions, request: FileRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const { app, key } = request.params;
  const rest = request.params['*'];
  const path = deliveryPath(app, key, rest);
  if (path === undefined) return reply.code(400).send({ error: 'bad path' });
  const [rendition, name] = rest.split('/');
  const source = name === undefined || options.liveDelivery === undefined ? undefined : options.live?.(app, key);
  if (source !== undefined && name === 'index.m3u8' && hasDirectives(request.query)) {
    return serveLive(options.store, path, request, reply, (respond) => options.liveDelivery!.playlist(source, `${app}/${key}`, rendition!, parseDirectives(request.query), respond));
  }
  const file = await options.store.get(path);
  if (file === undefined && source !== undefined) {
    return serveLive(options.store, path, request, reply, (respond) => {
      const cancel = options.liveDelivery!.part(source, `${app}/${key}`, rendition!, name!, respond);
      if (cancel === undefined) respond({ status: 404, cacheControl: 'no-store' });
      return cancel ?? (() => undefined);
    });
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

/**
 * A live request: answered through fastify when LiveDelivery answers at once; when it is parked,
 * the reply is taken over (hijack) and the release writes it straight to the connection, in the
 * same synchronous loop that releases the others — no promise hop per request, no fastify send
 * path: what remains per request is one header block and one write. A client that goes away while
 * parked is forgotten at once.
 */
async function serveLive(
  store: SegmentStore,
  path: string,
  request: FileRequest,
  reply: FastifyReply,
  start: (respond: (response: LiveResponse) => void) => () => void,
): Promise<FastifyReply | undefined> {
  const answer: { now?: LiveResponse } = {};
  let parked = false;
  const cancel = start((response) => {
    if (parked) writeParked(store, path, request.method === 'HEAD', reply, response);
    else answer.now = response;
  });
  if (answer.now !== undefined) return sendLive(store, path, answer.now, reply);
  parked = true;
  reply.hijack();
  reply.raw.once('close', () => {
    if (!reply.raw.writableEnded) cancel();
  });
  return undefined;
}

const ERROR_BODIES: Readonly<Record<number, Uint8Array>> = Object.fromEntries([400, 404, 503].map((status) => [status, Buffer.from(JSON.stringify({ error: statusText(status) }))]));

/** Writes a released answer on a hijacked reply: the headers the fastify path would send, CORS included. */
function writeParked(store: SegmentStore, path: string, head: boolean, reply: FastifyReply, response: LiveResponse): void {
  const res = reply.raw;
  if (res.writableEnded || res.destroyed) return;
  if (response.status === 200 && response.kind === 'part') {
    const file = store.get(path);
    const write = (f: StoredFile | undefined): void => {
      if (f === undefined) return writeParked(store, path, head, reply, { status: 404, cacheControl: 'no-store' });
      res.writeHead(200, { 'content-type': f.contentType, 'cache-control': response.cacheControl, 'content-length': String(f.byteLength), 'access-control-allow-origin': '*' });
      if (head) res.end();
      else {
        for (const piece of f.pieces) res.write(piece);
        res.end();
      }
    };
    if (file instanceof Promise) file.then(write, () => writeParked(store, path, head, reply, { status: 503, cacheControl: 'no-store' }));
    else write(file);
    return;
  }
  const body = response.status === 200 ? response.body! : ERROR_BODIES[response.status]!;
  const type = response.status === 200 ? PLAYLIST_CONTENT_TYPE : 'application/json; charset=utf-8';
  res.writeHead(response.status, { 'content-type': type, 'cache-control': response.cacheControl, 'content-length': String(body.byteLength), 'access-control-allow-origin': '*' });
  // As a string, Node joins the body to the header block in one write (a buffer takes a second
  // iovec and more bookkeeping); playlists are ASCII, decoded once per release and shared.
  if (head) res.end();
  else res.end(asciiText(body), 'latin1');
}

const ASCII_TEXT = new WeakMap<Uint8Array, string>();

function asciiText(bytes: Uint8Array): string {
  let text = ASCII_TEXT.get(bytes);
  if (text === undefined) ASCII_TEXT.set(bytes, (text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')));
  return text;
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
