import { invalid } from './invalid.js';

/**
 * Attribute values (RFC 8216bis 4.2), one formatter per value type. Each checks that the value can
 * be written in its type's syntax and returns the text that follows `NAME=`; nothing is escaped,
 * because the format has no escapes: a value that cannot be written as-is is an error.
 */

/**
 * 4.1: "Playlist files MUST NOT contain UTF-8 control characters (U+0000 to U+001F and U+007F to
 * U+009F), with the exceptions of CR (U+000D) and LF (U+000A)". CR and LF end a line, so inside a
 * value they are forbidden too. A lone surrogate (\p{Cs}) has no UTF-8 encoding at all.
 */
const CONTROL_OR_LONE_SURROGATE = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/u;

/** 4.1: the text and every value in it MUST be UTF-8 without control characters and in NFC. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export function checkPlaylistText(field: string, value: string): void {
  if (typeof value !== 'string') throw invalid(field, `must be a string, got ${typeof value}`);
  // Printable ASCII (every URI the packagers write) has no control character and is NFC already.
  if (PRINTABLE_ASCII.test(value)) return;
  if (CONTROL_OR_LONE_SURROGATE.test(value)) throw invalid(field, 'contains a control character, line break or lone surrogate (RFC 8216bis 4.1)', { value: JSON.stringify(value) });
  if (value.normalize('NFC') !== value) throw invalid(field, 'is not in Unicode NFC (RFC 8216bis 4.1); pass value.normalize("NFC")', { value });
}

/**
 * 4.2 quoted-string: "within a pair of double quotes. It MUST NOT contain line feed, carriage
 * return, or double quote characters."
 */
export function quotedString(field: string, value: string): string {
  checkPlaylistText(field, value);
  if (value.includes('"')) throw invalid(field, 'a quoted-string cannot contain a double quote (RFC 8216bis 4.2)', { value });
  return `"${value}"`;
}

/**
 * A URI, either on its own line (a segment or a variant's playlist) or as a quoted-string. RFC 3986
 * has no raw spaces, double quotes or control characters (they are percent-encoded), and a line
 * starting with '#' would be read as a comment or tag (4.1), so none of these may appear.
 */
export function checkUri(field: string, uri: string): string {
  checkPlaylistText(field, uri);
  if (uri === '') throw invalid(field, 'a URI must not be empty');
  if (/[\s"]/.test(uri)) throw invalid(field, 'a URI cannot contain whitespace or a double quote; percent-encode them (RFC 3986 2.1)', { value: uri });
  if (uri.startsWith('#')) throw invalid(field, 'a URI line cannot start with "#" (RFC 8216bis 4.1: that line is a comment or tag)', { value: uri });
  return uri;
}

/** A URI attribute (URI="…"): checkUri, then quoted. */
export function quotedUri(field: string, uri: string): string {
  return `"${checkUri(field, uri)}"`;
}

/** A quoted-string the spec requires to be present; an empty one says nothing (e.g. NAME, GROUP-ID). */
export function requiredQuotedString(field: string, value: string): string {
  if (value === '') throw invalid(field, 'must not be empty');
  return quotedString(field, value);
}

/**
 * 4.2 enumerated-string: "an unquoted character string from a set that is explicitly defined by
 * the AttributeName. An enumerated-string will never contain double quotes, commas, or whitespace."
 */
export function enumeratedString<T extends string>(field: string, value: T, allowed: readonly T[]): string {
  if (!allowed.includes(value)) throw invalid(field, `must be one of ${allowed.join(', ')}, got ${String(value)}`);
  return value;
}

/** 4.2 decimal-integer: digits 0-9 only, range 0 to 2^64-1; JavaScript counts exactly to 2^53-1. */
export function decimalInteger(field: string, value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(field, `must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got ${String(value)}`);
  return String(value);
}

/** A decimal-integer that counts something that must exist (BANDWIDTH, a byte range length). */
export function positiveInteger(field: string, value: number): string {
  if (value === 0) throw invalid(field, 'must be at least 1');
  return decimalInteger(field, value);
}

/**
 * Digits printed after the point of every duration: 10 µs, finer than one 90 kHz tick (11.1 µs),
 * so two durations one tick apart print differently and millisecond values print exactly.
 * RFC 8216bis 4.4.4.1 asks for "enough accuracy to avoid perceptible error when segment
 * durations are accumulated"; at most 5 µs of rounding per segment stays below one frame (16.7 ms
 * at 60 fps) over more than 3 000 segments even if every error had the same sign.
 */
export const DURATION_DECIMALS = 5;

const DECIMAL_FLOATING_POINT = /^[0-9]+(\.[0-9]+)?$/;

/**
 * 4.2 decimal-floating-point, for seconds: the shortest decimal that equals the value rounded to
 * DURATION_DECIMALS places ("2", "2.5", "2.002", "0.33333"). Trailing zeros say nothing, so they
 * are dropped: playlists stay short and tests read naturally.
 */
export function decimalSeconds(field: string, seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw invalid(field, `must be a finite number of seconds ≥ 0, got ${String(seconds)}`);
  const text = seconds.toFixed(DURATION_DECIMALS).replace(/\.?0+$/, '');
  if (!DECIMAL_FLOATING_POINT.test(text)) throw invalid(field, `${String(seconds)} s has no decimal-floating-point form`);
  return text;
}


/** 10^DURATION_DECIMALS. */
const DURATION_SCALE = 10 ** DURATION_DECIMALS;

/**
 * The value a client reads back from decimalSeconds: the one every spec rule must hold for.
 * `Number(seconds.toFixed(5))`, without formatting a string when it need not: away from a half
 * step, rounding the scaled value picks toFixed's digits, and their quotient by 10^5 (a correctly
 * rounded division) is the same double as parsing them. Near a half step, toFixed decides.
 */
export function renderedSeconds(seconds: number): number {
  // toFixed writes −0 as "0".
  if (seconds === 0) return 0;
  const scaled = seconds * DURATION_SCALE;
  const units = Math.round(scaled);
  if (Math.abs(scaled - units) < 0.49 && Math.abs(units) < 2 ** 52) return units / DURATION_SCALE;
  return Number(seconds.toFixed(DURATION_DECIMALS));
}

/** 4.4.6.2 FRAME-RATE: "a decimal-floating-point ... rounded to three decimal places". */
export function frameRate(field: string, framesPerSecond: number): string {
  if (!Number.isFinite(framesPerSecond) || framesPerSecond <= 0 || framesPerSecond >= 1e9) throw invalid(field, `must be a frame rate > 0, got ${String(framesPerSecond)}`);
  return framesPerSecond.toFixed(3);
}

/** 4.2 decimal-resolution: "two decimal-integers separated by the "x" character". */
export function decimalResolution(field: string, width: number, height: number): string {
  return `${positiveInteger(`${field}.width`, width)}x${positiveInteger(`${field}.height`, height)}`;
}

/** Boolean attributes are enumerated-strings YES or NO; `undefined` leaves the attribute out. */
export function yesNo(value: boolean | undefined): string | undefined {
  return value === undefined ? undefined : value ? 'YES' : 'NO';
}

/** Attributes that are only ever YES: present when true, absent otherwise (4.4.4.9 INDEPENDENT, GAP). */
export function yesOnly(value: boolean | undefined): string | undefined {
  return value === true ? 'YES' : undefined;
}

/**
 * 4.2 attribute-list: "a comma-separated list of attribute/value pairs with no whitespace". Pairs
 * whose value is undefined are left out; names are our own constants, so they are not checked.
 */
export function attributeList(pairs: ReadonlyArray<readonly [name: string, value: string | undefined]>): string {
  return pairs
    .filter((pair): pair is readonly [string, string] => pair[1] !== undefined)
    .map(([name, value]) => `${name}=${value}`)
    .join(',');
}
