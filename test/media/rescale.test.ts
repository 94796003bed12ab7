import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, MediaError } from '../../src/errors/index.js';
import { MAX_TICKS, rescale, secondsToTicks, ticksToSeconds, type Rounding } from '../../src/media/index.js';

/** The reference: plain BigInt floor division, written without any of rescale's shortcuts. */
function reference(value: number, from: number, to: number, rounding: Rounding): bigint {
  const n = BigInt(value) * BigInt(to);
  const d = BigInt(from);
  const floor = n >= 0n ? n / d : -((-n + d - 1n) / d);
  const rem = n - floor * d;
  if (rounding === 'floor' || rem === 0n) return floor;
  if (rounding === 'ceil') return floor + 1n;
  if (2n * rem !== d) return 2n * rem > d ? floor + 1n : floor;
  return n > 0n ? floor + 1n : floor; // half away from zero
}

const timescaleArb = fc.oneof(
  fc.constantFrom(1, 2, 3, 1000, 1001, 90_000, 48_000, 44_100, 22_050, 30_000, 2 ** 31, 2 ** 32 - 1),
  fc.integer({ min: 1, max: 2 ** 32 - 1 }),
);
const valueArb = fc.oneof(
  fc.integer({ min: -100_000, max: 100_000 }),
  fc.maxSafeInteger(),
  fc.constantFrom(MAX_TICKS, -MAX_TICKS, 0, 1, -1),
);
const roundingArb = fc.constantFrom<Rounding>('nearest', 'floor', 'ceil');

describe('rescale', () => {
  it.each([
    [1000, 1000, 90_000, 'nearest', 90_000],
    [33, 1000, 90_000, 'nearest', 2970],
    [1024, 48_000, 90_000, 'nearest', 1920],
    [1024, 44_100, 1000, 'nearest', 23],
    [1024, 44_100, 1000, 'floor', 23],
    [1024, 44_100, 1000, 'ceil', 24],
    [1, 2, 1, 'nearest', 1],
    [-1, 2, 1, 'nearest', -1],
    [-1, 2, 1, 'floor', -1],
    [-1, 2, 1, 'ceil', 0],
    [-33, 1000, 90_000, 'nearest', -2970],
    [2 ** 53, 90_000, 1000, 'nearest', 100_079_991_719_344],
    [2 ** 53 - 1, 3, 3, 'nearest', 2 ** 53 - 1],
    [2 ** 52, 2, 4, 'nearest', 2 ** 53], // exactly 2^53: representable, accepted
  ] as const)('rescale(%d, %d, %d, %s) = %d', (value, from, to, rounding, expected) => {
    expect(rescale(value, from, to, rounding)).toBe(expected);
  });

  it('is never -0', () => {
    expect(Object.is(rescale(-1, 3, 1, 'nearest'), 0)).toBe(true);
    expect(Object.is(rescale(-1, 3, 1, 'ceil'), 0)).toBe(true);
  });

  it('rejects what it cannot do exactly', () => {
    expect(() => rescale(1.5, 1, 1)).toThrow(MediaError);
    expect(() => rescale(2 ** 53 + 2, 1, 1)).toThrow(MediaError);
    expect(() => rescale(1, 0, 1)).toThrow(MediaError);
    expect(() => rescale(1, 1, 2 ** 32)).toThrow(MediaError);
    expect(() => rescale(2 ** 52, 1, 4)).toThrow(/exceeds 2\^53/);
    expect(() => rescale(Number.NaN, 1, 1)).toThrow(expect.objectContaining({ code: 'ERR_MEDIA_INVALID' }));
  });

  it('equals the BigInt reference for every value up to 2^53 and every 32-bit timescale', () => {
    fc.assert(
      fc.property(valueArb, timescaleArb, timescaleArb, roundingArb, (value, from, to, rounding) => {
        const expected = reference(value, from, to, rounding);
        const abs = expected < 0n ? -expected : expected;
        if (abs > BigInt(MAX_TICKS)) expect(() => rescale(value, from, to, rounding)).toThrow(MediaError);
        else expect(rescale(value, from, to, rounding)).toBe(Number(expected));
      }),
      { numRuns: 5000 },
    );
  });

  it('is exact right at the fast-path boundary (product + divisor around 2^53)', () => {
    fc.assert(
      fc.property(timescaleArb, timescaleArb, fc.integer({ min: -4, max: 4 }), roundingArb, (from, to, delta, rounding) => {
        const value = Math.floor(MAX_TICKS / to) + delta;
        if (value > MAX_TICKS) return;
        const expected = reference(value, from, to, rounding);
        if (expected <= BigInt(MAX_TICKS)) expect(rescale(value, from, to, rounding)).toBe(Number(expected));
      }),
    );
  });

  it('orders floor ≤ nearest ≤ ceil, at most one tick apart, and is monotonic', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 35), max: 2 ** 35 }), fc.nat(1000), timescaleArb, fc.integer({ min: 1, max: 200_000 }), (v, step, from, to) => {
        const [lo, mid, hi] = (['floor', 'nearest', 'ceil'] as const).map((r) => rescale(v, from, to, r));
        expect(lo! <= mid! && mid! <= hi! && hi! - lo! <= 1).toBe(true);
        expect(rescale(v + step, from, to)).toBeGreaterThanOrEqual(mid!);
      }),
    );
  });

  it('rounds symmetrically and round-trips through a finer timescale', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 1000 }), (v, from, k) => {
        if (Math.abs(v) * 7 <= MAX_TICKS) expect(rescale(-v, from, 7, 'nearest')).toBe(0 - rescale(v, from, 7, 'nearest'));
        const fine = from * k;
        if (Math.abs(v) * k <= MAX_TICKS) expect(rescale(rescale(v, from, fine), fine, from)).toBe(v);
      }),
    );
  });
});

describe('secondsToTicks / ticksToSeconds', () => {
  it('converts decimal targets exactly', () => {
    expect(secondsToTicks(0.2, 44_100, 'floor')).toBe(8820);
    expect(secondsToTicks(0.2, 90_000, 'floor')).toBe(18_000);
    expect(secondsToTicks(2, 48_000, 'ceil')).toBe(96_000);
    expect(secondsToTicks(1.001, 30_000)).toBe(30_030);
    expect(ticksToSeconds(180_000, 90_000)).toBe(2);
    expect(() => secondsToTicks(Number.POSITIVE_INFINITY, 1000)).toThrow(MediaError);
  });

  it('is not a ConfigError: bad times are media errors', () => {
    expect(() => ticksToSeconds(1, 0)).not.toThrow(ConfigError);
    expect(() => ticksToSeconds(1, 0)).toThrow(MediaError);
  });
});
