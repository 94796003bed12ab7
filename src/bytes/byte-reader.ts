import { BytesError } from '../errors/index.js';

/**
 * A cursor over one contiguous Uint8Array, big-endian unless the name says otherwise.
 * Every read is bounds-checked and throws the error made by `onTruncated` (a BytesError by
 * default) so a parser can turn "ran out of bytes" into its own typed error. `bytes()` returns a
 * view, never a copy.
 */
export class ByteReader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  private readonly onTruncated: (need: number, have: number) => Error;

  constructor(
    buf: Uint8Array,
    onTruncated: (need: number, have: number) => Error = defaultTruncated,
    start = 0,
    end = buf.length,
  ) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.onTruncated = onTruncated;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless `n` more bytes are available; after it, unchecked reads of n bytes are safe. */
  need(n: number): void {
    if (this.end - this.pos < n) throw this.onTruncated(n, this.end - this.pos);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u24(): number {
    this.need(3);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 3;
    return (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!));
  }

  i32(): number {
    return this.u32() | 0;
  }

  u32le(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
  }

  i16(): number {
    return (this.u16() << 16) >> 16;
  }

  f64(): number {
    this.need(8);
    const p = this.pos;
    this.pos = p + 8;
    return new DataView(this.buf.buffer, this.buf.byteOffset + p, 8).getFloat64(0, false);
  }

  /** A view of the next `n` bytes (no copy). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

function defaultTruncated(need: number, have: number): Error {
  return new BytesError('ERR_BYTES_OUT_OF_RANGE', `needed ${need} bytes, ${have} left`, { need, have });
}
