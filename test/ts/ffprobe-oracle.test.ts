import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PresentationSegmenter, type SegmenterSegment } from '../../src/cmaf/index.js';
import type { Sample, Track } from '../../src/media/index.js';
import { to90kHz, TsMuxer } from '../../src/ts/index.js';
import { ffmpegPath, ffprobePath } from '../helpers/ffmpeg.js';
import { decodeAll, loadSource, mapLimit, probe, type Probe, type ProbedPacket } from '../helpers/packaging.js';

/** Media times written as they are (no start offset), so they compare with the input's. */
const RAW = { timestampOffsetTicks: 0 };

/**
 * FFmpeg 5.1 as the oracle for the TS muxer: each fixture's samples, cut into segments by the CMAF
 * segmenter exactly as the server cuts them, muxed segment by segment by one TsMuxer, written as
 * segment files, then read by ffprobe and decoded by `ffmpeg -xerror` — as one concatenated file
 * (what a TS reader sees across segment boundaries) and through an HLS playlist of the segments.
 *
 * One FFmpeg habit to know: its AAC parser splits a PES of several ADTS frames and times the frames
 * after the first by adding a duration truncated to whole 90 kHz ticks (2089 for 1024 samples at
 * 44.1 kHz, not 2089.8), so those frames drift by under a tick each from their exact times; the
 * first frame of every PES carries the exact PTS (test/ts/properties.test.ts checks every PES).
 */

const ffprobe = await ffprobePath();
const ffmpeg = await ffmpegPath();
const skip = ffprobe === undefined || ffmpeg === undefined;
if (skip) console.warn('test/ts/ffprobe-oracle: ffprobe or ffmpeg not found (FFPROBE_PATH, PATH, @ffprobe-installer/ffprobe): skipped');

const dir = mkdtempSync(join(tmpdir(), 'tidecast-ts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** ADTS frames per PES are at most 100 ms: 5 frames, so at most 4 interpolated ones drift. */
const AUDIO_INTERPOLATION_TICKS = 4;

interface Muxed {
  readonly tracks: Track[];
  /** The samples the muxer was given, by track id, in decode order. */
  readonly samples: Map<number, Sample[]>;
  readonly segmentFiles: string[];
  readonly concatenated: string;
  readonly playlist: string;
}

/** The fixture's samples through the server's segmenter (2 s segments), then one TS file per segment. */
function muxFixture(file: string, shiftCompositionDelay = false): Muxed {
  const source = loadSource(file);
  const segmenter = new PresentationSegmenter({ tracks: source.tracks, segmentTargetSeconds: 2, shiftCompositionDelay });
  const inDecodeOrder = [...source.samples.values()].flat().sort((a, b) => to90kHz(a.dts, timescaleOf(source.tracks, a)) - to90kHz(b.dts, timescaleOf(source.tracks, b)));
  const events = [...inDecodeOrder.flatMap((s) => segmenter.push(s)), ...segmenter.flush()];
  const bySequence = new Map<number, Sample[]>();
  for (const e of events.filter((e): e is SegmenterSegment => e.type === 'segment')) {
    const list = bySequence.get(e.sequence) ?? bySequence.set(e.sequence, []).get(e.sequence)!;
    for (const part of e.parts) list.push(...part.samples);
  }
  const muxer = new TsMuxer(source.tracks, RAW);
  const name = file.replace(/\.flv$/, shiftCompositionDelay ? '-shifted' : '');
  const samples = new Map<number, Sample[]>();
  const buffers: Uint8Array[] = [];
  const segmentFiles: string[] = [];
  for (const [sequence, list] of [...bySequence].sort((a, b) => a[0] - b[0])) {
    for (const s of list) (samples.get(s.trackId) ?? samples.set(s.trackId, []).get(s.trackId)!).push(s);
    const ts = muxer.segment(list);
    buffers.push(ts);
    const path = join(dir, `${name}-${sequence}.ts`);
    writeFileSync(path, ts);
    segmentFiles.push(path);
  }
  const concatenated = join(dir, `${name}.ts`);
  writeFileSync(concatenated, Buffer.concat(buffers));
  const playlist = join(dir, `${name}.m3u8`);
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:4', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD'];
  for (const f of segmentFiles) lines.push('#EXTINF:2.0,', f.slice(dir.length + 1));
  writeFileSync(playlist, [...lines, '#EXT-X-ENDLIST', ''].join('\n'));
  for (const list of samples.values()) list.sort((a, b) => a.dts - b.dts);
  return { tracks: source.tracks, samples, segmentFiles, concatenated, playlist };
}

function timescaleOf(tracks: readonly Track[], s: Sample): number {
  return tracks.find((t) => t.id === s.trackId)!.timescale;
}

/** Input times on the 90 kHz clock. */
function expected(m: Muxed, kind: 'video' | 'audio'): { pts: number[]; dts: number[] } {
  const track = m.tracks.find((t) => t.kind === kind)!;
  const list = m.samples.get(track.id) ?? [];
  return { pts: list.map((s) => to90kHz(s.pts, track.timescale)), dts: list.map((s) => to90kHz(s.dts, track.timescale)) };
}

const FIXTURES = [
  { file: 'h264-aac.flv', video: { codec_name: 'h264', profile: 'High', width: 320, height: 240 }, audio: { codec_name: 'aac', profile: 'LC', sample_rate: '44100', channels: 2 } },
  { file: 'hevc-aac-ertmp.flv', video: { codec_name: 'hevc', profile: 'Main', width: 320, height: 240 }, audio: { codec_name: 'aac', profile: 'LC', sample_rate: '44100', channels: 2 } },
  { file: 'h264-he-aac.flv', video: { codec_name: 'h264', profile: 'Constrained Baseline', width: 256, height: 144 }, audio: { codec_name: 'aac', profile: 'HE-AAC', sample_rate: '44100', channels: 2 } },
  { file: 'h264-1366x768-aac.flv', video: { codec_name: 'h264', profile: 'High', width: 1366, height: 768 }, audio: { codec_name: 'aac', profile: 'LC', sample_rate: '48000', channels: 1 } },
  { file: 'h264-only.flv', video: { codec_name: 'h264', profile: 'Main', width: 320, height: 180 }, audio: undefined },
  { file: 'aac-only.flv', video: undefined, audio: { codec_name: 'aac', profile: 'LC', sample_rate: '48000', channels: 2 } },
] as const;

describe.skipIf(skip).each(FIXTURES)('TS segments of $file read by FFmpeg', (fixture) => {
  let muxed: Muxed;
  let probed: Probe;

  it('ffprobe finds each stream with its codec parameters, on the 90 kHz time base', async () => {
    muxed = muxFixture(fixture.file);
    expect(muxed.segmentFiles.length).toBeGreaterThan(1);
    probed = await probe(muxed.concatenated);
    const want = [fixture.video, fixture.audio].filter((s) => s !== undefined);
    expect(probed.streams).toHaveLength(want.length);
    for (const [i, stream] of want.entries()) expect(probed.streams[i]).toMatchObject({ ...stream, time_base: '1/90000' });
  });

  it.runIf(fixture.video !== undefined)('video: every frame, with the input\'s PTS and DTS on the 90 kHz clock, continuous across segments', () => {
    const want = expected(muxed, 'video');
    expect(probed.video).toHaveLength(want.pts.length);
    expect(probed.video.map((p) => p.pts)).toEqual(want.pts);
    expect(probed.video.map((p) => p.dts)).toEqual(want.dts);
    expect(probed.video.filter((p) => p.pts < p.dts)).toEqual([]);
    const keyframes = muxed.samples.get(muxed.tracks.find((t) => t.kind === 'video')!.id)!.filter((s) => s.keyframe).length;
    expect(probed.video.filter((p) => p.flags.startsWith('K'))).toHaveLength(keyframes);
  });

  it.runIf(fixture.audio !== undefined)('audio: every frame, each within the parser\'s interpolation of the input\'s time, continuous across segments', () => {
    const want = expected(muxed, 'audio');
    expect(probed.audio).toHaveLength(want.pts.length);
    const off = probed.audio.map((p, i) => p.pts - want.pts[i]!);
    expect(off.filter((d) => Math.abs(d) > AUDIO_INTERPOLATION_TICKS)).toEqual([]);
    // Exact at least at every PES start: one frame in 5 or better.
    expect(off.filter((d) => d === 0).length).toBeGreaterThanOrEqual(Math.floor(want.pts.length / 5));
    expect(off[0]).toBe(0);
  });

  it.runIf(fixture.video !== undefined && fixture.audio !== undefined)('A/V start offset: first video PTS − first audio PTS equals the input\'s', () => {
    const firstPts = (packets: ProbedPacket[]): number => Math.min(...packets.map((p) => p.pts));
    const inVideo = Math.min(...expected(muxed, 'video').pts);
    const inAudio = Math.min(...expected(muxed, 'audio').pts);
    expect(firstPts(probed.video) - firstPts(probed.audio)).toBe(inVideo - inAudio);
  });

  it('ffmpeg -xerror decodes the concatenated segments with no error line', async () => {
    const result = await decodeAll(muxed.concatenated);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it.runIf(fixture.file === 'h264-aac.flv' || fixture.file === 'hevc-aac-ertmp.flv')(
    'every segment file decodes on its own (PAT, PMT and the parameter sets before its IDR are in it)',
    async () => {
      const results = await mapLimit(muxed.segmentFiles, 4, (f) => decodeAll(f));
      for (const r of results) expect(r).toMatchObject({ code: 0, stderr: '' });
    },
  );

  it('ffprobe reads the segments through an HLS playlist: the same frame counts', async () => {
    const viaHls = await probe(muxed.playlist);
    expect(viaHls.video).toHaveLength(probed.video.length);
    expect(viaHls.audio).toHaveLength(probed.audio.length);
  });
});

describe.skipIf(skip)('TS segments of the live segmenter\'s samples (composition delay shifted out: B-frames with pts < dts)', () => {
  it('ffprobe: every PTS as given, every DTS the decode delay earlier and never after its PTS; ffmpeg -xerror decodes it', async () => {
    const muxed = muxFixture('h264-aac.flv', true);
    const probed = await probe(muxed.concatenated);
    const want = expected(muxed, 'video');
    expect(want.pts.some((pts, i) => pts < want.dts[i]!)).toBe(true);
    const delay = Math.max(...want.dts.map((dts, i) => dts - want.pts[i]!));
    expect(probed.video.map((p) => p.pts)).toEqual(want.pts);
    expect(probed.video.map((p) => p.dts)).toEqual(want.dts.map((d) => d - delay));
    expect(probed.video.filter((p) => p.pts < p.dts)).toEqual([]);
    expect(probed.audio[0]!.pts).toBe(expected(muxed, 'audio').pts[0]);
    expect(await decodeAll(muxed.concatenated)).toMatchObject({ code: 0, stderr: '' });
  });
});
