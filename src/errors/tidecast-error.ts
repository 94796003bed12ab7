import type { CodeOf, ErrorCode } from './codes.js';

/** Values that explain an error: the limit, the value seen, the offset. Never payload bytes. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * Base of every error tidecast throws or emits. `code` is stable (see docs/errors.md); `details`
 * carries the values involved so a log line can say what broke without parsing the message.
 * Each module's class takes only that module's codes (`new RtmpError('ERR_AMF_TRUNCATED', …)` does
 * not compile), so a code's module in docs/errors.md is the class a caller catches.
 */
export class TidecastError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly details: ErrorDetails;

  constructor(code: C, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** Raised by the byte readers and writers of src/bytes. */
export class BytesError extends TidecastError<CodeOf<'bytes'>> {}
/** Raised by the AMF0 codec. */
export class AmfError extends TidecastError<CodeOf<'amf'>> {}
/** Raised by the RTMP handshake, chunk stream, messages and sessions. */
export class RtmpError extends TidecastError<CodeOf<'rtmp'>> {}
/** Raised by the FLV readers and writers. */
export class FlvError extends TidecastError<CodeOf<'flv'>> {}
/** Raised by the H.264, H.265 and AAC parsers and builders. */
export class CodecError extends TidecastError<CodeOf<'codec'>> {}
/** Raised by src/media (tracks, samples, timestamps). */
export class MediaError extends TidecastError<CodeOf<'media'>> {}
/** Raised by the CMAF box writer, segment writers and segmenter. */
export class CmafError extends TidecastError<CodeOf<'cmaf'>> {}
/** Raised by the HLS playlist models and serializers. */
export class HlsError extends TidecastError<CodeOf<'hls'>> {}
/** Raised by the segment stores (src/store). */
export class StoreError extends TidecastError<CodeOf<'store'>> {}
/** Raised when options fail validation at start. */
export class ConfigError extends TidecastError<CodeOf<'config'>> {}
/** Raised by the transcode tier (src/transcode): ladder specs, plans, ffmpeg's abilities. */
export class TranscodeError extends TidecastError<CodeOf<'transcode'>> {}

export function isTidecastError(value: unknown): value is TidecastError {
  return value instanceof TidecastError;
}
