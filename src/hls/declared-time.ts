/**
 * The times a live playlist declares, and why they are never later than the media.
 *
 * A player does not read the media's timestamps to find its place in a playlist: it places each
 * segment and part by the playlist's own numbers. hls.js, for one, puts an alternate (audio)
 * rendition on the video's timeline by PROGRAM-DATE-TIME, adds EXTINF and PART DURATION values up
 * from there, and, at the live edge, takes the part whose declared end lies beyond what is
 * buffered as the one to load next. If a declared end is later than the media's true end, by as
 * little as 10 µs, the last part of a segment is loaded again and again while the next segment is
 * still open, and audio stops at that boundary (seen: AAC at 44.1 kHz, whose frames never fall on
 * the 5-decimal grid; the part was fetched 7 times and playback stalled at the segment's end).
 *
 * So every declared boundary is computed from the media's absolute time, on a grid, rounded down:
 *
 * - a boundary on the 10 µs grid (every one of a 90 kHz track fed millisecond timestamps) is
 *   declared as it is: durations add up exactly and the player's buffered end equals it;
 * - any other boundary is declared DECLARED_MARGIN_UNITS grid steps below its floor, which is
 *   more than the microsecond rounding a browser's media pipeline applies to such a time.
 *
 * A duration is the difference of its two declared boundaries, so durations telescope: the parts
 * of a segment add up to its EXTINF to the last digit, and no rounding accumulates over hours.
 * A date (PROGRAM-DATE-TIME, whole milliseconds) is the declared boundary rounded down to the
 * millisecond, which is exact for a boundary on the millisecond grid and never later than the
 * declared boundary otherwise; a player that aligns renditions by date therefore places every
 * declared boundary at or before the media's.
 */

/** Grid steps per second: the 5 decimals a playlist writes (attributes.ts DURATION_DECIMALS). */
export const DECLARED_UNITS_PER_SECOND = 100_000;

/** Steps (10 µs each) below its floor that a boundary off the grid is declared: 50 µs. */
export const DECLARED_MARGIN_UNITS = 5;

/**
 * A time of `ticks` in `timescale`, in grid steps (10 µs), as declared: exact on the grid, else
 * DECLARED_MARGIN_UNITS below the floor. Exact integer arithmetic while the result is a safe
 * integer (under 2^53 steps of 10 µs: 2 800 years).
 */
export function declaredUnits(ticks: number, timescale: number): number {
  const whole = Math.floor(ticks / timescale);
  const rest = ticks - whole * timescale;
  const scaled = rest * DECLARED_UNITS_PER_SECOND;
  const floor = whole * DECLARED_UNITS_PER_SECOND + Math.floor(scaled / timescale);
  return scaled % timescale === 0 ? floor : floor - DECLARED_MARGIN_UNITS;
}

/**
 * The declared duration, seconds, of the span [startTicks, startTicks + durationTicks): a multiple
 * of 10 µs. A span shorter than the margin can come out negative and is declared 0 (not listed).
 */
export function declaredDurationSeconds(startTicks: number, durationTicks: number, timescale: number): number {
  return Math.max(0, declaredUnits(startTicks + durationTicks, timescale) - declaredUnits(startTicks, timescale)) / DECLARED_UNITS_PER_SECOND;
}

/** The declared time of `ticks` in whole milliseconds, rounded down (exact on the millisecond grid). */
export function declaredMilliseconds(ticks: number, timescale: number): number {
  return Math.floor(declaredUnits(ticks, timescale) / (DECLARED_UNITS_PER_SECOND / 1000));
}
