import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PresentationSegmenter, type PresentationSegmenterOptions, type SegmenterEvent, type SegmenterSegment } from '../../src/cmaf/segmenter.js';
import { CmafError, ConfigError } from '../../src/errors/index.js';
import { secondsToTicks, type Sample } from '../../src/media/index.js';
import { fakeAudio, fakeVideo, interleave } from '../media/fake-samples.js';
import { checkTrack, samplesOf } from '../media/segment-checks.js';

const VIDEO = { id: 1, kind: 'video', timescale: 90_000 } as const;
const AUDIO = { id: 2, kind: 'audio', timescale: 48_000 } as const;

function run(arrivals: readonly Sample[], options: PresentationSegmenterOptions) {
  const segmenter = new PresentationSegmenter(options);
  const events: SegmenterEvent[] = [];
  for (const sample of arrivals) events.push(...segmenter.push(sample));
  events.push(...segmenter.flush());
  const partTarget = (timescale: number) => secondsToTicks(options.partTargetSeconds ?? 0.5, timescale, 'floor');
  const byTrack = new Map(options.tracks.map((t) => [t.id, checkTrack(events, t.id, partTarget(t.timescale))]));
  return { segmenter, events, byTrack };
}

/**
 * Follower segment n starts at the first follower sample at or after leader segment n's start
 * (compared exactly by cross-multiplying), and the follower sample before it is before that start.
 */
/**
 * Follower segment n starts at the first follower frame at or after leader segment n — except the
 * first, which may start up to one segment target earlier (audio that precedes the first keyframe).
 */
function expectAligned(leader: readonly SegmenterSegment[], leaderScale: number, follower: readonly SegmenterSegment[], followerScale: number, frame: number, targetSeconds = 2): void {
  expect(follower.length).toBeGreaterThan(0);
  for (const segment of follower) {
    const lead = leader.find((l) => l.sequence === segment.sequence);
    expect(lead).toBeDefined();
    const earliest = segment === follower[0] ? lead!.startDts * followerScale - targetSeconds * leaderScale * followerScale : lead!.startDts * followerScale;
    expect(segment.startDts * leaderScale).toBeGreaterThanOrEqual(earliest);
    if (segment !== follower[0]) expect((segment.startDts - frame) * leaderScale).toBeLessThan(lead!.startDts * followerScale);
  }
}

describe('PresentationSegmenter', () => {
  const video = fakeVideo({ trackId: 1, gops: [60, 60, 60, 60, 60], frameDuration: 3000 });
  const audio = fakeAudio({ trackId: 2, count: Math.floor((10 * 48_000) / 1024) });

  it.each([
    ['in step', 0, 0],
    ['audio arriving 300 ms early', 0, -0.3],
    ['audio arriving 300 ms late', 0, 0.3],
  ])('aligns audio segments with video keyframe cuts (%s)', (_, videoSkew, audioSkew) => {
    const arrivals = interleave([
      { samples: video, timescale: 90_000, skewSeconds: videoSkew },
      { samples: audio, timescale: 48_000, skewSeconds: audioSkew },
    ]);
    const { byTrack, segmenter } = run(arrivals, { tracks: [AUDIO, VIDEO] });
    expect(segmenter.leaderTrackId).toBe(1);
    const v = byTrack.get(1)!;
    const a = byTrack.get(2)!;
    expect(v.map((s) => s.startDts)).toEqual([0, 180_000, 360_000, 540_000, 720_000]);
    expect(a.map((s) => s.sequence)).toEqual([0, 1, 2, 3, 4]);
    // 2 s = 93.75 frames: audio cuts land on frames 94, 188, 282, 375
    expect(a.map((s) => s.startDts / 1024)).toEqual([0, 94, 188, 282, 375]);
    expectAligned(v, 90_000, a, 48_000, 1024);
    expect(samplesOf(a)).toHaveLength(audio.length);
  });

  it('keeps audio that precedes the first video keyframe by up to one segment target in the first segment', () => {
    const late = fakeVideo({ trackId: 1, gops: [60, 60], frameDuration: 3000, startDts: 45_000, leadingInterFrames: 5 });
    const { byTrack, segmenter } = run(interleave([{ samples: late, timescale: 90_000 }, { samples: audio.slice(0, 200), timescale: 48_000 }]), { tracks: [VIDEO, AUDIO] });
    const firstKeyframe = 45_000 + 5 * 3000; // 0.6667 s
    expect(byTrack.get(1)![0]!.startDts).toBe(firstKeyframe);
    expect(byTrack.get(2)!.map((s) => s.sequence)).toEqual(byTrack.get(1)!.map((s) => s.sequence));
    expect(byTrack.get(2)![0]!.startDts).toBe(0); // the 32 frames before 0.6667 s are kept
    expect(segmenter.counters(2).droppedBeforeStart).toBe(0);
    expect(segmenter.counters(1).droppedBeforeStart).toBe(5); // video cannot start before a keyframe
  });

  it('drops audio further than one segment target before the first video keyframe', () => {
    const late = fakeVideo({ trackId: 1, gops: [60, 60], frameDuration: 3000, startDts: 270_000 }); // 3 s
    const { byTrack, segmenter } = run(interleave([{ samples: late, timescale: 90_000 }, { samples: audio.slice(0, 300), timescale: 48_000 }]), { tracks: [VIDEO, AUDIO] });
    // With no video cut yet, audio is held for at most maxFollowerLeadSeconds (1 s); older frames
    // go on undecided and, with no segment open, are dropped. The cut at 3 s then opens the audio
    // segment early at the oldest held frame (≈ 2 s, within one 2 s target of the cut).
    const firstAudio = byTrack.get(2)![0]!.startDts;
    expect(firstAudio).toBe(94 * 1024);
    expect(segmenter.counters(2).droppedBeforeStart).toBe(94);
  });

  it('rounds a cut up in the follower timescale: a sample a fraction of a tick early stays before it', () => {
    // Video cuts at 3 and 6 ticks of 90 kHz (a 1-tick segment target) are 1.6 and 3.2 ticks of
    // 48 kHz: rounded up to 2 and 4, so the second audio segment starts at 4 and the sample at 3
    // stays before it. The first segment opens early at 1, one target (1 tick) before its cut.
    const v = fakeVideo({ trackId: 1, gops: [1, 1], frameDuration: 3, startDts: 3 });
    const a = fakeAudio({ trackId: 2, count: 5, samplesPerFrame: 1 });
    const { byTrack, segmenter } = run(interleave([{ samples: v, timescale: 90_000 }, { samples: a, timescale: 48_000 }]), {
      tracks: [VIDEO, AUDIO],
      segmentTargetSeconds: 0.00001,
      partTargetSeconds: 0.00001,
    });
    expect(byTrack.get(2)!.map((s) => s.startDts)).toEqual([1, 4]);
    expect(segmenter.counters(2).droppedBeforeStart).toBe(1);
  });

  it('lets audio run on when video stalls, holding at most maxFollowerLeadSeconds', () => {
    const segmenter = new PresentationSegmenter({ tracks: [VIDEO, AUDIO], maxFollowerLeadSeconds: 1 });
    for (const s of video.slice(0, 30)) segmenter.push(s);
    const events: SegmenterEvent[] = [];
    for (const s of audio.slice(0, 200)) events.push(...segmenter.push(s)); // 4.3 s of audio, no video
    const released = events.filter((e) => e.type === 'part').flatMap((p) => (p.type === 'part' ? p.samples : []));
    expect(released.length).toBeGreaterThan(200 - 48 - 24); // only about 1 s is held (plus the last open part)
  });

  it('audio only: the first audio track leads and cuts by duration, a second follows it', () => {
    const second = fakeAudio({ trackId: 3, count: 400, samplesPerFrame: 1024 });
    const { byTrack, segmenter } = run(
      interleave([
        { samples: audio, timescale: 48_000 },
        { samples: second, timescale: 44_100 },
      ]),
      { tracks: [AUDIO, { id: 3, kind: 'audio', timescale: 44_100 }] },
    );
    expect(segmenter.leaderTrackId).toBe(2);
    expectAligned(byTrack.get(2)!, 48_000, byTrack.get(3)!, 44_100, 1024);
  });

  it('rejects unknown tracks, decreasing follower dts and bad options', () => {
    const segmenter = new PresentationSegmenter({ tracks: [VIDEO, AUDIO] });
    expect(() => segmenter.push({ ...audio[0]!, trackId: 9 })).toThrow(CmafError);
    segmenter.push(audio[5]!);
    expect(() => segmenter.push(audio[4]!)).toThrow(CmafError);
    expect(() => new PresentationSegmenter({ tracks: [] })).toThrow(ConfigError);
    expect(() => new PresentationSegmenter({ tracks: [VIDEO, VIDEO] })).toThrow(ConfigError);
    expect(() => new PresentationSegmenter({ tracks: [VIDEO], maxFollowerLeadSeconds: 0 })).toThrow(ConfigError);
  });

  it('keeps alignment over random GOPs, frame rates, audio formats and interleaving skews', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom(3000, 3003, 3600, 1500),
        fc.constantFrom({ rate: 48_000, spf: 1024 }, { rate: 44_100, spf: 1024 }, { rate: 44_100, spf: 2048 }, { rate: 48_000, spf: 960 }),
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.integer({ min: -30_000, max: 30_000 }),
        fc.integer({ min: 500, max: 4000 }),
        (gops, frame, { rate, spf }, skew, audioStartTicks, targetMs) => {
          const v = fakeVideo({ trackId: 1, gops, frameDuration: frame, startDts: 60_000 });
          const seconds = (60_000 + v.length * frame) / 90_000;
          const a = fakeAudio({ trackId: 2, count: Math.ceil((seconds * rate) / spf), samplesPerFrame: spf, startDts: Math.max(0, Math.round(((60_000 + audioStartTicks) * rate) / 90_000)) });
          const tracks = [VIDEO, { id: 2, kind: 'audio', timescale: rate }] as const;
          const { byTrack, segmenter } = run(interleave([{ samples: v, timescale: 90_000 }, { samples: a, timescale: rate, skewSeconds: skew }]), {
            tracks,
            segmentTargetSeconds: targetMs / 1000,
            partTargetSeconds: 0.25,
          });
          const audioSegments = byTrack.get(2)!;
          if (audioSegments.length > 0) expectAligned(byTrack.get(1)!, 90_000, audioSegments, rate, spf, targetMs / 1000);
          expect(samplesOf(audioSegments).length + segmenter.counters(2).droppedBeforeStart).toBe(a.length);
          expect(samplesOf(byTrack.get(1)!)).toHaveLength(v.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
