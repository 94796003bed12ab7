import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { appendLivePart, appendLiveSegment, createLiveTimeline, liveLowLatencyPlaylist, partUri, renderMediaPlaylist, type LivePart, type LiveSnapshot, type LiveTimeline } from '../../src/hls/index.js';
import { cacheControlFor, LiveDelivery, registerDelivery } from '../../src/http/index.js';
import { MemoryStore, PLAYLIST_CONTENT_TYPE, VIDEO_MP4_CONTENT_TYPE, storedFile } from '../../src/store/index.js';

/**
 * The origin's contract with caches (docs/cluster.md "The origin's contract with caches",
 * src/http/cache-control.ts), object type by object type, as the HTTP answers carry it: a live
 * LL-HLS rendition driven by hand behind registerDelivery, every kind of request a player or an
 * edge makes. And the Delivery Directives in any order are one answer.
 */

const IMMUTABLE = 'public, max-age=31536000, immutable';
const LIVE_PLAYLIST = 'public, max-age=0';
const BLOCKING = 'public, max-age=1';
const GONE = 'public, max-age=1';
const NO_STORE = 'no-store';

const TAGS = { programDateTimeMs: 1_700_000_000_000, discontinuity: false, generation: 0 };
const POLICY = { windowSegments: 3, keepAfterWindowSegments: 0, playlistType: 'sliding' as const };

/** live/cam/video: 2 s segments of 10 parts of 0.2 s, advanced by hand; each change written to the store and published. */
class Origin {
  readonly store = new MemoryStore();
  readonly delivery = new LiveDelivery();
  readonly app: FastifyInstance = Fastify();
  #timeline: LiveTimeline = createLiveTimeline(2, 0, 0.2);
  #version = 0;

  constructor() {
    registerDelivery(this.app, { store: this.store, liveDelivery: this.delivery });
    this.store.put('live/cam/index.m3u8', storedFile([new TextEncoder().encode('#EXTM3U\n')], PLAYLIST_CONTENT_TYPE));
    this.store.put('live/cam/video/init-0.mp4', storedFile([new Uint8Array(8)], VIDEO_MP4_CONTENT_TYPE));
  }

  addPart(msn: number, index: number): void {
    const part: LivePart = { msn, index, uri: partUri(msn, index), durationSeconds: 0.2, independent: index === 0, byteLength: 4 };
    this.#timeline = appendLivePart(this.#timeline, part, TAGS);
    this.store.put(`live/cam/video/${part.uri}`, storedFile([new Uint8Array(4)], VIDEO_MP4_CONTENT_TYPE));
    this.#publish();
  }

  /** Segment `msn` whole: its parts from `from` on, then closed with 10. */
  segment(msn: number, from = 0): void {
    for (let i = from; i < 10; i++) this.addPart(msn, i);
    const parts = this.#timeline.open!.parts;
    const update = appendLiveSegment(this.#timeline, { msn, uri: `${msn}.m4s`, durationSeconds: 2, byteLength: 40, programDateTimeMs: TAGS.programDateTimeMs + msn * 2000, discontinuity: false, generation: 0, parts }, POLICY);
    this.#timeline = update.timeline;
    this.store.put(`live/cam/video/${msn}.m4s`, storedFile([new Uint8Array(40)], VIDEO_MP4_CONTENT_TYPE));
    // What slid out of the window leaves the store, as the packager's changes say.
    for (const gone of update.expired) {
      this.store.delete(`live/cam/video/${gone.uri}`);
      for (const p of gone.parts ?? []) this.store.delete(`live/cam/video/${p.uri}`);
    }
    this.#publish();
  }

  #publish(): void {
    const playlist = renderMediaPlaylist(liveLowLatencyPlaylist(this.#timeline, { playlistType: 'sliding', skip: false }));
    this.store.put('live/cam/video/index.m3u8', storedFile([new TextEncoder().encode(playlist)], PLAYLIST_CONTENT_TYPE));
    const track = { id: 1, kind: 'video', codec: 'avc', timescale: 90_000 } as unknown as LiveSnapshot['track'];
    this.delivery.publish('live/cam', { rendition: 'video', track, timeline: this.#timeline, playlist, delta: undefined, version: ++this.#version });
  }

  async headers(url: string): Promise<[number, string | undefined]> {
    const r = await this.app.inject(url);
    return [r.statusCode, r.headers['cache-control'] as string | undefined];
  }
}

describe('Cache-Control per object type', () => {
  it('playlists, blocking answers, parts, segments, init sections, 404s that stay and 404s that may not, 400s', async () => {
    const origin = new Origin();
    origin.segment(0);
    origin.segment(1);
    origin.addPart(2, 0);
    origin.addPart(2, 1);
    const table: Array<[string, string, number, string]> = [
      ['multivariant playlist', '/live/cam/index.m3u8', 200, LIVE_PLAYLIST],
      ['media playlist, no directives', '/live/cam/video/index.m3u8', 200, LIVE_PLAYLIST],
      ['media playlist, a cache buster only', '/live/cam/video/index.m3u8?t=123', 200, LIVE_PLAYLIST],
      ['delta update without _HLS_msn', '/live/cam/video/index.m3u8?_HLS_skip=YES', 200, LIVE_PLAYLIST],
      ['blocking reload, already there', '/live/cam/video/index.m3u8?_HLS_msn=2&_HLS_part=1', 200, BLOCKING],
      ['blocking reload for a whole segment', '/live/cam/video/index.m3u8?_HLS_msn=1', 200, BLOCKING],
      ['part', `/live/cam/video/${partUri(2, 1)}`, 200, IMMUTABLE],
      ['part of a closed segment', `/live/cam/video/${partUri(1, 9)}`, 200, IMMUTABLE],
      ['segment', '/live/cam/video/1.m4s', 200, IMMUTABLE],
      ['init section', '/live/cam/video/init-0.mp4', 200, IMMUTABLE],
      ['part a closed segment never had', `/live/cam/video/${partUri(1, 10)}`, 404, GONE],
      ['part ahead of the hinted one (exists 0.6 s later)', `/live/cam/video/${partUri(2, 5)}`, 404, NO_STORE],
      ['part of a segment two ahead', `/live/cam/video/${partUri(4, 0)}`, 404, NO_STORE],
      ['segment not written yet', '/live/cam/video/2.m4s', 404, NO_STORE],
      ['stream not live here', '/live/other/video/index.m3u8', 404, NO_STORE],
      ['blocking reload of a stream not live here', '/live/other/video/index.m3u8?_HLS_msn=1', 404, NO_STORE],
      ['blocking reload too far ahead', '/live/cam/video/index.m3u8?_HLS_msn=9', 400, NO_STORE],
      ['_HLS_part without _HLS_msn', '/live/cam/video/index.m3u8?_HLS_part=1', 400, NO_STORE],
      ['bad path', '/live/cam/a/b/c.m4s', 400, NO_STORE],
    ];
    for (const [what, url, status, cacheControl] of table) expect(await origin.headers(url), what).toEqual([status, cacheControl]);
    await origin.app.close();
  });

  it('a part slid out of the window: 404 that stays (kept a second)', async () => {
    const origin = new Origin();
    for (let msn = 0; msn < 6; msn++) origin.segment(msn);
    expect(await origin.headers(`/live/cam/video/${partUri(0, 3)}`)).toEqual([404, GONE]);
    await origin.app.close();
  });

  it('a parked hinted part and a parked blocking reload, released: immutable and max-age=1; a hinted part the segment closed without: 404 kept a second', async () => {
    const origin = new Origin();
    origin.segment(0);
    for (let i = 0; i < 9; i++) origin.addPart(1, i);
    const reload = origin.app.inject('/live/cam/video/index.m3u8?_HLS_msn=1&_HLS_part=9');
    const hinted = origin.app.inject(`/live/cam/video/${partUri(1, 9)}`);
    const beyond = origin.app.inject(`/live/cam/video/${partUri(1, 10)}`);
    while (origin.delivery.parked < 3) await new Promise((resolve) => setImmediate(resolve));
    origin.segment(1, 9); // part 1.9, then segment 1 closed with 10 parts: 1.10 never comes
    expect([(await reload).statusCode, (await reload).headers['cache-control']]).toEqual([200, BLOCKING]);
    expect([(await hinted).statusCode, (await hinted).headers['cache-control']]).toEqual([200, IMMUTABLE]);
    expect([(await beyond).statusCode, (await beyond).headers['cache-control']]).toEqual([404, GONE]);
    await origin.app.close();
  });

  it('the store path alone decides a stored file: playlists live, everything else immutable', () => {
    expect(cacheControlFor('live/cam/index.m3u8')).toBe(LIVE_PLAYLIST);
    expect(cacheControlFor('live/cam/video/plain.m3u8')).toBe(LIVE_PLAYLIST);
    for (const path of ['live/cam/video/init-0.mp4', 'live/cam/video/12.m4s', `live/cam/video/${partUri(12, 3)}`, 'live/cam/ts/4.ts']) expect(cacheControlFor(path), path).toBe(IMMUTABLE);
  });
});

describe('canonical query order', () => {
  it('the Delivery Directives in any order, among other parameters, are the same answer', async () => {
    const origin = new Origin();
    origin.segment(0);
    origin.segment(1);
    origin.addPart(2, 0);
    origin.addPart(2, 1);
    const directives = ['_HLS_msn=2', '_HLS_part=1', '_HLS_skip=YES'];
    const orders = [
      [0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0],
    ].map((order) => order.map((i) => directives[i]!));
    const answers = await Promise.all(orders.flatMap((order) => [order, ['token=abc', ...order], [...order, 'cb=1']]).map((query) => origin.app.inject(`/live/cam/video/index.m3u8?${query.join('&')}`)));
    expect(new Set(answers.map((a) => `${a.statusCode} ${a.headers['cache-control']}\n${a.body}`)).size).toBe(1);
    expect(answers[0]!.statusCode).toBe(200);
    expect(answers[0]!.headers['cache-control']).toBe(BLOCKING);
    await origin.app.close();
  });

  it("the playlists' own URIs carry no query: no per-viewer URI, nothing to order (players build the directives)", async () => {
    const origin = new Origin();
    origin.segment(0);
    origin.addPart(1, 0);
    const text = (await origin.app.inject('/live/cam/video/index.m3u8')).body;
    const uris = [...text.matchAll(/URI="([^"]*)"/g)].map((m) => m[1]!).concat(text.split('\n').filter((line) => line !== '' && !line.startsWith('#')));
    expect(uris.length).toBeGreaterThan(10);
    for (const uri of uris) expect(uri, uri).not.toMatch(/[?&]/);
    expect(text).toContain('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="1.1.m4s"');
    await origin.app.close();
  });
});
