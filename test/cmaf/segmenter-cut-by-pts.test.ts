import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PresentationSegmenter, TrackSegmenter, type PresentationSegmenterOptions, type SegmenterEvent, type SegmenterSegment } from '../../src/cmaf/segmenter.js';
import { CmafError } from '../../src/errors/index.js';
import { secondsToTicks, type Sample } from '../../src/media/index.js';
import { fakeAudio, interleave } from '../media/fake-samples.js';
import { checkTrack, samplesOf } from '../media/segment-checks.js';

/**
 * `cutBy: 'pts'`: a video track following a video leader (a ladder rung following the copy rung)
 * opens segment n at its first sync sample whose presentation time is at or after the leader's
 * segment-start pts. The leader here is a B-frame source (decode order I P B B …, composition
 * delay 2 frames, so dts ≠ pts); the follower is a zerolatency rung of the same pictures, no
 * B-frames, with dts = pts − S (S the leader's first keyframe's pts − dts, LadderOutput's shift).
 * Every follower segment must start at the same picture as the leader's, with a sync sample.
 */

const FRAME = 3000; // 30 fps at 90 kHz
const LEADER = { id: 1, kind: 'video', timescale: 90_000 } as const;
const RUNG = { id: 10, kind: 'video', timescale: 90_000 } as const;
const PAYLOAD = new Uint8Array([0]);

interface Gop {
  /** Pictures in the GOP (the first is the keyframe). */
  readonly length: number;
  /** B-frames between reference frames (0: I P P P …). */
  readonly bFrames: number;
  /** The GOP's composition delay in frames (its keyframe's pts − dts); default the stream's. */
  readonly delayFrames?: number;
}

/**
 * The leader's samples in decode order. Display index k presents at `startPts + k × FRAME`; decode
 * index j decodes at `startPts − delay + j × FRAME`, `delay` being the GOP's. Within a GOP the
 * references (every bFrames+1-th picture, and the last) decode before the B-frames that present
 * between them; GOPs are closed, so each keyframe decodes at its own display index and its
 * pts − dts is the GOP's delay. A delay that shrinks from one GOP to the next makes dts jump
 * forward; it never grows (dts would go back).
 */
function bFrameVideo(gops: readonly Gop[], startPts: number, delay = 2 * FRAME, trackId = LEADER.id): Sample[] {
  const samples: Sample[] = [];
  let first = 0;
  for (const { length, bFrames, delayFrames } of gops) {
    const gopDelay = delayFrames === undefined ? delay : delayFrames * FRAME;
    const order = [0];
    for (let previous = 0; previous < length - 1; ) {
      const reference = Math.min(previous + bFrames + 1, length - 1);
      order.push(reference);
      for (let b = previous + 1; b < reference; b++) order.push(b);
      previous = reference;
    }
    for (const k of order) {
      const j = samples.length;
      samples.push({ trackId, dts: startPts - gopDelay + j * FRAME, pts: startPts + (first + k) * FRAME, duration: 0, keyframe: k === 0, data: PAYLOAD });
    }
    first += length;
  }
  return samples;
}

/**
 * The rung's samples: the leader's pictures in presentation order, dts = pts − shift, a keyframe
 * where the leader has one; with a frame-rate divisor only every n-th picture and every keyframe
 * (ffmpeg's select filter in ffmpeg-args.ts).
 */
function rungOf(leader: readonly Sample[], shift: number, divisor = 1, trackId = RUNG.id): Sample[] {
  const pictures = [...leader].sort((a, b) => a.pts - b.pts);
  return pictures
    .filter((s, n) => s.keyframe || n % divisor === 0)
    .map((s) => ({ trackId, dts: s.pts - shift, pts: s.pts, duration: 0, keyframe: s.keyframe, data: PAYLOAD }));
}

function run(arrivals: readonly Sample[], options: PresentationSegmenterOptions) {
  const segmenter = new PresentationSegmenter(options);
  const events: SegmenterEvent[] = [];
  for (const sample of arrivals) events.push(...segmenter.push(sample));
  events.push(...segmenter.flush(FRAME));
  const byTrack = new Map(options.tracks.map((t) => [t.id, checkTrack(events, t.id, secondsToTicks(options.partTargetSeconds ?? 0.5, t.timescale, 'floor'))]));
  return { segmenter, byTrack };
}

const firstSample = (segment: SegmenterSegment): Sample => segment.parts[0]!.samples[0]!;

/**
 * Every follower segment has a leader segment of the same sequence and starts with a sync sample
 * at the same picture: their first samples have the same pts (each shifted by its own track's
 * composition delay when shiftCompositionDelay is on, so `leaderShift` and `followerShift` are
 * added back).
 */
function expectSamePictures(leader: readonly SegmenterSegment[], follower: readonly SegmenterSegment[], leaderShift = 0, followerShift = 0): void {
  for (const segment of follower) {
    const lead = leader.find((l) => l.sequence === segment.sequence);
    if (lead === undefined) throw new Error(`follower segment ${segment.sequence} has no leader segment`);
    const f = firstSample(segment);
    if (!f.keyframe) throw new Error(`follower segment ${segment.sequence} does not start with a sync sample`);
    if (f.pts + followerShift !== firstSample(lead).pts + leaderShift) {
      throw new Error(`segment ${segment.sequence}: follower starts at pts ${f.pts + followerShift}, leader at ${firstSample(lead).pts + leaderShift}`);
    }
  }
}

describe('cutBy pts: a B-frame leader and a zerolatency rung', () => {
  const gops: Gop[] = [
    { length: 60, bFrames: 2 },
    { length: 60, bFrames: 2 },
    { length: 45, bFrames: 1 },
    { length: 75, bFrames: 3 },
    { length: 60, bFrames: 2 },
  ];
  const leader = bFrameVideo(gops, 6000);
  const S = leader[0]!.pts - leader[0]!.dts;
  const rung = rungOf(leader, S);

  it('the fixture is what it says: dts ≠ pts in the leader, a 2-frame delay, the rung in presentation order', () => {
    expect(S).toBe(2 * FRAME);
    expect(leader.slice(0, 4).map((s) => [s.dts, s.pts])).toEqual([
      [0, 6000],
      [3000, 15_000],
      [6000, 9000],
      [9000, 12_000],
    ]);
    expect(leader.every((s, i) => i === 0 || s.dts > leader[i - 1]!.dts)).toBe(true);
    expect(leader.every((s) => s.pts >= s.dts)).toBe(true);
    expect(rung.slice(0, 3).map((s) => [s.dts, s.pts])).toEqual([
      [0, 6000],
      [3000, 9000],
      [6000, 12_000],
    ]);
  });

  it.each([
    ['rung 100 ms behind', 0.1],
    ['rung 400 ms behind (an encoder’s latency)', 0.4],
    ['rung 200 ms ahead (held until the leader passes)', -0.2],
  ])('every rung segment starts at the leader segment’s picture, with a keyframe (%s)', (_, skew) => {
    const arrivals = interleave([
      { samples: leader, timescale: 90_000 },
      { samples: rung, timescale: 90_000, skewSeconds: skew },
    ]);
    const { byTrack, segmenter } = run(arrivals, { tracks: [LEADER, RUNG] });
    const lead = byTrack.get(1)!;
    const follow = byTrack.get(10)!;
    // The 1.5 s GOP (keyframe at 501 000) is inside segment 2, which is cut at the next keyframe.
    expect(lead.map((s) => firstSample(s).pts)).toEqual([6000, 186_000, 366_000, 726_000]);
    expect(follow.map((s) => s.sequence)).toEqual(lead.map((s) => s.sequence));
    expectSamePictures(lead, follow);
    // dts = pts − S puts each rung keyframe at the leader keyframe's decode time too.
    expect(follow.map((s) => s.startDts)).toEqual(lead.map((s) => s.startDts));
    expect(samplesOf(follow)).toHaveLength(rung.length);
    expect(segmenter.counters(10).droppedBeforeStart).toBe(0);
  });

  it('with shiftCompositionDelay (as the live packager runs it): the same pictures, and both tracks list the same times', () => {
    const arrivals = interleave([
      { samples: leader, timescale: 90_000 },
      { samples: rung, timescale: 90_000, skewSeconds: 0.2 },
    ]);
    const { byTrack } = run(arrivals, { tracks: [LEADER, RUNG], shiftCompositionDelay: true });
    const lead = byTrack.get(1)!;
    const follow = byTrack.get(10)!;
    expectSamePictures(lead, follow, S, S);
    expect(follow.map((s) => [s.sequence, s.startDts, s.duration])).toEqual(lead.map((s) => [s.sequence, s.startDts, s.duration]));
  });

  it('a rung at half the frame rate (every other picture and every keyframe) still starts each segment at the leader’s picture', () => {
    const half = rungOf(leader, S, 2);
    const { byTrack } = run(interleave([{ samples: leader, timescale: 90_000 }, { samples: half, timescale: 90_000, skewSeconds: 0.3 }]), { tracks: [LEADER, RUNG] });
    expectSamePictures(byTrack.get(1)!, byTrack.get(10)!);
    expect(byTrack.get(10)!).toHaveLength(byTrack.get(1)!.length);
  });

  it('a rung that starts at the leader’s second keyframe (ffmpeg started late) joins there, under that segment’s sequence', () => {
    const late = rung.filter((s) => s.pts >= 186_000);
    const { byTrack } = run(interleave([{ samples: leader, timescale: 90_000 }, { samples: late, timescale: 90_000, skewSeconds: 0.3 }]), { tracks: [LEADER, RUNG] });
    expect(byTrack.get(10)!.map((s) => s.sequence)).toEqual([1, 2, 3]);
    expectSamePictures(byTrack.get(1)!, byTrack.get(10)!);
  });

  it('where a leader keyframe decodes later than S before it presents, pts still finds the picture (dts would miss it)', () => {
    // GOP 1 with a 2-frame delay, GOP 2 with 1 frame: the leader's dts jumps by 2 frames at the
    // second keyframe (dts 177 000 → 183 000), so that keyframe decodes 1 frame before it presents,
    // while the rung, shifted by the first keyframe's 2 frames, decodes the same picture at 180 000.
    const first = bFrameVideo([{ length: 60, bFrames: 2 }], 6000);
    const second = bFrameVideo([{ length: 60, bFrames: 0 }], 186_000, FRAME);
    const jumped = [...first, ...second];
    const rungFrames = rungOf(jumped, 2 * FRAME);
    const keyframe2 = second[0]!;
    expect([keyframe2.dts, keyframe2.pts]).toEqual([183_000, 186_000]);
    expect(rungFrames.find((s) => s.pts === 186_000)!.dts).toBe(180_000);

    const { byTrack } = run(interleave([{ samples: jumped, timescale: 90_000 }, { samples: rungFrames, timescale: 90_000, skewSeconds: 0.1 }]), { tracks: [LEADER, RUNG] });
    expect(byTrack.get(10)!.map((s) => firstSample(s).pts)).toEqual([6000, 186_000]);
    expectSamePictures(byTrack.get(1)!, byTrack.get(10)!);

    // The same cut by dts: the rung's keyframe (dts 180 000) is before the cut (183 000), so the
    // rung would run on in segment 0 past the picture where every other rendition switches.
    const byDts = new TrackSegmenter({ trackId: RUNG.id, timescale: 90_000, cuts: 'external', cutBy: 'dts' });
    byDts.cutAt(0, 0, 6000);
    byDts.cutAt(183_000, 1, 186_000);
    const events = [...rungFrames.flatMap((s) => byDts.push(s)), ...byDts.flush(FRAME)];
    expect(events.filter((e): e is SegmenterSegment => e.type === 'segment').map((s) => s.sequence)).toEqual([0]);
  });
});

describe('cutBy pts: random GOP patterns (fast-check)', () => {
  const gop = fc.record({ length: fc.integer({ min: 1, max: 90 }), bFrames: fc.integer({ min: 0, max: 3 }), delayFrames: fc.integer({ min: 1, max: 3 }) });

  /** Runs leader and rung; checks the rung's segments against the leader's. */
  function check(gops: readonly Gop[], divisor: number, skew: number, targetSeconds: number, shiftDelay: boolean): void {
    const leader = bFrameVideo(gops, 90_000);
    const S = leader[0]!.pts - leader[0]!.dts;
    const rung = rungOf(leader, S, divisor);
    const arrivals = interleave([
      { samples: leader, timescale: 90_000 },
      { samples: rung, timescale: 90_000, skewSeconds: skew },
    ]);
    const { byTrack, segmenter } = run(arrivals, { tracks: [LEADER, RUNG], segmentTargetSeconds: targetSeconds, partTargetSeconds: 0.25, shiftCompositionDelay: shiftDelay });
    const lead = byTrack.get(1)!;
    const follow = byTrack.get(10)!;
    const shift = shiftDelay ? S : 0;
    expectSamePictures(lead, follow, shift, shift);
    // The rung has a keyframe at every leader keyframe, so it cuts wherever the leader does.
    expect(follow.map((s) => s.sequence)).toEqual(lead.map((s) => s.sequence));
    expect(segmenter.counters(10).droppedBeforeStart).toBe(0);
    expect(samplesOf(follow)).toHaveLength(rung.length);
    expect(samplesOf(lead)).toHaveLength(leader.length);
  }

  it('one composition delay (1–3 frames) for the stream, the rung behind or ahead: every rung segment starts with a keyframe at the leader’s picture', () => {
    fc.assert(
      fc.property(
        fc.array(gop, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(1, 2, 3),
        fc.double({ min: -0.3, max: 0.6, noNaN: true }),
        fc.constantFrom(1, 2, 4),
        fc.boolean(),
        (drawn, delayFrames, divisor, skew, targetSeconds, shiftDelay) => check(drawn.map((g) => ({ ...g, delayFrames })), divisor, skew, targetSeconds, shiftDelay),
      ),
      { numRuns: 150 },
    );
  });

  it('a delay that shrinks from GOP to GOP (leader keyframes decoding later than S before they present), the rung behind or ahead', () => {
    // Ahead too: a pts follower is released by presentation time, so a rung keyframe cannot pass
    // the leader keyframe that makes its cut (a dts release let it, and the cut was missed).
    fc.assert(
      fc.property(
        fc.array(gop, { minLength: 1, maxLength: 8 }),
        fc.constantFrom(1, 2, 3),
        fc.double({ min: -0.3, max: 0.6, noNaN: true }),
        fc.constantFrom(1, 2, 4),
        fc.boolean(),
        (drawn, divisor, skew, targetSeconds, shiftDelay) => {
          let delayFrames = Infinity;
          const gops = drawn.map((g) => ({ ...g, delayFrames: (delayFrames = Math.min(delayFrames, g.delayFrames)) }));
          check(gops, divisor, skew, targetSeconds, shiftDelay);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('TrackSegmenter cutBy', () => {
  const frames = (list: readonly [number, number, boolean][]): Sample[] => list.map(([dts, pts, keyframe]) => ({ trackId: 7, dts, pts, duration: 0, keyframe, data: PAYLOAD }));
  const segmentsOf = (events: readonly SegmenterEvent[]) => events.filter((e): e is SegmenterSegment => e.type === 'segment');

  it("'pts': a sync sample whose dts is past the cut but whose pts is before it does not open the segment", () => {
    const t = new TrackSegmenter({ trackId: 7, timescale: 90_000, cuts: 'external', cutBy: 'pts' });
    t.cutAt(0, 0, 0);
    t.cutAt(100, 1, 200);
    const input = frames([
      [0, 0, true],
      [150, 150, true], // dts ≥ 100, pts < 200: stays in segment 0
      [180, 200, true], // pts = 200: opens segment 1
      [210, 210, false],
    ]);
    const events = [...input.flatMap((s) => t.push(s)), ...t.flush(30)];
    expect(segmentsOf(events).map((s) => [s.sequence, s.startDts])).toEqual([
      [0, 0],
      [1, 180],
    ]);
  });

  it("'dts' (the default): the same samples cut at the first sync sample at or after the cut's dts, pts ignored", () => {
    const t = new TrackSegmenter({ trackId: 7, timescale: 90_000, cuts: 'external' });
    t.cutAt(0, 0, 0);
    t.cutAt(100, 1, 200);
    const input = frames([
      [0, 0, true],
      [150, 150, true],
      [180, 200, true],
      [210, 210, false],
    ]);
    const events = [...input.flatMap((s) => t.push(s)), ...t.flush(30)];
    expect(segmentsOf(events).map((s) => [s.sequence, s.startDts])).toEqual([
      [0, 0],
      [1, 150],
    ]);
  });

  it('cutAt: pts defaults to dts, and must not go back', () => {
    const t = new TrackSegmenter({ trackId: 7, timescale: 90_000, cuts: 'external', cutBy: 'pts' });
    t.cutAt(100, 0);
    expect(() => t.cutAt(200, 1, 50)).toThrow(CmafError);
    expect(() => t.cutAt(200, 1, 150.5)).toThrow(CmafError);
    const input = frames([
      [90, 90, true], // pts 90 < 100: waits (within a target of the first cut, so it opens segment 0 early)
      [120, 120, true],
    ]);
    const events = [...input.flatMap((s) => t.push(s)), ...t.flush(30)];
    expect(segmentsOf(events).map((s) => s.sequence)).toEqual([0]);
  });
});

describe('audio followers keep the dts rule', () => {
  const AUDIO = { id: 2, kind: 'audio', timescale: 48_000 } as const;

  it('with a B-frame leader, audio segment n starts at the first audio frame at or after the leader cut’s dts, not its pts', () => {
    const leader = bFrameVideo(
      Array.from({ length: 4 }, () => ({ length: 60, bFrames: 2 })),
      6000,
    );
    const audio = fakeAudio({ trackId: 2, count: Math.ceil((8.1 * 48_000) / 1024) });
    const { byTrack } = run(interleave([{ samples: leader, timescale: 90_000 }, { samples: audio, timescale: 48_000 }]), { tracks: [LEADER, AUDIO] });
    const lead = byTrack.get(1)!;
    const sound = byTrack.get(2)!;
    expect(lead.map((s) => s.startDts)).toEqual([0, 180_000, 360_000, 540_000]);
    // ceil(dts × 48 000 / 90 000 / 1024): the cut at 2 s is 93.75 frames → frame 94; by the cut's pts (2.0667 s) it would be 97.
    expect(sound.map((s) => s.startDts / 1024)).toEqual([0, 94, 188, 282]);
    for (const s of sound.slice(1)) {
      const cut = lead.find((l) => l.sequence === s.sequence)!.startDts;
      expect(s.startDts * 90_000).toBeGreaterThanOrEqual(cut * 48_000);
      expect((s.startDts - 1024) * 90_000).toBeLessThan(cut * 48_000);
    }
  });

  it('a ladder presentation (leader, rung, audio): the rung cuts by pts and the audio by dts, all under the same sequences', () => {
    const leader = bFrameVideo(Array.from({ length: 4 }, () => ({ length: 60, bFrames: 2 })), 6000);
    const rung = rungOf(leader, 2 * FRAME);
    const audio = fakeAudio({ trackId: 2, count: Math.ceil((8.1 * 48_000) / 1024) });
    const { byTrack } = run(
      interleave([
        { samples: leader, timescale: 90_000 },
        { samples: rung, timescale: 90_000, skewSeconds: 0.25 },
        { samples: audio, timescale: 48_000 },
      ]),
      { tracks: [LEADER, RUNG, AUDIO] },
    );
    expectSamePictures(byTrack.get(1)!, byTrack.get(10)!);
    expect(byTrack.get(2)!.map((s) => s.startDts / 1024)).toEqual([0, 94, 188, 282]);
    expect(byTrack.get(2)!.map((s) => s.sequence)).toEqual(byTrack.get(1)!.map((s) => s.sequence));
  });
});
