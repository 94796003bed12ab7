import { invalid } from './invalid.js';

/**
 * EXT-X-PROGRAM-DATE-TIME values (RFC 8216bis 4.4.4.6): "an ISO/IEC 8601:2004 date/time
 * representation, such as YYYY-MM-DDThh:mm:ss.SSSZ. It SHOULD indicate a time zone and fractional
 * parts of seconds, to millisecond accuracy." The time comes in as epoch milliseconds from the
 * caller's clock (design.md: no hidden clock), so the same model always renders the same text.
 */

/** ISO 8601 offsets in use reach from −12:00 to +14:00; beyond that a value is a unit mistake. */
export const MAX_UTC_OFFSET_MINUTES = 14 * 60;

/** ECMAScript's time value range (ECMA-262 21.4.1.1): ±10^8 days around the epoch. */
const MAX_TIME_VALUE_MS = 8.64e15;

/**
 * `2024-05-01T12:00:00.000Z` for offset 0, `2024-05-01T14:00:00.000+02:00` for +120: the same
 * instant, written in the zone a viewer of the playlist expects. Always with milliseconds.
 */
export function formatProgramDateTime(field: string, epochMs: number, utcOffsetMinutes = 0): string {
  checkEpochMs(field, epochMs);
  checkUtcOffset(field, utcOffsetMinutes);
  const shiftedMs = epochMs + utcOffsetMinutes * 60_000;
  if (Math.abs(shiftedMs) > MAX_TIME_VALUE_MS) throw invalid(field, `${epochMs} ms with this offset is outside the ECMAScript date range`);
  const local = new Date(shiftedMs).toISOString();
  checkFourDigitYear(field, local, epochMs);
  return utcOffsetMinutes === 0 ? local : local.slice(0, -1) + offsetSuffix(utcOffsetMinutes);
}

function checkEpochMs(field: string, epochMs: number): void {
  if (!Number.isSafeInteger(epochMs) || Math.abs(epochMs) > MAX_TIME_VALUE_MS) {
    throw invalid(field, `must be an integer number of epoch milliseconds, got ${String(epochMs)}`);
  }
}

/** Exported for the model check: the playlist-wide offset is validated once, before any segment. */
export function checkUtcOffset(field: string, utcOffsetMinutes: number): void {
  if (!Number.isInteger(utcOffsetMinutes) || Math.abs(utcOffsetMinutes) > MAX_UTC_OFFSET_MINUTES) {
    throw invalid(field, `UTC offset must be whole minutes within ±${MAX_UTC_OFFSET_MINUTES}, got ${String(utcOffsetMinutes)}`);
  }
}

/** ISO 8601 writes years 0000-9999 with four digits; outside them toISOString writes ±YYYYYY, which players do not read. */
function checkFourDigitYear(field: string, iso: string, epochMs: number): void {
  if (!/^\d{4}-/.test(iso)) throw invalid(field, `${epochMs} ms with this offset falls outside the years 0000-9999`);
}

function offsetSuffix(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
