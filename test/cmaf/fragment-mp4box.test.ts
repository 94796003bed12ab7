import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fragment, initSegment, writeFragment } from '../../src/cmaf/index.js';
import type { Sample, Track } from '../../src/media/index.js';
import { concatBytes, hevcFixture, loadFixtureMedia, parseMp4, type ParsedMp4 } from '../helpers/mp4box.js';

/**
 * CMAF output read back by mp4box.js: every sample's decode time, composition time, duration,
 * size, sync flag and bytes must be what went in, for real H.264 (B-frames), HEVC and AAC, and for
 * random sample lists.
 */

/** Init segment followed by one fragment per group, each starting where the previous ended. */
function pack(track: Track, groups: readonly (readonly Sample[])[]): Uint8Array {
  const parts = [initSegment([track])];
  groups.forEach((samples, i) => {
    parts.push(writeFragment(fragment({ sequenceNumber: i + 1, track, samples, baseMediaDecodeTime: samples[0]!.dts, styp: true })));
  });
  return concatBytes(parts);
}

/** Splits before every sample for which `cut` is true (never before the first). */
function splitBefore(samples: readonly Sample[], cut: (s: Sample, i: number) => boolean): Sample[][] {
  const groups: Sample[][] = [];
  samples.forEach((s, i) => {
    if (i === 0 || cut(s, i)) groups.push([]);
    groups[groups.length - 1]!.push(s);
  });
  return groups;
}

function expectSamples(parsed: ParsedMp4, track: Track, samples: readonly Sample[]): void {
  const got = parsed.samples.get(track.id) ?? [];
  expect(got).toHaveLength(samples.length);
  samples.forEach((s, i) => {
    const p = got[i]!;
    expect({ i, dts: p.dts, cts: p.cts, duration: p.duration, size: p.size, isSync: p.isSync }).toEqual({
      i,
      dts: s.dts,
      cts: s.pts,
      duration: s.duration,
      size: s.data.byteLength,
      isSync: s.keyframe,
    });
    expect(Buffer.from(p.data).equals(Buffer.from(s.data)), `sample ${i} bytes`).toBe(true);
  });
}

const media = loadFixtureMedia();

describe('CMAF fragments read back by mp4box.js', () => {
  it('H.264 with B-frames, one GOP per fragment, pts shifted so offsets are negative and positive', () => {
    const shift = media.videoSamples[0]!.pts - media.videoSamples[0]!.dts;
    const samples = media.videoSamples.map((s) => ({ ...s, pts: s.pts - shift }));
    const offsets = samples.map((s) => s.pts - s.dts);
    expect(Math.min(...offsets)).toBeLessThan(0);
    expect(Math.max(...offsets)).toBeGreaterThan(0);
    const groups = splitBefore(samples, (s) => s.keyframe);
    expect(groups).toHaveLength(5);
    const parsed = parseMp4(pack(media.video, groups));
    expect(parsed.tracks[0]).toMatchObject({ id: 1, codec: media.video.codecString, timescale: 90_000, width: 320, height: 240 });
    expectSamples(parsed, media.video, samples);
    expect(parsed.fragments.map((f) => [f.sequenceNumber, f.trackId, f.baseMediaDecodeTime])).toEqual(
      groups.map((g, i) => [i + 1, 1, g[0]!.dts]),
    );
  });

  it('H.264 as LL-HLS-sized chunks that start on non-sync samples', () => {
    const samples = media.videoSamples.slice(0, 90);
    const parsed = parseMp4(pack(media.video, splitBefore(samples, (_s, i) => i % 7 === 0)));
    expectSamples(parsed, media.video, samples);
  });

  it('AAC, about one second per fragment: durations from sample counts, every frame sync', () => {
    const samples = media.audioSamples;
    const parsed = parseMp4(pack(media.audio, splitBefore(samples, (_s, i) => i % 43 === 0)));
    expect(parsed.tracks[0]).toMatchObject({ id: 2, codec: 'mp4a.40.2', sampleRate: 44_100, channels: 2, timescale: 44_100 });
    expectSamples(parsed, media.audio, samples);
  });

  it('HEVC (real hvcC and frames) with B-frames', () => {
    const { track, samples } = hevcFixture();
    const parsed = parseMp4(pack(track, [samples]));
    expect(parsed.tracks[0]).toMatchObject({ codec: track.codecString, width: 64, height: 48 });
    expectSamples(parsed, track, samples);
  });

  it('the payloads of a fragment are the samples’ own views, not copies', () => {
    const samples = media.videoSamples.slice(0, 60);
    const f = fragment({ sequenceNumber: 1, track: media.video, samples, baseMediaDecodeTime: 0 });
    f.payloads.forEach((p, i) => expect(p).toBe(samples[i]!.data));
    expect(f.byteLength).toBe(f.header.byteLength + samples.reduce((n, s) => n + s.data.byteLength, 0));
  });
});

/** Random runs: durations, sizes, sync flags and signed composition offsets, split into fragments. */
const runArb = fc
  .record({
    base: fc.integer({ min: 0, max: 2 ** 48 }),
    samples: fc.array(
      fc.record({
        duration: fc.oneof(fc.constant(1024), fc.integer({ min: 0, max: 0xffff_ffff })),
        size: fc.integer({ min: 0, max: 48 }),
        keyframe: fc.boolean(),
        offset: fc.oneof(fc.constant(0), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
      }),
      { minLength: 1, maxLength: 40 },
    ),
    cuts: fc.array(fc.integer({ min: 1, max: 39 }), { maxLength: 4 }),
  })
  .map(({ base, samples, cuts }) => {
    let dts = base;
    const list = samples.map((r, i): Sample => {
      const s = { trackId: 1, dts, pts: dts + r.offset, duration: r.duration, keyframe: r.keyframe, data: new Uint8Array(r.size).fill(i & 0xff) };
      dts += r.duration;
      return s;
    });
    return { list, groups: splitBefore(list, (_s, i) => cuts.includes(i)) };
  });

describe('property: mp4box.js reads back what was written', () => {
  const track: Track = { ...media.video };

  it('same durations, sizes, flags and composition offsets; tfdt of each fragment follows the last', () => {
    fc.assert(
      fc.property(runArb, ({ list, groups }) => {
        const parsed = parseMp4(pack(track, groups));
        expectSamples(parsed, track, list);
        const tfdts = parsed.fragments.map((f) => f.baseMediaDecodeTime);
        for (let n = 1; n < groups.length; n++) {
          expect(tfdts[n]).toBe(tfdts[n - 1]! + groups[n - 1]!.reduce((sum, s) => sum + s.duration, 0));
        }
      }),
      { numRuns: 200 },
    );
  });
});
