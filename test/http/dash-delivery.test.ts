import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HlsLivePackager } from '../../src/hls/index.js';
import { DashDelivery, LiveDelivery } from '../../src/http/index.js';
import { MemoryStore, joinPieces } from '../../src/store/index.js';
import { T0, videoFrames, videoTrack } from '../hls/live-helpers.js';

/**
 * DashDelivery's chunked answers, driven by a live packager by hand (no clock, no publisher): the
 * segment being written streams its parts as they are published, and a request that waits across a
 * republish never gets the new presentation's first segment.
 */

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

interface Setup {
  p: HlsLivePackager;
  store: MemoryStore;
  dash: DashDelivery;
  url: (path: string) => string;
  /** Resolves once the server has taken the next request (a fixed sleep raced the first fetch's start-up on a loaded machine). */
  received: () => Promise<void>;
}

async function setup(): Promise<Setup> {
  const store = new MemoryStore();
  const live = new LiveDelivery();
  // The server's store holds a stream's files under `<app>/<key>/`; this packager writes them at the root.
  const served = { get: (path: string) => store.get(path.replace(/^live\/cam\//, '')) } as unknown as MemoryStore;
  const dash = new DashDelivery({ liveDelivery: live, store: served, hls: { segmentTargetSeconds: 2, windowSegments: 6 } });
  const p = new HlsLivePackager(store, { lowLatency: true });
  p.subscribe((snapshot) => live.publish('live/cam', snapshot));
  let onRequest: (() => void) | undefined;
  server = createServer((req, res) => {
    const [, , , rendition, file] = (req.url ?? '').split('/');
    onRequest?.();
    if (!dash.segment('live/cam', rendition!, file!, res, req.method === 'HEAD')) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const port = (server!.address() as AddressInfo).port;
  return {
    p,
    store,
    dash,
    url: (path) => `http://127.0.0.1:${port}/live/cam/${path}`,
    received: () => new Promise<void>((resolve) => (onRequest = resolve)),
  };
}

const push = (p: HlsLivePackager, from: number, to: number, origin = 0, arrival = T0): void => {
  for (const s of videoFrames(from, to, 60, origin)) p.pushSample(s, arrival + Math.round((s.dts - origin) / 90));
};

describe('DashDelivery: chunked answers for the segment being written', () => {
  it('streams the parts made so far, then each new one, then ends; the bytes are the segment file', async () => {
    const { p, store, url, received } = await setup();
    p.setTracks([videoTrack()], T0);
    push(p, 0, 61); // segment 0 listed, segment 1 open with its first part pending
    push(p, 61, 70);
    const taken = received();
    const answer = fetch(url('video/1.m4s'));
    await taken;
    push(p, 70, 121); // the rest of segment 1, and the keyframe that closes it
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    // The same bytes as the finished file: immutable like it, so an edge coalesces and streams it;
    // nginx, which cannot stream a miss to waiters, passes it on unbuffered.
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(joinPieces(store.get('video/1.m4s')!)))).toBe(0);
  });

  it('two numbers ahead is a 404 at once', async () => {
    const { p, url } = await setup();
    p.setTracks([videoTrack()], T0);
    push(p, 0, 70);
    expect((await fetch(url('video/3.m4s'))).status).toBe(404);
  });

  it("a request waiting for the next number when the publisher leaves and comes back gets a 404, not the new presentation's first segment", async () => {
    const { p, url, received } = await setup();
    p.setTracks([videoTrack()], T0);
    push(p, 0, 120);
    p.pause(T0 + 4000); // segment 1 closed by the pause; the next number is 2
    expect(p.timeline('video')!.nextMsn).toBe(2);
    const taken = received();
    const waiting = fetch(url('video/2.m4s'));
    await taken;
    p.resume(T0 + 6000);
    p.setTracks([videoTrack()], T0 + 6000);
    push(p, 0, 121, 900_000, T0 + 6000); // the new presentation: segment 2 (DISCONTINUITY) and 3
    expect((await waiting).status).toBe(404);
    // Once listed, it is a file of the store (the MPD shows its Period then): not this route's to answer.
    expect((await fetch(url('video/2.m4s'))).status).toBe(404);
  });
});

describe('DashDelivery: the first segment of a comeback', () => {
  it('a request for the next number made while the publisher was live, held across its leaving and return, never gets the new presentation', async () => {
    const { p, url, received } = await setup();
    p.setTracks([videoTrack()], T0);
    push(p, 0, 70); // segment 1 being written
    const taken = received();
    const waiting = fetch(url('video/2.m4s'));
    await taken;
    p.pause(T0 + 2400);
    p.resume(T0 + 6000);
    p.setTracks([videoTrack()], T0 + 6000);
    push(p, 0, 121, 900_000, T0 + 6000); // segment 2 (DISCONTINUITY) and 3
    expect((await waiting).status).toBe(404);
  });
});

describe('DashDelivery: the comeback announced by the low-latency MPD', () => {
  it('a request for the first segment of the comeback made after an MPD showed its Period streams it as it is written', async () => {
    const { p, store, dash, url, received } = await setup();
    p.setTracks([videoTrack()], T0);
    push(p, 0, 120);
    p.pause(T0 + 4000); // segment 1 closed by the pause; the next number is 2
    p.resume(T0 + 6000);
    p.setTracks([videoTrack()], T0 + 6000);
    push(p, 0, 10, 900_000, T0 + 6000); // segment 2 (DISCONTINUITY) being written: its first part
    const mpd = dash.mpd('live/cam', 'low-latency')!;
    expect(mpd).toContain('<Period id="p2"');
    const taken = received();
    const answer = fetch(url('video/2.m4s'));
    await taken;
    push(p, 10, 61, 900_000, T0 + 6000); // the rest of segment 2, closed by the keyframe of 3
    const res = await answer;
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(joinPieces(store.get('video/2.m4s')!)))).toBe(0);
  });
});
