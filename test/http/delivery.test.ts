import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerDelivery } from '../../src/http/index.js';
import { MemoryStore, storedFile } from '../../src/store/index.js';

function server() {
  const store = new MemoryStore();
  const app = Fastify();
  registerDelivery(app, { store });
  return { app, store };
}

describe('HTTP delivery', () => {
  it('serves a playlist with its type, public max-age=0 (a live playlist) and open CORS', async () => {
    const { app, store } = server();
    store.put('live/cam/index.m3u8', storedFile([Buffer.from('#EXTM3U\n')], 'application/vnd.apple.mpegurl'));
    const r = await app.inject('/live/cam/index.m3u8');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(r.headers['cache-control']).toBe('public, max-age=0');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.body).toBe('#EXTM3U\n');
  });

  it('serves a segment from its pieces, immutable, with the exact length; HEAD has the headers only', async () => {
    const { app, store } = server();
    store.put('live/cam/video/3.m4s', storedFile([Buffer.from('head'), Buffer.from('er+'), Buffer.from('payload')], 'video/iso.segment'));
    const r = await app.inject('/live/cam/video/3.m4s');
    expect(r.statusCode).toBe(200);
    expect(r.rawPayload.toString()).toBe('header+payload');
    expect(r.headers['content-length']).toBe('14');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['content-type']).toBe('video/iso.segment');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    const h = await app.inject({ method: 'HEAD', url: '/live/cam/video/3.m4s' });
    expect(h.statusCode).toBe(200);
    expect(h.headers['content-length']).toBe('14');
    expect(h.rawPayload.length).toBe(0);
  });

  it.each(['/live/nope/index.m3u8', '/live/cam/video/99.m4s', '/live/cam/video/9.2.m4s'])('404 for %s, no-store (the stream may start or move here any moment)', async (url) => {
    const { app } = server();
    const r = await app.inject(url);
    expect([r.statusCode, r.headers['cache-control']]).toEqual([404, 'no-store']);
  });

  it.each(['/live/cam/..%2F..%2Fetc%2Fpasswd', '/live/cam/.hidden', '/live/ca%00m/index.m3u8', '/live/cam/a/b/c.m4s', '/live/c%20am/index.m3u8'])(
    'refuses %s without touching the store',
    async (url) => {
      const { app, store } = server();
      let reads = 0;
      const get = store.get.bind(store);
      store.get = (p: string) => {
        reads++;
        return get(p);
      };
      const r = await app.inject(url);
      expect([400, 404]).toContain(r.statusCode);
      expect(r.headers['cache-control']).toBe('no-store');
      expect(reads).toBe(0);
    },
  );

  it('serves hls.js from the package (the /api routes are the control API\'s, test/server/control-api.test.ts)', async () => {
    const { app } = server();
    expect((await app.inject('/api/streams')).statusCode).toBe(404);
    const js = await app.inject('/assets/hls.min.js');
    expect(js.statusCode).toBe(200);
    expect(js.body.length).toBeGreaterThan(100_000);
  });

  it('answers CORS preflight', async () => {
    const { app } = server();
    const r = await app.inject({ method: 'OPTIONS', url: '/live/cam/index.m3u8' });
    expect(r.statusCode).toBe(204);
    expect(r.headers['access-control-allow-methods']).toContain('GET');
  });
});
