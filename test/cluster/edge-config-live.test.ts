import { writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, it, type ExpectStatic } from 'vitest';
import { haproxyArgs, haproxyCfg, nginxArgs, nginxConf, varnishdArgs, varnishVcl, type EdgeDescription } from '../../src/cluster/edge-config/index.js';
import { freePort } from '../helpers/process.js';
import { get, haproxyPath, nginxPath, removeTempDirs, skipReason, startDaemon, startMockOrigin, tempDir, varnishdPath, waitFor, type Answer, type Daemon, type MockOrigin } from './edge-config-helpers.js';

/**
 * The generated configurations serving real traffic: varnishd and nginx (Debian's) in front of two
 * small origins with tidecast's Cache-Control (edge-config-helpers.ts), HAProxy in front of two TCP
 * servers that read its PROXY v2 headers. What each edge must do (docs/cluster.md "Edge
 * configurations"): N identical blocking reloads → one origin request; the directives in any order
 * and any token → one cache entry; other directives → their own; a 404 kept about a second; a 5xx
 * never kept; one stream's requests on one origin. The daemons run in parallel, a few seconds in all.
 */

/** How long the origin holds a blocking reload: the part it waits for appears this much later. */
const BLOCKING_DELAY_MS = 300;
/** Identical blocking reloads sent at once. */
const VIEWERS = 20;

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
    partTargetSeconds: 0.2,
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

/** The cache checks every edge must pass; `notFoundStream` names the 404 the engine can keep. */
async function exercise(edge: Edge, cacheHeader: string, notFoundStream: string, expect: ExpectStatic): Promise<void> {
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

  // Objects are kept for their max-age; a no-cache playlist is not kept.
  for (const path of ['/live/cam3/v0/init-0.mp4', '/live/cam3/v0/5.1.m4s', '/live/cam3/v0/4.m4s']) {
    const [a, b] = [await at(path), await at(path)];
    expect([a.status, hit(a), b.status, hit(b)], path).toEqual([200, false, 200, true]);
  }
  expect(count('/live/cam3/')).toBe(3);
  await at('/live/cam3/v0/index.m3u8');
  await at('/live/cam3/v0/index.m3u8');
  expect(count('/live/cam3/v0/index.m3u8')).toBe(2);

  // A 5xx is never kept, even with a max-age.
  expect([(await at('/live/broken/v0/index.m3u8')).status, (await at('/live/broken/v0/index.m3u8')).status]).toEqual([503, 503]);
  expect(count('/live/broken/')).toBe(2);

  // One stream's misses all went to one origin (the hash on /<app>/<key>/).
  for (const stream of ['cam1', 'cam2', 'cam3', 'cam4', 'broken', notFoundStream]) {
    expect(edge.origins.filter((o) => o.urls.some((u) => u.startsWith(`/live/${stream}/`))), stream).toHaveLength(1);
  }
  await notFound;
}

describe.concurrent('edges on the generated configurations', () => {
  it.skipIf(varnishdPath === undefined)(`varnishd${skipReason('varnishd', varnishdPath)}`, async ({ expect }) => {
    const edge = await startEdge('varnish');
    await exercise(edge, 'x-cache', 'gone', expect);
    const answer = await get(`${edge.base}/live/cam3/v0/init-0.mp4`);
    expect(answer.headers['age'], 'Varnish writes Age').toMatch(/^\d+$/);
  });

  it.skipIf(nginxPath === undefined)(`nginx${skipReason('nginx', nginxPath)}`, async ({ expect }) => {
    // nginx cannot override an origin's no-store, so its 404 is the cache contract's max-age=1.
    await exercise(await startEdge('nginx'), 'x-cache-status', 'gone-ttl', expect);
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
