export { ERROR_CODES } from './codes.js';
export type { ErrorCode } from './codes.js';
export { TidecastError, BytesError, AmfError, RtmpError, FlvError, ConfigError, isTidecastError } from './tidecast-error.js';
export type { ErrorDetails } from './tidecast-error.js';
