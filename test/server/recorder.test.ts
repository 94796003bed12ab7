import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpCallback, scanRecordings, type RecordingInfo } from '../../src/server/index.js';
import type { StoreTap } from '../../src/server/store-taps.js';
import { joinPieces } from '../../src/store/index.js';
import { filesUnder, listedDurations, listedUris, readText, startRecordingServer } from '../helpers/recording.js';

/**
 * The recorder in a MediaServer (recorder.ts, recording-wiring.ts): the fixture published over
 * RTMP, its recording read back from disk and compared with what the packager put in the store.
 */

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

const completed = (events: ReadonlyArray<{ type: string }>): number => events.filter((e) => e.type === 'completed').length;

describe('recording a publish', () => {
  it('writes the packager\'s own files: init and segments byte for byte, EVENT then VOD playlists, recording.json, events and webhooks', async () => {
    const stored = new Map<string, Uint8Array>();
    // What the store took, segment by segment (the live window deletes them later).
    const capture: StoreTap = { put: (path, file) => void (/\/(\d+|init-\d+)\.(m4s|mp4)$/.test(path) && stored.set(path, joinPieces(file))), delete: () => undefined };
    const rec = await startRecordingServer({ record: { streams: 'all' }, storeTaps: [capture], now: () => T0, endGraceMs: 60_000 });
    const hooks: string[] = [];
    rec.server.control.events.on('event', (e) => hooks.push(e.type));
    const published: Record<string, number[]> = { video: [], audio: [] };
    rec.server.on('segment', (_s, seg) => published[seg.track]!.push(seg.msn));
    try {
      const { stream } = await rec.publish('cam', 6000);
      await expect.poll(() => rec.events.filter((e) => e.type === 'segment_completed').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      const folder = join(rec.dir, 'live/cam/2026-12-07_12-00-00');
      expect(rec.server.recording!.isRecording('live', 'cam')).toBe(true);
      // While recording: EVENT playlists of the complete segments, recording.json says so.
      await rec.server.recording!.idle();
      const live = await readText(join(folder, 'video/index.m3u8'));
      expect(live).toContain('#EXT-X-PLAYLIST-TYPE:EVENT\n');
      expect(live).not.toContain('#EXT-X-ENDLIST');
      expect(JSON.parse(await readText(join(folder, 'recording.json')))).toMatchObject({ state: 'recording', endedAtMs: null, id: 'live/cam/2026-12-07_12-00-00' });

      stream.unpublish();
      await expect.poll(() => completed(rec.events), { timeout: 10_000 }).toBe(1);
      expect(rec.server.recording!.isRecording('live', 'cam')).toBe(false);
      const files = await filesUnder(folder);
      expect(files.filter((f) => !/\/\d+\.m4s$/.test(f))).toEqual(['audio/index.m3u8', 'audio/init-0.mp4', 'index.m3u8', 'manifest.mpd', 'recording.json', 'video/index.m3u8', 'video/init-0.mp4']);
      for (const rendition of ['video', 'audio']) {
        const playlist = await readText(join(folder, rendition, 'index.m3u8'));
        expect(playlist).toContain('#EXT-X-PLAYLIST-TYPE:VOD\n');
        expect(playlist.endsWith('#EXT-X-ENDLIST\n')).toBe(true);
        expect(playlist).toContain('#EXT-X-MAP:URI="init-0.mp4"\n#EXT-X-PROGRAM-DATE-TIME:');
        const uris = listedUris(playlist);
        // Every segment the packager published, the last one cut when the publisher left.
        expect(uris, rendition).toEqual(published[rendition]!.map((msn) => `${msn}.m4s`));
        expect(uris.length).toBeGreaterThanOrEqual(3);
        expect(files.filter((f) => f.startsWith(`${rendition}/`) && f.endsWith('.m4s'))).toEqual(uris.map((u) => `${rendition}/${u}`));
        // The packager's bytes: parts appended as they came, the segment's put made the file equal.
        for (const name of [...uris, 'init-0.mp4']) {
          const onDisk = new Uint8Array(await readFile(join(folder, rendition, name)));
          expect(Buffer.compare(onDisk, stored.get(`live/cam/${rendition}/${name}`)!), `${rendition}/${name}`).toBe(0);
        }
      }
      const info = JSON.parse(await readText(join(folder, 'recording.json'))) as RecordingInfo;
      const videoSeconds = listedDurations(await readText(join(folder, 'video/index.m3u8'))).reduce((a, b) => a + b, 0);
      expect(info).toMatchObject({ version: 1, id: 'live/cam/2026-12-07_12-00-00', app: 'live', streamKey: 'cam', startedAtMs: T0, state: 'complete' });
      expect(info.durationSeconds).toBeCloseTo(Math.max(videoSeconds, listedDurations(await readText(join(folder, 'audio/index.m3u8'))).reduce((a, b) => a + b, 0)), 3);
      expect(info.durationSeconds).toBeGreaterThan(5.5);
      expect(info.endedAtMs).toBeGreaterThan(T0 + 5500);
      expect(info.renditions).toEqual([
        { name: 'video', kind: 'video', codecs: expect.stringMatching(/^avc1\.64/), width: 320, height: 240, frameRate: 30, bandwidth: expect.any(Number) },
        { name: 'audio', kind: 'audio', codecs: 'mp4a.40.2', sampleRate: 44_100, channels: 2, bandwidth: expect.any(Number) },
      ]);
      const total = files.filter((f) => /\.(m4s|mp4)$/.test(f)).reduce((sum, f) => sum + stored.get(`live/cam/${f}`)!.byteLength, 0);
      expect(info.bytes).toBe(total);
      const multivariant = await readText(join(folder, 'index.m3u8'));
      expect(multivariant).toMatch(/#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio\/index.m3u8"\n/);
      expect(multivariant).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1\.64[0-9a-f]+,mp4a\.40\.2",RESOLUTION=320x240,FRAME-RATE=30\.000,AUDIO="audio"\nvideo\/index.m3u8\n/);
      expect(await scanRecordings(rec.dir)).toEqual([info]);
      // The events, in process and as webhooks.
      expect(rec.events.map((e) => e.type).filter((t, i, all) => all.indexOf(t) === i)).toEqual(['started', 'segment_completed', 'completed']);
      expect(rec.events.filter((e) => e.type === 'segment_completed')).toHaveLength(published['video']!.length + published['audio']!.length);
      expect(rec.events.at(-1)).toMatchObject({ type: 'completed', id: info.id, durationSeconds: info.durationSeconds, bytes: info.bytes, endedAtMs: info.endedAtMs });
      expect(hooks.filter((t) => t.startsWith('recording.')).filter((t, i, all) => all.indexOf(t) === i)).toEqual(['recording.started', 'recording.segment_completed', 'recording.completed']);
    } finally {
      await rec.close();
    }
  });

  it('cuts at maxDurationSeconds on a segment boundary: the next recording goes on from the next segment', async () => {
    let clock = T0;
    const rec = await startRecordingServer({ record: { streams: 'all', maxDurationSeconds: 4 }, now: () => (clock += 1), endGraceMs: 60_000 });
    try {
      const { stream } = await rec.publish('cam');
      await expect.poll(() => rec.events.filter((e) => e.type === 'segment_completed').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(8);
      stream.unpublish();
      await expect.poll(() => completed(rec.events), { timeout: 10_000 }).toBe(3);
      const recordings = (await scanRecordings(rec.dir)).reverse();
      expect(recordings).toHaveLength(3);
      const msns: number[][] = [];
      for (const r of recordings) {
        const playlist = await readText(join(rec.dir, r.id, 'video/index.m3u8'));
        msns.push(listedUris(playlist).map((u) => Number.parseInt(u, 10)));
        // The audio rendition, cut a moment after the video, is cut at the same segment.
        expect(listedUris(await readText(join(rec.dir, r.id, 'audio/index.m3u8')))).toEqual(listedUris(playlist));
        expect(playlist.endsWith('#EXT-X-ENDLIST\n')).toBe(true);
        // Each recording opens with its generation's init segment, written anew.
        expect(playlist).toContain('#EXT-X-MAP:URI="init-0.mp4"');
        expect((await filesUnder(join(rec.dir, r.id))).filter((f) => f.endsWith('init-0.mp4'))).toEqual(['audio/init-0.mp4', 'video/init-0.mp4']);
      }
      expect(msns).toEqual([[0, 1], [2, 3], [4]]);
      expect(recordings[0]!.durationSeconds).toBeGreaterThanOrEqual(4);
      expect(recordings[0]!.durationSeconds).toBeLessThan(6);
      // The next recording starts where the previous one ended (its video; the audio ends a frame apart).
      expect(Math.abs(recordings[1]!.startedAtMs - recordings[0]!.endedAtMs!)).toBeLessThan(50);
      expect(Math.abs(recordings[2]!.startedAtMs - recordings[1]!.endedAtMs!)).toBeLessThan(50);
      expect(recordings.reduce((sum, r) => sum + r.durationSeconds, 0)).toBeGreaterThan(9.5);
    } finally {
      await rec.close();
    }
  });

  it('starts and stops by the control API: from the next segment, every rendition alike, a live stream only', async () => {
    const rec = await startRecordingServer({ record: {}, now: () => T0, endGraceMs: 60_000 });
    try {
      const segments: number[] = [];
      rec.server.on('segment', (_s, seg) => segments.push(seg.msn));
      const { stream } = await rec.publish('cam', 4000);
      await expect.poll(() => segments.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      const recording = rec.server.recording!;
      expect(recording.isRecording('live', 'cam')).toBe(false);
      expect(recording.start('live', 'nobody')).toBe(false);
      expect(recording.start('live', 'cam')).toBe(true);
      expect(recording.start('live', 'cam')).toBe(true);
      expect(recording.isRecording('live', 'cam')).toBe(true);
      const { fixtureTags } = await import('../helpers/recording.js');
      for (const t of fixtureTags().filter((t) => t.timestamp > 4000 && t.timestamp <= 9000)) {
        if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
        else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
      }
      await expect.poll(() => Math.max(...segments), { timeout: 10_000 }).toBe(3);
      await expect.poll(() => rec.events.filter((e) => e.type === 'segment_completed').length, { timeout: 10_000 }).toBe(4);
      expect(await recording.stop('live', 'cam')).toBe(true);
      expect(await recording.stop('live', 'cam')).toBe(false);
      const [info] = await scanRecordings(rec.dir);
      expect(info).toMatchObject({ state: 'complete', app: 'live', streamKey: 'cam' });
      // The video had begun segment 1's successor, the audio not yet: both start at 2. Segment 4, open at the stop, is left out.
      for (const rendition of ['video', 'audio']) {
        expect(listedUris(await readText(join(rec.dir, info!.id, rendition, 'index.m3u8')))).toEqual(['2.m4s', '3.m4s']);
        expect((await filesUnder(join(rec.dir, info!.id))).filter((f) => f.startsWith(`${rendition}/`))).toEqual([2, 3].map((n) => `${rendition}/${n}.m4s`).concat([`${rendition}/index.m3u8`, `${rendition}/init-0.mp4`]));
      }
    } finally {
      await rec.close();
    }
  });

  it('records a publish whose authorization callback answered record: true, and only that one', async () => {
    const callback: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += String(c)));
      req.on('end', () => {
        const { key } = JSON.parse(body) as { key: string };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(key === 'keep' ? { allow: true, record: true } : { allow: true }));
      });
    });
    await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/auth`;
    const rec = await startRecordingServer({ record: { streams: 'none' }, auth: { apps: { live: { strategies: [httpCallback({ url })] } } }, endGraceMs: 60_000 });
    try {
      const kept = await rec.publish('keep', 4500);
      const other = await rec.publish('other', 4500);
      await expect.poll(() => rec.events.filter((e) => e.type === 'segment_completed').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      kept.stream.unpublish();
      other.stream.unpublish();
      await expect.poll(() => completed(rec.events), { timeout: 10_000 }).toBe(1);
      expect((await scanRecordings(rec.dir)).map((r) => `${r.app}/${r.streamKey}`)).toEqual(['live/keep']);
    } finally {
      await rec.close();
      await new Promise((resolve) => callback.close(resolve));
    }
  });

  it('a new publish of the same key is a new recording; the server closing completes the one being written', async () => {
    let clock = T0;
    const rec = await startRecordingServer({ record: { streams: { keys: ['live/ca*'] } }, now: () => clock, endGraceMs: 60_000 });
    try {
      const first = await rec.publish('cam', 4500);
      await expect.poll(() => rec.events.filter((e) => e.type === 'segment_completed').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      first.stream.unpublish();
      await expect.poll(() => completed(rec.events), { timeout: 10_000 }).toBe(1);
      clock += 60_000;
      await rec.publish('cam', 4500);
      await rec.publish('other', 4500);
      await expect.poll(() => rec.events.filter((e) => e.type === 'started').length, { timeout: 10_000 }).toBe(2);
      await expect.poll(() => rec.events.filter((e) => e.type === 'segment_completed').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    } finally {
      await rec.close();
    }
    expect(completed(rec.events)).toBe(2);
    expect(rec.events.filter((e) => e.type === 'started').map((e) => e.id)).toEqual(['live/cam/2026-12-07_12-00-00', 'live/cam/2026-12-07_12-01-00']);
  });
});
