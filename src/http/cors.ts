import type { FastifyInstance } from 'fastify';

/**
 * CORS (the Fetch standard's CORS protocol) is open, as on every HLS origin: players on other
 * origins fetch the playlists and segments, and nothing here is behind a cookie. Every answer
 * carries CORS_HEADERS — fastify's through one onSend hook, the LL-HLS answers written on a
 * hijacked reply (delivery.ts) in their own header block — and a preflight gets PREFLIGHT_HEADERS.
 */
export const CORS_HEADERS = { 'access-control-allow-origin': '*' } as const;

/**
 * What a preflight allows: the methods served, the request headers players send (hls.js sends
 * Range for byte ranges), for a day (browsers cap it lower: Chromium at 2 h).
 */
export const PREFLIGHT_HEADERS = {
  'access-control-allow-methods': 'GET, HEAD, OPTIONS',
  'access-control-allow-headers': 'range, content-type',
  'access-control-max-age': '86400',
} as const;

/** CORS headers on every fastify answer of `app`, and the preflight route. */
export function registerCors(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(CORS_HEADERS);
  });
  app.options('/*', async (_request, reply) => reply.code(204).headers(PREFLIGHT_HEADERS).send());
}
