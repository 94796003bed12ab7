export { ERROR_CODES } from './codes.js';
export type { ErrorCode } from './codes.js';
export { TidecastError, BytesError, AmfError, RtmpError, FlvError, CodecError, MediaError, CmafError, HlsError, ConfigError, isTidecastError } from './tidecast-error.js';
export type { ErrorDetails } from './tidecast-error.js';
