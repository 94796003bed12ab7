import { BytesError } from '../errors/index.js';

/**
 * Writes big-endian values into a buffer sized up front: encoders compute `byteLength` first,
 * allocate once and write once. `reserve` + `patch*` fill a length field after its content.
 * Writing past the end is a bug in the encoder's size computation and throws.
 */
export class ByteWriter {
  readonly buf: Buffer;
  pos: number;

  constructor(target: number | Uint8Array, start = 0) {
    this.buf =
      typeof target === 'number'
        ? Buffer.allocUnsafe(target)
        : Buffer.from(target.buffer, target.byteOffset, target.byteLength);
    this.pos = start;
  }

  private room(n: number): number {
    const p = this.pos;
    if (p + n > this.buf.length) {
      throw new BytesError('ERR_BYTES_OUT_OF_RANGE', `write of ${n} bytes at ${p} overruns ${this.buf.length}`, {
        need: n,
        have: this.buf.length - p,
      });
    }
    this.pos = p + n;
    return p;
  }

  u8(v: number): this {
    this.buf[this.room(1)] = v;
    return this;
  }

  u16(v: number): this {
    const p = this.room(2);
    this.buf[p] = v >>> 8;
    this.buf[p + 1] = v;
    return this;
  }

  u24(v: number): this {
    const p = this.room(3);
    this.buf[p] = v >>> 16;
    this.buf[p + 1] = v >>> 8;
    this.buf[p + 2] = v;
    return this;
  }

  u32(v: number): this {
    this.buf.writeUInt32BE(v >>> 0, this.room(4));
    return this;
  }

  u32le(v: number): this {
    this.buf.writeUInt32LE(v >>> 0, this.room(4));
    return this;
  }

  f64(v: number): this {
    this.buf.writeDoubleBE(v, this.room(8));
    return this;
  }

  bytes(src: Uint8Array): this {
    this.buf.set(src, this.room(src.length));
    return this;
  }

  /** Writes `s` as UTF-8; `byteLength` must be `Buffer.byteLength(s)`, computed by the caller's size pass. */
  utf8(s: string, byteLength: number): this {
    const p = this.room(byteLength);
    if (byteLength > 0) this.buf.write(s, p, byteLength, 'utf8');
    return this;
  }

  /** Skips `n` bytes to be filled later with a patch call; returns their offset. */
  reserve(n: number): number {
    return this.room(n);
  }

  patchU32(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at);
  }

  /** The bytes written so far (a view). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
