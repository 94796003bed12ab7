import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readFlvFile } from '../../src/flv/index.js';
import { RtmpClient } from '../../src/rtmp/index.js';
import { createMediaServer } from '../../src/server/index.js';
import { MemoryStore, joinPieces } from '../../src/store/index.js';

/** Graceful shutdown (issue "The live server"): sessions closed, every playlist ended at once. */
describe('MediaServer.close', () => {
  it('ends the playlists of a stream that is live when the server closes, without waiting for the grace', async () => {
    const store = new MemoryStore();
    const server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' }, store, endGraceMs: 60_000 });
    const { rtmp } = await server.listen();
    const { tags } = readFlvFile(readFileSync(new URL('../../fixtures/media/h264-aac.flv', import.meta.url)));
    const client = await RtmpClient.connect(`rtmp://127.0.0.1:${rtmp.port}/live`);
    const stream = await client.publish('bye');
    const segments: number[] = [];
    server.on('segment', (_s, seg) => segments.push(seg.msn));
    for (const t of tags.filter((t) => t.timestamp <= 5000)) {
      if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
      else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
    }
    await expect.poll(() => segments.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const track of ['video', 'audio']) {
      const playlist = store.get(`live/bye/${track}/index.m3u8`);
      expect(playlist, track).toBeDefined();
      const text = Buffer.from(joinPieces(playlist!)).toString('utf8');
      expect(text, track).toContain('#EXT-X-ENDLIST');
      // The open segment (from 4 s) was cut and listed too.
      expect(text, track).toContain('2.m4s');
    }
    await client.close();
  });
});

describe('ended streams', () => {
  it('are served with ENDLIST for endedRetentionMs, then their files are deleted and the key forgotten', async () => {
    const store = new MemoryStore();
    const server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' }, store, endGraceMs: 200, endedRetentionMs: 400 });
    const { rtmp } = await server.listen();
    const { tags } = readFlvFile(readFileSync(new URL('../../fixtures/media/h264-aac.flv', import.meta.url)));
    const client = await RtmpClient.connect(`rtmp://127.0.0.1:${rtmp.port}/live`);
    const stream = await client.publish('once');
    for (const t of tags.filter((t) => t.timestamp <= 4500)) {
      if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
      else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
    }
    await expect.poll(() => store.list('live/once/').length, { timeout: 10_000 }).toBeGreaterThan(4);
    stream.unpublish();
    const playlist = (): string => Buffer.from(joinPieces(store.get('live/once/video/index.m3u8')!)).toString('utf8');
    await expect.poll(playlist, { timeout: 5_000 }).toContain('#EXT-X-ENDLIST');
    expect(server.hub.stream('live', 'once')).toBeDefined();
    await expect.poll(() => store.list('live/once/').length, { timeout: 5_000 }).toBe(0);
    expect(server.hub.stream('live', 'once')).toBeUndefined();
    await client.close();
    await server.close();
  });
});
