import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TrackSegmenter, type SegmenterEvent, type SegmenterSegment, type TrackSegmenterOptions } from '../../src/cmaf/segmenter.js';
import { CmafError, ConfigError } from '../../src/errors/index.js';
import type { Sample } from '../../src/media/index.js';
import { fakeAudio, fakeVideo, ntscMsStep } from '../media/fake-samples.js';
import { checkTrack, samplesOf } from '../media/segment-checks.js';

function run(samples: readonly Sample[], options: Partial<TrackSegmenterOptions> = {}, flushDuration?: number) {
  const segmenter = new TrackSegmenter({ trackId: samples[0]!.trackId, timescale: 90_000, ...options });
  const events: SegmenterEvent[] = [];
  for (const sample of samples) events.push(...segmenter.push(sample));
  events.push(...segmenter.flush(flushDuration));
  const segments = checkTrack(events, segmenter.trackId, segmenter.partTargetTicks);
  return { segmenter, events, segments };
}

const durations = (segments: readonly SegmenterSegment[]) => segments.map((s) => s.duration);
const partFrames = (segment: SegmenterSegment) => segment.parts.map((p) => p.samples.length);

describe('TrackSegmenter: video', () => {
  it('30 fps, keyframe every 2 s: 2 s segments of four 0.5 s parts, exactly', () => {
    const { segments } = run(fakeVideo({ gops: [60, 60, 60], frameDuration: 3000 }), { segmentTargetSeconds: 2, partTargetSeconds: 0.5 });
    expect(durations(segments)).toEqual([180_000, 180_000, 180_000]);
    expect(segments.map((s) => s.startDts)).toEqual([0, 180_000, 360_000]);
    expect(segments.map((s) => s.sequence)).toEqual([0, 1, 2]);
    expect(partFrames(segments[0]!)).toEqual([15, 15, 15, 15]);
    expect(segments[0]!.parts.map((p) => p.independent)).toEqual([true, false, false, false]);
  });

  it('29.97 fps (3003 ticks), keyframe every 60 frames: segments of 2.002 s, parts of 14 frames', () => {
    const { segments } = run(fakeVideo({ gops: [60, 60, 60], frameDuration: 3003 }), { partTargetSeconds: 0.5 });
    expect(durations(segments)).toEqual([180_180, 180_180, 180_180]);
    expect(partFrames(segments[1]!)).toEqual([14, 14, 14, 14, 4]);
  });

  it('29.97 fps as whole RTMP milliseconds: irregular 2970/3060 steps, still exact', () => {
    const { segments } = run(fakeVideo({ gops: [60, 60, 60, 60], frameDuration: ntscMsStep }));
    // 2002 ms per GOP; the flushed last frame repeats the step before it (34 ms, not 33).
    expect(durations(segments)).toEqual([180_180, 180_180, 180_180, 180_270]);
    for (const part of segments.flatMap((s) => s.parts)) expect(part.duration).toBeLessThanOrEqual(45_000);
  });

  it('25 fps, 1 s GOPs: two GOPs per 2 s segment', () => {
    const { segments } = run(fakeVideo({ gops: [25, 25, 25, 25, 25, 25], frameDuration: 3600 }), { partTargetSeconds: 0.2 });
    expect(durations(segments)).toEqual([180_000, 180_000, 180_000]);
    expect(partFrames(segments[0]!)).toEqual([5, 5, 5, 5, 5, 5, 5, 5, 5, 5]);
    expect(segments[0]!.parts.map((p) => p.independent)).toEqual([true, false, false, false, false, true, false, false, false, false]);
  });

  it('irregular GOPs: cuts at the first keyframe at or past the target', () => {
    const { segments } = run(fakeVideo({ gops: [30, 90, 10, 10, 200, 45], frameDuration: 3000 }));
    // keyframes at 0, 1, 4, 4.33, 4.67, 11.33 s
    expect(segments.map((s) => s.startDts)).toEqual([0, 360_000, 1_020_000]);
    expect(durations(segments)).toEqual([360_000, 660_000, 135_000]);
  });

  it('drops inter frames before the first keyframe and counts them', () => {
    const { segmenter, segments } = run(fakeVideo({ gops: [60], frameDuration: 3000, leadingInterFrames: 7, startDts: 1000 }));
    expect(segments[0]!.startDts).toBe(1000 + 7 * 3000);
    expect(segmenter.counters).toEqual({ samples: 60, droppedBeforeStart: 7, parts: 4, segments: 1 });
  });

  it('gives a sample longer than the part target a part of its own', () => {
    const { segments } = run(fakeVideo({ gops: [10, 10], frameDuration: 18_000 }), { partTargetSeconds: 0.1 });
    for (const part of segments.flatMap((s) => s.parts)) expect(part.samples).toHaveLength(1);
  });

  it('fills durations from the next dts without writing to the pushed samples (frozen, as the hub shares them)', () => {
    const samples = fakeVideo({ gops: [3], frameDuration: 3000 }).map((s) => Object.freeze({ ...s, duration: 0 }));
    const { segments } = run(samples);
    const out = samplesOf(segments);
    out.forEach((s, i) => expect({ ...s, duration: 0 }).toEqual(samples[i]));
    out.forEach((s, i) => expect(s.data).toBe(samples[i]!.data));
    expect(out.map((s) => s.duration)).toEqual([3000, 3000, 3000]);
    expect(samples.map((s) => s.duration)).toEqual([0, 0, 0]);
  });

  it('shiftCompositionDelay: the first frame presents at its decode time, later offsets keep their spacing (negative where B-frames wait)', () => {
    // I P B B … in decode order with a 2-frame reorder delay, as x264 with B-frames sends it.
    const cto = [6000, 12_000, 0, 3000, 9000, 6000];
    const samples = cto.map((offset, i) => Object.freeze({ trackId: 1, dts: i * 3000, pts: i * 3000 + offset, duration: 0, keyframe: i === 0, data: new Uint8Array(1) }));
    const shifted = samplesOf(run(samples, { shiftCompositionDelay: true }).segments);
    expect(shifted.map((s) => s.pts - s.dts)).toEqual(cto.map((c) => c - 6000));
    expect(shifted[0]!.pts).toBe(shifted[0]!.dts);
    expect(samplesOf(run(samples).segments).map((s) => s.pts - s.dts)).toEqual(cto);
  });

  it('cuts at a keyframe one frame short of the target (OBS: a "2 s" GOP of 1 999 ms), not a GOP later', () => {
    // 30 fps in whole milliseconds, keyframes at 0, 1 999 and 3 999 ms, as OBS 29 sends them.
    const dts = Array.from({ length: 150 }, (_, i) => Math.round((i * 1000) / 30) - (i >= 60 ? 1 : 0));
    const samples = dts.map((ms, i) => ({ trackId: 1, dts: ms * 90, pts: ms * 90, duration: 0, keyframe: i % 60 === 0, data: new Uint8Array(1) }));
    const { segments } = run(samples);
    expect(segments.map((s) => s.duration / 90).slice(0, 2)).toEqual([1999, 2000]);
    expect(segments.map((s) => s.startDts / 90)).toEqual([0, 1999, 3999]);
  });

  it('flushes the last sample with the previous duration, or the given default', () => {
    expect(run(fakeVideo({ gops: [2], frameDuration: 1234 }))!.segments[0]!.duration).toBe(2468);
    expect(run(fakeVideo({ gops: [1], frameDuration: 1234 }), {}, 4000).segments[0]!.duration).toBe(4000);
  });

  it('starts afresh after flush, sequence continuing', () => {
    const segmenter = new TrackSegmenter({ trackId: 1, timescale: 90_000, firstSequence: 41 });
    const first = fakeVideo({ gops: [60], frameDuration: 3000 });
    const second = fakeVideo({ gops: [60], frameDuration: 3000, startDts: 500_000 });
    const events = [...first.flatMap((s) => segmenter.push(s)), ...segmenter.flush(), ...second.flatMap((s) => segmenter.push(s)), ...segmenter.flush()];
    const segments = events.filter((e) => e.type === 'segment');
    expect(segments.map((s) => [s.sequence, s.startDts, s.duration])).toEqual([
      [41, 0, 180_000],
      [42, 500_000, 180_000],
    ]);
  });

  it('rejects samples of another track, decreasing dts and misuse', () => {
    const segmenter = new TrackSegmenter({ trackId: 1, timescale: 90_000 });
    const [a, b] = fakeVideo({ gops: [2], frameDuration: 3000 });
    expect(() => segmenter.push({ ...a!, trackId: 2 })).toThrow(CmafError);
    segmenter.push(b!);
    expect(() => segmenter.push(a!)).toThrow(expect.objectContaining({ code: 'ERR_CMAF_INVALID' }));
    expect(() => segmenter.cutAt(0, 0)).toThrow(CmafError);
    expect(() => segmenter.push({ ...b!, dts: b!.dts + 1, duration: -1 })).toThrow(CmafError);
    expect(() => segmenter.flush(-1)).toThrow(CmafError);
  });

  it.each([
    [{ segmentTargetSeconds: 0 }],
    [{ segmentTargetSeconds: Number.NaN }],
    [{ partTargetSeconds: 3 }],
    [{ firstSequence: -1 }],
  ])('rejects options %j', (bad) => {
    expect(() => new TrackSegmenter({ trackId: 1, timescale: 90_000, ...bad })).toThrow(ConfigError);
  });
});

describe('TrackSegmenter: audio only (every AAC frame a sync sample)', () => {
  it.each([
    [48_000, 94, [23, 23, 23, 23, 2]],
    [44_100, 87, [21, 21, 21, 21, 3]],
  ])('%d Hz: cuts at the first frame past 2 s', (rate, frames, parts) => {
    const { segments } = run(fakeAudio({ trackId: 2, count: frames * 3 }), { timescale: rate });
    expect(durations(segments)).toEqual([frames * 1024, frames * 1024, frames * 1024]);
    expect(partFrames(segments[0]!)).toEqual(parts);
    expect(segments.flatMap((s) => s.parts).every((p) => p.independent)).toBe(true);
  });

  it('flushes the last frame with its own duration and stretches a frame over a gap', () => {
    const samples = fakeAudio({ trackId: 2, count: 4 });
    samples[3]!.dts += 2048; // two frames lost before the last one
    samples[3]!.pts = samples[3]!.dts;
    const { segments } = run(samples, { timescale: 48_000 });
    expect(samplesOf(segments).map((s) => s.duration)).toEqual([1024, 1024, 3072, 1024]);
    expect(segments[0]!.duration).toBe(6144);
  });
});

describe('TrackSegmenter: external cuts', () => {
  it('opens segments at the first sync sample at or after each cut, with the cut sequence', () => {
    const segmenter = new TrackSegmenter({ trackId: 2, timescale: 48_000, cuts: 'external' });
    const samples = fakeAudio({ trackId: 2, count: 200 });
    segmenter.cutAt(5000, 7);
    segmenter.cutAt(100_000, 8);
    segmenter.cutAt(100_001, 9);
    const events = [...samples.flatMap((s) => segmenter.push(s)), ...segmenter.flush()];
    const segments = checkTrack(events, 2, segmenter.partTargetTicks);
    // The samples before the first cut (within one segment target of it) open segment 7 early.
    expect(segments.map((s) => [s.sequence, s.startDts])).toEqual([
      [7, 0],
      [9, 100_352],
    ]);
    expect(segmenter.counters.droppedBeforeStart).toBe(0);
  });
});

describe('TrackSegmenter properties', () => {
  const stepArb = fc.oneof(
    fc.constantFrom(3000, 3003, 3600, 1500, 1501).map((d) => ({ fixed: d })),
    fc.array(fc.integer({ min: 0, max: 9000 }), { minLength: 1, maxLength: 17 }).map((cycle) => ({ cycle })),
  );

  it('cuts only at keyframes, at the first one past the target, and keeps every bound exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 150 }), { minLength: 1, maxLength: 12 }),
        stepArb,
        fc.integer({ min: 100, max: 6000 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.nat(5),
        (gops, step, targetMs, partFraction, leading) => {
          const frameDuration = 'fixed' in step ? step.fixed : (i: number) => step.cycle[i % step.cycle.length]!;
          const samples = fakeVideo({ gops, frameDuration, leadingInterFrames: leading });
          const segmentTargetSeconds = targetMs / 1000;
          const { segments, segmenter } = run(samples, { segmentTargetSeconds, partTargetSeconds: Math.max(0.001, segmentTargetSeconds * partFraction) }, 3000);
          const kept = samples.slice(leading);
          const out = samplesOf(segments);
          expect(out.length).toBe(kept.length);
          expect(out.every((s, i) => s.data === kept[i]!.data && s.dts === kept[i]!.dts && s.keyframe === kept[i]!.keyframe)).toBe(true);
          // The cut rule: a keyframe closes the segment once the segment, with one more frame (the
          // one before the keyframe, at most a tenth of the target), reaches the target.
          const target = segmenter.segmentTargetTicks;
          const reached = (segmentSamples: readonly Sample[], k: number): boolean => {
            const before = segmentSamples[k - 1]!;
            const slack = before.keyframe ? 0 : Math.min(before.duration, Math.floor(target / 10));
            return segmentSamples[k]!.dts - segmentSamples[0]!.dts + slack >= target;
          };
          segments.forEach((segment, i) => {
            const inside = samplesOf([segment]);
            // No keyframe inside a segment had reached the target: the cut is at the first that did.
            const late = inside.map((s, k) => (k > 0 && s.keyframe && reached(inside, k) ? k : -1)).filter((k) => k >= 0);
            expect(late).toEqual([]);
            if (i < segments.length - 1) expect(segment.duration).toBeGreaterThanOrEqual(target - Math.floor(target / 10));
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
