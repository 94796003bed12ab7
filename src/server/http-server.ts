import { createServer, type IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import Fastify, { type FastifyInstance } from 'fastify';
import type { FrontHandler } from '../http/index.js';
import { MAX_STREAM_NAME_LENGTH } from '../config/index.js';
import type { MediaServerOptions } from './media-server-options.js';

/**
 * Fastify over HTTP/1.1, or with `http.tls` HTTPS with HTTP/2 (and HTTP/1.1 for clients that do not
 * negotiate h2 by ALPN): LL-HLS clients issue a blocking playlist request and part requests at
 * once, which HTTP/2 multiplexes on one connection.
 */
export function createHttpServer(options: MediaServerOptions, front: HttpFront): FastifyInstance {
  const tls = options.http?.tls;
  // Route parameters (app and key) as long as the name rule allows (Fastify's default is 100).
  const maxParamLength = 2 * MAX_STREAM_NAME_LENGTH;
  if (tls === undefined) {
    // HTTP/1.1: each request goes to `front.handler` first (delivery's stored files), then fastify.
    // The server is fastify's own otherwise, with the timeouts it sets on the servers it makes.
    return Fastify({
      routerOptions: { maxParamLength },
      rewriteUrl: (request) => front.rewrite?.(request) ?? request.url ?? '/',
      serverFactory: (handler, options) => {
        // Fastify resolves these (its defaults included) before it calls the factory.
        const settings = options as unknown as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number; maxRequestsPerSocket: number };
        const server = createServer((request, response) => (front.handler === undefined ? handler(request, response) : front.handler(request, response, handler)));
        server.keepAliveTimeout = settings.keepAliveTimeout;
        server.requestTimeout = settings.requestTimeout;
        server.setTimeout(settings.connectionTimeout);
        if (settings.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = settings.maxRequestsPerSocket;
        return server;
      },
    });
  }
  // HTTP/2 sessions are not idle-closed by server.close() on Node 20: without forcing, one open
  // browser tab would hold a shutdown for Fastify's 72 s session timeout.
  return Fastify({ routerOptions: { maxParamLength }, rewriteUrl: (request) => front.rewrite?.(request) ?? request.url ?? '/', http2: true, https: { allowHTTP1: true, cert: tls.cert, key: tls.key }, forceCloseConnections: true }) as unknown as FastifyInstance;
}

/** The request handler an HTTP/1.1 server tries before fastify, set once delivery is registered. */
export interface HttpFront {
  handler?: FrontHandler;
  /** Play authorization's path rewrite (play-guard.ts): a session's `/t/<token>/…` to the plain path fastify routes. */
  rewrite?: (request: IncomingMessage | Http2ServerRequest) => string;
}
