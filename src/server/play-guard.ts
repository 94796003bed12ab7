import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { FrontHandler } from '../http/index.js';
import { PlayAuth, type PlayVerdict } from './play-auth.js';
import type { HttpFront } from './http-server.js';

/**
 * Puts play authorization (play-auth.ts) in front of HTTP delivery. A request under a valid session
 * is rewritten to its plain path before anything else sees it: HTTP/1.1's stored-file front
 * (delivery.ts) and fastify's routes, the LL-HLS blocking ones included, answer it as before. What
 * needs a decision or a refusal goes to fastify, whose `rewriteUrl` (http-server.ts) and an
 * onRequest hook answer it: 401 without credentials, 403 with bad ones, 302 to a new session.
 */
export function guardPlayback(http: FastifyInstance, front: HttpFront, play: PlayAuth): void {
  const verdicts = new WeakMap<object, PlayVerdict | 'checked'>();
  const delivery = front.handler;
  if (delivery !== undefined) {
    const guarded: FrontHandler = (request, response, next) => {
      let verdict: PlayVerdict | undefined;
      try {
        verdict = request.method === 'OPTIONS' ? undefined : play.quick(request.url ?? '/', request.headers, addressOf(request));
      } catch {
        verdict = undefined; // fastify's path (rewriteUrl below) judges it again and refuses it
      }
      if (verdict?.kind !== 'pass') return next(request, response);
      request.url = verdict.url;
      verdicts.set(request, 'checked');
      delivery(request, response, next);
    };
    front.handler = guarded;
  }
  front.rewrite = (request) => {
    const url = request.url ?? '/';
    if (verdicts.has(request) || request.method === 'OPTIONS') return url;
    // fastify calls this outside its error handling: nothing may throw from here into the request event.
    let verdict: PlayVerdict | undefined;
    try {
      verdict = play.quick(url, request.headers, addressOf(request));
    } catch {
      verdict = { kind: 'deny', status: 403, reason: 'malformed request' };
    }
    if (verdict === undefined) return url;
    verdicts.set(request, verdict);
    return verdict.kind === 'pass' ? verdict.url : url;
  };
  http.addHook('onRequest', async (request, reply) => {
    if (request.method === 'OPTIONS') return;
    let verdict = verdicts.get(request.raw);
    if (verdict === 'checked' || verdict?.kind === 'pass') return;
    verdict ??= await play.decide(request.raw.url ?? request.url, request.headers, request.ip);
    if (verdict.kind === 'redirect') return reply.code(302).header('location', verdict.location).header('cache-control', 'no-store').send();
    if (verdict.kind === 'deny') {
      if (verdict.status === 401) reply.header('www-authenticate', 'Bearer realm="tidecast play"');
      return reply.code(verdict.status).header('cache-control', 'no-store').send({ error: 'not authorized', reason: verdict.reason });
    }
  });
}

function addressOf(request: IncomingMessage | { socket?: { remoteAddress?: string } }): string {
  return request.socket?.remoteAddress ?? '';
}
