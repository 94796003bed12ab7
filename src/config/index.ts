/**
 * src/config: leaves every stage may import — the option checks, the stream name rule and the
 * connection slots. The `tidecast serve` settings (fields, layers, defaults) are src/cli/server-config.ts.
 */
export { PORT_RANGE, checkBooleanOption, checkIntegerOption, checkNumberOption, checkNumberRange, inRange, integerRange, invalidOption, rangeText } from './check-option.js';
export type { NumberRange } from './check-option.js';
export { MAX_STREAM_NAME_LENGTH, isValidStreamName, streamNameProblem } from './stream-name-rule.js';
export { ConnectionSlots } from './connection-slots.js';
export { redactedRedisUrl } from './redis-url.js';
