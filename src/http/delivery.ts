import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PLAYLIST_CONTENT_TYPE, type SegmentStore, type StoredFile } from '../store/index.js';
import { LIVE_PLAYLIST_CACHE_CONTROL, NO_STORE_CACHE_CONTROL, cacheControlFor } from './cache-control.js';
import { CORS_HEADERS, registerCors } from './cors.js';
import { hasDirectives, parseDirectives, type LiveDelivery, type LiveResponse } from './live-delivery.js';
import type { LiveSnapshot } from '../hls/index.js';
import { deliveryPath } from './path-rules.js';
import { MPD_CONTENT_TYPE, type DashDelivery, type MpdFlavour } from './dash-delivery.js';

export interface DeliveryOptions {
  /** Where the packagers put each stream's files, under `<app>/<key>/`. */
  store: SegmentStore;
  /**
   * LL-HLS: the latest snapshot of every live rendition (the packagers push them), for blocking
   * playlist reloads, delta updates and preload-hinted parts; it parks the requests (live-delivery.ts).
   */
  liveDelivery?: LiveDelivery;
  /** DASH: the MPDs beside each stream's playlists, and chunked answers for segments being written (dash-delivery.ts). */
  dash?: DashDelivery;
  /** HLS over MPEG-TS (`ts.m3u8`): produced while read; `playlist` starts it and answers once it has a segment. */
  ts?: { playlist(app: string, key: string): Promise<string | undefined> };
  /** Prometheus text exposition at `GET /metrics` (docs/metrics.md). */
  metrics?: { text(): Promise<string>; readonly contentType: string };
}

/**
 * The delivery routes (design.md "http/"):
 *
 *   GET /assets/hls.min.js         hls.js from the installed package (for the dashboard, src/server/dashboard.ts)
 *   GET /metrics                   Prometheus metrics
 *   GET|HEAD /<app>/<key>/<path>   playlists, init and media segments from the store
 *
 * Files go out as the store holds them, a list of pieces (header + sample views): no join.
 * CORS is open on every answer, the hijacked LL-HLS ones included (cors.ts). The /api routes
 * (the streams, their health) are the control API's (src/server/control-api.ts).
 */
export function registerDelivery(app: FastifyInstance, options: DeliveryOptions): FrontHandler {
  const hlsJs = readFileSync(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'));
  registerCors(app);
  app.get('/assets/hls.min.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(hlsJs),
  );
  const metrics = options.metrics;
  if (metrics !== undefined) app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).header('cache-control', 'no-store').send(await metrics.text()));
  // The server's clock for DASH players (UTCTiming http-xsdate, ISO 8601 with milliseconds): never a public time server.
  app.get('/time', async (_request, reply) => reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(new Date().toISOString()));
  const dash = options.dash;
  if (dash !== undefined) {
    const mpd = (flavour: MpdFlavour) => async (request: FastifyRequest<{ Params: { app: string; key: string } }>, reply: FastifyReply) => {
      const { app: appName, key } = request.params;
      if (deliveryPath(appName, key, 'manifest.mpd') === undefined) return reply.code(400).header('cache-control', NO_STORE_CACHE_CONTROL).send({ error: 'bad path' });
      const body = dash.mpd(`${appName}/${key}`, flavour);
      if (body === undefined) return reply.code(404).header('cache-control', NO_STORE_CACHE_CONTROL).send({ error: 'not found' });
      return reply.type(MPD_CONTENT_TYPE).header('cache-control', LIVE_PLAYLIST_CACHE_CONTROL).send(body);
    };
    app.get('/:app/:key/manifest.mpd', mpd('regular'));
    app.get('/:app/:key/manifest-ll.mpd', mpd('low-latency'));
  }
  const ts = options.ts;
  if (ts !== undefined) {
    app.get('/:app/:key/ts.m3u8', async (request: FastifyRequest<{ Params: { app: string; key: string } }>, reply) => {
      const { app: appName, key } = request.params;
      if (deliveryPath(appName, key, 'ts.m3u8') === undefined) return reply.code(400).header('cache-control', NO_STORE_CACHE_CONTROL).send({ error: 'bad path' });
      const text = await ts.playlist(appName, key);
      if (text === undefined) return reply.code(404).header('cache-control', NO_STORE_CACHE_CONTROL).send({ error: 'not found' });
      return reply.type(PLAYLIST_CONTENT_TYPE).header('cache-control', LIVE_PLAYLIST_CACHE_CONTROL).send(text);
    });
  }
  const serve = (request: FileRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => serveFile(options, request, reply);
  // Fastify answers HEAD for every GET route (exposeHeadRoutes), keeping the headers, dropping the body.
  app.get('/:app/:key/*', serve);
  return (request, response, next) => answerStored(options, request, response, next);
}

/**
 * What the HTTP server calls first for each HTTP/1.1 request (http-server.ts): it answers the
 * request, or hands it to `next` (fastify) unanswered.
 */
export type FrontHandler = (request: IncomingMessage, response: ServerResponse, next: (request: IncomingMessage, response: ServerResponse) => void) => void;

/** A query naming a Delivery Directive (`_HLS_msn`, `_HLS_part`, `_HLS_skip`), or percent-encoded. */
const DIRECTIVE_OR_ENCODED = /(?:^|&)_HLS_(?:msn|part|skip)(?:[=&]|$)|%/;

/**
 * The hot path, before fastify: a GET or HEAD of a file the store has (a segment, a part, an init
 * section, a playlist asked without Delivery Directives) is answered here, with the headers and
 * bytes the route below sends, from Node's request event. A viewer's requests are nearly all
 * such; fastify's routing, hooks and reply cost more than the answer. Anything else — other
 * paths and methods, percent-encoded URLs, Delivery Directives, a file the store does not have
 * (a part to wait for, a 404), an error — goes to fastify as before.
 */
function answerStored(options: DeliveryOptions, request: IncomingMessage, response: ServerResponse, next: (request: IncomingMessage, response: ServerResponse) => void): void {
  const method = request.method;
  const url = request.url ?? '';
  const q = url.indexOf('?');
  const pathname = q < 0 ? url : url.slice(0, q);
  const parts = pathname.split('/');
  if ((method !== 'GET' && method !== 'HEAD') || parts.length < 4 || parts.length > 5 || parts[0] !== '' || pathname.includes('%') || (q >= 0 && DIRECTIVE_OR_ENCODED.test(url.slice(q + 1)))) return next(request, response);
  const rest = parts.slice(3).join('/');
  const path = deliveryPath(parts[1]!, parts[2]!, rest);
  if (path === undefined) return next(request, response);
  const write = (file: StoredFile | undefined): void => {
    if (file === undefined) return next(request, response);
    writeFile(response, file, cacheControlFor(path), method === 'HEAD');
  };
  // Nothing here may throw into Node's request event (that would end the process): a store that
  // cannot read (a spilled file gone, a disk error) leaves the request to fastify's route, which
  // asks again and answers the error as it does.
  let found: StoredFile | undefined | Promise<StoredFile | undefined>;
  try {
    found = options.store.get(path);
  } catch {
    return next(request, response);
  }
  if (found instanceof Promise) found.then(write, () => next(request, response));
  else write(found);
}

/** The latest snapshot of the live rendition a request under /<app>/<key>/<rest> names, if any. */
function liveSnapshot(options: DeliveryOptions, app: string, key: string, rest: string): LiveSnapshot | undefined {
  const [rendition, name] = rest.split('/');
  return name === undefined || options.liveDelivery === undefined ? undefined : options.liveDelivery.snapshot(`${app}/${key}`, rendition!);
}

type FileRequest = FastifyRequest<{ Params: { app: string; key: string; '*': string }; Querystring: Record<string, unknown> }>;

async function serveFile(options: DeliveryOptions, request: FileRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const { app, key } = request.params;
  const rest = request.params['*'];
  const path = deliveryPath(app, key, rest);
  if (path === undefined) return reply.code(400).header('cache-control', NO_STORE_CACHE_CONTROL).send({ error: 'bad path' });
  const [rendition, name] = rest.split('/');
  const live = options.liveDelivery;
  const group = `${app}/${key}`;
  // A live rendition: its latest snapshot (undefined for a VOD folder or a stream not live here).
  const snapshot = liveSnapshot(options, app, key, rest);
  if (snapshot !== undefined && name === 'index.m3u8' && hasDirectives(request.query)) {
    return serveLive(options.store, path, request, reply, (respond) => live!.playlist(group, rendition!, parseDirectives(request.query), respond));
  }
  const file = await options.store.get(path);
  if (file === undefined && snapshot !== undefined && options.dash !== undefined && name !== undefined) {
    // A DASH player asking for the segment being written (low-latency: availabilityTimeOffset): chunked as its parts come.
    reply.hijack();
    if (options.dash.segment(group, rendition!, name, reply.raw, request.method === 'HEAD')) return undefined;
    return serveLive(options.store, path, request, reply, (respond) => {
      const cancel = live!.part(group, rendition!, name, respond);
      if (cancel === undefined) respond({ status: 404, cacheControl: NO_STORE_CACHE_CONTROL });
      return cancel ?? (() => undefined);
    });
  }
  if (file === undefined && snapshot !== undefined) {
    return serveLive(options.store, path, request, reply, (respond) => {
      const cancel = live!.part(group, rendition!, name!, respond);
      if (cancel === undefined) respond({ status: 404, cacheControl: NO_STORE_CACHE_CONTROL });
      return cancel ?? (() => undefined);
    });
  }
  // A stream whose publish was just admitted here (new, or taken over from another origin): a
  // playlist asked the moment before it exists is answered once it does (LiveDelivery.expect).
  // Each rendition's first playlist comes with its own first snapshot: look again after each one.
  let starting = file === undefined && rest.endsWith('.m3u8') ? live?.whenStarted(group) : undefined;
  while (starting !== undefined) {
    await starting;
    const later = await options.store.get(path);
    if (later !== undefined) return sendFile(request, reply, later, cacheControlFor(path));
    starting = live?.whenStarted(group);
  }
  // Not live here (yet): the stream may start, or move here from another origin, any moment.
  if (file === undefined) return reply.code(404).header('cache-control', NO_STORE_CACHE_CONTROL).send({ error: 'not found' });
  return sendFile(request, reply, file, cacheControlFor(path));
}

/**
 * A file of one piece goes through fastify's send. One of several pieces (a segment: its fragment
 * headers and the samples' payloads, about 160 for 2 s of 1080p) is written straight to the
 * connection, each piece a write in one tick, so Node sends them with one writev(2) and no copy —
 * not as a stream, which costs a promise and a write per piece.
 */
function sendFile(request: FileRequest, reply: FastifyReply, file: StoredFile, cacheControl: string): FastifyReply | undefined {
  const { pieces } = file;
  if (pieces.length === 1) {
    reply.header('content-type', file.contentType).header('cache-control', cacheControl).header('content-length', String(file.byteLength));
    return reply.send(Buffer.from(pieces[0]!.buffer, pieces[0]!.byteOffset, pieces[0]!.byteLength));
  }
  reply.hijack();
  writeFile(reply.raw, file, cacheControl, request.method === 'HEAD');
  return undefined;
}

/** A stored file as a 200 answer, with the headers the fastify routes send (CORS included). */
function writeFile(res: ServerResponse, file: StoredFile, cacheControl: string, head: boolean): void {
  res.writeHead(200, { 'content-type': file.contentType, 'cache-control': cacheControl, 'content-length': String(file.byteLength), ...CORS_HEADERS });
  if (!head) for (const piece of file.pieces) res.write(piece);
  res.end();
}

/**
 * A live request: LiveDelivery answers it at once or, parked, when the part it waits for appears.
 * Either way the reply is taken over (hijack) and the answer written straight to the connection —
 * for a release, in the same synchronous loop that releases the others: no promise hop per
 * request and no fastify send path, only one header block and one write. A client that goes away
 * while parked is forgotten at once.
 */
function serveLive(store: SegmentStore, path: string, request: FileRequest, reply: FastifyReply, start: (respond: (response: LiveResponse) => void) => () => void): undefined {
  reply.hijack();
  const cancel = start((response) => writeLive(store, path, request.method === 'HEAD', reply, response));
  if (!reply.raw.writableEnded) {
    reply.raw.once('close', () => {
      if (!reply.raw.writableEnded) cancel();
    });
  }
  return undefined;
}


/** Writes LiveDelivery's answer on the hijacked reply, with the headers the fastify routes send (CORS included). */
function writeLive(store: SegmentStore, path: string, head: boolean, reply: FastifyReply, response: LiveResponse): void {
  const res = reply.raw;
  if (res.writableEnded || res.destroyed) return;
  if (response.status === 200 && response.kind === 'part') {
    const file = store.get(path);
    const write = (f: StoredFile | undefined): void => {
      if (f === undefined) return writeLive(store, path, head, reply, { status: 404, cacheControl: NO_STORE_CACHE_CONTROL });
      writeFile(res, f, response.cacheControl, head);
    };
    if (file instanceof Promise) file.then(write, () => writeLive(store, path, head, reply, { status: 503, cacheControl: NO_STORE_CACHE_CONTROL }));
    else write(file);
    return;
  }
  const body = response.status === 200 ? response.body! : JSON.stringify({ error: statusText(response.status) });
  const type = response.status === 200 ? PLAYLIST_CONTENT_TYPE : 'application/json; charset=utf-8';
  res.writeHead(response.status, { 'content-type': type, 'cache-control': response.cacheControl, 'content-length': String(body.length), ...CORS_HEADERS });
  // A string body goes out in the same write as the header block (a buffer would take a second).
  if (head) res.end();
  else res.end(body, 'latin1');
}


function statusText(status: number): string {
  return status === 400 ? 'bad request' : status === 404 ? 'not found' : 'not available in time';
}
