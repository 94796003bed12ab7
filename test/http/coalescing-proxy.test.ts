import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CoalescingProxy, collapseKey } from '../../src/http/coalescing-proxy.js';

/**
 * The coalescing proxy against a plain node:http upstream that holds its requests until the test
 * lets them go, so that every request of a case is in flight at once.
 */

interface Held {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  closed: boolean;
}

class Upstream {
  readonly held: Held[] = [];
  #waiters: Array<() => void> = [];
  private constructor(readonly server: Server) {}

  static async start(): Promise<Upstream> {
    const server = createServer();
    const upstream = new Upstream(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const held: Held = { req, res, closed: false };
      res.on('close', () => (held.closed = !res.writableFinished));
      upstream.held.push(held);
      for (const w of upstream.#waiters.splice(0)) w();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return upstream;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `n` requests have arrived. */
  async arrived(n: number): Promise<void> {
    while (this.held.length < n) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

interface Got {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request on a connection of its own; resolves with the whole answer. */
function get(port: number, path: string, options: { method?: string; headers?: Record<string, string>; onRequest?: (r: ReturnType<typeof request>) => void } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('error', reject);
    options.onRequest?.(r);
    r.end();
  });
}

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setup(options: { maxBufferBytes?: number; upstreamUrl?: string } = {}): Promise<{ upstream: Upstream; proxy: CoalescingProxy; port: number }> {
  const upstream = await Upstream.start();
  closers.push(() => upstream.close());
  const proxy = new CoalescingProxy({ upstream: options.upstreamUrl ?? upstream.url, ...(options.maxBufferBytes === undefined ? {} : { maxBufferBytes: options.maxBufferBytes }) });
  const front = createServer(proxy.handle);
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    proxy.close();
    front.closeAllConnections();
    await new Promise((resolve) => front.close(resolve));
  });
  return { upstream, proxy, port: (front.address() as AddressInfo).port };
}

/** Waits until `test` holds (polling every 5 ms, 2 s at most). */
async function until(test: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!test()) {
    if (Date.now() - start > 2000) throw new Error(`not within 2 s: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const PLAYLIST = '/live/cam/video/index.m3u8?_HLS_msn=12&_HLS_part=3';

describe('collapseKey', () => {
  it('collapses GET and HEAD of delivery objects, by path and full query; not the API, credentials or conditionals', () => {
    expect(collapseKey('GET', PLAYLIST, {})).toBe(`GET ${PLAYLIST}`);
    expect(collapseKey('HEAD', '/live/cam/video/12.3.m4s', {})).toBe('HEAD /live/cam/video/12.3.m4s');
    expect(collapseKey('GET', '/live/cam/video/init.mp4', { range: 'bytes=0-99' })).toBe('GET /live/cam/video/init.mp4\nrange: bytes=0-99');
    for (const path of ['/live/cam/manifest.mpd', '/live/cam/video/12.m4s', '/live/cam/ts/5.ts', '/live/cam/index.m3u8?_HLS_skip=YES']) expect(collapseKey('GET', path, {}), path).toBeDefined();
    expect(collapseKey('POST', PLAYLIST, {})).toBeUndefined();
    expect(collapseKey('GET', PLAYLIST, { authorization: 'Bearer x' })).toBeUndefined();
    expect(collapseKey('GET', PLAYLIST, { cookie: 'a=b' })).toBeUndefined();
    expect(collapseKey('GET', '/live/cam/video/12.m4s', { 'if-none-match': '"x"' })).toBeUndefined();
    for (const path of ['/api/streams', '/api/x.m3u8', '/metrics', '/', '/hls.js', '/live/cam/']) expect(collapseKey('GET', path, {}), path).toBeUndefined();
  });
});

describe('CoalescingProxy', () => {
  it('N identical requests in flight: one upstream request, the same answer to all', async () => {
    const { upstream, proxy, port } = await setup();
    const answers = Promise.all(Array.from({ length: 40 }, () => get(port, PLAYLIST, { headers: { connection: 'keep-alive', 'x-player': 'hls.js' } })));
    await upstream.arrived(1);
    await until(() => proxy.stats.waiting === 40, 'all 40 waiting');
    expect(upstream.held).toHaveLength(1);
    const first = upstream.held[0]!;
    expect(first.req.url).toBe(PLAYLIST);
    expect(first.req.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(first.req.headers['x-forwarded-proto']).toBe('http');
    expect(first.req.headers['x-player']).toBe('hls.js');
    const body = '#EXTM3U\n#EXT-X-VERSION:9\n' + 'é'.repeat(100);
    first.res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl', 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=1', 'keep-alive': 'timeout=99', 'x-origin': 'a' });
    first.res.end(body);
    const got = await answers;
    for (const a of got) {
      expect(a.status).toBe(200);
      expect(a.body.toString('utf8')).toBe(body);
      expect(a.headers['cache-control']).toBe('public, max-age=1');
      expect(a.headers['x-origin']).toBe('a');
      expect(a.headers['content-length']).toBe(String(Buffer.byteLength(body)));
      expect(a.headers['keep-alive']).not.toBe('timeout=99');
    }
    expect(proxy.stats).toMatchObject({ waiting: 0, inFlight: 0, upstreamRequests: 1, collapsedRequests: 40, passedThrough: 0 });
    expect(proxy.takeWrites().count).toBe(40);
  });

  it('different queries, GET and HEAD, and a different Range are separate upstream requests', async () => {
    const { upstream, port } = await setup();
    const paths = [PLAYLIST, '/live/cam/video/index.m3u8?_HLS_msn=12&_HLS_part=4', '/live/cam/video/index.m3u8?_HLS_msn=12&_HLS_part=3&_HLS_skip=YES', '/live/cam/video/index.m3u8'];
    const answers = Promise.all([
      ...paths.flatMap((p) => [get(port, p), get(port, p)]),
      get(port, PLAYLIST, { method: 'HEAD' }),
      get(port, '/live/cam/video/init.mp4', { headers: { range: 'bytes=0-9' } }),
      get(port, '/live/cam/video/init.mp4'),
    ]);
    await upstream.arrived(7);
    await new Promise((r) => setTimeout(r, 50));
    expect(upstream.held.map((h) => `${h.req.method} ${h.req.url} ${h.req.headers.range ?? ''}`).sort()).toEqual(
      [...paths.map((p) => `GET ${p} `), `HEAD ${PLAYLIST} `, 'GET /live/cam/video/init.mp4 bytes=0-9', 'GET /live/cam/video/init.mp4 '].sort(),
    );
    for (const h of upstream.held) h.res.writeHead(200, { 'content-type': 'text/plain' }).end(h.req.method === 'HEAD' ? undefined : `${h.req.url} ${h.req.headers.range ?? ''}`);
    const got = await answers;
    expect(got.slice(0, 8).map((a) => a.body.toString())).toEqual(paths.flatMap((p) => [`${p} `, `${p} `]));
    expect(got[8]!.status).toBe(200);
    expect(got[8]!.body.length).toBe(0);
    expect(got[9]!.body.toString()).toBe('/live/cam/video/init.mp4 bytes=0-9');
  });

  it('requests with Authorization or Cookie, the API and /metrics pass through, one upstream request each', async () => {
    const { upstream, proxy, port } = await setup();
    const answers = Promise.all([
      get(port, PLAYLIST, { headers: { authorization: 'Bearer a' } }),
      get(port, PLAYLIST, { headers: { authorization: 'Bearer b' } }),
      get(port, PLAYLIST, { headers: { cookie: 's=1' } }),
      get(port, '/api/streams'),
      get(port, '/api/streams'),
      get(port, '/metrics'),
    ]);
    await upstream.arrived(6);
    expect(upstream.held.map((h) => h.req.headers.authorization ?? h.req.headers.cookie ?? h.req.url)).toEqual(expect.arrayContaining(['Bearer a', 'Bearer b', 's=1', '/api/streams', '/metrics']));
    for (const h of upstream.held) h.res.writeHead(200, { 'content-type': 'text/plain' }).end(String(h.req.headers.authorization ?? h.req.url));
    const got = await answers;
    expect(got.map((a) => a.body.toString())).toEqual(['Bearer a', 'Bearer b', PLAYLIST, '/api/streams', '/api/streams', '/metrics']);
    expect(proxy.stats).toMatchObject({ passedThrough: 6, upstreamRequests: 0 });
  });

  it('a POST passes through with its body', async () => {
    const { upstream, port } = await setup();
    const answer = new Promise<Got>((resolve, reject) => {
      const r = request({ host: '127.0.0.1', port, path: '/api/jobs', method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      r.on('error', reject);
      r.end('{"a":1}');
    });
    await upstream.arrived(1);
    const h = upstream.held[0]!;
    const chunks: Buffer[] = [];
    for await (const c of h.req) chunks.push(c as Buffer);
    h.res.writeHead(201, { 'content-type': 'application/json' }).end(Buffer.concat(chunks));
    expect((await answer).status).toBe(201);
    expect((await answer).body.toString()).toBe('{"a":1}');
  });

  it('an upstream that is down: 502 no-store to every waiter', async () => {
    const down = await Upstream.start();
    const url = down.url;
    await down.close();
    const { proxy, port } = await setup({ upstreamUrl: url });
    const got = await Promise.all([...Array.from({ length: 5 }, () => get(port, PLAYLIST)), get(port, '/api/streams')]);
    for (const a of got) {
      expect(a.status).toBe(502);
      expect(a.headers['cache-control']).toBe('no-store');
    }
    // Refused at once: the requests that came after a failure started their own (each failed too).
    expect(proxy.stats).toMatchObject({ waiting: 0, inFlight: 0 });
    expect(proxy.stats.upstreamErrors).toBeGreaterThanOrEqual(2);
  });

  it('a kept-alive upstream connection closed under a request: sent once more on a new one', async () => {
    const { upstream, proxy, port } = await setup();
    const first = get(port, '/live/cam/video/1.m4s');
    await upstream.arrived(1);
    upstream.held[0]!.res.writeHead(200, { 'content-length': 1 }).end('a');
    expect((await first).body.toString()).toBe('a');
    // The next request goes out on the kept-alive connection, which the origin closes unanswered.
    const second = get(port, '/live/cam/video/2.m4s');
    await upstream.arrived(2);
    const reused = upstream.held[1]!;
    expect(reused.req.socket).toBe(upstream.held[0]!.req.socket);
    reused.req.socket.destroy();
    await upstream.arrived(3);
    upstream.held[2]!.res.writeHead(200, { 'content-length': 1 }).end('b');
    expect(await second).toMatchObject({ status: 200 });
    expect(proxy.stats.upstreamErrors).toBe(0);
  });

  it('a waiter that leaves is dropped; when the last leaves, the upstream request is aborted', async () => {
    const { upstream, proxy, port } = await setup();
    const requests: Array<ReturnType<typeof request>> = [];
    const leaving = [0, 1].map((i) => get(port, PLAYLIST, { onRequest: (r) => (requests[i] = r) }).catch((e: Error) => e));
    const staying = get(port, PLAYLIST);
    await upstream.arrived(1);
    await until(() => proxy.stats.waiting === 3, 'three waiting');
    requests[0]!.destroy();
    await until(() => proxy.stats.waiting === 2, 'one left');
    upstream.held[0]!.res.writeHead(200, { 'content-type': 'text/plain' }).end('part 12.3');
    expect((await staying).body.toString()).toBe('part 12.3');
    expect(await leaving[0]).toBeInstanceOf(Error);
    expect((await leaving[1]) as Got).toMatchObject({ status: 200 });

    // All leave: the upstream request goes too.
    const gone = Array.from({ length: 3 }, () => {
      let r: ReturnType<typeof request> | undefined;
      const p = get(port, '/live/cam/video/12.4.m4s', { onRequest: (x) => (r = x) }).catch((e: Error) => e);
      return { p, destroy: () => r!.destroy() };
    });
    await upstream.arrived(2);
    await until(() => proxy.stats.waiting === 3, 'three waiting again');
    for (const g of gone) g.destroy();
    await until(() => upstream.held[1]!.closed, 'the upstream request aborted');
    expect(proxy.stats).toMatchObject({ waiting: 0, inFlight: 0 });
    for (const g of gone) expect(await g.p).toBeInstanceOf(Error);
  });

  it('a body longer than the buffer is streamed to the waiters; one without a length too, with late joiners replayed', async () => {
    const { upstream, proxy, port } = await setup({ maxBufferBytes: 1024 });
    const big = Buffer.alloc(256 * 1024, 7);
    const two = Promise.all([get(port, '/live/cam/video/12.m4s'), get(port, '/live/cam/video/12.m4s')]);
    await upstream.arrived(1);
    await until(() => proxy.stats.waiting === 2, 'two waiting');
    const h = upstream.held[0]!;
    h.res.writeHead(200, { 'content-type': 'video/iso.segment', 'content-length': big.length });
    h.res.write(big.subarray(0, 512));
    await new Promise((r) => setTimeout(r, 20));
    // Past the buffer: a new request starts its own upstream request.
    h.res.write(big.subarray(512, 4096));
    await new Promise((r) => setTimeout(r, 20));
    const late = get(port, '/live/cam/video/12.m4s');
    await upstream.arrived(2);
    h.res.end(big.subarray(4096));
    for (const a of await two) expect(a.body.equals(big)).toBe(true);
    upstream.held[1]!.res.writeHead(200, { 'content-length': 3 }).end('abc');
    expect((await late).body.toString()).toBe('abc');

    // Chunked (a DASH segment being written): headers at once, a joiner gets what came so far.
    const first = get(port, '/live/cam/dash/7.m4s');
    await upstream.arrived(3);
    const c = upstream.held[2]!;
    c.res.writeHead(200, { 'content-type': 'video/iso.segment' });
    c.res.write('part-1;');
    await new Promise((r) => setTimeout(r, 20));
    const joiner = get(port, '/live/cam/dash/7.m4s');
    await until(() => proxy.stats.waiting === 2, 'the joiner waiting');
    c.res.end('part-2;');
    expect((await first).body.toString()).toBe('part-1;part-2;');
    expect((await joiner).body.toString()).toBe('part-1;part-2;');
    expect(upstream.held).toHaveLength(3);
  });
});
