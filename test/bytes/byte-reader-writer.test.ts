import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, utf8Decode, utf8Length } from '../../src/bytes/index.js';
import { BytesError } from '../../src/errors/index.js';

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The thrown error, which must be a BytesError. */
function bytesError(fn: () => unknown): BytesError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BytesError) return err;
    throw err;
  }
  throw new Error('expected a BytesError, nothing was thrown');
}

type Field = 'u8' | 'u16' | 'u24' | 'u32' | 'i32' | 'u32le' | 'i16' | 'f64';

/** Each value with its big-endian (or, for u32le, little-endian) encoding, read and written. */
const FIELDS: Array<{ field: Field; value: number; bytes: string }> = [
  { field: 'u8', value: 0, bytes: '00' },
  { field: 'u8', value: 0xff, bytes: 'ff' },
  { field: 'u16', value: 0x0102, bytes: '0102' },
  { field: 'u16', value: 0xffff, bytes: 'ffff' },
  { field: 'u24', value: 0x010203, bytes: '010203' },
  { field: 'u24', value: 0xffffff, bytes: 'ffffff' },
  { field: 'u32', value: 0x01020304, bytes: '01020304' },
  { field: 'u32', value: 0xffffffff, bytes: 'ffffffff' },
  { field: 'u32', value: 0x80000000, bytes: '80000000' },
  { field: 'u32le', value: 0x01020304, bytes: '04030201' },
  { field: 'u32le', value: 0xfffffffe, bytes: 'feffffff' },
  { field: 'f64', value: 1.5, bytes: '3ff8000000000000' },
  { field: 'f64', value: -0, bytes: '8000000000000000' },
];

/** Signed reads have no writer of their own: they reinterpret the unsigned bytes. */
const SIGNED_READS: Array<{ field: 'i16' | 'i32'; value: number; bytes: string }> = [
  { field: 'i16', value: -1, bytes: 'ffff' },
  { field: 'i16', value: -32768, bytes: '8000' },
  { field: 'i16', value: 32767, bytes: '7fff' },
  { field: 'i32', value: -1, bytes: 'ffffffff' },
  { field: 'i32', value: -0x80000000, bytes: '80000000' },
  { field: 'i32', value: 0x7fffffff, bytes: '7fffffff' },
];

const WIDTH: Record<Field, number> = { u8: 1, u16: 2, u24: 3, u32: 4, i32: 4, u32le: 4, i16: 2, f64: 8 };

describe('ByteReader', () => {
  it.each([...FIELDS, ...SIGNED_READS])('$field reads $bytes as $value', ({ field, value, bytes }) => {
    const r = new ByteReader(hex(bytes));
    expect(Object.is(r[field](), value)).toBe(true);
    expect(r.remaining).toBe(0);
  });

  it('reads a sequence of fields from a view with a byte offset', () => {
    const backing = hex('ee ee 01 0203 040506 3ff8000000000000 aabbcc dd');
    const r = new ByteReader(backing.subarray(2));
    expect(r.u8()).toBe(1);
    expect(r.u16()).toBe(0x0203);
    expect(r.u24()).toBe(0x040506);
    expect(r.f64()).toBe(1.5);
    const view = r.bytes(3);
    expect(toHex(view)).toBe('aabbcc');
    expect(view.buffer).toBe(backing.buffer);
    r.skip(1);
    expect(r.remaining).toBe(0);
  });

  it('honours start and end', () => {
    const r = new ByteReader(hex('00 01 02 03 04'), undefined, 1, 3);
    expect(r.remaining).toBe(2);
    expect(r.u16()).toBe(0x0102);
    expect(bytesError(() => r.u8()).code).toBe('ERR_BYTES_OUT_OF_RANGE');
  });

  it.each(Object.entries(WIDTH) as Array<[Field, number]>)('%s on %i - 1 bytes throws ERR_BYTES_OUT_OF_RANGE without moving', (field, width) => {
    const r = new ByteReader(new Uint8Array(width - 1));
    const err = bytesError(() => r[field]());
    expect(err.code).toBe('ERR_BYTES_OUT_OF_RANGE');
    expect(err.details).toEqual({ need: width, have: width - 1 });
    expect(r.pos).toBe(0);
  });

  it('bytes, skip and need past the end throw ERR_BYTES_OUT_OF_RANGE', () => {
    const r = new ByteReader(hex('0102'));
    expect(bytesError(() => r.bytes(3)).details).toEqual({ need: 3, have: 2 });
    expect(bytesError(() => r.skip(3)).code).toBe('ERR_BYTES_OUT_OF_RANGE');
    expect(bytesError(() => r.need(3)).code).toBe('ERR_BYTES_OUT_OF_RANGE');
    r.need(2);
    expect(r.bytes(0).length).toBe(0);
  });

  it('throws the error made by onTruncated', () => {
    class Truncated extends Error {}
    const r = new ByteReader(hex('01'), (need, have) => new Truncated(`${need}/${have}`));
    expect(() => r.u16()).toThrow(new Truncated('2/1'));
  });
});

describe('ByteWriter', () => {
  it.each(FIELDS.filter((f) => f.field !== 'i16' && f.field !== 'i32'))('$field writes $value as $bytes', ({ field, value, bytes }) => {
    const w = new ByteWriter(WIDTH[field]);
    (w[field as 'u8'] as (v: number) => ByteWriter).call(w, value);
    expect(toHex(w.view())).toBe(bytes);
    expect(w.pos).toBe(WIDTH[field]);
  });

  it('writes negative numbers as their two’s complement', () => {
    expect(toHex(new ByteWriter(4).u32(-1).view())).toBe('ffffffff');
    expect(toHex(new ByteWriter(2).u16(-2).view())).toBe('fffe');
    expect(toHex(new ByteWriter(3).u24(-1).view())).toBe('ffffff');
  });

  it('chains fields, bytes and UTF-8 into one buffer', () => {
    const s = 'héllo';
    const n = utf8Length(s);
    expect(n).toBe(6);
    const w = new ByteWriter(1 + 2 + n + 3);
    w.u8(2).u16(n).utf8(s, n).bytes(hex('aabbcc'));
    expect(toHex(w.view())).toBe(`020006${Buffer.from(s).toString('hex')}aabbcc`);
    expect(utf8Decode(w.view().subarray(3, 3 + n))).toBe(s);
    expect(w.utf8('', 0).pos).toBe(w.buf.length);
  });

  it('reserve then patchU32 fills a length after its content', () => {
    const w = new ByteWriter(7);
    const at = w.reserve(4);
    w.bytes(hex('010203'));
    w.patchU32(at, w.pos - at - 4);
    expect(toHex(w.view())).toBe('00000003010203');
  });

  it('writes into a caller array at an offset, sharing its memory', () => {
    const target = new Uint8Array(6);
    const w = new ByteWriter(target.subarray(1), 2);
    w.u16(0xabcd);
    expect(toHex(target)).toBe('000000abcd00');
  });

  it.each([
    ['u8', (w: ByteWriter) => w.u8(1), 1],
    ['u16', (w: ByteWriter) => w.u16(1), 2],
    ['u24', (w: ByteWriter) => w.u24(1), 3],
    ['u32', (w: ByteWriter) => w.u32(1), 4],
    ['u32le', (w: ByteWriter) => w.u32le(1), 4],
    ['f64', (w: ByteWriter) => w.f64(1), 8],
    ['bytes', (w: ByteWriter) => w.bytes(new Uint8Array(2)), 2],
    ['utf8', (w: ByteWriter) => w.utf8('ab', 2), 2],
    ['reserve', (w: ByteWriter) => w.reserve(2), 2],
  ] as const)('%s past the end throws ERR_BYTES_OUT_OF_RANGE and writes nothing', (_name, write, need) => {
    const w = new ByteWriter(Uint8Array.from([7]).fill(7));
    w.pos = 1;
    const err = bytesError(() => write(w));
    expect(err.code).toBe('ERR_BYTES_OUT_OF_RANGE');
    expect(err.details).toEqual({ need, have: 0 });
    expect(w.pos).toBe(1);
    expect([...w.buf]).toEqual([7]);
  });

  it('what the writer writes, the reader reads back', () => {
    const w = new ByteWriter(1 + 2 + 3 + 4 + 4 + 8);
    w.u8(0x81).u16(0xfffe).u24(0x123456).u32(0xdeadbeef).u32le(0xcafebabe).f64(Math.PI);
    const r = new ByteReader(w.view());
    expect([r.u8(), r.u16(), r.u24(), r.u32(), r.u32le(), r.f64()]).toEqual([0x81, 0xfffe, 0x123456, 0xdeadbeef, 0xcafebabe, Math.PI]);
  });
});
