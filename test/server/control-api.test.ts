import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamSummary } from '../../src/http/index.js';
import type { HealthReport } from '../../src/observability/index.js';
import { createMediaServer, hashKey, staticKeys, type MediaServer, type MediaServerOptions } from '../../src/server/index.js';
import { registerControlApi } from '../../src/server/control-api.js';
import { FailureLimiter } from '../../src/server/control-api-auth.js';
import { JsonFileJobStore } from '../../src/transcode/index.js';
import { ffmpegPath, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import { documentedFetch, documentedInject, type ApiDocument } from '../helpers/openapi.js';
import { killByPid, withTimeout } from '../helpers/process.js';
import { startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';

/*
 * The control API (issue 12, Done when 4): /api/openapi.json validates as OpenAPI 3
 * (@seriousme/openapi-schema-validator), every /api route the server registers is in it with a
 * response schema for each answer, and every call below goes through a path and method the document
 * declares and gets a status it lists (test/helpers/openapi.ts). Authentication: loopback only
 * without tokens, bearer tokens (header or query, hashed or plain), 401 and 429 with their headers.
 * And against a real ffmpeg publish: the stream and its publisher in the lists, kicked by stream
 * and by session, an RTMP player kicked by session.
 */

const ffmpeg = await ffmpegPath();
let jobsDir: string;
const servers: MediaServer[] = [];

beforeAll(async () => {
  jobsDir = await mkdtemp(join(tmpdir(), 'tidecast-control-api-'));
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await rm(jobsDir, { recursive: true, force: true });
});

/** A server (not listening: fastify.inject) with the job API, so that every route is registered. */
async function server(options: MediaServerOptions = {}): Promise<{ server: MediaServer; doc: ApiDocument; routes: string[] }> {
  const s = createMediaServer({ ...options, jobs: { store: new JsonFileJobStore(join(jobsDir, `${servers.length}.json`)) } });
  servers.push(s);
  const routes: string[] = [];
  s.http.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (route.url.startsWith('/api/') && method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  await s.http.ready();
  return { server: s, doc: (await s.http.inject('/api/openapi.json')).json(), routes };
}

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3 and has every /api route the server registers, each with a response schema per answer', async () => {
    const { doc, routes } = await server();
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(validator.version).toMatch(/^3\./);
    // swagger-ui's own pages under /api/docs (the browsable document) are hidden from the document.
    const apiRoutes = routes.filter((r) => !r.includes(' /api/docs'));
    // …and the document has nothing else: its operations are exactly those routes.
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    expect([...apiRoutes].sort()).toEqual(operations.sort());
    expect(apiRoutes.length).toBeGreaterThanOrEqual(16);
    for (const route of apiRoutes) {
      const [method, url] = route.split(' ') as [string, string];
      const path = url.replace(/:(\w+)/g, '{$1}');
      const operation = doc.paths[path]?.[method.toLowerCase()];
      expect(operation, route).toBeDefined();
      for (const [status, response] of Object.entries(operation!.responses as Record<string, { content?: Record<string, { schema?: object }> }>)) {
        if (status === '204') continue;
        expect(Object.values(response.content ?? {})[0]?.schema, `${route} ${status}`).toBeDefined();
      }
      if ((operation!.security?.length ?? 0) > 0) expect(Object.keys(operation!.responses), route).toEqual(expect.arrayContaining(['401', '403', '429']));
    }
  });
});

describe('authentication', () => {
  it('without tokens: loopback clients only (403 to others); the document and /api/docs stay open', async () => {
    const { server: s, doc } = await server();
    const call = documentedInject(s.http, doc);
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect((await call('GET', '/api/streams', { remoteAddress: address })).statusCode, address).toBe(200);
    for (const address of ['203.0.113.9', '::ffff:10.0.0.1', 'fe80::1']) {
      const answer = await call('GET', '/api/streams', { remoteAddress: address });
      expect(answer.statusCode, address).toBe(403);
      expect(answer.json()).toMatchObject({ error: 'forbidden' });
    }
    expect((await call('GET', '/api/jobs', { remoteAddress: '203.0.113.9' })).statusCode).toBe(403);
    // Loopback, but not a program of this machine: a local reverse proxy's forward, a web page of
    // another site in a local browser, a rebinding name; the dashboard's own page is let in.
    const local = { remoteAddress: '127.0.0.1' };
    const foreign: Array<Record<string, string>> = [{ 'x-forwarded-for': '198.51.100.7' }, { forwarded: 'for=198.51.100.7' }, { 'x-real-ip': '198.51.100.7' }, { origin: 'https://evil.example' }, { host: 'rebound.example:8080' }];
    for (const headers of foreign) {
      expect((await call('POST', '/api/streams/live/cam/kick', { ...local, headers })).statusCode, JSON.stringify(headers)).toBe(403);
    }
    expect((await call('GET', '/api/streams', { ...local, headers: { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' } })).statusCode).toBe(200);
    expect((await call('GET', '/api/streams', { ...local, headers: { host: '[::1]:8080', origin: 'http://localhost:8080' } })).statusCode).toBe(200);
    expect((await call('GET', '/api/openapi.json', { remoteAddress: '203.0.113.9' })).statusCode).toBe(200);
    // The browsable document is swagger-ui's page, not an operation of the document.
    expect((await s.http.inject({ url: '/api/docs', remoteAddress: '203.0.113.9' })).statusCode).toBe(200);
  });

  it('with tokens: a hashed or plain token as bearer or ?access_token= from anywhere; none or a wrong one is 401 with WWW-Authenticate', async () => {
    const { server: s, doc } = await server({ api: { tokens: [hashKey('hashed-secret'), 'plain-secret'] } });
    const call = documentedInject(s.http, doc);
    const remote = '198.51.100.7';
    expect((await call('GET', '/api/streams', { remoteAddress: remote, headers: { authorization: 'Bearer hashed-secret' } })).statusCode).toBe(200);
    expect((await call('GET', '/api/config', { headers: { authorization: 'bearer plain-secret' } })).statusCode).toBe(200);
    expect((await call('GET', '/api/sessions?access_token=plain-secret', { remoteAddress: remote })).statusCode).toBe(200);
    const missing = await call('GET', '/api/streams');
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="tidecast"');
    const wrong = await call('GET', '/api/jobs', { headers: { authorization: 'Bearer plain-secreT' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(wrong.json()).toMatchObject({ error: 'unauthorized' });
    // The hash is the configuration, not a credential.
    expect((await call('GET', '/api/streams', { headers: { authorization: `Bearer ${hashKey('hashed-secret')}` } })).statusCode).toBe(401);
    expect((await call('GET', '/api/openapi.json', { remoteAddress: remote })).statusCode).toBe(200);
  });

  it('429 with Retry-After once an address failed failureLimit.max times in the window, even with a good token; others unaffected', async () => {
    let nowMs = 1_000_000;
    const { server: s, doc } = await server({ now: () => nowMs, api: { tokens: ['good'], failureLimit: { max: 3, windowMs: 60_000 } } });
    const call = documentedInject(s.http, doc);
    const attacker = '203.0.113.50';
    for (let i = 0; i < 3; i++) expect((await call('GET', '/api/streams', { remoteAddress: attacker, headers: { authorization: `Bearer guess-${i}` } })).statusCode).toBe(401);
    nowMs += 15_000;
    const limited = await call('GET', '/api/streams', { remoteAddress: attacker, headers: { authorization: 'Bearer good' } });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('45');
    expect((await call('GET', '/api/streams', { remoteAddress: '203.0.113.51', headers: { authorization: 'Bearer good' } })).statusCode).toBe(200);
    nowMs += 45_000;
    expect((await call('GET', '/api/streams', { remoteAddress: attacker, headers: { authorization: 'Bearer good' } })).statusCode).toBe(200);
  });

  it('a refused request goes no further: an unauthenticated kick kicks nothing', async () => {
    const kicked: string[] = [];
    const app = Fastify();
    registerControlApi(app, {
      api: { tokens: ['good'] }, now: () => 0, streams: () => [], health: () => undefined, config: () => ({ settings: { httpPort: 1, httpHost: 'h', endGraceMs: 2, endedRetentionMs: 3, maxKeyframeIntervalMs: 4, maxBytesWithoutKeyframe: 5, rtmpPlayAbsoluteTimestamps: true }, rtmp: {}, hls: {}, options: {} }), denials: () => [],
      kickStream: (app, key) => kicked.push(`${app}/${key}`) > 0,
      sessions: { list: () => [], kick: (id) => (kicked.push(id), 'kicked') },
    });
    await app.ready();
    const call = documentedInject(app, (await app.inject('/api/openapi.json')).json());
    expect((await call('POST', '/api/streams/live/cam/kick', { headers: { authorization: 'Bearer bad' } })).statusCode).toBe(401);
    expect((await call('POST', '/api/sessions/rtmp-1-1/kick')).statusCode).toBe(401);
    expect(kicked).toEqual([]);
    expect((await call('POST', '/api/streams/live/cam/kick', { headers: { authorization: 'Bearer good' } })).statusCode).toBe(204);
    expect(kicked).toEqual(['live/cam']);
    await app.close();
  });

  it('keeps failure windows for a bounded number of addresses; refuses a malformed token hash at start', () => {
    const limiter = new FailureLimiter({ max: 10, windowMs: 60_000 });
    for (let i = 0; i < 20_000; i++) limiter.fail(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 0);
    expect(limiter.size).toBe(10_000);
    expect(() => createMediaServer({ api: { tokens: ['sha256:abc'] } })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    expect(() => createMediaServer({ api: { failureLimit: { max: 0, windowMs: 1000 } } })).toThrow(/api\.failureLimit\.max/);
  });
});

describe('routes', () => {
  it('pages the live streams with ?limit=&after=, in name order; a bad limit is 400', async () => {
    const { server: s, doc } = await server();
    const call = documentedInject(s.http, doc);
    for (const key of ['e', 'b', 'd', 'a', 'c']) s.hub.publish({ app: 'live', streamKey: key, publisherId: `test-${key}`, nowMs: Date.now() });
    const seen: string[] = [];
    let url = '/api/streams?limit=2';
    for (let pages = 0; pages < 5; pages++) {
      const body = (await call('GET', url)).json() as { streams: Array<{ streamKey: string }>; next?: string };
      seen.push(...body.streams.map((x) => x.streamKey));
      if (body.next === undefined) break;
      url = `/api/streams?limit=2&after=${encodeURIComponent(body.next)}`;
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(((await call('GET', '/api/streams')).json() as { streams: unknown[]; next?: string }).next).toBeUndefined();
    expect((await call('GET', '/api/streams?limit=0')).statusCode).toBe(400);
    expect((await call('GET', '/api/streams?limit=many')).statusCode).toBe(400);
    expect((await call('GET', '/api/streams/live/c')).json()).toMatchObject({ app: 'live', streamKey: 'c', playlist: '/live/c/index.m3u8' });
    expect((await call('GET', '/api/streams/live/zz')).statusCode).toBe(404);
    expect((await call('POST', '/api/streams/live/zz/kick')).statusCode).toBe(404);
    expect((await call('POST', '/api/sessions/rtmp-99-1/kick')).statusCode).toBe(404);
  });

  it('/api/config shows the settings and options with every secret redacted; /api/denials hides refused publish keys', async () => {
    const { server: s, doc } = await server({
      api: { tokens: ['api-token-1'] },
      webhooks: { endpoints: [{ url: 'https://hook-user:hook-pass@hooks.example/in?token=url-secret', secret: 'whsec_c2lnbmluZ3NlY3JldA==' }] },
      auth: { apps: { live: { strategies: [staticKeys([hashKey('obs-key')])], open: ['play'] } }, sessions: { secret: 'session-secret', edgeSecret: 'edge-secret' } },
    });
    const call = documentedInject(s.http, doc);
    const headers = { authorization: 'Bearer api-token-1' };
    const answer = await call('GET', '/api/config', { headers });
    expect(answer.statusCode).toBe(200);
    for (const secret of ['api-token-1', 'hook-user', 'hook-pass', 'url-secret', 'whsec_', 'session-secret', 'edge-secret']) expect(answer.body).not.toContain(secret);
    const config = answer.json() as { settings: { endGraceMs: number }; options: { api: { tokens: string }; auth: { apps: { live: { strategies: unknown[] } } }; webhooks: { endpoints: Array<{ url: string }> } } };
    expect(config.settings.endGraceMs).toBe(10_000);
    expect(config.options.api.tokens).toBe('<redacted>');
    expect(config.options.webhooks.endpoints[0]!.url).toBe('https://<redacted>@hooks.example/in?token=<redacted>');
    expect(config.options.auth.apps.live.strategies).toEqual([{ name: 'static-keys' }]);
    s.control.access!.denied({ action: 'publish', app: 'live', key: 'mistyped-secret', ip: '192.0.2.1', reason: 'stream key not recognised for live' });
    s.control.access!.denied({ action: 'play', app: 'live', key: 'cam', ip: '192.0.2.2', reason: 'no credentials' });
    const denials = (await call('GET', '/api/denials', { headers })).json() as { denials: Array<{ action: string; key: string; at: string }> };
    expect(denials.denials.map((d) => [d.action, d.key])).toEqual([['play', 'cam'], ['publish', 'mi…(15 chars)']]);
    expect(denials.denials[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('answers every field its sources give (the response schemas drop nothing)', async () => {
    const stream: StreamSummary = {
      app: 'live', streamKey: 'cam', video: { codec: 'avc1.64001f', width: 1280, height: 720, frameRate: 29.97 }, audio: { codec: 'mp4a.40.2', sampleRate: 48_000, channels: 2 },
      bitrateKbps: 2500, uptimeSeconds: 12.5, playlist: '/live/cam/index.m3u8',
      counters: { readerDroppedSamples: 1, rtmpPlayerDroppedFrames: 2, partsOffTarget: 3, tagsBeforeConfig: 4, tagsUnsupported: 5, parkedExpired: 6, parkedRefused: 7 },
      ladder: { state: 'running', rungs: [{ name: '360p', fps: 30 }], lastError: { message: 'x', atMs: 1 } },
      dash: { mpd: '/live/cam/manifest.mpd', lowLatencyMpd: '/live/cam/manifest-ll.mpd', notLowLatency: 'keyframes every 4 s' },
    };
    const health: HealthReport = {
      status: 'ok',
      findings: [{ type: 'bFramesPresent', severity: 'warning', actual: '2 B-frames', expected: 'none', advice: 'Set bframes=0' }],
      measures: { windowSeconds: 10, frameRate: 30, keyframeIntervalSeconds: 2, bitsPerSecond: 2_500_000, maxCompositionOffsetMs: 66 },
    };
    const app = Fastify();
    registerControlApi(app, {
      now: () => 0, streams: () => [stream], health: () => health, kickStream: () => false, config: () => ({ settings: { httpPort: 1, httpHost: 'h', endGraceMs: 2, endedRetentionMs: 3, maxKeyframeIntervalMs: 4, maxBytesWithoutKeyframe: 5, rtmpPlayAbsoluteTimestamps: true }, rtmp: { a: { b: 1 } }, hls: { c: [1] }, options: { d: 'e' } }),
      denials: () => [], sessions: { list: () => [{ id: 'rtmp-1-1', protocol: 'rtmp', role: 'publisher', app: 'live', streamKey: 'cam', remoteAddress: '127.0.0.1', startedAt: '2026-05-01T12:00:00.000Z', bytes: { received: 10, sent: 20 } }], kick: () => 'unknown' },
    });
    await app.ready();
    const call = documentedInject(app, (await app.inject('/api/openapi.json')).json());
    expect((await call('GET', '/api/streams')).json()).toEqual({ streams: [stream] });
    expect((await call('GET', '/api/streams/live/cam')).json()).toEqual(stream);
    expect((await call('GET', '/api/streams/live/cam/health')).json()).toEqual({ app: 'live', streamKey: 'cam', ...health });
    expect((await call('GET', '/api/sessions')).json()).toMatchObject({ sessions: [{ id: 'rtmp-1-1', bytes: { received: 10, sent: 20 } }] });
    expect((await call('GET', '/api/config')).json()).toMatchObject({ rtmp: { a: { b: 1 } }, hls: { c: [1] }, options: { d: 'e' } });
    await app.close();
  });
});

describe.skipIf(ffmpeg === undefined)('a real publish', () => {
  let live: LiveServer;
  let call: ReturnType<typeof documentedFetch>;
  const runs: FfmpegRun[] = [];
  beforeAll(async () => {
    live = await startLiveServer({ endGraceMs: 500 });
    const base = live.httpUrl('').replace(/\/$/, '');
    call = documentedFetch(base, (await (await fetch(`${base}/api/openapi.json`)).json()) as ApiDocument);
  });
  afterAll(async () => {
    for (const run of runs) killByPid(run.child);
    await live?.close();
  });

  interface Session { id: string; role: string; app: string; streamKey: string; remoteAddress: string; bytes: { received: number; sent: number } }
  const sessions = async (): Promise<Session[]> => ((await (await call('GET', '/api/sessions')).json()) as { sessions: Session[] }).sessions;

  it('lists the stream and its publisher; kicking the stream ends the ffmpeg publish', async () => {
    const run = await live.publish('kick-stream', { seconds: 30, loop: true });
    expect((await call('GET', '/api/streams/live/kick-stream')).status).toBe(200);
    const publisher = (await sessions()).find((s) => s.streamKey === 'kick-stream');
    expect(publisher).toMatchObject({ id: expect.stringMatching(/^rtmp-\d+-\d+$/), role: 'publisher', app: 'live', remoteAddress: '127.0.0.1' });
    expect(publisher!.bytes.received).toBeGreaterThan(0);
    expect((await call('POST', '/api/streams/live/kick-stream/kick')).status).toBe(204);
    expect((await withTimeout(run.done, 10_000, 'ffmpeg after the kick')).code).not.toBe(0);
    expect((await call('GET', '/api/streams/live/kick-stream')).status).toBe(404);
    expect((await sessions()).some((s) => s.streamKey === 'kick-stream')).toBe(false);
  });

  it('kicks a publisher and an RTMP player by session id', async () => {
    const run = await live.publish('kick-session', { seconds: 30, loop: true });
    const player = await spawnFfmpeg(['-v', 'error', '-i', live.rtmpUrl('live/kick-session'), '-t', '30', '-f', 'null', '-'], { timeoutMs: 40_000 });
    runs.push(player);
    await waitUntil(async () => (await sessions()).some((s) => s.role === 'player' && s.streamKey === 'kick-session'), 10_000, 'the player in /api/sessions');
    const playing = (await sessions()).find((s) => s.role === 'player')!;
    expect(playing).toMatchObject({ app: 'live', remoteAddress: '127.0.0.1' });
    expect((await call('POST', `/api/sessions/${playing.id}/kick`)).status).toBe(204);
    await withTimeout(player.done, 10_000, 'the player after its kick');
    expect((await sessions()).some((s) => s.role === 'player')).toBe(false);
    const publisher = (await sessions()).find((s) => s.role === 'publisher' && s.streamKey === 'kick-session')!;
    expect((await call('POST', `/api/sessions/${publisher.id}/kick`)).status).toBe(204);
    expect((await withTimeout(run.done, 10_000, 'ffmpeg after its session kick')).code).not.toBe(0);
    expect((await call('POST', `/api/sessions/${publisher.id}/kick`)).status).toBe(404);
  });
});
