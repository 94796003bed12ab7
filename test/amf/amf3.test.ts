import { describe, expect, it } from 'vitest';
import { AmfEcmaArray, AmfTypedObject, decodeAmf0, decodeAmf3, type AmfValue } from '../../src/amf/index.js';
import { amfErrorCode, hex } from './helpers.js';

/** AMF3 encodings (AMF3 3.x) and the value each decodes to, via the AMF0 switch marker 0x11. */
const CASES: Array<{ name: string; bytes: string; value: AmfValue }> = [
  { name: 'undefined', bytes: '00', value: undefined },
  { name: 'null', bytes: '01', value: null },
  { name: 'false', bytes: '02', value: false },
  { name: 'true', bytes: '03', value: true },
  { name: 'int 0', bytes: '04 00', value: 0 },
  { name: 'int 127 (1 byte)', bytes: '04 7f', value: 127 },
  { name: 'int 128 (2 bytes)', bytes: '04 81 00', value: 128 },
  { name: 'int 16384 (3 bytes)', bytes: '04 81 80 00', value: 16384 },
  { name: 'int 2^28-1 (4 bytes)', bytes: '04 bf ff ff ff', value: 0x0fffffff },
  { name: 'int -1 (sign-extended)', bytes: '04 ff ff ff ff', value: -1 },
  { name: 'int -2^28', bytes: '04 c0 80 80 00', value: -0x10000000 },
  { name: 'double 1.5', bytes: '05 3ff8000000000000', value: 1.5 },
  { name: "string 'hello'", bytes: '06 0b 68656c6c6f', value: 'hello' },
  { name: 'empty string', bytes: '06 01', value: '' },
  { name: 'XML document', bytes: '07 09 3c612f3e', value: '<a/>' },
  { name: 'XML', bytes: '0b 09 3c612f3e', value: '<a/>' },
  { name: 'date', bytes: '08 01 4278bcfe56800000', value: new Date(1_700_000_000_000) },
  { name: 'dense array', bytes: '09 05 01 04 01 06 03 61', value: [1, 'a'] },
  { name: 'empty array', bytes: '09 01 01', value: [] },
  {
    name: 'mixed array',
    bytes: '09 03 03 61 04 01 01 04 02',
    value: AmfEcmaArray.from([['a', 1], ['0', 2]]),
  },
  { name: 'anonymous dynamic object', bytes: '0a 0b 01 03 61 04 01 01', value: { a: 1 } },
  { name: 'empty anonymous object', bytes: '0a 0b 01 01', value: {} },
  {
    name: 'typed sealed object',
    bytes: '0a 13 07 466f6f 03 78 04 05',
    value: new AmfTypedObject('Foo', { x: 5 }),
  },
  {
    name: 'typed object with sealed and dynamic members',
    bytes: '0a 1b 07 466f6f 03 78 04 05 03 79 03 01',
    value: new AmfTypedObject('Foo', { x: 5, y: true }),
  },
  {
    name: 'traits by reference',
    bytes: '09 05 01  0a 13 07 466f6f 03 78 04 05  0a 01 04 06',
    value: [new AmfTypedObject('Foo', { x: 5 }), new AmfTypedObject('Foo', { x: 6 })],
  },
  { name: 'string by reference', bytes: '09 05 01 06 07 616263 06 00', value: ['abc', 'abc'] },
  {
    name: 'member names by string reference',
    bytes: '09 05 01  0a 0b 01 03 61 04 01 01  0a 0b 01 00 04 02 01',
    value: [{ a: 1 }, { a: 2 }],
  },
];

describe('AMF3 through the AMF0 switch (0x11)', () => {
  it.each(CASES)('decodes $name', ({ bytes, value }) => {
    expect(decodeAmf0(hex(`11 ${bytes}`))).toStrictEqual([value]);
  });

  it.each(CASES)('decodes $name standalone', ({ bytes, value }) => {
    expect(decodeAmf3(hex(bytes))).toStrictEqual([value]);
  });

  it('resolves an object reference to the same JS object', () => {
    const [array] = decodeAmf0(hex('11 09 05 01 0a 0b 01 01 0a 02')) as [AmfValue[]];
    expect(array[1]).toBe(array[0]);
  });

  it('lets an array refer to itself', () => {
    const [array] = decodeAmf3(hex('09 03 01 09 00')) as [AmfValue[]];
    expect(array[0]).toBe(array);
  });

  it('resolves a date reference', () => {
    const [array] = decodeAmf3(hex('09 05 01 08 01 0000000000000000 08 02')) as [AmfValue[]];
    expect(array[0]).toEqual(new Date(0));
    expect(array[1]).toBe(array[0]);
  });

  it('starts fresh reference tables at every switch', () => {
    expect(decodeAmf0(hex('11 06 07 616263 11 06 07 616263'))).toEqual(['abc', 'abc']);
    expect(amfErrorCode(() => decodeAmf0(hex('11 06 07 616263 11 06 00')))).toBe('ERR_AMF_BAD_REFERENCE');
  });

  it('decodes AMF3 values nested in AMF0 objects, as a type-17 command carries them', () => {
    // AMF0 'connect', 1, then the command object switched to AMF3: { app: 'live' }
    const body = hex('02 0007 636f6e6e656374 00 3ff0000000000000 11 0a 0b 01 07 617070 06 09 6c697665 01');
    expect(decodeAmf0(body)).toStrictEqual(['connect', 1, { app: 'live' }]);
  });

  it('keeps a __proto__ member an own property', () => {
    const [object] = decodeAmf3(hex('0a 0b 01 13 5f5f70726f746f5f5f 0a 0b 01 01 01')) as [Record<string, unknown>];
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(Object.keys(object)).toEqual(['__proto__']);
  });

  it.each([
    ['byte array', '0c 03 00'],
    ['vector<int>', '0d 01 00'],
    ['vector<uint>', '0e 01 00'],
    ['vector<double>', '0f 01 00'],
    ['vector<object>', '10 01 00 01'],
    ['dictionary', '11 01 00'],
    ['marker 0x12', '12'],
    ['externalizable object', '0a 07 07 466f6f'],
  ])('refuses %s', (_name, bytes) => {
    expect(amfErrorCode(() => decodeAmf0(hex(`11 ${bytes}`)))).toBe('ERR_AMF_UNKNOWN_MARKER');
  });

  it.each([
    ['string', '06 02'],
    ['object', '0a 00'],
    ['traits', '0a 05'],
    ['date', '08 00'],
    ['xml', '07 00'],
    ['array', '09 00'],
  ])('refuses a %s reference past the table', (_name, bytes) => {
    expect(amfErrorCode(() => decodeAmf3(hex(bytes)))).toBe('ERR_AMF_BAD_REFERENCE');
  });

  it('reports truncation at every cut as ERR_AMF_TRUNCATED', () => {
    for (const { bytes } of CASES) {
      const full = hex(`11 ${bytes}`);
      for (let cut = 1; cut < full.length; cut++) {
        expect(amfErrorCode(() => decodeAmf0(full.subarray(0, cut)))).toBe('ERR_AMF_TRUNCATED');
      }
    }
  });
});
