import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/bytes/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { FlvError, FlvFileReader, readFlvFile } from '../../src/flv/index.js';

/** FLV 10.1 E.2 header: signature, version, flags, DataOffset, then the E.3 PreviousTagSize0. */
function header(flags = 0x05, dataOffset = 9, previousTagSize0 = 0): Uint8Array {
  const w = new ByteWriter(dataOffset + 4);
  w.u8(0x46).u8(0x4c).u8(0x56).u8(1).u8(flags).u32(dataOffset);
  w.reserve(dataOffset - 9);
  w.u32(previousTagSize0);
  return w.view();
}

/** One E.4.1 tag and its PreviousTagSize. `flagsByte` holds reserved, Filter and TagType. */
function tag(flagsByte: number, timestamp: number, body: Uint8Array, previousTagSize = 11 + body.length): Uint8Array {
  const w = new ByteWriter(11 + body.length + 4);
  w.u8(flagsByte).u24(body.length).u24(timestamp & 0xffffff).u8((timestamp >>> 24) & 0xff).u24(0);
  w.bytes(body).u32(previousTagSize);
  return w.view();
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

function thrown(fn: () => unknown): FlvError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FlvError) return err;
    throw err;
  }
  throw new Error('expected an FlvError');
}

describe('FlvFileReader: header (E.2)', () => {
  it.each([
    [0x05, true, true],
    [0x04, true, false],
    [0x01, false, true],
    [0x00, false, false],
  ])('flags %i → audio %s, video %s', (flags, hasAudio, hasVideo) => {
    const { header: h, tags } = readFlvFile(header(flags));
    expect(h).toEqual({ kind: 'header', version: 1, hasAudio, hasVideo, dataOffset: 9 });
    expect(tags).toEqual([]);
  });

  it('skips header bytes past the nine it knows when DataOffset is larger', () => {
    const file = concat(header(0x05, 20), tag(9, 0, Uint8Array.of(1, 2)));
    const { header: h, tags } = readFlvFile(file);
    expect(h.dataOffset).toBe(20);
    expect(tags.map((t) => Array.from(t.body))).toEqual([[1, 2]]);
  });

  it('rejects a wrong signature', () => {
    const bad = header();
    bad[2] = 0x57;
    const err = thrown(() => readFlvFile(bad));
    expect(err.code).toBe('ERR_FLV_BAD_SIGNATURE');
    expect(err.details).toMatchObject({ signature: '464c57' });
  });

  it.each([0, 8, 4097, 0xffffffff])('rejects DataOffset %i', (dataOffset) => {
    const bad = header();
    new DataView(bad.buffer, bad.byteOffset).setUint32(5, dataOffset);
    expect(thrown(() => readFlvFile(bad)).code).toBe('ERR_FLV_BAD_HEADER');
  });
});

describe('FlvFileReader: tags (E.4.1)', () => {
  it.each([
    ['zero', 0, 0],
    ['24-bit', 0x123456, 0x123456],
    ['extended byte is the upper 8 bits', 0x01000002, 0x01000002],
    ['SI32: extended 0xff is negative', 0xfffffffe, -2],
  ])('timestamp %s', (_name, written, read) => {
    const { tags } = readFlvFile(concat(header(), tag(8, written, Uint8Array.of(0xaf, 1))));
    expect(tags[0]?.timestamp).toBe(read);
  });

  it('reads types 8, 9, 18, the Filter bit, and ignores the reserved bits', () => {
    const file = concat(header(), tag(8, 1, Uint8Array.of(1)), tag(9, 2, Uint8Array.of(2)), tag(18, 3, Uint8Array.of(3)), tag(0x29, 4, Uint8Array.of(4)), tag(0xc8, 5, Uint8Array.of(5)));
    const { tags } = readFlvFile(file);
    expect(tags.map((t) => [t.type, t.timestamp, t.filtered, t.body[0]])).toEqual([
      [8, 1, false, 1],
      [9, 2, false, 2],
      [18, 3, false, 3],
      [9, 4, true, 4],
      [8, 5, false, 5],
    ]);
  });

  it('accepts an empty body', () => {
    expect(readFlvFile(concat(header(), tag(18, 0, new Uint8Array(0)))).tags[0]?.body.length).toBe(0);
  });

  it('returns bodies as views of the input, not copies', () => {
    const file = concat(header(), tag(9, 0, Uint8Array.of(7, 7, 7)));
    const body = readFlvFile(file).tags[0]!.body;
    expect(body.buffer).toBe(file.buffer);
  });

  it.each([0, 7, 10, 17, 31])('rejects TagType %i', (type) => {
    const err = thrown(() => readFlvFile(concat(header(), tag(type, 0, Uint8Array.of(0)))));
    expect(err.code).toBe('ERR_FLV_UNKNOWN_TAG_TYPE');
    expect(err.details).toMatchObject({ offset: 13, tagType: type });
  });

  it('rejects a tag above maxTagBytes before buffering its body', () => {
    const reader = new FlvFileReader({ maxTagBytes: 100 });
    reader.push(concat(header(), tag(9, 0, new Uint8Array(101)).subarray(0, 11)));
    expect(reader.read()?.kind).toBe('header');
    const err = thrown(() => reader.read());
    expect(err.code).toBe('ERR_FLV_TAG_TOO_LARGE');
    expect(err.details).toMatchObject({ dataSize: 101, limit: 100 });
  });

  it('accepts a tag of exactly maxTagBytes', () => {
    expect(readFlvFile(concat(header(), tag(9, 0, new Uint8Array(100))), { maxTagBytes: 100 }).tags).toHaveLength(1);
  });
});

describe('FlvFileReader: PreviousTagSize (E.3)', () => {
  it('rejects a PreviousTagSize0 other than 0', () => {
    const err = thrown(() => readFlvFile(header(0x05, 9, 5)));
    expect(err.code).toBe('ERR_FLV_PREVIOUS_TAG_SIZE_MISMATCH');
    expect(err.details).toMatchObject({ offset: 9, previousTagSize: 5, expected: 0 });
  });

  it('rejects a PreviousTagSize that is not 11 + DataSize', () => {
    const file = concat(header(), tag(9, 0, Uint8Array.of(1, 2, 3), 3));
    const err = thrown(() => readFlvFile(file));
    expect(err.details).toMatchObject({ previousTagSize: 3, expected: 14, offset: 27 });
  });

  it('reads it anyway with checkPreviousTagSize: false', () => {
    const file = concat(header(0x05, 9, 7), tag(9, 0, Uint8Array.of(1, 2, 3), 3));
    expect(readFlvFile(file, { checkPreviousTagSize: false }).tags).toHaveLength(1);
  });
});

describe('FlvFileReader: incremental use', () => {
  it('returns null until a whole unit is there, then the unit', () => {
    const file = concat(header(), tag(9, 40, Uint8Array.of(1, 2, 3)));
    const reader = new FlvFileReader();
    const seen: string[] = [];
    for (const byte of file) {
      reader.push(Uint8Array.of(byte));
      for (let item = reader.read(); item !== null; item = reader.read()) seen.push(item.kind);
    }
    expect(seen).toEqual(['header', 'tag']);
    reader.end();
  });

  it.each([
    ['nothing', new Uint8Array(0)],
    ['half a header', header().subarray(0, 5)],
    ['a header without PreviousTagSize0', header().subarray(0, 9)],
    ['half a tag header', concat(header(), tag(9, 0, Uint8Array.of(1))).subarray(0, 18)],
    ['a tag without its PreviousTagSize', concat(header(), tag(9, 0, Uint8Array.of(1))).subarray(0, 25)],
  ])('end() after %s is ERR_FLV_TRUNCATED', (_name, bytes) => {
    expect(thrown(() => readFlvFile(bytes)).code).toBe('ERR_FLV_TRUNCATED');
  });

  it('keeps failing with the same error after one', () => {
    const reader = new FlvFileReader();
    reader.push(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0]));
    const first = thrown(() => reader.read());
    expect(thrown(() => reader.read())).toBe(first);
    expect(thrown(() => reader.end())).toBe(first);
  });

  it.each([-1, 1.5, Number.NaN])('rejects maxTagBytes %s with ERR_CONFIG_INVALID', (maxTagBytes) => {
    expect(() => new FlvFileReader({ maxTagBytes })).toThrow(ConfigError);
  });
});
