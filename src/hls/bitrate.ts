import { DURATION_DECIMALS, renderedSeconds } from './attributes.js';
import { invalid } from './invalid.js';
import { checkSegmentDuration, targetDuration } from './target-duration.js';

/**
 * Bit rates for BANDWIDTH and AVERAGE-BANDWIDTH (RFC 8216bis 4.4.6.2), computed the way Section
 * 4.1 defines them over the segments a rendition has produced:
 *
 * - "The peak segment bit rate of a Media Playlist is the largest bit rate of any contiguous set
 *   of segments whose total duration is between 0.5 and 1.5 times the target duration. The bit
 *   rate of a set is calculated by dividing the sum of the segment sizes by the sum of the segment
 *   durations."
 * - "The average segment bit rate of a Media Playlist is the sum of the sizes (in bits) of every
 *   Media Segment in the Media Playlist, divided by the Media Playlist duration."
 *
 * Durations are taken as printed in EXTINF (the segment bit rate is "the size of the Media Segment
 * divided by its EXTINF duration") and counted in integer units of 10 µs, so sums and the 0.5×/1.5×
 * bounds are exact and a set exactly at a bound is counted. Results round up: BANDWIDTH is an upper
 * bound a client budgets for, so it must not come out a bit per second low.
 */

/** A finished segment as the packager measured it. */
export interface MeasuredSegment {
  /** Size of the segment resource in bytes (container overhead included, HTTP excluded: 4.1). */
  readonly byteLength: number;
  readonly durationSeconds: number;
}

const UNITS_PER_SECOND = 10 ** DURATION_DECIMALS;

/**
 * Peak segment bit rate in bits per second. `targetDurationSeconds` defaults to what
 * targetDuration() computes for the same segments. When the segments together last less than half
 * a target duration, no set qualifies; the bit rate of all of them is then the only measurement
 * there is, and is returned. No segments: 0.
 */
export function peakBitrate(segments: ReadonlyArray<MeasuredSegment>, targetDurationSeconds: number = targetDuration(segments)): number {
  const measured = toUnits(segments);
  if (!Number.isSafeInteger(targetDurationSeconds) || targetDurationSeconds < 1) {
    throw invalid('targetDurationSeconds', `must be an integer ≥ 1, got ${String(targetDurationSeconds)}`);
  }
  const targetUnits = targetDurationSeconds * UNITS_PER_SECOND;
  let peak = 0;
  let found = false;
  for (let first = 0; first < measured.length; first++) {
    let bits = 0;
    let units = 0;
    for (let last = first; last < measured.length; last++) {
      bits += measured[last]!.bits;
      units += measured[last]!.units;
      if (units * 2 > targetUnits * 3) break;
      if (units * 2 >= targetUnits) {
        peak = Math.max(peak, bitsPerSecond(bits, units));
        found = true;
      }
    }
  }
  return found ? peak : averageOf(measured);
}

/** Average segment bit rate in bits per second: all bits over all (printed) durations. No segments: 0. */
export function averageBitrate(segments: ReadonlyArray<MeasuredSegment>): number {
  return averageOf(toUnits(segments));
}

interface Units {
  readonly bits: number;
  readonly units: number;
}

function toUnits(segments: ReadonlyArray<MeasuredSegment>): Units[] {
  return segments.map((segment, index) => {
    checkSegmentDuration(`segments[${index}].durationSeconds`, segment.durationSeconds);
    if (!Number.isSafeInteger(segment.byteLength) || segment.byteLength < 0) {
      throw invalid(`segments[${index}].byteLength`, `must be an integer ≥ 0, got ${String(segment.byteLength)}`);
    }
    return { bits: segment.byteLength * 8, units: Math.round(renderedSeconds(segment.durationSeconds) * UNITS_PER_SECOND) };
  });
}

function averageOf(measured: ReadonlyArray<Units>): number {
  let bits = 0;
  let units = 0;
  for (const m of measured) {
    bits += m.bits;
    units += m.units;
  }
  return units === 0 ? 0 : bitsPerSecond(bits, units);
}

/**
 * ceil(bits / seconds) with seconds = units / 10^5, in BigInt: bits × 10^5 passes 2^53 after about
 * a day at 10 Mbit/s, and a float quotient could then land a unit off.
 */
function bitsPerSecond(bits: number, units: number): number {
  const numerator = BigInt(bits) * BigInt(UNITS_PER_SECOND);
  const denominator = BigInt(units);
  return Number((numerator + denominator - 1n) / denominator);
}
