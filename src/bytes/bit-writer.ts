import { BytesError } from '../errors/index.js';

/**
 * Writes MSB-first bit fields into a zero-filled buffer sized up front, the mirror of BitReader:
 * encoders add up their field widths (`ueBitLength` for Exp-Golomb codes), allocate once and write
 * once. Writing past the end, or a value that does not fit its width, is a bug in the encoder's
 * size pass or its validation and throws a BytesError.
 */
export class BitWriter {
  readonly buf: Uint8Array;
  /** Bit offset of the next write. */
  pos = 0;

  constructor(byteLength: number) {
    this.buf = new Uint8Array(byteLength);
  }

  /** Writes the low `n` bits of `value` (0 ≤ n ≤ 32, 0 ≤ value < 2^n). */
  bits(value: number, n: number): this {
    if (!(n >= 0 && n <= 32) || !Number.isInteger(value) || value < 0 || value >= 2 ** n) {
      throw new BytesError('ERR_BYTES_OUT_OF_RANGE', `value ${value} does not fit in ${n} bits`, { value, bits: n });
    }
    this.room(n);
    const buf = this.buf;
    let pos = this.pos;
    let left = n;
    while (left > 0) {
      const avail = 8 - (pos & 7);
      const take = left < avail ? left : avail;
      // Division, not >>: a 32-bit value must not be read as signed.
      const chunk = Math.floor(value / 2 ** (left - take)) & ((1 << take) - 1);
      buf[pos >>> 3]! |= chunk << (avail - take);
      pos += take;
      left -= take;
    }
    this.pos = pos;
    return this;
  }

  flag(value: boolean): this {
    return this.bits(value ? 1 : 0, 1);
  }

  /** ue(v), H.264 9.1, for 0 ≤ value ≤ 2^32 - 2. */
  ue(value: number): this {
    const zeros = ueBitLength(value) >>> 1;
    this.bits(0, zeros);
    return this.bits(value + 1, zeros + 1);
  }

  /** se(v), H.264 9.1.1. */
  se(value: number): this {
    return this.ue(seCodeNum(value));
  }

  /** Pads with zero bits to the next byte boundary. */
  alignToByte(): this {
    return this.bits(0, (8 - (this.pos & 7)) & 7);
  }

  /** Writes whole bytes; the writer must be byte-aligned. */
  bytes(src: Uint8Array): this {
    if ((this.pos & 7) !== 0) {
      throw new BytesError('ERR_BYTES_OUT_OF_RANGE', `byte write at unaligned bit ${this.pos}`, { bitPos: this.pos });
    }
    this.room(src.length * 8);
    this.buf.set(src, this.pos >>> 3);
    this.pos += src.length * 8;
    return this;
  }

  private room(n: number): void {
    if (this.pos + n > this.buf.length * 8) {
      throw new BytesError('ERR_BYTES_OUT_OF_RANGE', `write of ${n} bits at bit ${this.pos} overruns ${this.buf.length} bytes`, {
        needBits: n,
        haveBits: this.buf.length * 8 - this.pos,
      });
    }
  }
}

/** Bits of the ue(v) code of `value`: 2 * floor(log2(value + 1)) + 1. */
export function ueBitLength(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xfffffffe) {
    throw new BytesError('ERR_BYTES_OUT_OF_RANGE', `ue(v) value ${value} outside 0..2^32-2`, { value });
  }
  let zeros = 0;
  while (2 ** (zeros + 1) <= value + 1) zeros++;
  return 2 * zeros + 1;
}

/** Bits of the se(v) code of `value`. */
export function seBitLength(value: number): number {
  return ueBitLength(seCodeNum(value));
}

function seCodeNum(value: number): number {
  return value > 0 ? 2 * value - 1 : -2 * value;
}
