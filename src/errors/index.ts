export { ERROR_CODES } from './codes.js';
export type { ErrorCode, ErrorModule, CodeOf } from './codes.js';
export { TidecastError, BytesError, AmfError, RtmpError, FlvError, CodecError, MediaError, CmafError, HlsError, StoreError, ConfigError, TranscodeError, isTidecastError } from './tidecast-error.js';
export type { ErrorDetails } from './tidecast-error.js';
