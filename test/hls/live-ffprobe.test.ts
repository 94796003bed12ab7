import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HlsLivePackager, type LivePackagerOptions } from '../../src/hls/index.js';
import { DiskStore, joinPieces, MemoryStore, type SegmentStore } from '../../src/store/index.js';
import { ffmpegPath, ffprobePath, runFfprobeJson, spawnFfmpeg } from '../helpers/ffmpeg.js';
import { fixtureTracks, loopedFixture, writeStore } from './live-fixture.js';
import { T0 } from './live-helpers.js';

const ffprobe = await ffprobePath();
const ffmpeg = await ffmpegPath();

/**
 * ffmpeg's HLS demuxer on a live playlist (no EXT-X-ENDLIST) starts 3 segments from the end and
 * reloads forever; `-live_start_index 0` reads the whole window and `-m3u8_hold_counters 1` stops
 * after one reload that brings nothing new, so a snapshot of the store reads like a live stream
 * whose publisher paused.
 */
const LIVE_INPUT = ['-live_start_index', '0', '-m3u8_hold_counters', '1'];

interface Packet {
  readonly codec_type: string;
  readonly dts_time: string;
  readonly pts_time: string;
}

/** Pushes the looped fixture up to `untilSeconds` of media, each sample arriving at T0 + its media time. */
async function feed(store: SegmentStore, untilSeconds: number, options: LivePackagerOptions = {}): Promise<HlsLivePackager> {
  const packager = new HlsLivePackager(store, options);
  await packager.setTracks(fixtureTracks(), T0);
  for (const { sample, seconds } of loopedFixture(Math.ceil(untilSeconds / 10) + 1)) {
    if (seconds >= untilSeconds) break;
    await packager.pushSample(sample, T0 + Math.round(seconds * 1000));
  }
  return packager;
}

function rising(packets: readonly Packet[]): boolean {
  return packets.every((p, i) => i === 0 || Number(p.dts_time) >= Number(packets[i - 1]!.dts_time));
}

// Each case packages into a store and folder of its own, and a live read waits for ffmpeg's reload
// interval (about 3 s of idle per read): the cases run side by side (concurrent).
describe.skipIf(ffprobe === undefined || ffmpeg === undefined).concurrent('live output read by ffprobe and ffmpeg', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'tidecast-live-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('25 s into the stream: the window decodes, audio and video both present, timestamps rising', async () => {
    const store = new MemoryStore();
    await feed(store, 25);
    const dir = join(root, 'snapshot');
    writeStore(store, dir);
    // ffprobe and ffmpeg read the same snapshot at once.
    const [out, decode] = await Promise.all([
      runFfprobeJson<{ packets: Packet[] }>([...LIVE_INPUT, '-show_packets', join(dir, 'index.m3u8')]),
      spawnFfmpeg(['-v', 'error', '-xerror', ...LIVE_INPUT, '-i', join(dir, 'index.m3u8'), '-f', 'null', '-'], { timeoutMs: 30_000 }).then((run) => run.done),
    ]);
    const video = out.packets.filter((p) => p.codec_type === 'video');
    const audio = out.packets.filter((p) => p.codec_type === 'audio');
    // Six 2 s video segments of 30 fps; audio over the same span at 44.1 kHz / 1024.
    expect(video).toHaveLength(6 * 60);
    expect(audio.length).toBeGreaterThan(500);
    expect(rising(video) && rising(audio)).toBe(true);
    // The window starts at segment 6, i.e. 12.1 s into the loop (second loop, 2 s in).
    expect(Number(video[0]!.dts_time)).toBeCloseTo(12.1, 1);
    expect(decode.stderr).toBe('');
    expect(decode.code).toBe(0);
  });

  it('after end(): ENDLIST, and ffprobe reads the window to the last frame without live options', async () => {
    const store = new MemoryStore();
    const packager = await feed(store, 15);
    await packager.end(T0 + 16_000);
    const dir = join(root, 'ended');
    writeStore(store, dir);
    expect(readFileSync(join(dir, 'video/index.m3u8'), 'utf8').endsWith('#EXT-X-ENDLIST\n')).toBe(true);
    const out = await runFfprobeJson<{ packets: Packet[] }>(['-show_packets', join(dir, 'index.m3u8')]);
    const video = out.packets.filter((p) => p.codec_type === 'video');
    expect(Number(video.at(-1)!.dts_time)).toBeGreaterThan(14.9);
    expect(out.packets.some((p) => p.codec_type === 'audio')).toBe(true);
  });

  it('a republish: ffprobe reads across the DISCONTINUITY, both sessions, audio and video', async () => {
    const store = new MemoryStore();
    const packager = await feed(store, 7, { windowSegments: 10 });
    await packager.resume(T0 + 20_000);
    await packager.setTracks(fixtureTracks(), T0 + 20_000);
    for (const { sample, seconds } of loopedFixture(1)) if (seconds < 7) await packager.pushSample(sample, T0 + 20_000 + Math.round(seconds * 1000));
    await packager.end(T0 + 28_000);
    const dir = join(root, 'republish');
    writeStore(store, dir);
    const playlist = readFileSync(join(dir, 'video/index.m3u8'), 'utf8');
    expect(playlist).toContain('#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:20.');
    const out = await runFfprobeJson<{ packets: Packet[] }>(['-show_packets', join(dir, 'index.m3u8')]);
    const video = out.packets.filter((p) => p.codec_type === 'video');
    // Listed: segments 0-3 of the first session (0-7 s) and 4-7 of the second (0-7 s again).
    expect(playlist.match(/^\d+\.m4s$/gm)).toEqual(['0.m4s', '1.m4s', '2.m4s', '3.m4s', '4.m4s', '5.m4s', '6.m4s', '7.m4s']);
    expect(video).toHaveLength(2 * 7 * 30);
    expect(out.packets.filter((p) => p.codec_type === 'audio').length).toBeGreaterThan(2 * 6 * 43);
  });

  it('through a DiskStore (asynchronous writes): the same files as in memory, readable from disk', async () => {
    const dir = join(root, 'disk');
    const disk = new DiskStore(dir);
    const memory = new MemoryStore();
    const onDisk = await feed(disk, 25);
    await onDisk.idle();
    await feed(memory, 25);
    expect(await disk.list()).toEqual(memory.list());
    // Buffer.equals: toEqual walks a typed array element by element, 3 s for these few MB.
    for (const path of memory.list()) expect(Buffer.from(joinPieces((await disk.get(path))!)).equals(joinPieces(memory.get(path)!)), path).toBe(true);
    const out = await runFfprobeJson<{ packets: Packet[] }>([...LIVE_INPUT, '-show_packets', join(dir, 'index.m3u8')]);
    expect(out.packets.filter((p) => p.codec_type === 'video')).toHaveLength(6 * 60);
  });
});

describe('live memory bound', () => {
  it('after 60 s of pushes the store holds window + keep segments per track, and nothing else grows (plain HLS)', async () => {
    const store = new MemoryStore();
    const packager = await feed(store, 60, { lowLatency: false });
    expect(packager.counters.segments).toBeGreaterThan(2 * 28);
    for (const track of ['video', 'audio']) {
      const segments = store.list(`${track}/`).filter((p) => p.endsWith('.m4s'));
      expect(segments, track).toHaveLength(6 + 7);
      expect(store.list(`${track}/`).filter((p) => !p.endsWith('.m4s'))).toEqual([`${track}/index.m3u8`, `${track}/init-0.mp4`]);
    }
    expect(store.counters.files).toBe(2 * (13 + 2) + 1);
    const sum = store.list().reduce((total, path) => total + store.get(path)!.byteLength, 0);
    expect(store.counters.bytes).toBe(sum);
  });

  it('LL-HLS: the same bound; part files only of stored segments and the open one, deleted with their segment', async () => {
    const store = new MemoryStore();
    const packager = await feed(store, 60);
    expect(packager.counters.parts).toBeGreaterThan(2 * 28 * 9);
    // Only where the 10 s fixture loops (a timestamp jump the encoder never made): one part per join.
    expect(packager.counters.partsOffTarget).toBeLessThanOrEqual(5);
    for (const track of ['video', 'audio']) {
      const files = store.list(`${track}/`).map((p) => p.slice(track.length + 1));
      const segments = files.filter((f) => /^\d+\.m4s$/.test(f)).map((f) => Number(f.split('.')[0]));
      expect(segments, track).toHaveLength(6 + 7);
      const open = Math.max(...segments) + 1;
      const parts = files.filter((f) => /^\d+\.\d+\.m4s$/.test(f)).map((f) => Number(f.split('.')[0]));
      expect(parts.every((msn) => segments.includes(msn) || msn === open), track).toBe(true);
      expect(files.filter((f) => !f.endsWith('.m4s'))).toEqual(['index.m3u8', 'init-0.mp4', 'plain.m3u8']);
      // A segment is its parts joined: the same bytes, shared, not copied.
      const msn = segments[segments.length - 1]!;
      const joined = Buffer.concat(files.filter((f) => f.startsWith(`${msn}.`) && f !== `${msn}.m4s`).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])).flatMap((f) => store.get(`${track}/${f}`)!.pieces));
      expect(joined.equals(Buffer.concat(store.get(`${track}/${msn}.m4s`)!.pieces))).toBe(true);
    }
  });

  it('with keepAfterWindowSegments 0 only the listed segments stay', async () => {
    const store = new MemoryStore();
    await feed(store, 40, { keepAfterWindowSegments: 0 });
    expect(store.list('video/').filter((p) => /^video\/\d+\.m4s$/.test(p))).toHaveLength(6);
  });
});
