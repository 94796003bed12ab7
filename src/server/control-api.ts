import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { StreamSummary } from '../http/index.js';
import type { HealthReport } from '../observability/index.js';
import { ApiAuth, type ApiOptions } from './control-api-auth.js';
import { registerServerRoutes, registerStreamRoutes } from './control-api-routes.js';
import { errorBody, openObject, type ConfigSchema } from './control-api-schemas.js';
import type { ApiSessions } from './control-api-sessions.js';
import type { AuthDenial } from './control-plane.js';

/**
 * The control API (docs/api.md, issue 12): every route under /api declared with TypeBox schemas,
 * its answers included, so that one OpenAPI 3 document (`GET /api/openapi.json`, browsable at
 * `/api/docs`) describes all of it and fastify validates requests and serializes answers from the
 * same schemas.
 *
 *   root
 *   └─ plugin: @fastify/swagger, @fastify/swagger-ui at /api/docs, GET /api/openapi.json   (open)
 *      └─ plugin: onRequest ApiAuth (401/403/429), onRoute adds those answers to each schema
 *         ├─ streams, sessions, config, denials (control-api-routes.ts)
 *         └─ `routes`: the jobs API, the dashboard's events, …
 *
 * Swagger learns routes through an onRoute hook, so it is registered in a plugin around the API's
 * routes: it sees those and nothing of the root (the delivery routes, the dashboard page).
 */

export interface ControlApiSources {
  /** Tokens and the failure limit (MediaServerOptions.api). */
  readonly api?: ApiOptions;
  readonly now: () => number;
  streams(): StreamSummary[];
  /** The health report of a stream key's newest publish, undefined if never published. */
  health(app: string, key: string): HealthReport | undefined;
  /** Ends the live RTMP publish of app/key; false when there is none. */
  kickStream(app: string, key: string): boolean;
  readonly sessions: Pick<ApiSessions, 'list' | 'kick'>;
  config(): Static<typeof ConfigSchema>;
  /** Refused publishes and plays, newest first (ControlPlane.recentDenials). */
  denials(): readonly AuthDenial[];
  /** More routes, each registrar run inside the API plugin: authenticated and documented like the rest. */
  readonly routes?: ReadonlyArray<(api: FastifyInstance) => void>;
}

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

const DESCRIPTION = [
  "tidecast's control API. Without `api.tokens` it answers clients on the server's own machine only (loopback), 403 to others.",
  'With tokens, every request carries one: `Authorization: Bearer <token>`, or `?access_token=<token>` where headers cannot be set (EventSource);',
  'without a valid one the answer is 401, and an address that fails 10 times in 60 s (`api.failureLimit`) gets 429 until its window ends.',
  'This document and /api/docs are open.',
].join(' ');

const SECURITY: Array<Record<string, string[]>> = [{ bearer: [] }, { accessToken: [] }];

/** The answers of the authentication, on every route of the API; a route's own answer for a code comes first. */
const AUTH_RESPONSES = {
  401: errorBody('No API token, or a wrong one (tokens configured)', { 'www-authenticate': Type.String({ description: 'Bearer realm="tidecast"' }) }),
  403: errorBody('Not a loopback client, and no API tokens are configured'),
  429: errorBody('Too many failed attempts from this address', { 'retry-after': Type.Integer({ description: 'Seconds until it may try again' }) }),
};

export function registerControlApi(app: FastifyInstance, sources: ControlApiSources): void {
  // Built now: a malformed token is refused at start, not at the first request.
  const auth = new ApiAuth(sources.api ?? {}, sources.now);
  void app.register(async (docs) => {
    await docs.register(swagger, {
      openapi: {
        info: { title: 'tidecast', version: VERSION, description: DESCRIPTION },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, accessToken: { type: 'apiKey', in: 'query', name: 'access_token' } } },
      },
    });
    await docs.register(swaggerUi, { routePrefix: '/api/docs' });
    docs.get('/api/openapi.json', {
      schema: { summary: 'This OpenAPI 3 document', tags: ['docs'], security: [], response: { 200: openObject('The OpenAPI document') } },
    }, async () => docs.swagger());
    await docs.register(async (api) => {
      api.addHook('onRoute', (route) => {
        const schema: FastifySchema = route.schema ?? {};
        route.schema = { ...schema, security: SECURITY, response: { ...AUTH_RESPONSES, ...(schema.response as object | undefined) } };
      });
      api.addHook('onRequest', auth.check);
      // Answers about the server's live state: never stored by a cache in between.
      api.addHook('onSend', async (_request, reply) => {
        if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      });
      registerStreamRoutes(api, sources);
      registerServerRoutes(api, sources);
      for (const routes of sources.routes ?? []) routes(api);
    });
  });
}
