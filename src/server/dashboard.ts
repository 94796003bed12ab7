import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
// The route schemas' `hide` (out of the OpenAPI document) is @fastify/swagger's addition to FastifySchema.
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { StreamSummary } from '../http/index.js';
import type { HealthReport } from '../observability/index.js';
import { DashboardFeed, MAX_DASHBOARD_PAGES } from './dashboard-feed.js';

/**
 * The dashboard (docs/dashboard.md): the page at `/` and its static files, and the server-sent
 * events that feed it. The page is plain HTML, CSS and browser JavaScript in src/server/dashboard/
 * (nothing to build), with uPlot and hls.js from the installed packages, never a CDN. Everything it
 * shows comes through the control API, with the API's authentication.
 */

export interface DashboardSources {
  streams(): StreamSummary[];
  health(app: string, key: string): HealthReport | undefined;
  /** Recent authorization failures, newest first (ControlPlane.recentDenials). */
  denials(): readonly { atMs: number; action: string; app: string; key: string; ip: string; reason: string }[];
  rtmpPort(): number | undefined;
  now(): number;
  /** Viewers of a stream by protocol (e.g. `{ rtmp: 2 }`); a summary's own `viewers` is used when absent. */
  viewers?(app: string, key: string): Readonly<Record<string, number>>;
  /** The packagers' segment target, s: the keyframe interval the OBS settings recommend. Default 2. */
  segmentTargetSeconds?(): number;
  /** Whether a stream is being recorded; undefined when recording is not configured (the page shows no record button). */
  recording?(app: string, key: string): boolean | undefined;
}

/**
 * The page's files, read from src/server/dashboard/ both when run from src/ (tsx, vitest) and from
 * dist/ (tsc copies no HTML): `../../` of this module is the package root either way, and
 * package.json "files" ships src/server/dashboard.
 */
const ASSETS_DIR = fileURLToPath(new URL('../../src/server/dashboard/', import.meta.url));
const UPLOT_FILES = new Set(['/uPlot.iife.min.js', '/uPlot.min.css']);

/** `/` and the dashboard's static assets (@fastify/static), uPlot from node_modules. Root app, not under /api. */
export function registerDashboardPage(app: FastifyInstance, options: { title?: string } = {}): void {
  const page = readFileSync(`${ASSETS_DIR}index.html`, 'utf8').replaceAll('{{title}}', escapeHtml(options.title ?? 'tidecast'));
  const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'));
  // decorateReply false: other plugins (swagger-ui) register @fastify/static too; no reply.sendFile is needed here.
  void app.register(fastifyStatic, { root: ASSETS_DIR, prefix: '/assets/dashboard/', index: false, decorateReply: false, allowedPath: (path) => path !== '/index.html' });
  void app.register(fastifyStatic, { root: uplotDir, prefix: '/assets/uplot/', index: false, decorateReply: false, allowedPath: (path) => UPLOT_FILES.has(path), maxAge: 86_400_000 });
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page));
}

const EVENT_DESCRIPTION = [
  'Server-sent events (text/event-stream): one `data:` line a second, a JSON object',
  '`{ atMs, rtmpPort, segmentTargetSeconds, streams: [{ app, streamKey, bitrateKbps, frameRate, keyframeIntervalSeconds,',
  'uptimeSeconds, video, audio, playlist, viewers, health: { status, findings, measures } | null, recording: boolean | null }], streamsLeftOut,',
  'denials: [{ atMs, action, app, key, ip, reason }] }` (docs/dashboard.md), and a `: heartbeat` comment every 15 s.',
  'First, an `event: history` with the graphed figures of the last 5 minutes:',
  '`{ streams: [{ app, streamKey, atMs: [], bitrateKbps: [], frameRate: [], keyframeIntervalSeconds: [] }] }`.',
  '`recording` is null when recording is not configured (docs/recording.md).',
  'EventSource cannot set headers: pass the API token as `?access_token=`.',
].join(' ');

const EVENTS_SCHEMA = {
  summary: 'Dashboard figures as server-sent events',
  description: EVENT_DESCRIPTION,
  tags: ['dashboard'],
  response: {
    200: { description: 'An endless event stream', content: { 'text/event-stream': { schema: Type.String({ description: EVENT_DESCRIPTION }) } } },
    503: Type.Object({ error: Type.String() }, { description: `Already ${MAX_DASHBOARD_PAGES} dashboards connected` }),
  },
};

/** GET /api/dashboard/events: server-sent events (per-second stream figures, health, denials), TypeBox schema. Called inside the API plugin. */
export function dashboardApiRoutes(sources: DashboardSources): (api: FastifyInstance) => void {
  return (api) => {
    const feed = new DashboardFeed(sources);
    // Open event streams would hold fastify.close() (server.close waits for every connection): end them first.
    api.addHook('preClose', async () => feed.close());
    // The same path whether the API plugin is registered with an `/api` prefix or without one.
    const path = api.prefix.endsWith('/api') ? '/dashboard/events' : '/api/dashboard/events';
    api.get(path, { schema: EVENTS_SCHEMA }, async (_request: FastifyRequest, reply: FastifyReply) => {
      if (feed.full) return reply.code(503).header('retry-after', '10').header('cache-control', 'no-store').send({ error: `at most ${MAX_DASHBOARD_PAGES} dashboards at once` });
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
      feed.add(res);
      // The response's 'close' (not the request's, which Node emits once the request is read): the page left.
      res.once('close', () => feed.remove(res));
      return reply;
    });
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
