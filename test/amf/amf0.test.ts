import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/bytes/index.js';
import {
  Amf0Decoder,
  AmfEcmaArray,
  AmfTypedObject,
  amf0ByteLength,
  decodeAmf0,
  encodeAmf0,
  writeAmf0,
  type AmfValue,
} from '../../src/amf/index.js';
import { amfErrorCode, hex } from './helpers.js';

const ONE = '3ff0000000000000';

/** Values whose encoding is unique: encode must produce `bytes`, decode must give `value` back. */
const BOTH_WAYS: Array<{ name: string; value: AmfValue; bytes: string }> = [
  { name: 'number 1.5', value: 1.5, bytes: '00 3ff8000000000000' },
  { name: 'number -0', value: -0, bytes: '00 8000000000000000' },
  { name: 'true', value: true, bytes: '01 01' },
  { name: 'false', value: false, bytes: '01 00' },
  { name: "'onMetaData'", value: 'onMetaData', bytes: '02 000a 6f6e4d65746144617461' },
  { name: 'empty string', value: '', bytes: '02 0000' },
  { name: "'é' (2 UTF-8 bytes)", value: 'é', bytes: '02 0002 c3a9' },
  { name: 'null', value: null, bytes: '05' },
  { name: 'undefined', value: undefined, bytes: '06' },
  { name: 'empty object', value: {}, bytes: '03 000009' },
  {
    name: 'nested object',
    value: { a: 1, b: { c: 'x' } },
    bytes: `03 0001 61 00 ${ONE}  0001 62 03 0001 63 02 0001 78 000009  000009`,
  },
  {
    name: 'object with an undefined property',
    value: { a: undefined },
    bytes: '03 0001 61 06 000009',
  },
  {
    name: 'ECMA array',
    value: AmfEcmaArray.from([['duration', 0], ['width', 1280]]),
    bytes: '08 00000002 0008 6475726174696f6e 00 0000000000000000 0005 7769647468 00 4094000000000000 000009',
  },
  { name: 'strict array', value: [1, 'a', null], bytes: `0a 00000003 00 ${ONE} 02 0001 61 05` },
  { name: 'empty strict array', value: [], bytes: '0a 00000000' },
  { name: 'date', value: new Date(1_700_000_000_000), bytes: '0b 4278bcfe56800000 0000' },
  {
    name: 'typed object',
    value: new AmfTypedObject('Foo', { x: 1 }),
    bytes: `10 0003 466f6f 0001 78 00 ${ONE} 000009`,
  },
];

describe('AMF0 both ways', () => {
  it.each(BOTH_WAYS)('encodes $name', ({ value, bytes }) => {
    expect(encodeAmf0(value).toString('hex')).toBe(hex(bytes).toString('hex'));
    expect(amf0ByteLength(value)).toBe(hex(bytes).length);
  });

  it.each(BOTH_WAYS)('decodes $name', ({ value, bytes }) => {
    expect(decodeAmf0(hex(bytes))).toStrictEqual([value]);
  });

  it('a long string of 70 000 bytes uses marker 0x0c and a u32 length', () => {
    const s = 'a'.repeat(70_000);
    const bytes = encodeAmf0(s);
    expect(bytes.length).toBe(5 + 70_000);
    expect(bytes.subarray(0, 5).toString('hex')).toBe('0c00011170');
    expect(decodeAmf0(bytes)).toEqual([s]);
  });

  it('switches to a long string on UTF-8 bytes, not UTF-16 units', () => {
    const s = 'é'.repeat(40_000); // 40 000 units, 80 000 bytes
    expect(encodeAmf0(s)[0]).toBe(0x0c);
    expect(encodeAmf0('a'.repeat(65_535))[0]).toBe(0x02);
    expect(decodeAmf0(encodeAmf0(s))).toEqual([s]);
  });

  it('encodes several values back to back into one buffer', () => {
    expect(encodeAmf0('connect', 1, null).toString('hex')).toBe(hex(`02 0007 636f6e6e656374 00 ${ONE} 05`).toString('hex'));
  });

  it('writeAmf0 writes at the writer position', () => {
    const writer = new ByteWriter(2 + amf0ByteLength('x'));
    writer.u16(0xabcd);
    writeAmf0(writer, 'x');
    expect(writer.view().toString('hex')).toBe('abcd02000178');
  });
});

describe('AMF0 decode only', () => {
  it('resolves a reference to the same JS object', () => {
    // strict array (ref 0) holding an object (ref 1) and a reference to ref 1
    const [array] = decodeAmf0(hex(`0a 00000002 03 0001 61 00 ${ONE} 000009 07 0001`)) as [AmfValue[]];
    expect(array[0]).toEqual({ a: 1 });
    expect(array[1]).toBe(array[0]);
  });

  it('resolves a reference across the values of one decoder', () => {
    const values = decodeAmf0(hex('03 000009 07 0000'));
    expect(values[1]).toBe(values[0]);
  });

  it('lets an object refer to itself', () => {
    const [object] = decodeAmf0(hex('03 0004 73656c66 07 0000 000009')) as [Record<string, unknown>];
    expect(object['self']).toBe(object);
  });

  it('trusts the object-end marker, not the ECMA count', () => {
    const [wrongHigh] = decodeAmf0(hex(`08 000000ff 0001 61 00 ${ONE} 000009`));
    const [wrongZero] = decodeAmf0(hex(`08 00000000 0001 61 00 ${ONE} 0001 62 01 01 000009`));
    expect(wrongHigh).toStrictEqual(AmfEcmaArray.from([['a', 1]]));
    expect(wrongZero).toStrictEqual(AmfEcmaArray.from([['a', 1], ['b', true]]));
    expect(wrongZero).toBeInstanceOf(AmfEcmaArray);
    expect((wrongZero as AmfEcmaArray)['b']).toBe(true);
  });

  it('accepts an ECMA array cut after its declared count at the end of the buffer', () => {
    expect(decodeAmf0(hex(`08 00000001 0001 61 00 ${ONE}`))).toStrictEqual([AmfEcmaArray.from([['a', 1]])]);
    expect(amfErrorCode(() => decodeAmf0(hex(`08 00000002 0001 61 00 ${ONE}`)))).toBe('ERR_AMF_TRUNCATED');
    expect(amfErrorCode(() => decodeAmf0(hex(`03 0001 61 00 ${ONE}`)))).toBe('ERR_AMF_TRUNCATED');
  });

  it('reads an empty key before a non-end marker as a property named ""', () => {
    expect(decodeAmf0(hex('03 0000 05 000009'))).toStrictEqual([{ '': null }]);
  });

  it('maps unsupported to undefined, XML document to a string, any boolean byte ≠ 0 to true', () => {
    expect(decodeAmf0(hex('0d 0f 00000004 3c612f3e 01 7f'))).toStrictEqual([undefined, '<a/>', true]);
  });

  it('ignores the date time zone', () => {
    expect(decodeAmf0(hex('0b 0000000000000000 ff88'))).toStrictEqual([new Date(0)]);
  });

  it('reads a short string with a long-string marker', () => {
    expect(decodeAmf0(hex('0c 00000002 6869'))).toEqual(['hi']);
  });

  it.each([
    ['movieclip', '04'],
    ['recordset', '0e'],
    ['object end outside an object', '09'],
    ['0x12', '12'],
    ['0xff', 'ff'],
  ])('refuses marker %s', (_name, bytes) => {
    expect(amfErrorCode(() => decodeAmf0(hex(bytes)))).toBe('ERR_AMF_UNKNOWN_MARKER');
  });

  it('refuses a reference to an object not decoded yet', () => {
    expect(amfErrorCode(() => decodeAmf0(hex('07 0000')))).toBe('ERR_AMF_BAD_REFERENCE');
    expect(amfErrorCode(() => decodeAmf0(hex('03 0001 61 07 0001 000009')))).toBe('ERR_AMF_BAD_REFERENCE');
  });

  it('reports truncation at every cut of every encoding as ERR_AMF_TRUNCATED', () => {
    for (const { name, bytes } of BOTH_WAYS) {
      const full = hex(bytes);
      for (let cut = 0; cut < full.length; cut++) {
        // An ECMA array cut exactly before its end marker is accepted (tested above).
        if (name === 'ECMA array' && cut === full.length - 3) continue;
        const decoder = new Amf0Decoder(full.subarray(0, cut));
        if (cut === 0) expect(decoder.done).toBe(true);
        expect(amfErrorCode(() => decoder.next())).toBe('ERR_AMF_TRUNCATED');
      }
    }
  });

  it('reports offset and counts in the error details', () => {
    try {
      decodeAmf0(hex('05 02 0005 6162'));
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'ERR_AMF_TRUNCATED', details: { need: 5, have: 2, offset: 4 } });
    }
  });

  it('steps value by value with done and offset', () => {
    const decoder = new Amf0Decoder(hex(`05 00 ${ONE}`));
    expect(decoder.next()).toBe(null);
    expect(decoder.offset).toBe(1);
    expect(decoder.done).toBe(false);
    expect(decoder.next()).toBe(1);
    expect(decoder.done).toBe(true);
  });
});

describe('AMF0 prototype pollution', () => {
  it('keeps a __proto__ key as an own data property of an object', () => {
    // { __proto__: { polluted: true } }
    const bytes = hex('03 0009 5f5f70726f746f5f5f 03 0008 706f6c6c75746564 01 01 000009 000009');
    const [object] = decodeAmf0(bytes) as [Record<string, unknown>];
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(object['polluted']).toBeUndefined();
    expect(Object.keys(object)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(object, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(encodeAmf0(object as AmfValue).equals(bytes)).toBe(true);
  });

  it('keeps __proto__ an entry in ECMA arrays and typed objects', () => {
    const [ecma] = decodeAmf0(hex('08 00000001 0009 5f5f70726f746f5f5f 05 000009'));
    expect(Object.getPrototypeOf(ecma)).toBe(AmfEcmaArray.prototype);
    expect(Object.keys(ecma as object)).toEqual(['__proto__']);
    const [typed] = decodeAmf0(hex('10 0001 54 0009 5f5f70726f746f5f5f 05 000009')) as [AmfTypedObject];
    expect(Object.getPrototypeOf(typed.properties)).toBe(Object.prototype);
    expect(Object.keys(typed.properties)).toEqual(['__proto__']);
  });
});

describe('AMF0 encode only', () => {
  it('writes a value reachable twice twice, never as a reference', () => {
    const shared = { a: 1 };
    const obj = `03 0001 61 00 ${ONE} 000009`;
    expect(encodeAmf0([shared, shared]).toString('hex')).toBe(hex(`0a 00000002 ${obj} ${obj}`).toString('hex'));
  });

  it('writes array holes as undefined and null-prototype objects as objects', () => {
    expect(encodeAmf0([, 1] as AmfValue[]).toString('hex')).toBe(hex(`0a 00000002 06 00 ${ONE}`).toString('hex'));
    const bare = Object.create(null) as Record<string, AmfValue>;
    bare['a'] = null;
    expect(encodeAmf0(bare).toString('hex')).toBe('030001610500' + '0009');
  });

  it.each<[string, unknown]>([
    ['function', () => 1],
    ['symbol', Symbol('s')],
    ['bigint', 1n],
    ['Map', new Map()],
    ['Uint8Array', new Uint8Array(1)],
    ['class instance', new (class Point {})()],
    ['function inside an object', { f: () => 1 }],
    ['key over 65 535 bytes', { ['k'.repeat(65_536)]: 1 }],
    ['class name over 65 535 bytes', new AmfTypedObject('C'.repeat(65_536))],
  ])('refuses a %s', (_name, value) => {
    expect(amfErrorCode(() => encodeAmf0(value as AmfValue))).toBe('ERR_AMF_UNENCODABLE');
    expect(amfErrorCode(() => amf0ByteLength(value as AmfValue))).toBe('ERR_AMF_UNENCODABLE');
  });

  it('refuses cycles through objects, arrays and typed objects', () => {
    const object: Record<string, AmfValue> = {};
    object['self'] = object;
    const array: AmfValue[] = [];
    array.push([array]);
    const typed = new AmfTypedObject('T');
    typed.properties['me'] = typed;
    for (const value of [object, array, typed]) {
      expect(amfErrorCode(() => encodeAmf0(value))).toBe('ERR_AMF_UNENCODABLE');
    }
  });
});

describe('a real OBS 29.0.2 connect command', () => {
  // The body of the first command message in fixtures/rtmp/obs-29.0.2-publish.c2s.bin: after the
  // 3073-byte handshake comes a Set Chunk Size chunk (16 bytes), then a type 0 chunk header on
  // chunk stream 3 (12 bytes) announcing a 191-byte AMF0 command (type 20) in one chunk.
  const BODY =
    '020007636f6e6e656374003ff00000000000000300036170700200046c69766500047479706502000a6e6f6e70' +
    '726976617465000e737570706f727473476f4177617901010008666c61736856657202001f464d4c452f332e30' +
    '2028636f6d70617469626c653b20464d53632f312e3029000673776655726c02001b72746d703a2f2f3132372e' +
    '302e302e313a32393336312f6c6976650005746355726c02001b72746d703a2f2f3132372e302e302e313a3239' +
    '3336312f6c697665000009';

  it('decodes name, transaction id and the command object', () => {
    const bytes = hex(BODY);
    expect(bytes.length).toBe(191);
    expect(decodeAmf0(bytes)).toStrictEqual([
      'connect',
      1,
      {
        app: 'live',
        type: 'nonprivate',
        supportsGoAway: true,
        flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)',
        swfUrl: 'rtmp://127.0.0.1:29361/live',
        tcUrl: 'rtmp://127.0.0.1:29361/live',
      },
    ]);
  });

  it('matches the recording, and decodes from a view into it', () => {
    const recording = readFileSync(new URL('../../fixtures/rtmp/obs-29.0.2-publish.c2s.bin', import.meta.url));
    const start = 1 + 1536 + 1536 + 16 + 12;
    expect(recording.subarray(start - 12, start).toString('hex')).toBe('030000000000bf1400000000');
    const view = recording.subarray(start, start + 191);
    expect(view.equals(hex(BODY))).toBe(true);
    expect(decodeAmf0(view)).toStrictEqual(decodeAmf0(hex(BODY)));
  });

  it('re-encodes to the same bytes', () => {
    const bytes = hex(BODY);
    expect(encodeAmf0(...decodeAmf0(bytes)).equals(bytes)).toBe(true);
  });
});
