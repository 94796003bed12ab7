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
      { numRuns: 1000 },
    );
  });

  it('encode(decode(bytes)) gives the same bytes for encoder output', () => {
    fc.assert(
      fc.property(fc.array(amfValueArb, { maxLength: 4 }), (values) => {
        const bytes = encodeAmf0(...values);
        expect(encodeAmf0(...decodeAmf0(bytes)).equals(bytes)).toBe(true);
      }),
      { numRuns: 300 },
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
      { numRuns: 5000 },
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
      { numRuns: 3000 },
    );
    expect(slowest).toBeLessThan(250);
  });
});
