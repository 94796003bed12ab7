import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AmfEcmaArray,
  AmfTypedObject,
  amf0ByteLength,
  decodeAmf0,
  decodeAmf3,
  encodeAmf0,
  type AmfLimits,
  type AmfObject,
  type AmfValue,
} from '../../src/amf/index.js';
import { AmfError } from '../../src/errors/index.js';
import { corpus, expectOutcome, expectTableMatchesCorpus, replay, withCorpusHint, type Expected } from '../helpers/corpus.js';

/** Keys include the ones that break naive decoders: prototype setters, integer-like, empty. */
const keyArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '', '0', '1', 'className'),
);

const leafArb: fc.Arbitrary<AmfValue> = fc.oneof(
  fc.double(),
  fc.boolean(),
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: true }),
);

function toObject(entries: ReadonlyArray<readonly [string, AmfValue]>): AmfObject {
  const object: AmfObject = {};
  for (const [key, value] of entries) Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  return object;
}

const { value: amfValueArb } = fc.letrec<{ value: AmfValue }>((tie) => {
  const entries = fc.array(fc.tuple(keyArb, tie('value')), { maxLength: 5 });
  return {
    value: fc.oneof(
      { maxDepth: 6, depthIdentifier: 'amf' },
      leafArb,
      fc.array(tie('value'), { maxLength: 5 }),
      entries.map(toObject),
      entries.map((list) => AmfEcmaArray.from(list)),
      fc.tuple(fc.string({ unit: 'grapheme', maxLength: 8 }), entries).map(([name, list]) => new AmfTypedObject(name, toObject(list))),
    ),
  };
});

/** Deep equality with Object.is at the leaves (NaN equals NaN, -0 differs from 0) and exact classes. */
function sameAmf(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime());
  if (a instanceof AmfTypedObject) {
    const other = b as AmfTypedObject;
    return a.className === other.className && sameAmf(a.properties, other.properties);
  }
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  const recordA = a as Record<string, unknown>;
  const recordB = b as Record<string, unknown>;
  return keysA.every((key) => Object.prototype.hasOwnProperty.call(b, key) && sameAmf(recordA[key], recordB[key]));
}

/** Decodes and requires success or an AmfError; returns how long it took in ms. */
function decodeOrAmfError(decode: () => unknown): number {
  const started = performance.now();
  try {
    decode();
  } catch (err) {
    if (!(err instanceof AmfError)) throw err;
  }
  return performance.now() - started;
}

const SMALL_LIMITS: Partial<AmfLimits> = { maxDepth: 4, maxItems: 8, maxStringBytes: 16 };

/** Bytes rich in valid markers and small lengths, so the decoder gets past the first byte. */
const markerBytesArb = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 0x12 }), fc.integer({ min: 0, max: 0xff }), fc.constantFrom(0x00, 0x09, 0xff)), {
    maxLength: 96,
  })
  .map((bytes) => Uint8Array.from(bytes));

describe('AMF0 properties', () => {
  it('decode(encode(v)) equals v for arbitrary values', () => {
    fc.assert(
      fc.property(amfValueArb, (value) => {
        const bytes = encodeAmf0(value);
        expect(bytes.length).toBe(amf0ByteLength(value));
        const decoded = decodeAmf0(bytes);
        expect(decoded).toHaveLength(1);
        expect(sameAmf(decoded[0], value)).toBe(true);
      }),
      withCorpusHint('amf0', { numRuns: 1000 }),
    );
  });

  it('encode(decode(bytes)) gives the same bytes for encoder output', () => {
    fc.assert(
      fc.property(fc.array(amfValueArb, { maxLength: 4 }), (values) => {
        const bytes = encodeAmf0(...values);
        expect(encodeAmf0(...decodeAmf0(bytes)).equals(bytes)).toBe(true);
      }),
      withCorpusHint('amf0', { numRuns: 300 }),
    );
  });

  it('random bytes decode or throw AmfError, quickly', () => {
    let slowest = 0;
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 96 }), markerBytesArb), (bytes) => {
        slowest = Math.max(
          slowest,
          decodeOrAmfError(() => decodeAmf0(bytes)),
          decodeOrAmfError(() => decodeAmf0(bytes, SMALL_LIMITS)),
          decodeOrAmfError(() => decodeAmf3(bytes)),
          decodeOrAmfError(() => decodeAmf0(Uint8Array.of(0x11, ...bytes))),
        );
      }),
      // A counterexample is saved to amf0/ or amf3/, whichever decoder failed on it.
      withCorpusHint('amf0', { numRuns: 5000 }),
    );
    expect(slowest).toBeLessThan(250);
  });

  it('mutated and truncated valid encodings decode or throw AmfError, quickly', () => {
    const mutationArb = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 0xff })), { minLength: 1, maxLength: 4 });
    let slowest = 0;
    fc.assert(
      fc.property(fc.array(amfValueArb, { minLength: 1, maxLength: 3 }), mutationArb, fc.option(fc.nat()), (values, mutations, cut) => {
        const bytes = Uint8Array.from(encodeAmf0(...values));
        for (const [at, byte] of mutations) bytes[at % bytes.length] = byte;
        const input = cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
        slowest = Math.max(
          slowest,
          decodeOrAmfError(() => decodeAmf0(input)),
          decodeOrAmfError(() => decodeAmf0(input, SMALL_LIMITS)),
        );
      }),
      withCorpusHint('amf0', { numRuns: 3000 }),
    );
    expect(slowest).toBeLessThan(250);
  });
});

/** An ECMA array or object as a plain record, to read its members. */
const members = (value: AmfValue): Record<string, AmfValue> => value as Record<string, AmfValue>;

/** fixtures/corpus/amf0/: the outcome of each seed (fixtures/corpus/README.md). */
const AMF0_CORPUS: Record<string, Expected<AmfValue[]>> = {
  'valid-obs-connect.bin': ([name, transaction, command]) => {
    expect([name, transaction]).toEqual(['connect', 1]);
    expect(command).toMatchObject({ app: 'live', type: 'nonprivate', supportsGoAway: true, flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)' });
  },
  'valid-ffmpeg-connect.bin': ([name, , command]) => {
    expect(name).toBe('connect');
    expect(command).toMatchObject({ app: 'live', flashVer: 'FMLE/3.0 (compatible; Lavf59.27.100)' });
  },
  'valid-librtmp-publish.bin': (values) => expect(values).toEqual(['publish', 5, null, 'gstkey2', 'live']),
  'valid-onmetadata-h264-aac.bin': ([name, metadata]) => {
    expect(name).toBe('onMetaData');
    expect(metadata).toBeInstanceOf(AmfEcmaArray);
    expect(members(metadata!)).toMatchObject({ width: 320, height: 240, framerate: 30, videocodecid: 7, audiocodecid: 10, audiosamplerate: 44_100 });
  },
  // E-RTMP: videocodecid is the FourCC 'hvc1' as a number.
  'valid-onmetadata-hevc-ertmp.bin': ([, metadata]) => expect(members(metadata!)).toMatchObject({ width: 320, height: 240, videocodecid: 0x68766331 }),
  'valid-every-marker.bin': (values) =>
    expect(values).toStrictEqual([
      1.5,
      true,
      'text',
      { a: null, b: undefined },
      AmfEcmaArray.from([['k', 2]]),
      [1, 'x'],
      new Date(1_700_000_000_000),
      new AmfTypedObject('Point', { x: 1 }),
      'abc',
      '<a/>',
    ]),
  // The reference (AMF0 2.9) is to object 1 — the array is object 0 — and yields the same object.
  'valid-reference-to-object.bin': ([array]) => {
    const [first, second] = array as AmfValue[];
    expect(first).toEqual({ a: 1 });
    expect(second).toBe(first);
  },
  'valid-avmplus-switch.bin': (values) => expect(values).toEqual(['connect', 1, { app: 'live' }]),
  'truncated-obs-connect-at-100.bin': 'ERR_AMF_TRUNCATED',
  'truncated-onmetadata-at-200.bin': 'ERR_AMF_TRUNCATED',
  'truncated-number.bin': 'ERR_AMF_TRUNCATED',
  'truncated-string-length.bin': 'ERR_AMF_TRUNCATED',
  'truncated-object-without-end.bin': 'ERR_AMF_TRUNCATED',
  'hostile-objects-10000-deep.bin': 'ERR_AMF_DEPTH_EXCEEDED',
  'hostile-strict-arrays-10000-deep.bin': 'ERR_AMF_DEPTH_EXCEEDED',
  'hostile-ecma-arrays-1000-deep.bin': 'ERR_AMF_DEPTH_EXCEEDED',
  'hostile-typed-objects-1000-deep.bin': 'ERR_AMF_DEPTH_EXCEEDED',
  'hostile-amf3-arrays-10000-deep.bin': 'ERR_AMF_DEPTH_EXCEEDED',
  'hostile-amf3-in-amf0-objects-deep.bin': 'ERR_AMF_DEPTH_EXCEEDED',
  'hostile-strict-array-count-2p32.bin': 'ERR_AMF_TOO_MANY_ITEMS',
  'hostile-long-string-4gib.bin': 'ERR_AMF_STRING_TOO_LONG',
  'hostile-xml-4gib.bin': 'ERR_AMF_STRING_TOO_LONG',
  // The ECMA array's count is only a hint (AMF0 2.10): the entries up to the end marker count.
  'hostile-ecma-count-hint-2p32.bin': (values) => expect(values).toEqual([AmfEcmaArray.from([['a', null]])]),
  'hostile-amf3-string-2p28.bin': 'ERR_AMF_STRING_TOO_LONG',
  'hostile-amf3-traits-2p24-sealed.bin': 'ERR_AMF_TOO_MANY_ITEMS',
  'hostile-movieclip-marker.bin': 'ERR_AMF_UNKNOWN_MARKER',
  'hostile-recordset-marker.bin': 'ERR_AMF_UNKNOWN_MARKER',
  'hostile-marker-ff.bin': 'ERR_AMF_UNKNOWN_MARKER',
  'hostile-object-end-marker-alone.bin': 'ERR_AMF_UNKNOWN_MARKER',
  'hostile-reference-forward.bin': 'ERR_AMF_BAD_REFERENCE',
  'hostile-empty-key-then-value.bin': (values) => expect(values).toEqual([{ '': '' }]),
  'hostile-zero-length-strings.bin': (values) => expect(values).toEqual(['', '', {}]),
  'hostile-empty.bin': (values) => expect(values).toEqual([]),
};

/** fixtures/corpus/amf3/. */
const AMF3_CORPUS: Record<string, Expected<AmfValue[]>> = {
  'valid-every-type.bin': (values) =>
    expect(values).toStrictEqual([
      undefined,
      null,
      false,
      true,
      127,
      -1,
      1.5,
      'hello',
      '',
      '<a/>',
      new Date(1_700_000_000_000),
      [1, 'a'],
      AmfEcmaArray.from([['a', 1], ['0', 2]]),
      { b: 1 },
      new AmfTypedObject('Foo', { x: 5, y: true }),
    ]),
  // Traits by reference, then a string reference to index 0: class names share the string table (AMF3 3.8).
  'valid-references.bin': (values) =>
    expect(values).toStrictEqual([[new AmfTypedObject('Foo', { x: 5 }), new AmfTypedObject('Foo', { x: 6 }), 'abc', 'Foo']]),
  'valid-connect-object.bin': (values) => expect(values).toEqual([{ app: 'live' }]),
  'valid-self-referencing-array.bin': ([array]) => {
    expect(array).toHaveLength(1);
    expect((array as AmfValue[])[0]).toBe(array);
  },
  'truncated-double.bin': 'ERR_AMF_TRUNCATED',
  'truncated-u29.bin': 'ERR_AMF_TRUNCATED',
  'truncated-string.bin': 'ERR_AMF_TRUNCATED',
  'truncated-traits-class-name.bin': 'ERR_AMF_TRUNCATED',
  'hostile-arrays-10000-deep.bin': 'ERR_AMF_DEPTH_EXCEEDED',
  'hostile-objects-10000-deep.bin': 'ERR_AMF_DEPTH_EXCEEDED',
  'hostile-dense-array-2p28.bin': 'ERR_AMF_TOO_MANY_ITEMS',
  'hostile-string-2p28.bin': 'ERR_AMF_STRING_TOO_LONG',
  'hostile-traits-2p24-sealed.bin': 'ERR_AMF_TOO_MANY_ITEMS',
  'hostile-byte-array.bin': 'ERR_AMF_UNKNOWN_MARKER',
  'hostile-vector-object.bin': 'ERR_AMF_UNKNOWN_MARKER',
  'hostile-dictionary.bin': 'ERR_AMF_UNKNOWN_MARKER',
  'hostile-externalizable.bin': 'ERR_AMF_UNKNOWN_MARKER',
  'hostile-string-reference-past-table.bin': 'ERR_AMF_BAD_REFERENCE',
  'hostile-object-reference-past-table.bin': 'ERR_AMF_BAD_REFERENCE',
  'hostile-traits-reference-past-table.bin': 'ERR_AMF_BAD_REFERENCE',
  'hostile-empty.bin': (values) => expect(values).toEqual([]),
};

describe('corpus', () => {
  const amf0 = corpus('amf0');
  const amf3 = corpus('amf3');

  it('every valid sample has its expected value, every expectation its file', () => {
    expectTableMatchesCorpus(amf0, AMF0_CORPUS);
    expectTableMatchesCorpus(amf3, AMF3_CORPUS);
  });

  it.each(amf0)('amf0/$name: values or AmfError, as pinned', (file) => {
    expectOutcome(replay(file, AmfError, (bytes) => decodeAmf0(bytes)), AMF0_CORPUS[file.name]);
    // Tight limits must not turn a typed error into anything else either.
    replay(file, AmfError, (bytes) => decodeAmf0(bytes, SMALL_LIMITS));
  });

  it.each(amf3)('amf3/$name: values or AmfError, as pinned', (file) => {
    expectOutcome(replay(file, AmfError, (bytes) => decodeAmf3(bytes)), AMF3_CORPUS[file.name]);
    replay(file, AmfError, (bytes) => decodeAmf3(bytes, SMALL_LIMITS));
  });
});
