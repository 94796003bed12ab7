import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mpdProblems, parseXml } from '../helpers/mpd-check.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLadderSpec } from '../../src/transcode/index.js';
import { ffmpegPath, ffprobePath, probePackets, runFfprobeJson, spawnFfmpeg } from '../helpers/ffmpeg.js';
import { withTimeout } from '../helpers/process.js';
import { parseMp4 } from '../helpers/mp4box.js';
import { getText, nextPublish, startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';

/*
 * Issue 10, "Done when" 1: ffmpeg publishes 720p30 with B-frames through a 3-rung ladder (the
 * source as a copy rung, 480p and 240p encoded at small bit rates with ultrafast, so it fits 2
 * cores). Through the multivariant playlist ffprobe decodes every rung without an error; segment
 * n starts at the same presentation time in every rung, and that time is a source keyframe's
 * (the packager moves every video track back by the source's B-frame delay, the same constant for
 * all rungs: checked as such); segment counts are equal; the audio is the source's, packet for
 * packet. The publisher tees what it sends into a file, the source the checks compare with.
 */

const ffmpeg = await ffmpegPath();
const ffprobe = await ffprobePath();
const END_GRACE_MS = 500;
const SECONDS = 10;

const LADDER = checkLadderSpec({
  rungs: [
    { codec: 'copy', name: '720p' },
    { codec: 'h264', height: 480, bitrateKbps: 600, preset: 'ultrafast' },
    { codec: 'h264', height: 240, bitrateKbps: 200, preset: 'ultrafast' },
  ],
});

interface ProbedFrame {
  ptsMs: number;
  key: boolean;
}

async function framesOf(file: string, stream: 'v' | 'a'): Promise<ProbedFrame[]> {
  const out = await runFfprobeJson<{ packets?: Array<{ pts_time?: string; flags?: string }> }>(['-select_streams', `${stream}:0`, '-show_entries', 'packet=pts_time,flags', file]);
  return (out.packets ?? []).map((p) => ({ ptsMs: Math.round(Number(p.pts_time) * 1000), key: (p.flags ?? '').includes('K') }));
}

async function bytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

describe.skipIf(ffmpeg === undefined || ffprobe === undefined)('a 3-rung ladder from a 720p30 B-frame publish', () => {
  let live: LiveServer;
  let dir: string;
  const key = 'ladder';
  const url = (path: string): string => live.httpUrl(`live/${key}/${path}`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tidecast-ladder-'));
    live = await startLiveServer({ endGraceMs: END_GRACE_MS, hls: { windowSegments: 20 }, transcode: { ladder: LADDER } });
    expect(live.server.ladders.off).toBeUndefined();
    const accepted = nextPublish(live.server, key);
    const source = join(dir, 'source.flv');
    const run = await spawnFfmpeg(
      [
        '-v', 'error', '-re',
        '-f', 'lavfi', '-i', `testsrc=size=1280x720:rate=30:duration=${SECONDS}`,
        '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`,
        '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '2', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-b:v', '1500k', '-pix_fmt', 'yuv420p',
        '-c:a', 'aac', '-b:a', '96k',
        '-map', '0:v', '-map', '1:a', '-flags', '+global_header',
        '-f', 'tee', `[f=flv]${live.rtmpUrl(`live/${key}`)}|[f=flv]${source}`,
      ],
      { timeoutMs: 60_000 },
    ); // prettier-ignore
    await withTimeout(accepted, 10_000, 'publish');
    const done = await withTimeout(run.done, 45_000, 'publisher');
    expect(done.stderr).toBe('');
    await waitUntil(async () => (await getText(url('720p/index.m3u8')))?.includes('#EXT-X-ENDLIST') === true, 15_000, 'ENDLIST');
    for (const name of ['480p', '240p', 'audio']) await waitUntil(async () => (await getText(url(`${name}/index.m3u8`)))?.includes('#EXT-X-ENDLIST') === true, 10_000, `ENDLIST of ${name}`);
  }, 90_000);

  afterAll(async () => {
    await live?.close();
    if (dir !== undefined && process.env["KEEP_LADDER_DIR"] === undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every rung as a variant with measured bandwidth, resolution, frame rate and codecs, and one audio group', async () => {
    const multivariant = (await getText(url('index.m3u8')))!;
    const variants = [...multivariant.matchAll(/#EXT-X-STREAM-INF:(.*)\n(.*)/g)].map((m) => ({ attributes: m[1]!, uri: m[2]! }));
    expect(variants.map((v) => v.uri)).toEqual(['720p/index.m3u8', '480p/index.m3u8', '240p/index.m3u8']);
    expect(variants.map((v) => /RESOLUTION=(\d+x\d+)/.exec(v.attributes)?.[1])).toEqual(['1280x720', '854x480', '426x240']);
    for (const v of variants) {
      expect(v.attributes).toMatch(/BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",RESOLUTION=\d+x\d+,FRAME-RATE=30\.000,AUDIO="audio"/);
    }
    const bandwidth = variants.map((v) => Number(/BANDWIDTH=(\d+)/.exec(v.attributes)![1]));
    expect(bandwidth[0]).toBeGreaterThan(bandwidth[1]!);
    expect(bandwidth[1]).toBeGreaterThan(bandwidth[2]!);
    expect(multivariant.match(/#EXT-X-MEDIA:TYPE=AUDIO/g)).toHaveLength(1);
  });

  it('DASH: every rung a Representation of one video AdaptationSet, on one timeline; the MPD well-formed and in the schema\'s order', async () => {
    for (const file of ['manifest.mpd', 'manifest-ll.mpd']) {
      const text = (await getText(url(file)))!;
      expect(mpdProblems(text), file).toEqual([]);
      const period = parseXml(text).children.find((c) => c.name === 'Period')!;
      const sets = period.children.filter((c) => c.name === 'AdaptationSet');
      expect(sets.map((x) => x.attributes['contentType'])).toEqual(['video', 'audio']);
      const reps = sets[0]!.children.filter((c) => c.name === 'Representation');
      expect(reps.map((r) => `${r.attributes['id']} ${r.attributes['width']}x${r.attributes['height']}`)).toEqual(['720p 1280x720', '480p 854x480', '240p 426x240']);
      expect(sets[0]!.attributes).toMatchObject({ maxWidth: '1280', maxHeight: '720' });
      // The ended stream: no more updates.
      expect(text).toMatch(/mediaPresentationDuration="PT\d+(\.\d+)?S"/);
      expect(text).not.toContain('minimumUpdatePeriod');
      if (file === 'manifest.mpd') {
        // Every segment's start and duration, over every Period (a loaded machine can make the
        // packager re-anchor its dates, a new Period), but the last one's end: the stream's end cut
        // it where each rung's last frame ended.
        const periods = parseXml(text).children.filter((c) => c.name === 'Period');
        const timelines = reps.map((r) => {
          const out: string[] = [];
          let t = 0;
          const entries = periods.flatMap((p) =>
            p.children.filter((c) => c.name === 'AdaptationSet').flatMap((a) => a.children.filter((c) => c.name === 'Representation' && c.attributes['id'] === r.attributes['id'])).flatMap((x) => x.children[0]!.children[0]!.children),
          );
          for (const x of entries) {
            if (x.attributes['t'] !== undefined) t = Number(x.attributes['t']);
            for (let i = 0; i <= Number(x.attributes['r'] ?? 0); i++) {
              out.push(`${t}+${x.attributes['d']}`);
              t += Number(x.attributes['d']);
            }
          }
          return out.slice(0, -1).join(' ') + ` ${out.at(-1)!.split('+')[0]}`;
        });
        expect(timelines[0]!.split(' ').length).toBeGreaterThanOrEqual(SECONDS / 2 - 1);
        expect(timelines[1]).toBe(timelines[0]);
        expect(timelines[2]).toBe(timelines[0]);
      }
    }
  });

  it('ffprobe decodes every rung through the multivariant playlist without an error', async () => {
    const out = await runFfprobeJson<{ streams?: Array<{ codec_type?: string; width?: number; height?: number }> }>(['-show_entries', 'stream=codec_type,width,height', url('index.m3u8')]);
    const sizes = (out.streams ?? []).filter((s) => s.codec_type === 'video').map((s) => `${s.width}x${s.height}`);
    expect(new Set(sizes)).toEqual(new Set(['1280x720', '854x480', '426x240']));
    const run = await spawnFfmpeg(['-v', 'error', '-i', url('index.m3u8'), '-map', '0', '-f', 'null', '-'], { timeoutMs: 60_000 });
    const decoded = await withTimeout(run.done, 60_000, 'decode');
    expect(decoded.stderr).toBe('');
    expect(decoded.code).toBe(0);
  }, 70_000);

  it('segment n starts at the same picture in every rung, a source keyframe; counts equal; audio is the source, packet for packet', async () => {
    const firsts = new Map<string, number[]>();
    for (const rung of ['720p', '480p', '240p']) {
      const playlist = (await getText(url(`${rung}/plain.m3u8`)))!;
      const init = await bytes(url(`${rung}/${/#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]}`));
      const segments = playlist.split('\n').filter((l) => l.endsWith('.m4s'));
      const starts: number[] = [];
      for (const segment of segments) {
        const file = join(dir, `${rung}-${segment}.mp4`);
        writeFileSync(file, Buffer.concat([init, await bytes(url(`${rung}/${segment}`))]));
        const frames = await framesOf(file, 'v');
        expect(frames[0]?.key, `${rung}/${segment} starts with a keyframe (ffprobe)`).toBe(true);
        // Presentation times as the file says them (trun version 1 offsets are signed), read by
        // mp4box.js: ffprobe moves a track with negative offsets (the copy rung's B-frames) later
        // by the most negative one, a display choice of its own.
        const samples = [...parseMp4(await readFile(file)).samples.values()][0]!;
        expect(samples[0]!.isSync).toBe(true);
        starts.push(Math.min(...samples.map((x) => x.cts)));
      }
      firsts.set(rung, starts);
    }
    const copy = firsts.get('720p')!;
    expect(copy.length).toBeGreaterThanOrEqual(SECONDS / 2 - 1);
    expect(firsts.get('480p')).toEqual(copy);
    expect(firsts.get('240p')).toEqual(copy);

    const source = await probePackets(join(dir, 'source.flv'));
    const sourceKeys = source['video']!.filter((p) => p.keyframe).map((p) => p.ptsMs! * 90);
    // The packager's composition shift: one constant for the whole presentation.
    const shift = sourceKeys[0]! - copy[0]!;
    expect(shift).toBeGreaterThanOrEqual(0);
    for (const start of copy) expect(sourceKeys).toContain(start + shift);

    const audio = (await getText(url('audio/plain.m3u8')))!;
    const audioInit = await bytes(url(`audio/${/#EXT-X-MAP:URI="([^"]+)"/.exec(audio)![1]}`));
    const audioSegments = await Promise.all(audio.split('\n').filter((l) => l.endsWith('.m4s')).map((s) => bytes(url(`audio/${s}`))));
    const audioFile = join(dir, 'audio.mp4');
    writeFileSync(audioFile, Buffer.concat([audioInit, ...audioSegments]));
    const packaged = await probePackets(audioFile);
    expect(packaged['audio']!.map((p) => p.size)).toEqual(source['audio']!.map((p) => p.size));
  }, 60_000);
});
