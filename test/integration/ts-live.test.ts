import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath, ffprobePath, probePackets, runFfprobeJson, spawnFfmpeg } from '../helpers/ffmpeg.js';
import { getText, startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';
import { delay } from '../helpers/process.js';

/*
 * HLS over MPEG-TS (issue 11): ffmpeg publishes the fixture in a loop to live/ts and live/unread.
 * ts.m3u8 of live/ts is asked for (which starts the TS output), read live by ffmpeg -xerror and by
 * ffprobe, and its segments are compared with the fMP4 ones of the same numbers; live/unread is
 * never asked for and muxes nothing; live/ts stops muxing once nobody reads its playlist.
 */

const ffmpeg = await ffmpegPath();
const ffprobe = await ffprobePath();
const skip = ffmpeg === undefined || ffprobe === undefined ? 'ffmpeg/ffprobe not found (FFMPEG_PATH, PATH, @ffmpeg-installer)' : undefined;

let live: LiveServer;
let dir: string;

beforeAll(async () => {
  if (skip !== undefined) return;
  dir = mkdtempSync(join(tmpdir(), 'tidecast-ts-'));
  live = await startLiveServer({});
  await live.publish('ts', { seconds: 40, loop: true, timeoutMs: 60_000 });
  await live.publish('unread', { seconds: 40, loop: true, timeoutMs: 60_000 });
  // Both tracks: a TS segment is muxed once every track's segment of its number is cut (audio's a frame after video's).
  const listed = (rendition: string): number => live.server.liveDelivery.snapshot('live/ts', rendition)?.timeline.segments.length ?? 0;
  await waitUntil(() => listed('video') >= 3 && listed('audio') >= 3, 15_000, 'three segments of each track');
}, 30_000);

afterAll(async () => {
  await live?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const egressOf = (key: string) => [...live.server.egress.entries()].find(([s]) => s.streamKey === key)![1];

describe.skipIf(skip !== undefined)(`HLS over MPEG-TS, produced while read${skip === undefined ? '' : ` (skipped: ${skip})`}`, () => {
  it('the first ts.m3u8 request starts the output and is answered at once with the last three segments muxed: plain HLS version 3, no EXT-X-MAP', async () => {
    expect(egressOf('ts').tsSegments).toBe(0);
    const started = performance.now();
    const res = await fetch(live.httpUrl('live/ts/ts.m3u8'));
    const waited = performance.now() - started;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('mpegurl');
    const text = await res.text();
    expect(waited).toBeLessThan(500);
    // Muxed from the CMAF segments still at hand: a player can start three target durations from the end (RFC 8216 6.3.3).
    expect(text.match(/^ts\/\d+\.ts$/gm)).toHaveLength(3);
    expect(text).toMatch(/^#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:\d+\n/);
    expect(text).not.toContain('EXT-X-MAP');
    expect(text).toMatch(/^ts\/\d+\.ts$/m);
    const segment = await fetch(live.httpUrl(`live/ts/${/^(ts\/\d+\.ts)$/m.exec(text)![1]}`));
    expect(segment.headers.get('content-type')).toBe('video/mp2t');
    expect((await segment.arrayBuffer()).byteLength % 188).toBe(0);
  });

  it('ffmpeg -xerror decodes ts.m3u8 live with no error; ffprobe finds both streams with continuous timestamps', async () => {
    const run = await spawnFfmpeg(['-v', 'error', '-xerror', '-i', live.httpUrl('live/ts/ts.m3u8'), '-t', '6', '-f', 'null', '-'], { timeoutMs: 30_000 });
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trim()).toBe('');
    // A live playlist is read until it ends: 6 s of it.
    const probed = await runFfprobeJson<{ packets?: Array<{ codec_type: string; dts_time: string }> }>(['-read_intervals', '%+6', '-show_entries', 'packet=codec_type,dts_time', live.httpUrl('live/ts/ts.m3u8')]);
    const packets: Record<string, Array<{ dtsMs: number }>> = {};
    for (const p of probed.packets ?? []) (packets[p.codec_type] ??= []).push({ dtsMs: Math.round(Number(p.dts_time) * 1000) });
    expect(Object.keys(packets).sort()).toEqual(['audio', 'video']);
    for (const [type, list] of Object.entries(packets)) {
      const dts = list.map((p) => p.dtsMs);
      const steps = dts.slice(1).map((d, i) => d - dts[i]!);
      expect(Math.min(...steps), `${type} DTS never goes back`).toBeGreaterThan(0);
      expect(Math.max(...steps), `${type} DTS has no hole across segments`).toBeLessThanOrEqual(type === 'video' ? 70 : 50);
      expect(list.length).toBeGreaterThan(type === 'video' ? 120 : 200);
    }
  });

  it('a TS segment starts where the fMP4 one of the same number does: A/V start offset within one frame', async () => {
    const text = (await getText(live.httpUrl('live/ts/ts.m3u8')))!;
    const msn = Number([...text.matchAll(/^ts\/(\d+)\.ts$/gm)].at(-1)![1]);
    const save = async (name: string, paths: string[]): Promise<string> => {
      const parts = await Promise.all(paths.map(async (p) => new Uint8Array(await (await fetch(live.httpUrl(p))).arrayBuffer())));
      const file = join(dir, name);
      writeFileSync(file, Buffer.concat(parts));
      return file;
    };
    const generation = /init-(\d+)\.mp4/.exec((await getText(live.httpUrl('live/ts/video/index.m3u8')))!)![1];
    const ts = await probePackets(await save('segment.ts', [`live/ts/ts/${msn}.ts`]));
    const video = await probePackets(await save('video.mp4', [`live/ts/video/init-${generation}.mp4`, `live/ts/video/${msn}.m4s`]));
    const audio = await probePackets(await save('audio.mp4', [`live/ts/audio/init-${generation}.mp4`, `live/ts/audio/${msn}.m4s`]));
    const first = (list: Array<{ ptsMs?: number }>): number => Math.min(...list.map((p) => p.ptsMs!));
    expect(ts['video']!.length).toBe(video['video']!.length);
    expect(ts['audio']!.length).toBe(audio['audio']!.length);
    const tsOffset = first(ts['video']!) - first(ts['audio']!);
    const mp4Offset = first(video['video']!) - first(audio['audio']!);
    expect(Math.abs(tsOffset - mp4Offset)).toBeLessThanOrEqual(34);
  });

  it('no TS work for a stream nobody reads; the output stops and its files go once nobody reads it', async () => {
    expect(egressOf('unread').tsSegments).toBe(0);
    expect(await live.server.store.list('live/unread/ts/')).toEqual([]);
    const muxed = egressOf('ts').tsSegments;
    expect(muxed).toBeGreaterThan(2);
    // Three segment targets without a playlist request, then the next segment stops it.
    await delay(9_000);
    const after = egressOf('ts').tsSegments;
    await delay(2_500);
    expect(egressOf('ts').tsSegments).toBe(after);
    expect(await live.server.store.list('live/ts/ts/')).toEqual([]);
    // Asked again, it starts again.
    expect((await fetch(live.httpUrl('live/ts/ts.m3u8'))).status).toBe(200);
    expect(egressOf('ts').tsSegments).toBeGreaterThan(after);
  }, 30_000);
});
