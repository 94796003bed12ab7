import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Track } from '../../src/media/index.js';
import { ffmpegPath, ffprobePath, fixturePath } from '../helpers/ffmpeg.js';
import {
  decodeAll,
  loadSource,
  mapLimit,
  msToTimeString,
  PACKAGING_FIXTURES,
  probe,
  readRendition,
  runPackageCli,
  segmentUris,
  type PackagingFixture,
  type ParsedRendition,
  type Probe,
  type SourceFrame,
  type SourceMedia,
} from '../helpers/packaging.js';
import type { ToolResult } from '../helpers/process.js';

/**
 * `tidecast package` on every media fixture (fixtures/README.md), checked by tools tidecast did
 * not write: ffprobe and ffmpeg read the output through the multivariant playlist, mp4box.js
 * reads each init and media segment. Expectations come from the source FLV — its tag times, which
 * ffprobe confirms where it can read the file, and the samples FlvToMedia makes of it.
 *
 * All fixtures are packaged and probed up front, two at a time (the cost is the child processes);
 * the tests then only compare.
 */

const tools = (await ffmpegPath()) !== undefined && (await ffprobePath()) !== undefined;
/** CLI runs and probes two at a time: the suite's budget is about 60 s on two cores. */
const PARALLEL_RUNS = 2;
/** The audio timing tolerance of the brief: FLV stamps are whole ms, the output counts samples. */
const AUDIO_TOLERANCE_SECONDS = 0.001;

interface FixtureRun {
  readonly outdir: string;
  readonly cli: ToolResult;
  /** Every file written, relative to the output folder, sorted. */
  readonly files: string[];
  readonly multivariant: string;
  readonly source: SourceMedia;
  readonly sourceProbe: Probe | undefined;
  readonly outputProbe: Probe;
  readonly decode: ToolResult;
  readonly renditions: Map<'video' | 'audio', ParsedRendition>;
}

let workdir = '';
const runs = new Map<string, FixtureRun>();

async function runFixture(fixture: PackagingFixture): Promise<FixtureRun> {
  const outdir = join(workdir, fixture.file.replace(/\.flv$/, ''));
  const input = fixturePath(`media/${fixture.file}`);
  const cli = await runPackageCli([input, outdir]);
  const index = join(outdir, 'index.m3u8');
  const [sourceProbe, outputProbe, decode] = await Promise.all([fixture.ffprobeReadsSource ? probe(input) : undefined, probe(index), decodeAll(index)]);
  const renditions = new Map<'video' | 'audio', ParsedRendition>();
  if (fixture.video) renditions.set('video', await readRendition(outdir, 'video'));
  if (fixture.audio) renditions.set('audio', await readRendition(outdir, 'audio'));
  const files = (await readdir(outdir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => relative(outdir, join(e.parentPath, e.name)))
    .sort();
  return { outdir, cli, files, multivariant: await readFile(index, 'utf8'), source: loadSource(fixture.file), sourceProbe, outputProbe, decode, renditions };
}

beforeAll(async () => {
  if (!tools) return;
  workdir = await mkdtemp(join(tmpdir(), 'tidecast-package-'));
  await mapLimit(PACKAGING_FIXTURES, PARALLEL_RUNS, async (f) => runs.set(f.file, await runFixture(f)));
}, 120_000);

afterAll(async () => {
  if (workdir !== '') await rm(workdir, { recursive: true, force: true });
});

/** The first few entries where `actual` and `expected` differ, as readable lines ([] when equal). */
function mismatches(actual: readonly string[], expected: readonly string[]): string[] {
  const out: string[] = [];
  if (actual.length !== expected.length) out.push(`length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < Math.max(actual.length, expected.length) && out.length < 5; i++) {
    if (actual[i] !== expected[i]) out.push(`#${i}: ${actual[i] ?? '-'}, expected ${expected[i] ?? '-'}`);
  }
  return out;
}

function trackOf(run: FixtureRun, kind: 'video' | 'audio'): Track {
  const track = run.source.tracks.find((t) => t.kind === kind);
  if (track === undefined) throw new Error(`the source has no ${kind} track`);
  return track;
}

/**
 * Defects found by these tests in code outside the packaging tests' reach, each reported with its
 * input. The frame-count test of that fixture runs with it.fails: it turns red once the defect is
 * fixed, and then this entry goes.
 */
const KNOWN_DEFECTS: Readonly<Record<string, string>> = {
};

const frameTimes = (f: SourceFrame): string => `${msToTimeString(f.dtsMs)}/${msToTimeString(f.ptsMs)}/${f.keyframe ? 'K' : '_'}`;

describe.skipIf(!tools)('tidecast package on the media fixtures', () => {
  describe.each(PACKAGING_FIXTURES)('$file', (fixture) => {
    const run = (): FixtureRun => runs.get(fixture.file)!;
    const kinds = (['video', 'audio'] as const).filter((k) => fixture[k]);

    it('exits 0 and lays out index.m3u8 and, per track, index.m3u8, init.mp4 and 0.m4s, 1.m4s, …', () => {
      const r = run();
      expect(r.cli, r.cli.stderr).toMatchObject({ code: 0, stderr: '' });
      const expected = ['index.m3u8'];
      for (const kind of kinds) {
        const uris = segmentUris(r.renditions.get(kind)!.playlist);
        expect(uris).toEqual(uris.map((_, i) => `${i}.m4s`));
        expect(uris.length).toBeGreaterThan(1);
        expected.push(`${kind}/index.m3u8`, `${kind}/init.mp4`, ...uris.map((u) => `${kind}/${u}`));
      }
      expect(r.files).toEqual(expected.sort());
    });

    it('lists one variant with the codecs of the tracks present, audio as a rendition group only beside video', () => {
      const r = run();
      const codecs = r.source.tracks.map((t) => t.codecString).join(',');
      const variant = /#EXT-X-STREAM-INF:(.*)\n(.*)\n/.exec(r.multivariant);
      expect(variant?.[1]).toContain(`CODECS="${codecs}"`);
      expect(variant?.[2]).toBe(fixture.video ? 'video/index.m3u8' : 'audio/index.m3u8');
      expect(r.multivariant.match(/#EXT-X-STREAM-INF/g)).toHaveLength(1);
      if (fixture.video && fixture.audio) {
        expect(r.multivariant).toMatch(/#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",.*URI="audio\/index\.m3u8"/);
        expect(variant?.[1]).toContain('AUDIO="audio"');
      } else {
        expect(r.multivariant).not.toContain('#EXT-X-MEDIA');
        expect(variant?.[1]).not.toContain('AUDIO=');
      }
      if (fixture.video) expect(variant?.[1]).toContain(`RESOLUTION=${(trackOf(r, 'video') as { width: number }).width}x`);
      else expect(variant?.[1]).not.toContain('RESOLUTION=');
    });

    it.runIf(fixture.ffprobeReadsSource)('reads the source alike in ffprobe and in the FLV tags (the oracle below)', () => {
      const r = run();
      const src = r.sourceProbe!;
      expect(mismatches(src.video.map((p) => `${p.dts_time}/${p.pts_time}/${p.flags[0] === 'K' ? 'K' : '_'}`), r.source.video.map(frameTimes))).toEqual([]);
      expect(mismatches(src.audio.map((p) => p.pts_time), r.source.audio.map((f) => msToTimeString(f.ptsMs)))).toEqual([]);
    });

    it.runIf(fixture.video)('gives every video packet the pts and dts of the source, to the microsecond (ffprobe via index.m3u8)', () => {
      const r = run();
      const out = r.outputProbe.video.map((p) => `${p.dts_time}/${p.pts_time}/${p.flags[0] === 'K' ? 'K' : '_'}`);
      const expected = r.sourceProbe?.video.map((p) => `${p.dts_time}/${p.pts_time}/${p.flags[0] === 'K' ? 'K' : '_'}`) ?? r.source.video.map(frameTimes);
      expect(mismatches(out, expected)).toEqual([]);
      const track = trackOf(r, 'video') as Track & { width: number; height: number };
      expect(r.outputProbe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ time_base: '1/90000', width: track.width, height: track.height });
    });

    const defect = KNOWN_DEFECTS[fixture.file];
    (defect === undefined ? it : it.fails)(`keeps every frame of the source${defect === undefined ? '' : ` (known defect: ${defect})`}`, () => {
      const r = run();
      expect(r.outputProbe.video).toHaveLength(r.source.video.length);
      expect(r.outputProbe.audio).toHaveLength(r.source.audio.length);
      for (const kind of kinds) {
        const count = sum(r.renditions.get(kind)!.segments.map((s) => s.samples.length));
        expect(count, kind).toBe(r.source.samples.get(trackOf(r, kind).id)!.length);
      }
    });

    it.runIf(fixture.audio)('puts each audio frame within 1 ms of the source and none before the previous one ended', () => {
      const r = run();
      const out = r.outputProbe.audio;
      const track = trackOf(r, 'audio') as Track & { sampleRate: number; samplesPerFrame: number };
      // Frames the packager did not keep are counted above; compare the ones it did, at the end.
      const source = r.source.audio.slice(r.source.audio.length - out.length);
      const late = out.flatMap((p, i) => {
        const drift = Math.abs(Number(p.pts_time) - source[i]!.ptsMs / 1000);
        return drift > AUDIO_TOLERANCE_SECONDS + 1e-9 ? [`#${i}: ${p.pts_time} vs ${msToTimeString(source[i]!.ptsMs)}`] : [];
      });
      expect(late.slice(0, 5)).toEqual([]);
      // ffmpeg 5.1's mp4 demuxer states no duration for a first packet at decode time 0 (its own
      // fragmented mp4 output reads the same); mp4box.js checks that one below.
      const durations = out.map((p, i) => p.duration ?? (i === 0 && p.dts === 0 ? track.samplesPerFrame : undefined));
      expect(new Set(durations)).toEqual(new Set([track.samplesPerFrame]));
      // Integer ticks of one time base (1/sample rate): no rounding to allow for.
      const overlaps = out.slice(1).flatMap((p, i) => (p.pts < out[i]!.pts + durations[i]! ? [`#${i + 1}: ${p.pts} < ${out[i]!.pts} + ${durations[i]}`] : []));
      expect(overlaps.slice(0, 5)).toEqual([]);
      const stream = r.outputProbe.streams.find((s) => s.codec_type === 'audio');
      expect(stream).toMatchObject({ time_base: `1/${track.sampleRate}`, sample_rate: String(track.sampleRate) });
      const sourceStream = r.sourceProbe?.streams.find((s) => s.codec_type === 'audio');
      if (sourceStream !== undefined) expect(stream).toMatchObject({ profile: sourceStream.profile, sample_rate: sourceStream.sample_rate, channels: sourceStream.channels });
    });

    it('decodes completely with ffmpeg -xerror through index.m3u8, without a message', () => {
      const r = run();
      expect(r.decode).toMatchObject({ code: 0, stderr: '', timedOut: false });
    });

    it.each(kinds)('%s: mp4box.js reads each segment with the track, samples, flags and contiguous tfdt of the input', (kind) => {
      const r = run();
      const track = trackOf(r, kind);
      const rendition = r.renditions.get(kind)!;
      const all = r.source.samples.get(track.id)!;
      // As above: frames not kept are counted by the frame-count test; these are the ones kept.
      const expected = all.slice(all.length - sum(rendition.segments.map((s) => s.samples.length)));
      for (const s of rendition.segments) {
        expect(s.tracks.map((t) => ({ id: t.id, timescale: t.timescale, codec: t.codec })), s.uri).toEqual([{ id: track.id, timescale: track.timescale, codec: track.codecString }]);
        expect(s.fragments.map((f) => f.trackId), s.uri).toEqual([track.id]);
        expect(s.samples.length, s.uri).toBeGreaterThan(0);
        expect(s.samples[0]!.isSync, `${s.uri} starts with a sync sample`).toBe(true);
      }
      const samples = rendition.segments.flatMap((s) => s.samples);
      const actualRows = samples.map((x) => `${x.dts}/${x.cts}/${x.duration}/${x.isSync ? 'K' : '_'}/${x.size}`);
      const expectedRows = expected.map((x) => `${x.dts}/${x.pts}/${x.duration}/${x.keyframe ? 'K' : '_'}/${x.data.length}`);
      expect(mismatches(actualRows, expectedRows)).toEqual([]);
      expect(samples.filter((s) => s.isSync).length).toBe(expected.filter((s) => s.keyframe).length);
      expect(sum(samples.map((s) => s.duration))).toBe(sum(expected.map((s) => s.duration)));
      expect(samples.findIndex((s, i) => Buffer.compare(s.data, expected[i]!.data) !== 0)).toBe(-1);
      expectContiguous(rendition);
    });

    it.runIf(fixture.file === 'h264-he-aac.flv')('carries HE-AAC: mp4a.40.5, 44.1 kHz output, 2048 samples per frame, decoded as HE-AAC by ffmpeg', () => {
      const r = run();
      const track = trackOf(r, 'audio');
      expect(track).toMatchObject({ codecString: 'mp4a.40.5', sampleRate: 44_100, samplesPerFrame: 2048, timescale: 44_100 });
      expect(r.outputProbe.streams.find((s) => s.codec_type === 'audio')).toMatchObject({ profile: 'HE-AAC', sample_rate: '44100' });
      expect(r.renditions.get('audio')!.segments[0]!.tracks[0]).toMatchObject({ codec: 'mp4a.40.5', sampleRate: 44_100 });
    });
  });
});

/** tfdt of segment n + 1 = tfdt of segment n + its durations (ISO/IEC 14496-12 8.8.12), mfhd rising. */
function expectContiguous(rendition: ParsedRendition): void {
  const segments = rendition.segments;
  const gaps = segments.slice(1).flatMap((s, i) => {
    const previous = segments[i]!;
    const end = previous.fragments[0]!.baseMediaDecodeTime + sum(previous.samples.map((x) => x.duration));
    return s.fragments[0]!.baseMediaDecodeTime === end ? [] : [`${s.uri}: tfdt ${s.fragments[0]!.baseMediaDecodeTime}, ${previous.uri} ends at ${end}`];
  });
  expect(gaps).toEqual([]);
  for (const s of segments) expect(s.fragments[0]!.baseMediaDecodeTime, s.uri).toBe(s.samples[0]!.dts);
  const sequence = segments.map((s) => s.fragments[0]!.sequenceNumber);
  expect(sequence.every((n, i) => i === 0 || n > sequence[i - 1]!)).toBe(true);
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

