import { afterEach, describe, expect, it } from 'vitest';
import { createMediaServer, type MediaServer } from '../../src/server/index.js';
import { storedFile } from '../../src/store/index.js';

let server: MediaServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server on port 0 holding a segment (two pieces), a one-piece init and a VOD playlist; counts what reaches fastify. */
async function start(): Promise<{ base: string; routed: string[] }> {
  server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' } });
  const routed: string[] = [];
  server.http.addHook('onRequest', async (request) => {
    routed.push(`${request.method} ${request.url}`);
  });
  await server.store.put('live/k/video/7.m4s', storedFile([Uint8Array.from([1, 2, 3]), Uint8Array.from([4, 5])], 'video/iso.segment'));
  await server.store.put('live/k/video/init-0.mp4', storedFile([Uint8Array.from([9, 9])], 'video/mp4'));
  await server.store.put('vod/film/index.m3u8', storedFile([Buffer.from('#EXTM3U\n')], 'application/vnd.apple.mpegurl'));
  const { http } = await server.listen();
  return { base: `http://127.0.0.1:${http.port}`, routed };
}

describe('delivery front: stored files answered before fastify', () => {
  it('answers GET and HEAD of stored files with the route\'s headers, without routing them', async () => {
    const { base, routed } = await start();
    const segment = await fetch(`${base}/live/k/video/7.m4s?cachebuster=1`);
    expect(segment.status).toBe(200);
    expect([...new Uint8Array(await segment.arrayBuffer())]).toEqual([1, 2, 3, 4, 5]);
    expect(segment.headers.get('content-type')).toBe('video/iso.segment');
    expect(segment.headers.get('content-length')).toBe('5');
    expect(segment.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(segment.headers.get('access-control-allow-origin')).toBe('*');
    const init = await fetch(`${base}/live/k/video/init-0.mp4`, { method: 'HEAD' });
    expect(init.status).toBe(200);
    expect(init.headers.get('content-length')).toBe('2');
    expect(await init.text()).toBe('');
    const playlist = await fetch(`${base}/vod/film/index.m3u8`);
    expect(await playlist.text()).toBe('#EXTM3U\n');
    expect(playlist.headers.get('cache-control')).toBe('public, max-age=0');
    expect(routed).toEqual([]);
  });

  it('hands everything else to fastify: missing files, Delivery Directives, encoded paths, other methods and paths', async () => {
    const { base, routed } = await start();
    expect((await fetch(`${base}/live/k/video/8.m4s`)).status).toBe(404);
    expect((await fetch(`${base}/vod/film/index.m3u8?_HLS_msn=1`)).status).toBe(200);
    expect((await fetch(`${base}/vod/film/index%2Em3u8`)).status).toBe(200);
    expect((await fetch(`${base}/live/k/video/7.m4s`, { method: 'OPTIONS' })).status).toBe(204);
    expect((await fetch(`${base}/live/k/..%2F..%2Fetc/passwd`)).status).toBe(400);
    expect((await fetch(`${base}/api/streams`)).status).toBe(200);
    expect(routed).toEqual([
      'GET /live/k/video/8.m4s',
      'GET /vod/film/index.m3u8?_HLS_msn=1',
      'GET /vod/film/index%2Em3u8',
      'OPTIONS /live/k/video/7.m4s',
      'GET /live/k/..%2F..%2Fetc/passwd',
      'GET /api/streams',
    ]);
  });

  it('keeps the timeouts fastify sets on the servers it makes', async () => {
    await start();
    const http = server!.http.server as import('node:http').Server;
    expect(http.keepAliveTimeout).toBe(72_000);
    expect(http.requestTimeout).toBe(0);
  });
});

describe('delivery front: a store that throws', () => {
  it('leaves the request to fastify (a 500), and the server goes on', async () => {
    const { base } = await start();
    const store = server!.store;
    const get = store.get.bind(store);
    let failing = true;
    store.get = (path: string) => {
      if (failing && path === 'live/k/video/7.m4s') throw Object.assign(new Error('EIO: spilled file unreadable'), { code: 'EIO' });
      return get(path);
    };
    expect((await fetch(`${base}/live/k/video/7.m4s`)).status).toBe(500);
    failing = false;
    expect((await fetch(`${base}/live/k/video/7.m4s`)).status).toBe(200);
  });
});
