import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter, EXP_GOLOMB_MAX_LEADING_ZEROS, seBitLength, ueBitLength } from '../../src/bytes/index.js';
import { BytesError } from '../../src/errors/index.js';

function bits(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  const out = new Uint8Array(Math.ceil(clean.length / 8));
  for (let i = 0; i < clean.length; i++) if (clean[i] === '1') out[i >>> 3]! |= 0x80 >>> (i & 7);
  return out;
}

function thrown(fn: () => unknown): BytesError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BytesError) return err;
    throw err;
  }
  throw new Error('expected a BytesError');
}

/** H.264 Table 9-2 (bit strings) and 9-3 (se mapping). */
const EXP_GOLOMB: Array<{ code: string; ue: number; se: number }> = [
  { code: '1', ue: 0, se: 0 },
  { code: '010', ue: 1, se: 1 },
  { code: '011', ue: 2, se: -1 },
  { code: '00100', ue: 3, se: 2 },
  { code: '00101', ue: 4, se: -2 },
  { code: '00110', ue: 5, se: 3 },
  { code: '00111', ue: 6, se: -3 },
  { code: '0001000', ue: 7, se: 4 },
  { code: '000011111', ue: 30, se: -15 },
  { code: '0'.repeat(16) + '1' + '0'.repeat(16), ue: 65535, se: 32768 },
  { code: '0'.repeat(31) + '1' + '1'.repeat(31), ue: 2 ** 32 - 2, se: -(2 ** 31 - 1) },
  { code: '0'.repeat(31) + '1' + '1'.repeat(30) + '0', ue: 2 ** 32 - 3, se: 2 ** 31 - 1 },
];

describe('BitReader', () => {
  it('reads MSB-first fields of 0 to 32 bits across byte boundaries', () => {
    const r = new BitReader(Uint8Array.of(0b1011_0011, 0x80, 0xff, 0xff, 0xff, 0xff, 0x12));
    expect(r.bits(1)).toBe(1);
    expect(r.bits(3)).toBe(0b011);
    expect(r.bits(0)).toBe(0);
    expect(r.bits(5)).toBe(0b0011_1);
    expect(r.pos).toBe(9);
    expect(r.bits(32)).toBe(2 ** 25 - 1); // 7 zero bits of 0x80, then 25 ones
    expect(r.remaining).toBe(15);
    expect(r.bits(7)).toBe(0x7f);
    expect(r.aligned).toBe(true);
    expect(r.bytePos).toBe(6);
    expect(r.bits(8)).toBe(0x12);
  });

  it('returns a full 32-bit field as an unsigned number', () => {
    expect(new BitReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff)).bits(32)).toBe(0xffffffff);
    expect(new BitReader(Uint8Array.of(0x0f, 0xff, 0xff, 0xff, 0xf0), undefined, 4).bits(32)).toBe(0xffffffff);
  });

  it.each(EXP_GOLOMB)('ue/se $code → $ue / $se', ({ code, ue, se }) => {
    expect(new BitReader(bits(code)).ue()).toBe(ue);
    expect(new BitReader(bits(code)).se()).toBe(se);
    const r = new BitReader(bits(code));
    r.ue();
    expect(r.pos).toBe(code.length);
  });

  it('se of codeNum 0 is +0, not -0', () => {
    expect(Object.is(new BitReader(bits('1')).se(), 0)).toBe(true);
  });

  it(`refuses an Exp-Golomb code with more than ${EXP_GOLOMB_MAX_LEADING_ZEROS} leading zeros, even with bits to spare`, () => {
    const err = thrown(() => new BitReader(bits('0'.repeat(32) + '1' + '0'.repeat(40))).ue());
    expect(err.details).toMatchObject({ field: 'exp_golomb_leading_zeros', value: 32 });
    expect(() => new BitReader(new Uint8Array(1000)).ue()).toThrow(BytesError);
  });

  it('reports truncation through the factory with the bits needed and left', () => {
    const calls: unknown[] = [];
    const errors = {
      truncated: (need: number, have: number, at: number) => (calls.push(['truncated', need, have, at]), new Error('T')),
      invalid: (field: string, value: number, at: number) => (calls.push(['invalid', field, value, at]), new Error('I')),
    };
    const r = new BitReader(Uint8Array.of(0xff), errors);
    r.bits(6);
    expect(() => r.bits(3)).toThrow('T');
    expect(() => r.skip(3)).toThrow('T');
    expect(() => new BitReader(bits('0001'), errors, 0, 4).ue()).toThrow('T');
    expect(() => new BitReader(new Uint8Array(0), errors).flag()).toThrow('T');
    expect(() => r.bits(33)).toThrow('I');
    expect(calls).toEqual([
      ['truncated', 3, 2, 6],
      ['truncated', 3, 2, 6],
      ['truncated', 3, 0, 4],
      ['truncated', 1, 0, 0],
      ['invalid', 'bit_count', 33, 6],
    ]);
    expect(r.pos).toBe(6);
  });

  it('a failed read leaves the position where it was (ue aside, which consumed its zeros)', () => {
    const r = new BitReader(Uint8Array.of(0xab));
    expect(() => r.bits(9)).toThrow(BytesError);
    expect(r.pos).toBe(0);
    expect(r.bits(8)).toBe(0xab);
  });

  it('honours start and end bit bounds', () => {
    const r = new BitReader(Uint8Array.of(0xff, 0x00, 0xff), undefined, 4, 12);
    expect(r.remaining).toBe(8);
    expect(r.bits(8)).toBe(0xf0);
    expect(() => r.flag()).toThrow(BytesError);
  });

  it('alignToByte skips to the next boundary and is a no-op when aligned', () => {
    const r = new BitReader(Uint8Array.of(0xff, 0x5a));
    r.alignToByte();
    expect(r.pos).toBe(0);
    r.bits(3);
    r.alignToByte();
    expect(r.pos).toBe(8);
    expect(r.bits(8)).toBe(0x5a);
    expect(() => r.alignToByte()).not.toThrow();
  });

  it('need() then unchecked reads give the same values as checked ones', () => {
    const r = new BitReader(Uint8Array.of(0b1010_0101, 0xc3));
    r.need(16);
    expect([r.flagUnchecked(), r.bitsUnchecked(7), r.bitsUnchecked(8)]).toEqual([true, 0b010_0101, 0xc3]);
    expect(() => r.need(1)).toThrow(BytesError);
  });
});

describe('BitWriter', () => {
  it('writes fields MSB-first and Exp-Golomb codes of Table 9-2', () => {
    const w = new BitWriter(4);
    w.bits(0b101, 3).flag(true).ue(3).se(-1).alignToByte().bits(0xabcd, 16);
    // 101 1 00100 011 0000 | abcd
    expect(Buffer.from(w.buf).toString('hex')).toBe('b230abcd');
  });

  it('ueBitLength / seBitLength match the codes', () => {
    for (const { code, ue, se } of EXP_GOLOMB) {
      expect(ueBitLength(ue)).toBe(code.length);
      expect(seBitLength(se)).toBe(code.length);
    }
  });

  it('refuses values that do not fit and writes past the end', () => {
    expect(() => new BitWriter(1).bits(8, 3)).toThrow(BytesError);
    expect(() => new BitWriter(1).bits(-1, 3)).toThrow(BytesError);
    expect(() => new BitWriter(1).bits(0, 9)).toThrow(BytesError);
    expect(() => new BitWriter(1).ue(2 ** 32 - 1)).toThrow(BytesError);
    expect(() => new BitWriter(2).bits(1, 1).bytes(Uint8Array.of(1))).toThrow(BytesError);
  });
});

type Field = { kind: 'bits'; n: number; v: number } | { kind: 'ue'; v: number } | { kind: 'se'; v: number } | { kind: 'flag'; v: boolean };

const field: fc.Arbitrary<Field> = fc.oneof(
  fc.integer({ min: 0, max: 32 }).chain((n) => fc.record({ kind: fc.constant('bits' as const), n: fc.constant(n), v: fc.integer({ min: 0, max: 2 ** n - 1 }) })),
  fc.record({ kind: fc.constant('ue' as const), v: fc.oneof(fc.nat({ max: 300 }), fc.integer({ min: 0, max: 2 ** 32 - 2 })) }),
  fc.record({ kind: fc.constant('se' as const), v: fc.integer({ min: -(2 ** 31 - 1), max: 2 ** 31 - 1 }) }),
  fc.record({ kind: fc.constant('flag' as const), v: fc.boolean() }),
);

function widthOf(f: Field): number {
  return f.kind === 'bits' ? f.n : f.kind === 'ue' ? ueBitLength(f.v) : f.kind === 'se' ? seBitLength(f.v) : 1;
}

describe('BitWriter → BitReader round trip (property)', () => {
  it('any sequence of fields reads back as written, ending exactly at the written length', () => {
    fc.assert(
      fc.property(fc.array(field, { maxLength: 40 }), (fields) => {
        const total = fields.reduce((n, f) => n + widthOf(f), 0);
        const w = new BitWriter(Math.ceil(total / 8));
        for (const f of fields) {
          if (f.kind === 'bits') w.bits(f.v, f.n);
          else if (f.kind === 'ue') w.ue(f.v);
          else if (f.kind === 'se') w.se(f.v);
          else w.flag(f.v);
        }
        expect(w.pos).toBe(total);
        const r = new BitReader(w.buf, undefined, 0, total);
        for (const f of fields) {
          const got = f.kind === 'bits' ? r.bits(f.n) : f.kind === 'ue' ? r.ue() : f.kind === 'se' ? r.se() : r.flag();
          expect(got).toBe(f.v);
        }
        expect(r.remaining).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes never make the reader throw anything but its own errors, and ue() always ends', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.constantFrom('ue', 'se', 'bits', 'flag', 'skip', 'align'), { maxLength: 30 }), (bytes, ops) => {
        const r = new BitReader(bytes);
        try {
          for (const op of ops) {
            if (op === 'ue') r.ue();
            else if (op === 'se') r.se();
            else if (op === 'bits') r.bits(13);
            else if (op === 'flag') r.flag();
            else if (op === 'skip') r.skip(5);
            else r.alignToByte();
          }
        } catch (err) {
          if (!(err instanceof BytesError)) throw err;
        }
        expect(r.pos).toBeLessThanOrEqual(bytes.length * 8);
      }),
      { numRuns: 1000 },
    );
  });
});
