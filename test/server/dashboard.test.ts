import fastifySwagger from '@fastify/swagger';
import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify, { type FastifyInstance } from 'fastify';
import { get, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamSummary } from '../../src/http/index.js';
import type { HealthReport } from '../../src/observability/index.js';
import { dashboardApiRoutes, registerDashboardPage, type DashboardSources } from '../../src/server/dashboard.js';
import { MAX_DASHBOARD_PAGES } from '../../src/server/dashboard-feed.js';

/**
 * The dashboard's server side (src/server/dashboard.ts), over a listening fastify and fetch: the
 * page and its assets, the event stream's headers and first event, one event a second, the timer
 * stopped once the last page leaves, the graphed history sent to a page that comes back, fastify.close() not held by an open stream, and the route in
 * an OpenAPI document that validates. The page itself runs in Chromium (test/browser/dashboard.test.ts).
 */

const NOW_MS = Date.UTC(2026, 4, 1, 12);

const SUMMARY: StreamSummary = {
  app: 'live',
  streamKey: 'cam',
  video: { codec: 'avc1.64001f', width: 1280, height: 720, frameRate: 30 },
  audio: { codec: 'mp4a.40.2', sampleRate: 48_000, channels: 2 },
  bitrateKbps: 2500,
  uptimeSeconds: 12,
  playlist: '/live/cam/index.m3u8',
  dash: { mpd: '/live/cam/manifest.mpd', lowLatencyMpd: '/live/cam/manifest-ll.mpd' },
};

const REPORT: HealthReport = {
  status: 'bad',
  findings: [{ type: 'gopLongerThanSegment', severity: 'error', actual: '10.0 s between keyframes', expected: '2 s (the segment target)', advice: 'OBS: Keyframe Interval 2 s' }],
  measures: { windowSeconds: 29.9, frameRate: 29.97, keyframeIntervalSeconds: 10, bitsPerSecond: 2_500_000, maxCompositionOffsetMs: 0 },
};

/** Sources that count how often the feed reads the streams. */
function sources(): DashboardSources & { reads: number } {
  const s = {
    reads: 0,
    streams: () => {
      s.reads += 1;
      return [SUMMARY];
    },
    health: (app: string, key: string) => (app === 'live' && key === 'cam' ? REPORT : undefined),
    denials: () => [
      { atMs: NOW_MS - 1000, action: 'publish', app: 'live', key: 'secret-typo', ip: '10.0.0.7', reason: 'unknown key' },
      { atMs: NOW_MS - 2000, action: 'play', app: 'live', key: 'cam', ip: '10.0.0.8', reason: 'token expired' },
    ],
    rtmpPort: () => 1935,
    now: () => NOW_MS,
    viewers: () => ({ rtmp: 2 }),
  };
  return s;
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function listen(setup: (app: FastifyInstance) => void | Promise<void>): Promise<string> {
  app = Fastify();
  await setup(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** An event stream read with node:http (fetch's pool would open a spare connection after an abort). */
interface OpenStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** The next block: a `data:` payload parsed, the `history` event's, a comment, or the `retry:` field. */
  next(): Promise<{ data?: unknown; history?: unknown; comment?: string; retry?: number }>;
  /** Leaves, as a closed tab does: the connection is destroyed. */
  leave(): void;
}

async function openStream(url: string): Promise<OpenStream> {
  const request = get(url);
  const response = await new Promise<IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
  response.setEncoding('utf8');
  let buffered = '';
  let ended = false;
  let wake: (() => void) | undefined;
  response.on('data', (chunk: string) => {
    buffered += chunk;
    wake?.();
  });
  response.on('close', () => {
    ended = true;
    wake?.();
  });
  return {
    status: response.statusCode ?? 0,
    headers: response.headers,
    async next() {
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (block.startsWith('data: ')) return { data: JSON.parse(block.slice(6)) };
          if (block.startsWith('event: history\ndata: ')) return { history: JSON.parse(block.slice(21)) };
          if (block.startsWith(':')) return { comment: block.slice(1).trim() };
          if (block.startsWith('retry: ')) return { retry: Number(block.slice(7)) };
          throw new Error(`unexpected block ${block}`);
        }
        if (ended) throw new Error('the event stream ended');
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    leave: () => request.destroy(),
  };
}

describe('dashboard events (GET /api/dashboard/events)', () => {
  it('answers text/event-stream with an event at once, then one a second; the timer stops when the page leaves', { timeout: 10_000 }, async () => {
    const src = sources();
    const origin = await listen((a) => dashboardApiRoutes(src)(a));
    const events = await openStream(`${origin}/api/dashboard/events`);
    expect(events.status).toBe(200);
    expect(events.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(events.headers['cache-control']).toBe('no-store');
    expect(await events.next()).toEqual({ retry: 3000 });
    // Nothing graphed yet: the feed starts with this page.
    expect(await events.next()).toEqual({ history: { streams: [] } });
    const first = (await events.next()).data;
    expect(first).toEqual({
      atMs: NOW_MS,
      rtmpPort: 1935,
      segmentTargetSeconds: 2,
      streams: [
        {
          app: 'live',
          streamKey: 'cam',
          bitrateKbps: 2500,
          frameRate: 29.97,
          keyframeIntervalSeconds: 10,
          uptimeSeconds: 12,
          video: SUMMARY.video,
          audio: SUMMARY.audio,
          playlist: '/live/cam/index.m3u8',
          viewers: { rtmp: 2 },
          health: REPORT,
        },
      ],
      streamsLeftOut: 0,
      denials: [
        // A refused publish key may be a mistyped secret: its start and length only.
        { atMs: NOW_MS - 1000, action: 'publish', app: 'live', key: 'se…(11 chars)', ip: '10.0.0.7', reason: 'unknown key' },
        { atMs: NOW_MS - 2000, action: 'play', app: 'live', key: 'cam', ip: '10.0.0.8', reason: 'token expired' },
      ],
    });
    const started = performance.now();
    expect((await events.next()).data).toEqual(first);
    const apart = performance.now() - started;
    expect(apart).toBeGreaterThan(700);
    expect(apart).toBeLessThan(1500);

    events.leave();
    await new Promise((r) => setTimeout(r, 200));
    const reads = src.reads;
    await new Promise((r) => setTimeout(r, 1500));
    expect(src.reads).toBe(reads);

    // A page that comes back (a reload) gets the figures graphed so far first: a point a tick (one tick above).
    const again = await openStream(`${origin}/api/dashboard/events`);
    await again.next();
    const { history } = await again.next();
    expect(history).toEqual({ streams: [{ app: 'live', streamKey: 'cam', atMs: [NOW_MS], bitrateKbps: [2500], frameRate: [29.97], keyframeIntervalSeconds: [10] }] });
    again.leave();
  });

  it('keeps one timer for every page, and fastify.close() ends the open streams at once', { timeout: 10_000 }, async () => {
    const src = sources();
    const origin = await listen((a) => dashboardApiRoutes(src)(a));
    const readers = await Promise.all([0, 1, 2].map(() => openStream(`${origin}/api/dashboard/events`)));
    for (const r of readers) {
      await r.next();
      await r.next();
      await r.next();
    }
    const reads = src.reads;
    await new Promise((r) => setTimeout(r, 2100));
    // About two ticks, each read once for all three pages (six or more if each page had its timer).
    expect(src.reads - reads).toBeGreaterThanOrEqual(1);
    expect(src.reads - reads).toBeLessThanOrEqual(3);
    const closing = performance.now();
    await app!.close();
    app = undefined;
    expect(performance.now() - closing).toBeLessThan(1000);
    await expect(readers[0]!.next().then(() => readers[0]!.next()).then(() => readers[0]!.next())).rejects.toThrow(/ended/);
  });

  it(`feeds at most ${MAX_DASHBOARD_PAGES} pages at once: one more is answered 503 with Retry-After`, async () => {
    const src = sources();
    const origin = await listen((a) => dashboardApiRoutes(src)(a));
    const pages = await Promise.all(Array.from({ length: MAX_DASHBOARD_PAGES }, () => openStream(`${origin}/api/dashboard/events`)));
    expect(pages.every((p) => p.status === 200)).toBe(true);
    const res = await fetch(`${origin}/api/dashboard/events`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(await res.json()).toEqual({ error: `at most ${MAX_DASHBOARD_PAGES} dashboards at once` });
    pages[0]!.leave();
    await new Promise((r) => setTimeout(r, 100));
    const again = await openStream(`${origin}/api/dashboard/events`);
    expect(again.status).toBe(200);
    for (const p of [...pages, again]) p.leave();
  });

  it('is in the OpenAPI document (with or without an /api prefix), which validates', async () => {
    for (const prefix of ['', '/api']) {
      const a = Fastify();
      await a.register(fastifySwagger, { openapi: { info: { title: 'test', version: '1' } } });
      await a.register(async (api) => dashboardApiRoutes(sources())(api), { prefix });
      registerDashboardPage(a);
      await a.ready();
      const doc = a.swagger() as { paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }> };
      expect(Object.keys(doc.paths)).toEqual(['/api/dashboard/events']);
      expect(Object.keys(doc.paths['/api/dashboard/events']!.get!.responses['200']!.content!)).toEqual(['text/event-stream']);
      const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
      await a.close();
    }
  });
});

describe('dashboard page', () => {
  it('serves / with the title escaped, its assets and uPlot, and nothing else of those folders', async () => {
    const origin = await listen((a) => registerDashboardPage(a, { title: 'Studio <2>' }));
    const page = await fetch(`${origin}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<h1>Studio &#60;2&#62;</h1>');
    expect(html).not.toContain('{{title}}');
    for (const path of ['/assets/dashboard/dashboard.js', '/assets/dashboard/player.js', '/assets/dashboard/panels.js', '/assets/dashboard/dashboard.css', '/assets/uplot/uPlot.iife.min.js', '/assets/uplot/uPlot.min.css']) {
      const res = await fetch(origin + path);
      await res.arrayBuffer();
      expect([path, res.status]).toEqual([path, 200]);
    }
    for (const path of ['/assets/dashboard/index.html', '/assets/uplot/uPlot.esm.js', '/assets/dashboard/../dashboard.ts']) {
      const res = await fetch(origin + path);
      await res.arrayBuffer();
      expect([path, res.status]).toEqual([path, 404]);
    }
  });
});
