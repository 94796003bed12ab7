import { writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, it, type ExpectStatic } from 'vitest';
import { haproxyArgs, haproxyCfg, nginxArgs, nginxConf, varnishdArgs, varnishVcl, type EdgeDescription } from '../../src/cluster/edge-config/index.js';
import { delay, freePort } from '../helpers/process.js';
import { get, haproxyPath, MOCK_CHUNK_MS, MOCK_CHUNKS, MOCK_PLAIN_DELAY_MS, MOCK_SOON_MS, nginxPath, removeTempDirs, skipReason, startDaemon, startMockOrigin, tempDir, varnishdPath, waitFor, type Answer, type Daemon, type MockOrigin } from './edge-config-helpers.js';

/**
 * The generated configurations serving real traffic: varnishd and nginx (Debian's) in front of two
 * small origins with tidecast's Cache-Control (edge-config-helpers.ts), HAProxy in front of two TCP
 * servers that read its PROXY v2 headers. What each edge must do (docs/cluster.md "Edge
 * configurations", "The origin's contract with caches"): N identical blocking reloads → one
 * origin request; the directives in any order and any token → one cache entry; other directives →
 * their own; a 404 the origin lets be kept kept about a second, one it marks no-store never (a part
 * that appears 200 ms later is served at once); live playlists without directives: through Varnish
 * N at once → one origin request and never older than half a part, through nginx not kept and
 * not held by the cache lock; a 5xx never kept; one stream's requests on one origin. The daemons
 * run in parallel, a few seconds in all.
 */

/** How long the origin holds a blocking reload: the part it waits for appears this much later. */
const BLOCKING_DELAY_MS = 300;
/** Identical blocking reloads sent at once. */
const VIEWERS = 20;
/** The edges' part target; they keep a live playlist half of it (Varnish). */
const PART_TARGET_SECONDS = 0.2;
const HALF_PART_MS = (PART_TARGET_SECONDS / 2) * 1000;
/** What a timer, a fresh connection and a loaded 2-core machine may add to a measured time. */
const SLACK_MS = 50;

const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await removeTempDirs();
});

function description(dir: string, listenPort: number, origins: readonly number[], rtmpOrigins: readonly number[]): EdgeDescription {
  const loopback = (port: number): { host: string; port: number } => ({ host: '127.0.0.1', port });
  return {
    origins: origins.map(loopback),
    rtmpOrigins: rtmpOrigins.map(loopback),
    listen: loopback(listenPort),
    cacheDir: join(dir, 'cache'),
    cacheSizeMiB: 64,
    runDir: dir,
    segmentTargetSeconds: 2,
    partTargetSeconds: PART_TARGET_SECONDS,
  };
}

interface Edge {
  readonly base: string;
  readonly origins: readonly MockOrigin[];
  readonly daemon: Daemon;
}

async function startEdge(engine: 'varnish' | 'nginx'): Promise<Edge> {
  const origins = [await startMockOrigin('a', BLOCKING_DELAY_MS), await startMockOrigin('b', BLOCKING_DELAY_MS)];
  stops.push(...origins.map((o) => () => o.close()));
  const dir = await tempDir();
  const port = await freePort();
  const edge = description(dir, port, origins.map((o) => o.port), []);
  const file = join(dir, engine === 'varnish' ? 'edge.vcl' : 'edge.conf');
  await writeFile(file, engine === 'varnish' ? varnishVcl(edge) : nginxConf(edge));
  const daemon = engine === 'varnish' ? startDaemon(varnishdPath!, varnishdArgs(edge, file, { noJail: true })) : startDaemon(nginxPath!, nginxArgs(edge, file));
  stops.push(() => daemon.stop());
  const base = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (daemon.exited()) throw new Error(`${engine} exited: ${daemon.output()}`);
      return (await get(`${base}/time`, 1000).catch(() => undefined))?.status === 200;
    },
    30_000,
    `${engine} on ${base} answering /time`,
  );
  return { base, origins, daemon };
}

/** The cache checks every edge must pass. */
async function exercise(edge: Edge, cacheHeader: string, expect: ExpectStatic): Promise<void> {
  const notFoundStream = 'gone-ttl';
  const count = (prefix: string): number => edge.origins.reduce((n, o) => n + o.urls.filter((u) => u.startsWith(prefix)).length, 0);
  const seen = (prefix: string): string[] => edge.origins.flatMap((o) => o.urls.filter((u) => u.startsWith(prefix)));
  const hit = (answer: Answer): boolean => answer.headers[cacheHeader] === 'HIT';
  const at = (path: string): Promise<Answer> => get(`${edge.base}${path}`);

  // A 404 is kept about a second: started first, it waits while the rest runs.
  const notFound = (async () => {
    const path = `/live/${notFoundStream}/v0/100.0.m4s`;
    const start = Date.now();
    expect([(await at(path)).status, (await at(path)).status]).toEqual([404, 404]);
    expect(count(`/live/${notFoundStream}/`), '404 asked again within its second').toBe(1);
    // Asked again and again until the origin sees it: nginx counts lifetimes in whole seconds.
    await waitFor(async () => (await at(path)).status === 404 && count(`/live/${notFoundStream}/`) === 2, 5000, 'the 404 fetched again');
    expect(Date.now() - start, 'ms the 404 was kept').toBeGreaterThanOrEqual(900);
  })();
  notFound.catch(() => undefined); // awaited (and its failure reported) at the end

  // N viewers parked on the same blocking reload: one origin request, the others wait for it.
  const blocking = '/live/cam1/v0/index.m3u8?_HLS_msn=5&_HLS_part=1';
  const answers = await Promise.all(Array.from({ length: VIEWERS }, () => at(blocking)));
  expect(answers.map((a) => a.status)).toEqual(Array(VIEWERS).fill(200));
  expect(new Set(answers.map((a) => a.body)).size).toBe(1);
  expect(count('/live/cam1/'), 'origin requests for one blocking reload').toBe(1);
  expect(answers.filter(hit).length).toBe(VIEWERS - 1);

  // Directive order and play tokens do not split the key; the token reaches the origin.
  const first = await at('/live/cam2/v0/index.m3u8?_HLS_part=2&token=alice&_HLS_msn=7');
  const second = await at('/live/cam2/v0/index.m3u8?token=bob&_HLS_msn=7&_HLS_part=2');
  expect([first.status, hit(first), second.status, hit(second)]).toEqual([200, false, 200, true]);
  expect(second.body).toBe(first.body);
  expect(seen('/live/cam2/')).toHaveLength(1);
  expect(seen('/live/cam2/')[0]).toMatch(/token=alice/);
  // Other directives are other answers.
  await at('/live/cam2/v0/index.m3u8?_HLS_msn=8&_HLS_part=2');
  await at('/live/cam2/v0/index.m3u8?_HLS_msn=7&_HLS_part=2&_HLS_skip=YES');
  await at('/live/cam2/v0/index.m3u8?_HLS_msn=7');
  expect(count('/live/cam2/')).toBe(4);
  // A repeated directive counts once, the first (the origin's query parser takes that one).
  await at('/live/cam4/v0/index.m3u8?_HLS_msn=9&_HLS_part=1&_HLS_msn=10');
  expect(hit(await at('/live/cam4/v0/index.m3u8?_HLS_part=1&_HLS_msn=9')), 'the first _HLS_msn keys the answer').toBe(true);

  // Objects are kept for their max-age (a year: parts too).
  for (const path of ['/live/cam3/v0/init-0.mp4', '/live/cam3/v0/5.1.m4s', '/live/cam3/v0/4.m4s']) {
    const [a, b] = [await at(path), await at(path)];
    expect([a.status, hit(a), b.status, hit(b)], path).toEqual([200, false, 200, true]);
  }
  expect(count('/live/cam3/')).toBe(3);

  // A 404 marked no-store (a part that may yet appear) is never kept...
  expect([(await at('/live/gone/v0/9.9.m4s')).status, (await at('/live/gone/v0/9.9.m4s')).status]).toEqual([404, 404]);
  expect(count('/live/gone/'), 'no-store 404s asked again').toBe(2);
  // ...so a player asking for a part ahead of the live edge until it appears gets it as soon as the
  // origin has it (the edge's own lag at most half a part), and from then on from the cache.
  const soon = '/live/soon/v0/12.3.m4s';
  const asked = Date.now();
  expect((await at(soon)).status).toBe(404);
  let firstOk = 0;
  while (firstOk === 0) {
    if (Date.now() - asked > 3000) throw new Error(`${soon}: no 200 within 3 s`);
    const answer = await at(soon);
    if (answer.status === 200) firstOk = Date.now();
    else await delay(10);
  }
  expect(firstOk - asked, 'ms from the first 404 to the first 200').toBeLessThanOrEqual(MOCK_SOON_MS + HALF_PART_MS + SLACK_MS);
  expect(hit(await at(soon)), 'the part, once there, kept').toBe(true);

  // A 5xx is never kept, even with a max-age.
  expect([(await at('/live/broken/v0/index.m3u8')).status, (await at('/live/broken/v0/index.m3u8')).status]).toEqual([503, 503]);
  expect(count('/live/broken/')).toBe(2);

  // One stream's misses all went to one origin (the hash on /<app>/<key>/).
  for (const stream of ['cam1', 'cam2', 'cam3', 'cam4', 'broken', 'gone', 'soon', notFoundStream]) {
    expect(edge.origins.filter((o) => o.urls.some((u) => u.startsWith(`/live/${stream}/`))), stream).toHaveLength(1);
  }
  await notFound;
}

/**
 * A DASH segment being written (immutable, `X-Accel-Buffering: no`), asked by two viewers 50 ms
 * apart. Varnish: one origin request, and the second viewer streamed from it as it arrives (its first
 * byte a chunk later, not the whole segment later). nginx cannot stream a miss to waiters; told not
 * to buffer, it keeps nothing and the second viewer goes to the origin after its lock wait (≤ 500 ms),
 * still long before the segment is whole.
 */
async function chunkedSegment(edge: Edge, engine: 'varnish' | 'nginx', expect: ExpectStatic): Promise<void> {
  const path = '/live/chunked/v0/7.m4s';
  const first = get(`${edge.base}${path}`);
  await delay(50);
  const [a, b] = await Promise.all([first, get(`${edge.base}${path}`)]);
  expect([a.status, b.status, a.body.length, b.body === a.body]).toEqual([200, 200, MOCK_CHUNKS * 1000, true]);
  const wholeMs = MOCK_CHUNKS * MOCK_CHUNK_MS;
  expect(b.firstByteMs, "ms to the second viewer's first byte").toBeLessThan(engine === 'varnish' ? 2 * MOCK_CHUNK_MS : wholeMs - MOCK_CHUNK_MS);
  expect(originRequests(edge, path)).toBe(engine === 'varnish' ? 1 : 2);
}

/** The origin's requests for exactly `path` (any query). */
function originRequests(edge: Edge, path: string): number {
  return edge.origins.reduce((n, o) => n + o.urls.filter((u) => u === path || u.startsWith(`${path}?`)).length, 0);
}

/**
 * Varnish and live playlists asked without directives (max-age=0 from the origin): N viewers at
 * once cost one origin request (the waiting list), and for a second of back-to-back reloads none
 * gets a playlist older than half a part, while most are hits.
 */
async function livePlaylistsThroughVarnish(edge: Edge, expect: ExpectStatic): Promise<void> {
  for (const path of ['/live/cam5/v0/index.m3u8', '/live/cam5/index.m3u8']) {
    const answers = await Promise.all(Array.from({ length: VIEWERS }, () => get(`${edge.base}${path}`)));
    expect(answers.map((a) => a.status)).toEqual(Array(VIEWERS).fill(200));
    expect(new Set(answers.map((a) => a.body)).size, path).toBe(1);
    expect(originRequests(edge, path), `origin requests for ${VIEWERS} × ${path}`).toBe(1);
  }
  const path = '/live/cam6/v0/index.m3u8';
  const runMs = 1000;
  const start = Date.now();
  let [reloads, hits, oldestMs] = [0, 0, 0];
  while (Date.now() - start < runMs) {
    const answer = await get(`${edge.base}${path}`);
    oldestMs = Math.max(oldestMs, Date.now() - Number(answer.body.split(' ')[0]));
    reloads += 1;
    if (answer.headers['x-cache'] === 'HIT') hits += 1;
  }
  const fetched = originRequests(edge, path);
  expect(oldestMs, 'ms the oldest playlist served was behind the origin').toBeLessThanOrEqual(HALF_PART_MS + SLACK_MS);
  expect(hits, `hits of ${reloads} reloads`).toBeGreaterThan(reloads / 2);
  // Kept about half a part: refetched several times in the second, never more than each half part.
  expect(fetched).toBeGreaterThanOrEqual(Math.floor(runMs / (HALF_PART_MS + MOCK_PLAIN_DELAY_MS + 2 * SLACK_MS)));
  expect(fetched).toBeLessThanOrEqual(runMs / HALF_PART_MS + 1);
}

/**
 * nginx and the same playlists: its lifetimes are whole seconds, so it keeps none (BYPASS) and each
 * goes to the origin at once, never held by the cache lock (whose waiters poll every 500 ms).
 */
async function livePlaylistsThroughNginx(edge: Edge, expect: ExpectStatic): Promise<void> {
  for (const path of ['/live/cam5/v0/index.m3u8', '/live/cam5/index.m3u8', '/live/cam5/v0/index.m3u8?_HLS_skip=YES']) {
    const start = Date.now();
    const answers = await Promise.all(Array.from({ length: VIEWERS }, () => get(`${edge.base}${path}`)));
    const elapsedMs = Date.now() - start;
    expect(answers.map((a) => [a.status, a.headers['x-cache-status']]), path).toEqual(Array(VIEWERS).fill([200, 'BYPASS']));
    expect(elapsedMs, `ms for ${VIEWERS} × ${path}`).toBeLessThan(MOCK_PLAIN_DELAY_MS + 400);
  }
  expect(originRequests(edge, '/live/cam5/v0/index.m3u8')).toBe(2 * VIEWERS);
  expect(originRequests(edge, '/live/cam5/index.m3u8')).toBe(VIEWERS);
}

describe.concurrent('edges on the generated configurations', () => {
  it.skipIf(varnishdPath === undefined)(`varnishd${skipReason('varnishd', varnishdPath)}`, async ({ expect }) => {
    const edge = await startEdge('varnish');
    await exercise(edge, 'x-cache', expect);
    await livePlaylistsThroughVarnish(edge, expect);
    await chunkedSegment(edge, 'varnish', expect);
    const answer = await get(`${edge.base}/live/cam3/v0/init-0.mp4`);
    expect(answer.headers['age'], 'Varnish writes Age').toMatch(/^\d+$/);
  });

  it.skipIf(nginxPath === undefined)(`nginx${skipReason('nginx', nginxPath)}`, async ({ expect }) => {
    const edge = await startEdge('nginx');
    await exercise(edge, 'x-cache-status', expect);
    await livePlaylistsThroughNginx(edge, expect);
    await chunkedSegment(edge, 'nginx', expect);
  });

  it.skipIf(haproxyPath === undefined)(`haproxy: least connections, each led by a PROXY v2 header with the publisher's address${skipReason('haproxy', haproxyPath)}`, async ({ expect }) => {
    const servers = [await startProxyReader(), await startProxyReader()];
    stops.push(...servers.map((s) => () => new Promise<void>((resolve) => s.server.close(() => resolve()))));
    const dir = await tempDir();
    const port = await freePort();
    const file = join(dir, 'rtmp.cfg');
    await writeFile(file, haproxyCfg(description(dir, port, [], servers.map((s) => s.port))));
    const daemon = startDaemon(haproxyPath!, haproxyArgs(file));
    stops.push(() => daemon.stop());
    await waitFor(
      async () => {
        if (daemon.exited()) throw new Error(`haproxy exited: ${daemon.output()}`);
        return connects(port);
      },
      10_000,
      `haproxy on ${port}`,
    );
    await waitFor(() => servers.every((s) => s.open.size === 0), 5000, 'the readiness connection closed');
    const one = await echo(port, 'publisher one');
    const two = await echo(port, 'publisher two');
    const headerOf = (socket: Socket): { server: number; header: ProxyHeader } | undefined =>
      servers.flatMap((s, server) => s.headers.filter((h) => h.sourcePort === socket.localPort).map((header) => ({ server, header })))[0];
    for (const socket of [one, two]) expect(headerOf(socket)?.header, `a header for client port ${socket.localPort}`).toEqual({ command: 'PROXY', family: 0x11, source: '127.0.0.1', sourcePort: socket.localPort, destinationPort: port });
    expect(headerOf(one)!.server, 'the second publisher on the origin with fewer connections').not.toBe(headerOf(two)!.server);
    one.destroy();
    two.destroy();
    await waitFor(() => servers.some((s) => s.headers.some((h) => h.command === 'LOCAL')), 5000, "a health check's LOCAL header");
  });
});

interface ProxyHeader {
  command: 'PROXY' | 'LOCAL';
  family: number;
  source?: string;
  sourcePort?: number;
  destinationPort?: number;
}

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** A TCP server that reads a PROXY v2 header (the spec's fixed 16 bytes and the IPv4 block) off each connection, then echoes. */
async function startProxyReader(): Promise<{ server: Server; port: number; headers: ProxyHeader[]; open: Set<Socket> }> {
  const headers: ProxyHeader[] = [];
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let header = true;
    socket.on('data', (chunk: Buffer) => {
      if (!header) return void socket.write(chunk);
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 16) return;
      const length = 16 + buffered.readUInt16BE(14);
      if (buffered.length < length) return;
      if (!buffered.subarray(0, 12).equals(SIGNATURE) || buffered[12]! >> 4 !== 2) return void socket.destroy();
      const family = buffered[13]!;
      const ipv4 = family === 0x11 ? { source: [...buffered.subarray(16, 20)].join('.'), sourcePort: buffered.readUInt16BE(24), destinationPort: buffered.readUInt16BE(26) } : {};
      headers.push({ command: (buffered[12]! & 0x0f) === 1 ? 'PROXY' : 'LOCAL', family, ...ipv4 });
      header = false;
      if (buffered.length > length) socket.write(buffered.subarray(length));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, headers, open };
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A connection through the balancer that got `text` echoed back (so its header was read); left open. */
function echo(port: number, text: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let back = '';
    const timer = setTimeout(() => reject(new Error(`no echo of ${text} within 5 s`)), 5000);
    socket.once('error', reject);
    socket.once('connect', () => socket.write(text));
    socket.on('data', (chunk: Buffer) => {
      back += chunk.toString();
      if (back === text) {
        clearTimeout(timer);
        resolve(socket);
      }
    });
  });
}
