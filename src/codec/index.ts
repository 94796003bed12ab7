/**
 * tidecast/codec — H.264, H.265 and AAC bitstream syntax: decoder configuration records (avcC,
 * hvcC, AudioSpecificConfig), parameter sets, NAL and ADTS framing, and RFC 6381 codec strings.
 * Pure functions over Uint8Arrays; every input error is a CodecError (docs/codec.md).
 */
export * from './h264/index.js';
export * from './hevc/index.js';
export * from './aac/index.js';
export { CodecError } from '../errors/index.js';
