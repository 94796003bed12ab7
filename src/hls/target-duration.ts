import { decimalSeconds, renderedSeconds } from './attributes.js';
import { invalid } from './invalid.js';

/**
 * EXT-X-TARGETDURATION (RFC 8216bis 4.4.3.1): "The EXTINF duration of each Media Segment in a
 * Playlist file, when rounded to the nearest integer, MUST be less than or equal to the Target
 * Duration; longer segments can trigger playback stalls or other errors."
 *
 * That is the version 6 meaning of the tag (Section 8: "in protocol version 5 and earlier it
 * indicated the maximum segment duration; in protocol version 6 and later it indicates the maximum
 * segment duration rounded to the nearest integer"), which is one reason every media playlist we
 * render declares version 6 or more (version.ts).
 */

/** Anything with a duration in seconds: a segment of the model, or a measured segment. */
export interface HasDurationSeconds {
  readonly durationSeconds: number;
}

/**
 * The lowest target we write. The tag is a decimal-integer, and 0 would be a target no segment
 * meets; clients also pace their reloads by it (6.3.4), so a target of 0 would have them reload
 * without pause. Sub-second segments therefore still get a target of 1.
 */
export const MIN_TARGET_DURATION_SECONDS = 1;

/**
 * The EXTINF value rounded to the nearest integer, as a client computes it: from the duration as
 * printed (5 decimals), not the exact input, so 2.499996 s, printed "2.5", counts as 3. Halves
 * round up (Math.round), the usual reading of "nearest" that validators and encoders apply.
 */
export function roundedSegmentSeconds(durationSeconds: number): number {
  return Math.round(renderedSeconds(durationSeconds));
}

/** The smallest target every segment satisfies: the largest rounded EXTINF, at least 1. */
export function targetDuration(segments: ReadonlyArray<HasDurationSeconds>): number {
  let target = MIN_TARGET_DURATION_SECONDS;
  for (const [index, segment] of segments.entries()) {
    checkSegmentDuration(`segments[${index}].durationSeconds`, segment.durationSeconds);
    target = Math.max(target, roundedSegmentSeconds(segment.durationSeconds));
  }
  return target;
}

/**
 * A given target (e.g. the configured segment length of a live stream, which 6.2.1 forbids to
 * change between reloads) must be a whole number of seconds that no segment exceeds after rounding.
 */
export function checkTargetDuration(targetSeconds: number, segments: ReadonlyArray<HasDurationSeconds>): void {
  if (!Number.isSafeInteger(targetSeconds) || targetSeconds < MIN_TARGET_DURATION_SECONDS) {
    throw invalid('targetDurationSeconds', `must be an integer ≥ ${MIN_TARGET_DURATION_SECONDS} (a decimal-integer, RFC 8216bis 4.4.3.1), got ${String(targetSeconds)}`);
  }
  for (const [index, segment] of segments.entries()) {
    const rounded = roundedSegmentSeconds(segment.durationSeconds);
    if (rounded > targetSeconds) {
      throw invalid(`segments[${index}].durationSeconds`, `EXTINF ${decimalSeconds('durationSeconds', segment.durationSeconds)} rounds to ${rounded}, above the target duration ${targetSeconds} (RFC 8216bis 4.4.3.1)`, {
        durationSeconds: segment.durationSeconds,
        targetDurationSeconds: targetSeconds,
      });
    }
  }
}

/**
 * EXTINF (4.4.4.1): "duration is a decimal-floating-point or decimal-integer number ... that
 * specifies the duration of the Media Segment in seconds". A segment with no duration, or one that
 * prints as 0 at 5 decimals, would stall a client's timeline.
 */
export function checkSegmentDuration(field: string, durationSeconds: number): void {
  if (typeof durationSeconds !== 'number' || !Number.isFinite(durationSeconds) || renderedSeconds(durationSeconds) <= 0) {
    throw invalid(field, `must be a finite duration > 0 s (at least 0.00001), got ${String(durationSeconds)}`, { durationSeconds: String(durationSeconds) });
  }
}
