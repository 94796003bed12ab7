import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ControlApiSources } from './control-api.js';
import { ConfigSchema, DEFAULT_PAGE_LIMIT, DenialSchema, HealthSchema, PageQuery, SessionSchema, StreamParams, StreamSchema, errorBody } from './control-api-schemas.js';

/**
 * The control API's own routes (docs/api.md): streams (list, get, kick, health), sessions (list,
 * kick), the effective configuration and the recent authorization denials. Registered inside the
 * API plugin (control-api.ts), which authenticates them and documents them in the OpenAPI document.
 */

type Page = Static<typeof PageQuery>;
type StreamRequest = FastifyRequest<{ Params: Static<typeof StreamParams> }>;

const BAD_PAGE = errorBody('A `limit` out of range, or not a number');

export function registerStreamRoutes(api: FastifyInstance, sources: ControlApiSources): void {
  const noStream = (reply: FastifyReply, app: string, key: string): FastifyReply => reply.code(404).send({ error: 'not found', message: `${app}/${key} is not live` });
  api.get('/api/streams', {
    schema: {
      summary: 'List the live streams',
      description: 'Sorted by `<app>/<key>`; a page that is not the last ends with `next`, the `after` of the next page.',
      tags: ['streams'],
      querystring: PageQuery,
      response: { 200: Type.Object({ streams: Type.Array(StreamSchema), next: Type.Optional(Type.String()) }, { description: 'A page of live streams' }), 400: BAD_PAGE },
    },
  }, async (request: FastifyRequest<{ Querystring: Page }>) => {
    const { items, next } = page(sources.streams(), (s) => `${s.app}/${s.streamKey}`, request.query);
    return { streams: items, ...(next === undefined ? {} : { next }) };
  });
  api.get('/api/streams/:app/:key', {
    schema: { summary: 'Get a live stream', tags: ['streams'], params: StreamParams, response: { 200: StreamSchema, 404: errorBody('The stream is not live') } },
  }, async (request: StreamRequest, reply) => {
    const { app, key } = request.params;
    return sources.streams().find((s) => s.app === app && s.streamKey === key) ?? noStream(reply, app, key);
  });
  api.post('/api/streams/:app/:key/kick', {
    schema: {
      summary: "End a stream's RTMP publish",
      description: 'The publisher hears NetStream.Failed (`ERR_MEDIA_KICKED`) and its connection closes; the playlists end after the end grace, as when it leaves. It may publish again.',
      tags: ['streams'],
      params: StreamParams,
      response: { 204: Type.Null({ description: 'The publisher was disconnected' }), 404: errorBody('No RTMP publish of this stream is live') },
    },
  }, async (request: StreamRequest, reply) => {
    const { app, key } = request.params;
    return sources.kickStream(app, key) ? reply.code(204).send() : noStream(reply, app, key);
  });
  api.get('/api/streams/:app/:key/health', {
    schema: {
      summary: "A stream key's health report",
      description: "The findings of the key's newest publish, live or ended, with the encoder setting that fixes each (docs/health.md).",
      tags: ['streams'],
      params: StreamParams,
      response: { 200: HealthSchema, 404: errorBody('The key was never published (or its stream was forgotten)') },
    },
  }, async (request: StreamRequest, reply) => {
    const { app, key } = request.params;
    const report = sources.health(app, key);
    if (report === undefined) return reply.code(404).send({ error: 'no publish of this stream key' });
    return { app, streamKey: key, ...report };
  });
}

export function registerServerRoutes(api: FastifyInstance, sources: ControlApiSources): void {
  api.get('/api/sessions', {
    schema: {
      summary: 'List the sessions',
      description: 'RTMP publishers and players, one per stream of a connection, and HTTP viewers (with play authorization). Sorted by id, paged as /api/streams.',
      tags: ['sessions'],
      querystring: PageQuery,
      response: { 200: Type.Object({ sessions: Type.Array(SessionSchema), next: Type.Optional(Type.String()) }, { description: 'A page of sessions' }), 400: BAD_PAGE },
    },
  }, async (request: FastifyRequest<{ Querystring: Page }>) => {
    const { items, next } = page(sources.sessions.list(), (s) => s.id, request.query);
    return { sessions: items, ...(next === undefined ? {} : { next }) };
  });
  api.post('/api/sessions/:id/kick', {
    schema: {
      summary: 'End a session',
      description: 'An RTMP publisher or player hears NetStream.Failed (`ERR_MEDIA_KICKED`) and its connection closes. An HTTP viewer holds a signed token until it expires: 409.',
      tags: ['sessions'],
      params: Type.Object({ id: Type.String() }),
      response: { 204: Type.Null({ description: 'The session was ended' }), 404: errorBody('No such session'), 409: errorBody('An HTTP viewer: it cannot be kicked') },
    },
  }, async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const { id } = request.params;
    const result = sources.sessions.kick(id);
    if (result === 'kicked') return reply.code(204).send();
    if (result === 'unknown') return reply.code(404).send({ error: 'not found', message: `no session ${id}` });
    return reply.code(409).send({ error: 'not kickable', message: `${id} is an HTTP viewer: its session token is valid until it expires` });
  });
  api.get('/api/config', {
    schema: { summary: 'The effective configuration', description: 'Resolved settings and the options as given, with every secret redacted.', tags: ['server'], response: { 200: ConfigSchema } },
  }, async () => sources.config());
  api.get('/api/denials', {
    schema: {
      summary: 'Recent authorization denials',
      description: 'The last 50 refused publishes and plays, newest first (docs/auth.md).',
      tags: ['server'],
      response: { 200: Type.Object({ denials: Type.Array(DenialSchema) }, { description: 'Newest first' }) },
    },
  }, async () => ({ denials: sources.denials().map((d) => ({ ...d, at: new Date(d.atMs).toISOString(), key: shownKey(d.action, d.key) })) }));
}

/** The items after `query.after` in id order, at most `query.limit`, and the `next` cursor when more follow. */
export function page<T>(items: readonly T[], id: (item: T) => string, query: Page): { items: T[]; next?: string } {
  const after = query.after;
  const sorted = items
    .map((item) => ({ id: id(item), item }))
    .filter((e) => after === undefined || e.id > after)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const shown = sorted.slice(0, query.limit ?? DEFAULT_PAGE_LIMIT);
  return { items: shown.map((e) => e.item), ...(sorted.length > shown.length ? { next: shown[shown.length - 1]!.id } : {}) };
}

/** A refused publish key may be a mistyped secret: its start and length only, as `tidecast serve` logs it. */
function shownKey(action: string, key: string): string {
  return action === 'publish' ? `${key.slice(0, 2)}…(${key.length} chars)` : key;
}
