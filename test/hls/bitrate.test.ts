import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { averageBitrate, peakBitrate, type MeasuredSegment } from '../../src/hls/index.js';
import { hlsErrorOf } from './helpers.js';

function s(byteLength: number, durationSeconds: number): MeasuredSegment {
  return { byteLength, durationSeconds };
}

/**
 * RFC 8216bis 4.1: "the largest bit rate of any contiguous set of segments whose total duration is
 * between 0.5 and 1.5 times the target duration".
 */
describe('peakBitrate', () => {
  it('2 s segments, target 2: only single segments fit in 1…3 s', () => {
    // 100 kB = 800 kbit per 2 s = 400 kbit/s; the 300 kB segment is 1.2 Mbit/s.
    expect(peakBitrate([s(100_000, 2), s(300_000, 2), s(100_000, 2)])).toBe(1_200_000);
  });

  it('a short burst segment alone is below 0.5 × target and only counts together with a neighbour', () => {
    // Target 4 → sets must last 2…6 s. The 0.5 s segment (2 Mbit/s on its own) never stands alone:
    // best set is [0.5 s burst + 4 s] = (125 000 + 200 000) × 8 / 4.5 = 577 777.7… → 577 778.
    const segments = [s(200_000, 4), s(125_000, 0.5), s(200_000, 4)];
    expect(peakBitrate(segments)).toBe(577_778);
    // The per-segment peak would have said 2 Mbit/s.
    expect(Math.max(...segments.map((x) => Math.ceil((x.byteLength * 8) / x.durationSeconds)))).toBe(2_000_000);
  });

  it('sets exactly at 0.5 × and 1.5 × the target count', () => {
    // Target 2 → 1…3 s. The 1 s segment is exactly 0.5 ×: 1 Mbit/s. (2.4 s alone carries nothing,
    // 3.4 s together is too long.)
    expect(peakBitrate([s(125_000, 1), s(0, 2.4)], 2)).toBe(1_000_000);
    // 0.9 s is too short alone; with the empty 2.1 s segment it makes exactly 3 s = 1.5 ×.
    expect(peakBitrate([s(450_000, 0.9), s(0, 2.1)], 2)).toBe(1_200_000);
  });

  it('a set longer than 1.5 × the target does not count', () => {
    // Target 1 → 0.5…1.5 s. The 0.2 s burst is too short alone and every set around it lasts 1.6 s.
    expect(peakBitrate([s(0, 1.4), s(1_000_000, 0.2), s(0, 1.4)], 1)).toBe(0);
  });

  it('fewer seconds than half a target: the bit rate of everything', () => {
    expect(peakBitrate([s(10_000, 0.4)], 2)).toBe(200_000);
    expect(peakBitrate([])).toBe(0);
  });

  it('rounds up and is exact where the division is', () => {
    expect(peakBitrate([s(1, 3)], 2)).toBe(3); // 8 / 3 = 2.67 → 3
    expect(peakBitrate([s(250_000, 2.002)])).toBe(999_001); // 2 000 000 / 2.002 = 999 000.999 → 999 001
    expect(peakBitrate([s(1_000_000, 4)])).toBe(2_000_000);
  });

  it('rejects bad sizes, durations and targets', () => {
    expect(hlsErrorOf(() => peakBitrate([s(-1, 2)])).details['field']).toBe('segments[0].byteLength');
    expect(hlsErrorOf(() => peakBitrate([s(1, 2), s(1, Number.NaN)])).details['field']).toBe('segments[1].durationSeconds');
    expect(hlsErrorOf(() => peakBitrate([s(1, 2)], 2.5)).details['field']).toBe('targetDurationSeconds');
  });

  it('equals a brute-force reading of the rule over exact rationals', () => {
    const segment = fc.record({ byteLength: fc.integer({ min: 0, max: 5_000_000 }), durationSeconds: fc.integer({ min: 1, max: 700_000 }).map((u) => u / 100_000) });
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 25 }), fc.integer({ min: 1, max: 8 }), (segments, target) => {
        expect(peakBitrate(segments, target)).toBe(bruteForcePeak(segments, target));
      }),
    );
  });
});

/** Every contiguous set, durations in 10 µs units, bit rates compared as BigInt fractions. */
function bruteForcePeak(segments: MeasuredSegment[], target: number): number {
  const units = segments.map((x) => BigInt(Math.round(x.durationSeconds * 100_000)));
  const bits = segments.map((x) => BigInt(x.byteLength * 8));
  let best: [bigint, bigint] | undefined;
  const T = BigInt(target * 100_000);
  for (let i = 0; i < segments.length; i++) {
    for (let j = i; j < segments.length; j++) {
      const u = units.slice(i, j + 1).reduce((a, b) => a + b, 0n);
      const b = bits.slice(i, j + 1).reduce((a, c) => a + c, 0n);
      if (2n * u < T || 2n * u > 3n * T) continue;
      if (best === undefined || b * best[1] > best[0] * u) best = [b, u];
    }
  }
  if (best === undefined) {
    const u = units.reduce((a, b) => a + b, 0n);
    if (u === 0n) return 0;
    best = [bits.reduce((a, b) => a + b, 0n), u];
  }
  const [b, u] = best;
  return Number((b * 100_000n + u - 1n) / u);
}

describe('averageBitrate', () => {
  it('all bits over all seconds, rounded up', () => {
    expect(averageBitrate([s(100_000, 2), s(300_000, 2), s(100_000, 1)])).toBe(800_000);
    expect(averageBitrate([s(1, 3)])).toBe(3);
    expect(averageBitrate([])).toBe(0);
  });

  it('stays exact for a day of 2 s segments at 10 Mbit/s', () => {
    const day = Array.from({ length: 43_200 }, () => s(2_500_000, 2));
    expect(averageBitrate(day)).toBe(10_000_000);
  });
});
