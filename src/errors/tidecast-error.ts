import type { ErrorCode } from './codes.js';

/** Values that explain an error: the limit, the value seen, the offset. Never payload bytes. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * Base of every error tidecast throws or emits. `code` is stable (see docs/errors.md); `details`
 * carries the values involved so a log line can say what broke without parsing the message.
 */
export class TidecastError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Raised by the byte readers and writers of src/bytes. */
export class BytesError extends TidecastError {}
/** Raised by the AMF0 codec. */
export class AmfError extends TidecastError {}
/** Raised by the RTMP handshake, chunk stream, messages and sessions. */
export class RtmpError extends TidecastError {}
/** Raised by the FLV readers and writers. */
export class FlvError extends TidecastError {}
/** Raised by the H.264, H.265 and AAC parsers and builders. */
export class CodecError extends TidecastError {}
/** Raised by src/media (tracks, samples, timestamps). */
export class MediaError extends TidecastError {}
/** Raised by the CMAF box writer, segment writers and segmenter. */
export class CmafError extends TidecastError {}
/** Raised by the HLS playlist models and serializers. */
export class HlsError extends TidecastError {}
/** Raised when options fail validation at start. */
export class ConfigError extends TidecastError {}

export function isTidecastError(value: unknown): value is TidecastError {
  return value instanceof TidecastError;
}
