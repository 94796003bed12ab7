import { BitReader, ByteReader } from '../bytes/index.js';
import { CodecError } from '../errors/index.js';

/**
 * The three ways codec input goes wrong, as CodecErrors whose details name the structure, the
 * field and the value, so a log line says what broke without the bytes. Every parser in src/codec
 * reads through `codecBitReader` / `codecByteReader`, so running out of input is always
 * ERR_CODEC_TRUNCATED, never a BytesError or a RangeError.
 */

/** A field outside its allowed range or inconsistent with another: ERR_CODEC_INVALID. */
export function invalidField(structure: string, field: string, value: number | string, reason: string): CodecError {
  return new CodecError('ERR_CODEC_INVALID', `${structure}: ${field} ${value} ${reason}`, { structure, field, value });
}

/** Valid syntax tidecast does not handle: ERR_CODEC_UNSUPPORTED. */
export function unsupportedField(structure: string, field: string, value: number | string, reason: string): CodecError {
  return new CodecError('ERR_CODEC_UNSUPPORTED', `${structure}: ${field} ${value} ${reason}`, { structure, field, value });
}

/** The input ended inside `structure`: ERR_CODEC_TRUNCATED. */
export function truncated(structure: string, need: number, have: number, unit: 'bits' | 'bytes', offset: number): CodecError {
  return new CodecError('ERR_CODEC_TRUNCATED', `${structure} ended early: needed ${need} ${unit} at ${unit === 'bits' ? 'bit' : 'byte'} ${offset}, ${have} left`, {
    structure,
    need,
    have,
    unit,
    offset,
  });
}

/** A bit reader over `bytes` whose errors are CodecErrors about `structure`. */
export function codecBitReader(bytes: Uint8Array, structure: string): BitReader {
  return new BitReader(bytes, {
    truncated: (need, have, bitPos) => truncated(structure, need, have, 'bits', bitPos),
    invalid: (field, value, bitPos) => invalidField(structure, field, value, `at bit ${bitPos} is out of range`),
  });
}

/** A byte reader over `bytes` whose overruns are ERR_CODEC_TRUNCATED about `structure`. */
export function codecByteReader(bytes: Uint8Array, structure: string): ByteReader {
  const reader: ByteReader = new ByteReader(bytes, (need, have) => truncated(structure, need, have, 'bytes', reader.pos));
  return reader;
}

/** Reads ue(v) and refuses values above `max` (the field's range in its spec) as ERR_CODEC_INVALID. */
export function ueMax(r: BitReader, structure: string, field: string, max: number): number {
  const value = r.ue();
  if (value > max) throw invalidField(structure, field, value, `exceeds ${max}`);
  return value;
}

/** Checks that a value (a caller's input or a derived value) is an integer in [min, max]. */
export function checkRange(structure: string, field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw invalidField(structure, field, value, `is not an integer in ${min}..${max}`);
  return value;
}
