import { ConfigError } from '../errors/index.js';

/**
 * The one check behind every numeric option (ports, limits, timeouts, durations) and the one shape
 * of every option refusal: options are validated at start with a message naming the option and
 * the value (style.md practice 5), `option <name> must be <expected>, got <value>`.
 */

/** A numeric option's range: whole numbers or any finite number, both ends included unless `above`. */
export interface NumberRange {
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
  /** `min` itself is refused: the value must be above it ("a number above 0 and at most 60"). */
  readonly above?: boolean;
  /** What the message calls a value, instead of 'an integer' or 'a number': 'a port number'. */
  readonly noun?: string;
}

/** TCP ports are 16-bit; 0 asks the system for a free one. */
export const PORT_RANGE: NumberRange = { integer: true, min: 0, max: 65535, noun: 'a port number' };

/** An integer range, for the tables of option ranges. */
export function integerRange(min: number, max: number): NumberRange {
  return { integer: true, min, max };
}

/** ERR_CONFIG_INVALID for option `name`; `shown` is the value as the user wrote it (default String(value)). */
export function invalidOption(name: string, expected: string, shown: string): ConfigError {
  return new ConfigError('ERR_CONFIG_INVALID', `option ${name} must be ${expected}, got ${shown}`, { option: name, value: shown });
}

/** Whether `value` is a finite number in `range` (and whole, for an integer range). */
export function inRange(value: unknown, range: NumberRange): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value > range.max) return false;
  if (range.integer && !Number.isInteger(value)) return false;
  return range.above === true ? value > range.min : value >= range.min;
}

/** What a value of `range` is, for a message: 'an integer from 3 to 1800', 'a number above 0 and at most 60'. */
export function rangeText(range: NumberRange): string {
  const kind = range.noun ?? (range.integer ? 'an integer' : 'a number');
  return range.above === true ? `${kind} above ${range.min} and at most ${range.max}` : `${kind} from ${range.min} to ${range.max}`;
}

/** `value` when it is in `range`; else ERR_CONFIG_INVALID naming the option, the range and the value. */
export function checkNumberRange(name: string, value: unknown, range: NumberRange): number {
  if (!inRange(value, range)) throw invalidOption(name, rangeText(range), String(value));
  return value;
}

/** `value` when it is an integer from `min` to `max`, else ERR_CONFIG_INVALID. */
export function checkIntegerOption(name: string, value: unknown, min: number, max: number): number {
  return checkNumberRange(name, value, { integer: true, min, max });
}

/** `value` when it is a finite number from `min` to `max` (above `min` with `above`), else ERR_CONFIG_INVALID. */
export function checkNumberOption(name: string, value: unknown, min: number, max: number, above = false): number {
  return checkNumberRange(name, value, { integer: false, min, max, above });
}

/** `value` when it is a boolean, else ERR_CONFIG_INVALID. */
export function checkBooleanOption(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidOption(name, 'true or false', String(value));
  return value;
}
