import { describe, expect, it } from 'vitest';
import { ConfigError, MediaError } from '../../src/errors/index.js';
import { AudioTimestamps, RtmpClock, VideoTimestamps } from '../../src/media/index.js';

const WRAP = 2 ** 32;

describe('RtmpClock (RTMP 1.0 §4 serial arithmetic)', () => {
  it('follows the spec example: 10 000 comes after 4 000 000 000, 3 000 000 000 before it', () => {
    const clock = new RtmpClock();
    expect(clock.unwrap(4_000_000_000)).toBe(4_000_000_000);
    expect(clock.unwrap(10_000)).toBe(WRAP + 10_000);
    expect(clock.wraps).toBe(1);
    const other = new RtmpClock();
    other.unwrap(4_000_000_000);
    expect(other.unwrap(3_000_000_000)).toBe(3_000_000_000);
    expect(other.wraps).toBe(0);
  });

  it('unwraps many wraps into one monotonic timeline and steps back across a wrap', () => {
    const clock = new RtmpClock();
    let expected = 0;
    for (let i = 0; i < 5 * 8; i += 1) {
      expected += 2 ** 29;
      expect(clock.unwrap(expected % WRAP)).toBe(expected);
    }
    expect(clock.wraps).toBe(5);
    expect(clock.unwrap((expected - 100) % WRAP)).toBe(expected - 100);
  });

  it('rejects values that are not unsigned 32-bit', () => {
    for (const bad of [-1, WRAP, 1.5, Number.NaN]) expect(() => new RtmpClock().unwrap(bad)).toThrow(MediaError);
  });
});

function video(pairs: ReadonlyArray<readonly [number, number]>, options = {}): { out: Array<{ dts: number; pts: number }>; ts: VideoTimestamps } {
  const ts = new VideoTimestamps(options);
  return { out: pairs.map(([ms, cto]) => ts.next(ms, cto)), ts };
}

describe('VideoTimestamps', () => {
  it('maps ms to 90 kHz and adds B-frame composition offsets, positive and negative', () => {
    // I P B B as x264 sends them: decode order with pts − dts = CompositionTime.
    const { out } = video([
      [0, 67],
      [33, 133],
      [67, 33],
      [100, 33],
      [133, -33],
    ]);
    expect(out).toEqual([
      { dts: 0, pts: 6030 },
      { dts: 2970, pts: 14_940 },
      { dts: 6030, pts: 9000 },
      { dts: 9000, pts: 11_970 },
      { dts: 11_970, pts: 9000 },
    ]);
  });

  it('unwraps the 2^32 ms wrap into 53 bits', () => {
    const { out, ts } = video([
      [WRAP - 66, 0],
      [WRAP - 33, 0],
      [0, 0],
      [33, 0],
    ]);
    expect(out.map((t) => t.dts)).toEqual([(WRAP - 66) * 90, (WRAP - 33) * 90, WRAP * 90, (WRAP + 33) * 90]);
    expect(ts.counters).toEqual({ frames: 4, rebases: 0 });
  });

  it('rebases a backward jump (encoder restart) at previous dts + last frame duration', () => {
    const { out, ts } = video([
      [1000, 0],
      [1033, 0],
      [1067, 0],
      [0, 0],
      [33, 0],
      [67, 0],
    ]);
    expect(out.map((t) => t.dts)).toEqual([90_000, 92_970, 96_030, 99_090, 102_060, 105_120]);
    expect(ts.counters).toEqual({ frames: 6, rebases: 1 });
  });

  it('honours a forward gap up to maxGapMs and rebases a larger jump', () => {
    expect(video([[0, 0], [40, 0], [5040, 0]]).out.map((t) => t.dts)).toEqual([0, 3600, 453_600]);
    const { out, ts } = video([[0, 0], [40, 0], [60_040, 0], [60_080, 0]]);
    expect(out.map((t) => t.dts)).toEqual([0, 3600, 7200, 10_800]);
    expect(ts.counters.rebases).toBe(1);
  });

  it('uses defaultFrameDuration when the second frame already jumps back', () => {
    expect(video([[500, 0], [0, 0]], { defaultFrameDuration: 1500 }).out.map((t) => t.dts)).toEqual([45_000, 46_500]);
    expect(video([[500, 0], [0, 0]]).out.map((t) => t.dts)).toEqual([45_000, 48_000]);
  });

  it('keeps a repeated timestamp (zero duration) without calling it a rebase', () => {
    const { out, ts } = video([[0, 0], [33, 0], [33, 0], [67, 0]]);
    expect(out.map((t) => t.dts)).toEqual([0, 2970, 2970, 6030]);
    expect(ts.counters.rebases).toBe(0);
  });

  it('rejects a composition offset outside SI24 and bad options', () => {
    const ts = new VideoTimestamps();
    expect(() => ts.next(0, 2 ** 23)).toThrow(MediaError);
    expect(() => ts.next(0, 0.5)).toThrow(MediaError);
    expect(() => new VideoTimestamps({ timescale: 0 })).toThrow(MediaError);
    expect(() => new VideoTimestamps({ maxGapMs: 0 })).toThrow(ConfigError);
    expect(() => new VideoTimestamps({ defaultFrameDuration: 0.5 })).toThrow(/defaultFrameDuration/);
  });
});

/** Ideal ms stamp of AAC frame n: the encoder's exact time, rounded to whole ms as FLV carries it. */
function stamp(n: number, spf: number, rate: number, startMs = 0): number {
  return startMs + Math.round((n * spf * 1000) / rate);
}

describe('AudioTimestamps', () => {
  it.each([
    [48_000, 1024],
    [44_100, 1024],
    [44_100, 2048], // HE-AAC: SBR doubles the output samples per frame
    [22_050, 1024],
  ])('gives exact %d Hz / %d-sample steps whatever the ±1 ms jitter', (rate, spf) => {
    const jitter = [0, 1, -1, 1, 1, -1, 0, -1, 0, 1];
    const ts = new AudioTimestamps({ timescale: rate, samplesPerFrame: spf });
    const dts = Array.from({ length: 500 }, (_, n) => ts.next(Math.max(0, stamp(n, spf, rate, 1000) + jitter[n % jitter.length]!)).dts);
    const anchor = dts[0]!;
    expect(anchor).toBe(rate); // 1000 ms anchors the count at 1 s
    dts.forEach((d, n) => expect(d).toBe(anchor + n * spf));
    expect(ts.counters).toEqual({ frames: 500, gaps: 0, rebases: 0 });
  });

  it('rounds stamps the same way OBS does at 44.1 kHz: 23, 23, 23, 24 ms apart, one step of 1024', () => {
    const ts = new AudioTimestamps({ timescale: 44_100, samplesPerFrame: 1024 });
    expect([0, 23, 46, 70, 93, 116].map((ms) => ts.next(ms))).toEqual([0, 1, 2, 3, 4, 5].map((n) => ({ dts: n * 1024, duration: 1024 })));
  });

  it('re-anchors forward by whole frames when audio was really dropped', () => {
    const ts = new AudioTimestamps({ timescale: 48_000, samplesPerFrame: 1024 });
    const frames = [0, 1, 2, 3, 8, 9, 10]; // frames 4–7 were lost
    const dts = frames.map((n) => ts.next(stamp(n, 1024, 48_000) + (n % 2)).dts);
    expect(dts).toEqual(frames.map((n) => n * 1024));
    expect(ts.counters).toEqual({ frames: 7, gaps: 1, rebases: 0 });
  });

  it('absorbs one lost frame (below the threshold) and honours the drift once it reaches two', () => {
    const ts = new AudioTimestamps({ timescale: 48_000, samplesPerFrame: 1024 });
    const frames = [0, 1, 3, 4, 5, 7, 8];
    expect(frames.map((n) => ts.next(stamp(n, 1024, 48_000)).dts / 1024)).toEqual([0, 1, 2, 3, 4, 7, 8]);
    expect(ts.counters.gaps).toBe(1);
  });

  it('never goes back on an encoder restart: keeps counting and re-anchors to the new clock', () => {
    const ts = new AudioTimestamps({ timescale: 48_000, samplesPerFrame: 1024 });
    const input = [5000, 5021, 5043, 0, 21, 43, 64];
    expect(input.map((ms) => ts.next(ms).dts)).toEqual([240_000, 241_024, 242_048, 243_072, 244_096, 245_120, 246_144]);
    expect(ts.counters).toEqual({ frames: 7, gaps: 0, rebases: 1 });
  });

  it('rebases instead of honouring a gap beyond maxGapMs', () => {
    const ts = new AudioTimestamps({ timescale: 48_000, samplesPerFrame: 1024 }, { maxGapMs: 1000 });
    expect([0, 21, 60_000, 60_021].map((ms) => ts.next(ms).dts)).toEqual([0, 1024, 2048, 3072]);
    expect(ts.counters.rebases).toBe(1);
  });

  it('unwraps the 32-bit wrap without a step', () => {
    const ts = new AudioTimestamps({ timescale: 48_000, samplesPerFrame: 1024 });
    const dts = Array.from({ length: 10 }, (_, n) => ts.next((stamp(n, 1024, 48_000, WRAP - 100) % WRAP)).dts);
    dts.forEach((d, n) => expect(d - dts[0]!).toBe(n * 1024));
  });

  it('shares one clock with video, so both tracks straddling a wrap stay on one timeline', () => {
    const clock = new RtmpClock();
    const v = new VideoTimestamps({ clock });
    const a = new AudioTimestamps({ timescale: 48_000, samplesPerFrame: 1024 }, { clock });
    const vd = v.next(WRAP - 10, 0).dts;
    const ad = a.next(5).dts;
    expect(ad / 48_000 - vd / 90_000).toBeCloseTo(0.015, 6);
  });

  it('rejects bad track fields and options', () => {
    expect(() => new AudioTimestamps({ timescale: 48_000, samplesPerFrame: 0 })).toThrow(MediaError);
    expect(() => new AudioTimestamps({ timescale: 0, samplesPerFrame: 1024 })).toThrow(MediaError);
    expect(() => new AudioTimestamps({ timescale: 48_000, samplesPerFrame: 1024 }, { resyncThresholdFrames: -1 })).toThrow(ConfigError);
  });
});
