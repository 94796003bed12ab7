import { MediaError } from '../errors/index.js';

/**
 * How a rescaled time that falls between two ticks is rounded. `nearest` rounds halves away from
 * zero (FFmpeg's AV_ROUND_NEAR_INF), so a negative composition offset rescales to the mirror image
 * of the positive one; `floor` and `ceil` round towards −∞ and +∞ for bounds that must not be
 * exceeded (a part target) or must be reached (a cut time).
 */
export type Rounding = 'nearest' | 'floor' | 'ceil';

/**
 * Largest magnitude rescale accepts and returns: 2^53, the last integer a double holds exactly.
 * 53 bits of 90 kHz ticks last 3 170 years, so no timeline of ours gets near it.
 */
export const MAX_TICKS = 2 ** 53;

/**
 * Largest timescale accepted: 2^32 − 1, because mdhd/mvhd store the timescale in 32 bits
 * (ISO/IEC 14496-12 8.4.2.3) and no track with a larger one can be packaged.
 */
export const MAX_TIMESCALE = 0xffff_ffff;

/**
 * `value` ticks of `fromTimescale` expressed in ticks of `toTimescale`, rounded as asked and exact
 * for every integer |value| ≤ 2^53: the ratio is reduced first (1000 → 90 000 is × 90), plain
 * doubles do the work while the product stays below 2^53, and BigInt only past that.
 * Throws ERR_MEDIA_INVALID for a non-integer value, a bad timescale or a result beyond 2^53.
 */
export function rescale(value: number, fromTimescale: number, toTimescale: number, rounding: Rounding = 'nearest'): number {
  checkTimescale('fromTimescale', fromTimescale);
  checkTimescale('toTimescale', toTimescale);
  if (!Number.isInteger(value) || Math.abs(value) > MAX_TICKS) {
    throw new MediaError('ERR_MEDIA_INVALID', `rescale value must be an integer of magnitude at most 2^53, got ${value}`, { value });
  }
  const g = gcd(fromTimescale, toTimescale);
  const multiplier = toTimescale / g;
  const divisor = fromTimescale / g;
  const magnitude = Math.abs(value);
  const product = magnitude * multiplier;
  // A double sum below 2^53 proves the true product is below 2^53 (so it is exact), and with
  // product + divisor < 2^53 the float quotient cannot round up across an integer.
  const result =
    product + divisor < MAX_TICKS ? divideNumber(product, divisor, value < 0, rounding) : divideBigInt(magnitude, multiplier, divisor, value < 0, rounding);
  if (Math.abs(result) > MAX_TICKS) {
    throw new MediaError('ERR_MEDIA_INVALID', `rescale of ${value} from ${fromTimescale} to ${toTimescale} exceeds 2^53`, { value, fromTimescale, toTimescale });
  }
  return result;
}

/**
 * Seconds (as configured: 2, 0.2, 1.001) to ticks. The seconds are read to the microsecond, so
 * decimal targets such as 0.2 s convert exactly (0.2 × 44 100 = 8 820, not 8 819.999…).
 */
export function secondsToTicks(seconds: number, timescale: number, rounding: Rounding = 'nearest'): number {
  if (!Number.isFinite(seconds)) {
    throw new MediaError('ERR_MEDIA_INVALID', `seconds must be finite, got ${seconds}`, { seconds });
  }
  return rescale(Math.round(seconds * 1_000_000), 1_000_000, timescale, rounding);
}

/** Ticks to seconds as a double, for playlists (EXTINF, PART DURATION) and logs only. */
export function ticksToSeconds(ticks: number, timescale: number): number {
  checkTimescale('timescale', timescale);
  return ticks / timescale;
}

/** Throws ERR_MEDIA_INVALID unless `timescale` is an integer from 1 to 2^32 − 1. */
export function checkTimescale(name: string, timescale: number): void {
  if (!Number.isInteger(timescale) || timescale < 1 || timescale > MAX_TIMESCALE) {
    throw new MediaError('ERR_MEDIA_INVALID', `${name} must be an integer from 1 to ${MAX_TIMESCALE}, got ${timescale}`, { [name]: timescale });
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Rounds the non-negative quotient n / d and applies the sign; n + d < 2^53. */
function divideNumber(n: number, d: number, negative: boolean, rounding: Rounding): number {
  const q = Math.floor(n / d);
  const r = n - q * d;
  const magnitudeOut = q + roundUp(r > 0, 2 * r >= d, negative, rounding);
  return negative ? 0 - magnitudeOut : magnitudeOut;
}

function divideBigInt(magnitude: number, multiplier: number, divisor: number, negative: boolean, rounding: Rounding): number {
  const n = BigInt(magnitude) * BigInt(multiplier);
  const d = BigInt(divisor);
  const q = n / d;
  const r = n - q * d;
  const magnitudeOut = Number(q) + roundUp(r > 0n, 2n * r >= d, negative, rounding);
  return negative ? 0 - magnitudeOut : magnitudeOut;
}

/**
 * 1 when the magnitude of the truncated quotient must grow by one: `ceil` rounds positive values
 * away from zero, `floor` negative ones, `nearest` every value at or past the half.
 */
function roundUp(inexact: boolean, pastHalf: boolean, negative: boolean, rounding: Rounding): number {
  if (!inexact) return 0;
  if (rounding === 'nearest') return pastHalf ? 1 : 0;
  return (rounding === 'ceil') !== negative ? 1 : 0;
}
