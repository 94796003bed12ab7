/**
 * XML Schema times as an MPD writes them: xs:duration in seconds with at most millisecond
 * precision (`PT2S`, `PT10.5S`, `PT0.2S`; minutes and hours are never needed and every parser
 * reads plain seconds), and xs:dateTime in UTC with milliseconds and `Z` (ffmpeg's dash demuxer
 * parses only that shape).
 */

/** `PT<seconds>S`, rounded to the millisecond, no trailing zeros. */
export function xsDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`xs:duration of ${seconds} s`);
  return `PT${decimalSeconds(seconds)}S`;
}

/** Seconds with at most 3 decimals, no trailing zeros: 2 → "2", 1.8 → "1.8", 0.0004 → "0". */
export function decimalSeconds(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const whole = Math.floor(ms / 1000);
  const rest = ms - whole * 1000;
  return rest === 0 ? String(whole) : `${whole}.${String(rest).padStart(3, '0').replace(/0+$/, '')}`;
}

/** `2026-12-07T10:00:00.000Z`. */
export function xsDateTime(epochMs: number): string {
  if (!Number.isFinite(epochMs)) throw new RangeError(`xs:dateTime of ${epochMs}`);
  return new Date(Math.round(epochMs)).toISOString();
}
