import { ConfigError } from '../errors/index.js';

/**
 * The one check behind every integer option (ports, limits, timeouts): options are validated at
 * start with a message naming the option and the value (style.md practice 5).
 */
export function checkIntegerOption(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError('ERR_CONFIG_INVALID', `option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`, { option: name, value: String(value) });
  }
}
