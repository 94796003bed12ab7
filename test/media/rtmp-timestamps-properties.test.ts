import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AudioTimestamps, VideoTimestamps } from '../../src/media/index.js';

const WRAP = 2 ** 32;

const audioFormatArb = fc.constantFrom(
  { rate: 48_000, spf: 1024 },
  { rate: 44_100, spf: 1024 },
  { rate: 44_100, spf: 2048 },
  { rate: 48_000, spf: 960 },
  { rate: 96_000, spf: 1024 },
  { rate: 22_050, spf: 1024 },
  { rate: 8000, spf: 1024 },
);

/** Per frame: its ms jitter, and how many frames were lost right before it (0 for most). */
const frameArb = fc.record({
  jitter: fc.integer({ min: -1, max: 1 }),
  lost: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 40 }) }),
});

describe('AudioTimestamps properties', () => {
  it('steps by exactly samplesPerFrame under ±1 ms jitter, and by whole frames at real losses', () => {
    fc.assert(
      fc.property(audioFormatArb, fc.integer({ min: 0, max: WRAP - 1 }), fc.array(frameArb, { minLength: 2, maxLength: 300 }), ({ rate, spf }, startMs, frames) => {
        const ts = new AudioTimestamps({ timescale: rate, samplesPerFrame: spf });
        let index = 0;
        let previous: number | undefined;
        let losses = 0;
        frames.forEach((frame, i) => {
          const lost = i === 0 ? 0 : frame.lost;
          index += lost;
          const ms = (startMs + Math.round((index * spf * 1000) / rate) + frame.jitter + WRAP) % WRAP;
          const { dts, duration } = ts.next(ms);
          expect(duration).toBe(spf);
          if (previous !== undefined) expect(dts - previous).toBe((lost + 1) * spf);
          if (lost > 0) losses += 1;
          previous = dts;
          index += 1;
        });
        expect(ts.counters).toEqual({ frames: frames.length, gaps: losses, rebases: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it('never overlaps and never steps by less than a frame, whatever the stamps', () => {
    const msArb = fc.oneof(fc.integer({ min: 0, max: WRAP - 1 }), fc.constantFrom(0, WRAP - 1, 2 ** 31, 2 ** 31 - 1));
    const stepArb = fc.oneof(fc.integer({ min: -50, max: 80 }), msArb.map((ms) => ({ absolute: ms })));
    fc.assert(
      fc.property(audioFormatArb, msArb, fc.array(stepArb, { maxLength: 200 }), ({ rate, spf }, start, steps) => {
        const ts = new AudioTimestamps({ timescale: rate, samplesPerFrame: spf });
        let ms = start;
        let previous = ts.next(ms).dts;
        for (const step of steps) {
          ms = typeof step === 'number' ? (ms + step + WRAP) % WRAP : step.absolute;
          const { dts } = ts.next(ms);
          expect(dts - previous).toBeGreaterThanOrEqual(spf);
          expect((dts - previous) % spf).toBe(0);
          expect(Number.isSafeInteger(dts)).toBe(true);
          previous = dts;
        }
      }),
    );
  });
});

describe('VideoTimestamps properties', () => {
  it('never decreases, and follows the ms clock exactly while it steps forward within maxGapMs', () => {
    const stepArb = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 100 }) }, { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 }) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: WRAP - 1 }), fc.array(fc.tuple(stepArb, fc.integer({ min: -500, max: 500 })), { maxLength: 200 }), (start, steps) => {
        const ts = new VideoTimestamps();
        let ms = start;
        let previous = ts.next(ms, 0).dts;
        let rebases = 0;
        for (const [step, cto] of steps) {
          ms = (((ms + step) % WRAP) + WRAP) % WRAP;
          const { dts, pts } = ts.next(ms, cto);
          const unsigned = (((step % WRAP) + WRAP) % WRAP);
          const serialStep = unsigned >= 2 ** 31 ? unsigned - WRAP : unsigned;
          if (serialStep >= 0 && serialStep <= 10_000) expect(dts - previous).toBe(serialStep * 90);
          else rebases += 1;
          expect(dts).toBeGreaterThanOrEqual(previous);
          expect(pts - dts).toBe(cto * 90);
          previous = dts;
        }
        expect(ts.counters.rebases).toBe(rebases);
      }),
    );
  });
});
