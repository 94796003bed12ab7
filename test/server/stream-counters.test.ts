import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { logServerEvents, logStreamCounters } from '../../src/cli/serve-output.js';
import { createLiveTimeline } from '../../src/hls/index.js';
import { LiveDelivery, type StreamCounters } from '../../src/http/index.js';
import { RtmpClient, type PublishingStream } from '../../src/rtmp/index.js';
import { createMediaServer, movedCounters, type MediaServer, type MediaServerOptions } from '../../src/server/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { loadFixtureTags, withTimeout, writeTag } from '../helpers/rtmp.js';

/*
 * Each per-stream counter of /api/streams moves when its loss happens, through MediaServer and
 * real RTMP clients; `tidecast serve`'s log says which moved, and logs a stream error.
 */

const tags = loadFixtureTags();
const media = tags.filter((t) => t.type === 8 || t.type === 9);
let server: MediaServer | undefined;
const clients: RtmpClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

async function start(options: Omit<MediaServerOptions, 'rtmp' | 'http'> = {}): Promise<{ rtmpPort: number; httpPort: number }> {
  server = createMediaServer({ ...options, rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' } });
  const { rtmp, http } = await server.listen();
  return { rtmpPort: rtmp.port, httpPort: http.port };
}

async function publish(port: number, key: string): Promise<PublishingStream> {
  const client = await RtmpClient.connect(`rtmp://127.0.0.1:${port}/live`);
  clients.push(client);
  return client.publish(key);
}

async function counters(httpPort: number, key: string): Promise<StreamCounters> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/streams`);
  const { streams } = (await res.json()) as { streams: Array<{ streamKey: string; counters: StreamCounters }> };
  const entry = streams.find((s) => s.streamKey === key);
  if (entry === undefined) throw new Error(`${key} not in /api/streams`);
  return entry.counters;
}

async function until(check: () => Promise<boolean> | boolean, what: string, ms = 5000): Promise<void> {
  await withTimeout(
    (async () => {
      while (!(await check())) await new Promise((r) => setTimeout(r, 20));
    })(),
    ms,
    what,
  );
}

const ZERO: StreamCounters = { readerDroppedSamples: 0, rtmpPlayerDroppedFrames: 0, partsOffTarget: 0, tagsBeforeConfig: 0, tagsUnsupported: 0, parkedExpired: 0, parkedRefused: 0 };

describe('per-stream counters in /api/streams', () => {
  it('start at 0; a frame before its sequence header and a tag of a codec not carried move tagsBeforeConfig and tagsUnsupported', async () => {
    const { rtmpPort, httpPort } = await start();
    const stream = await publish(rtmpPort, 'tags');
    const firstFrame = media.find((t) => t.type === 9 && t.body[1] === 1)!;
    // A coded frame before any AVC sequence header, then a Sorenson H.263 frame (codec id 2).
    stream.writeVideo(0, firstFrame.body);
    stream.writeVideo(0, new Uint8Array([0x12, 0, 0, 0]));
    media.slice(0, 40).forEach((t) => writeTag(stream, t));
    await until(() => server!.hub.stream('live', 'tags')?.state === 'live', 'stream live');
    await until(async () => (await counters(httpPort, 'tags')).tagsUnsupported === 1, 'tagsUnsupported');
    expect(await counters(httpPort, 'tags')).toEqual({ ...ZERO, tagsBeforeConfig: 1, tagsUnsupported: 1 });
  });

  it('a hub reader that falls behind moves readerDroppedSamples', async () => {
    const { rtmpPort, httpPort } = await start();
    const stream = await publish(rtmpPort, 'drops');
    media.slice(0, 10).forEach((t) => writeTag(stream, t));
    await until(() => server!.hub.stream('live', 'drops')?.state === 'live', 'stream live');
    // A reader with room for a keyframe and little more, never drained.
    server!.hub.stream('live', 'drops')!.subscribe({ startWith: 'gop', maxQueuedBytes: 30_000 });
    media.slice(10, 200).forEach((t) => writeTag(stream, t));
    await until(async () => (await counters(httpPort, 'drops')).readerDroppedSamples > 0, 'readerDroppedSamples');
  });

  it('an RTMP player that does not read moves rtmpPlayerDroppedFrames', { timeout: 20_000 }, async () => {
    const { rtmpPort, httpPort } = await start();
    const stream = await publish(rtmpPort, 'slow');
    media.slice(0, 20).forEach((t) => writeTag(stream, t));
    await until(() => server!.hub.stream('live', 'slow')?.state === 'live', 'stream live');
    const player = await RtmpClient.connect(`rtmp://127.0.0.1:${rtmpPort}/live`);
    clients.push(player);
    await player.play('slow');
    // The player's socket is not read from again: the kernel's buffers fill, then the server's.
    (player as unknown as { socket: { pause(): void } }).socket.pause();
    // Inter frames padded to 20 kB (the server does not read NAL units), 4 MB at a time so the
    // publishing client's own outgoing bound is never reached: far more than the player can hold.
    const inter = media.find((t) => t.type === 9 && t.body[0] === 0x27)!;
    const big = new Uint8Array(inter.body.byteLength + 20_000);
    big.set(inter.body);
    let ms = 5000;
    for (let round = 0; round < 10 && (await counters(httpPort, 'slow')).rtmpPlayerDroppedFrames === 0; round++) {
      for (let i = 0; i < 200; i++) stream.writeVideo((ms += 10), big);
      await new Promise((r) => setTimeout(r, 300));
    }
    await until(async () => (await counters(httpPort, 'slow')).rtmpPlayerDroppedFrames > 0, 'rtmpPlayerDroppedFrames');
  });

  it('a part longer than the part target (a 0.5 s timestamp jump) moves partsOffTarget', async () => {
    const { rtmpPort, httpPort } = await start();
    const stream = await publish(rtmpPort, 'parts');
    // The fixture, with every tag from the 60th on 500 ms later: one frame lasts 0.5 s, over PART-TARGET.
    media.slice(0, 200).forEach((t, i) => writeTag(stream, t, t.timestamp + (i >= 60 ? 500 : 0)));
    for (let loop = 1; loop <= 2; loop++) media.slice(0, 200).forEach((t) => writeTag(stream, t, t.timestamp + 500 + loop * 10_000));
    await until(async () => (await counters(httpPort, 'parts')).partsOffTarget > 0, 'partsOffTarget', 10_000);
  });

  it('a blocking reload that waits three target durations moves parkedExpired', { timeout: 15_000 }, async () => {
    const { rtmpPort, httpPort } = await start({ hls: { segmentTargetSeconds: 1 } });
    const stream = await publish(rtmpPort, 'parked');
    media.forEach((t) => writeTag(stream, t));
    const playlist = `http://127.0.0.1:${httpPort}/live/parked/video/index.m3u8`;
    await until(async () => (await fetch(playlist)).status === 200, 'playlist');
    const text = await (await fetch(playlist)).text();
    const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)![1]) + (text.match(/^\d+\.m4s$/gm) ?? []).length;
    // The publisher sends nothing more: the request for the next-but-one segment can only expire.
    const res = await fetch(`${playlist}?_HLS_msn=${msn + 1}`);
    expect(res.status).toBe(503);
    expect((await counters(httpPort, 'parked')).parkedExpired).toBe(1);
  });

  it('with http.maxParked 0, a blocking reload is refused at once and moves parkedRefused', async () => {
    server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1', maxParked: 0 } });
    const { rtmp, http } = await server.listen();
    const stream = await publish(rtmp.port, 'full');
    media.forEach((t) => writeTag(stream, t));
    const playlist = `http://127.0.0.1:${http.port}/live/full/video/index.m3u8`;
    await until(async () => (await fetch(playlist)).status === 200, 'playlist');
    const text = await (await fetch(playlist)).text();
    const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)![1]) + (text.match(/^\d+\.m4s$/gm) ?? []).length;
    const started = performance.now();
    expect((await fetch(`${playlist}?_HLS_msn=${msn + 1}`)).status).toBe(503);
    expect(performance.now() - started).toBeLessThan(1000);
    expect((await counters(http.port, 'full')).parkedRefused).toBe(1);
  });

  it('a request refused because the parking is full moves parkedRefused (LiveDelivery, per stream)', () => {
    const delivery = new LiveDelivery({ maxParked: 0 });
    const timeline = createLiveTimeline(2, 0, 0.2);
    expect(delivery.streamCounters('live/x')).toEqual({ expired: 0, refused: 0 });
    // Parking is reached through a snapshot whose next part is not there yet.
    delivery.publish('live/x', { rendition: 'video', timeline, playlist: '', delta: undefined, version: 1, track: {} as never });
    const statuses: number[] = [];
    delivery.part('live/x', 'video', '0.0.m4s', (r) => statuses.push(r.status));
    expect(statuses).toEqual([503]);
    expect(delivery.streamCounters('live/x')).toEqual({ expired: 0, refused: 1 });
    expect(delivery.streamCounters('live/y')).toEqual({ expired: 0, refused: 0 });
  });
});

describe('tidecast serve logs', () => {
  function logger(): { log: Parameters<typeof logServerEvents>[1]; lines: Array<Record<string, unknown>> } {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    return { log: pino({ level: 'debug' }, sink) as unknown as Parameters<typeof logServerEvents>[1], lines };
  }

  it('a stream error: a store whose writes fail', async () => {
    class FailingStore extends MemoryStore {
      override put(): never {
        throw new Error('disk on fire');
      }
    }
    server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' }, store: new FailingStore() });
    const { log, lines } = logger();
    logServerEvents(server, log);
    const { rtmp } = await server.listen();
    const stream = await publish(rtmp.port, 'broken');
    media.slice(0, 80).forEach((t) => writeTag(stream, t));
    await until(() => lines.some((l) => l['level'] === 50), 'an error line');
    const line = lines.find((l) => l['level'] === 50)!;
    expect(line).toMatchObject({ app: 'live', streamKey: 'broken', code: 'ERR_MEDIA_STREAM_LIFECYCLE' });
    expect(String(line['msg'])).toContain('disk on fire');
  });

  it('one line per stream whose counters moved in the interval, none when nothing moved', async () => {
    const { rtmpPort } = await start();
    const { log, lines } = logger();
    const stop = logStreamCounters(server!, log, 100);
    try {
      const stream = await publish(rtmpPort, 'moving');
      media.slice(0, 20).forEach((t) => writeTag(stream, t));
      stream.writeVideo(1000, new Uint8Array([0x12, 0, 0, 0]));
      await until(() => lines.some((l) => String(l['msg']).includes('tagsUnsupported +1')), 'a counters line');
      const count = lines.length;
      await new Promise((r) => setTimeout(r, 350));
      expect(lines.length).toBe(count);
      expect(lines[0]).toMatchObject({ level: 40, app: 'live', streamKey: 'moving', moved: { tagsUnsupported: 1 } });
    } finally {
      stop();
    }
  });

  it('movedCounters: only what rose', () => {
    expect(movedCounters(ZERO, ZERO)).toBeUndefined();
    expect(movedCounters(undefined, { ...ZERO, partsOffTarget: 2 })).toEqual({ partsOffTarget: 2 });
    expect(movedCounters({ ...ZERO, parkedExpired: 1 }, { ...ZERO, parkedExpired: 3, tagsBeforeConfig: 1 })).toEqual({ parkedExpired: 2, tagsBeforeConfig: 1 });
  });
});
