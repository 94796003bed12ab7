import { BytesError } from '../errors/index.js';

/**
 * How a BitReader reports bad input. A parser passes its own factory so "ran out of bits" becomes
 * its module's typed error (a CodecError in src/codec) instead of this module's BytesError.
 */
export interface BitReaderErrors {
  /** `needBits` more bits were asked for at bit offset `bitPos`; only `haveBits` were left. */
  truncated(needBits: number, haveBits: number, bitPos: number): Error;
  /** A value the reader itself refuses: an Exp-Golomb code longer than 32 bits, a width over 32. */
  invalid(field: string, value: number, bitPos: number): Error;
}

/**
 * Exp-Golomb codes (ITU-T H.264 9.1, H.265 9.2) with more than 31 leading zero bits decode to
 * 2^32 - 1 or more, beyond every ue(v) range either spec allows; refusing them keeps every value an
 * exact integer below 2^32 and bounds the zero scan of a hostile all-zero buffer.
 */
export const EXP_GOLOMB_MAX_LEADING_ZEROS = 31;

/**
 * An MSB-first cursor over the bits of one Uint8Array (the bit order of H.264/H.265 RBSPs and of
 * MPEG-4 audio configs). Checked reads (`bits`, `flag`, `ue`, `se`) throw the error made by the
 * factory; a parser that has called `need(n)` may read those n bits with the `*Unchecked` forms,
 * which is the pattern for fixed-width runs of fields: one check, then plain reads.
 */
export class BitReader {
  readonly buf: Uint8Array;
  /** Bit offset of the next read, counted from bit 7 of `buf[0]`. */
  pos: number;
  readonly endBit: number;
  private readonly errors: BitReaderErrors;

  constructor(buf: Uint8Array, errors: BitReaderErrors = DEFAULT_ERRORS, startBit = 0, endBit = buf.length * 8) {
    this.buf = buf;
    this.pos = startBit;
    this.endBit = endBit;
    this.errors = errors;
  }

  /** Bits left before the end. */
  get remaining(): number {
    return this.endBit - this.pos;
  }

  /** True when the next read starts on a byte boundary. */
  get aligned(): boolean {
    return (this.pos & 7) === 0;
  }

  /** Index of the byte the next read starts in. */
  get bytePos(): number {
    return this.pos >>> 3;
  }

  /** Throws unless `n` more bits are available; after it, unchecked reads of n bits are safe. */
  need(n: number): void {
    if (this.endBit - this.pos < n) throw this.errors.truncated(n, this.endBit - this.pos, this.pos);
  }

  /** An n-bit unsigned value, 0 ≤ n ≤ 32. */
  bits(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > 32) throw this.errors.invalid('bit_count', n, this.pos);
    this.need(n);
    return this.bitsUnchecked(n);
  }

  /** `bits(n)` without the checks; the caller has checked `need(n)` and that n ≤ 32. */
  bitsUnchecked(n: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    while (n > 0) {
      const avail = 8 - (pos & 7);
      const take = n < avail ? n : avail;
      const chunk = (buf[pos >>> 3]! >>> (avail - take)) & ((1 << take) - 1);
      // Multiplication, not <<: a 32-bit result must stay unsigned.
      value = value * (1 << take) + chunk;
      pos += take;
      n -= take;
    }
    this.pos = pos;
    return value;
  }

  flag(): boolean {
    this.need(1);
    return this.flagUnchecked();
  }

  flagUnchecked(): boolean {
    const pos = this.pos++;
    return ((this.buf[pos >>> 3]! >>> (7 - (pos & 7))) & 1) === 1;
  }

  /** ue(v), H.264 9.1: leading zeros, a one, then as many info bits; 0 ≤ value ≤ 2^32 - 2. */
  ue(): number {
    const start = this.pos;
    let zeros = 0;
    for (;;) {
      if (this.pos >= this.endBit) throw this.errors.truncated(1, 0, this.pos);
      if (this.flagUnchecked()) break;
      if (++zeros > EXP_GOLOMB_MAX_LEADING_ZEROS) throw this.errors.invalid('exp_golomb_leading_zeros', zeros, start);
    }
    if (zeros === 0) return 0;
    this.need(zeros);
    return 2 ** zeros - 1 + this.bitsUnchecked(zeros);
  }

  /** se(v), H.264 9.1.1: codeNum k maps to (-1)^(k+1) * ceil(k / 2). */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : 0 - k / 2;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** Skips to the next byte boundary (no-op when aligned). */
  alignToByte(): void {
    const pad = (8 - (this.pos & 7)) & 7;
    this.skip(pad);
  }
}

const DEFAULT_ERRORS: BitReaderErrors = {
  truncated: (needBits, haveBits, bitPos) =>
    new BytesError('ERR_BYTES_OUT_OF_RANGE', `needed ${needBits} bits at bit ${bitPos}, ${haveBits} left`, { needBits, haveBits, bitPos }),
  invalid: (field, value, bitPos) =>
    new BytesError('ERR_BYTES_OUT_OF_RANGE', `${field} ${value} at bit ${bitPos} is out of range`, { field, value, bitPos }),
};
