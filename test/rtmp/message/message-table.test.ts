import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AmfValue } from '../../../src/amf/index.js';
import { TidecastError } from '../../../src/errors/index.js';
import {
  MESSAGE_TABLE,
  MessageType,
  decodeMessage,
  encodeMessage,
  messageKind,
  type MessageKind,
  type RtmpMessage,
  type TypedMessage,
} from '../../../src/rtmp/message/index.js';

/**
 * The typed message layer (message-table.ts): every RTMP 1.0 message type, exact bytes in both
 * directions, decode(encode(x)) = x for any typed message, encode(decode(b)) = b for the canonical
 * bodies, and any body of any type either decodes or throws a TidecastError.
 */

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** AMF0 of 'connect', 1, { app: 'live' } and of 'onMetaData', { w: 2 }. */
const CONNECT_AMF0 = '0200 07 636f6e6e656374  00 3ff0000000000000  03 0003 617070 0200 04 6c697665 000009';
const META_AMF0 = '0200 0a 6f6e4d65746144617461  03 0001 77 00 4000000000000000 000009';
const CONNECT_COMMAND = { name: 'connect', transactionId: 1, commandObject: { app: 'live' }, args: [] };

const TABLE: Array<{ message: TypedMessage; typeId: number; chunkStreamId: number; bytes: string }> = [
  { message: { kind: 'set-chunk-size', chunkSize: 4096 }, typeId: 1, chunkStreamId: 2, bytes: '00001000' },
  { message: { kind: 'abort', chunkStreamId: 4 }, typeId: 2, chunkStreamId: 2, bytes: '00000004' },
  { message: { kind: 'acknowledgement', sequenceNumber: 0xfffffffe }, typeId: 3, chunkStreamId: 2, bytes: 'fffffffe' },
  { message: { kind: 'user-control', event: 0, value: 1 }, typeId: 4, chunkStreamId: 2, bytes: '0000 00000001' },
  { message: { kind: 'user-control', event: 3, value: 1, bufferLengthMs: 3000 }, typeId: 4, chunkStreamId: 2, bytes: '0003 00000001 00000bb8' },
  { message: { kind: 'user-control', event: 6, value: 0x01020304 }, typeId: 4, chunkStreamId: 2, bytes: '0006 01020304' },
  { message: { kind: 'window-ack-size', windowBytes: 2_500_000 }, typeId: 5, chunkStreamId: 2, bytes: '002625a0' },
  { message: { kind: 'set-peer-bandwidth', windowBytes: 2_500_000, limitType: 2 }, typeId: 6, chunkStreamId: 2, bytes: '002625a0 02' },
  { message: { kind: 'audio', payload: hex('af01 21') }, typeId: 8, chunkStreamId: 6, bytes: 'af0121' },
  { message: { kind: 'video', payload: hex('1701000000 aabb') }, typeId: 9, chunkStreamId: 7, bytes: '1701000000aabb' },
  { message: { kind: 'data-amf3', values: ['onMetaData', { w: 2 }] }, typeId: 15, chunkStreamId: 5, bytes: `00 ${META_AMF0}` },
  { message: { kind: 'shared-object-amf3', payload: hex('00 0102') }, typeId: 16, chunkStreamId: 3, bytes: '000102' },
  { message: { kind: 'command-amf3', command: CONNECT_COMMAND }, typeId: 17, chunkStreamId: 3, bytes: `00 ${CONNECT_AMF0}` },
  { message: { kind: 'data-amf0', values: ['onMetaData', { w: 2 }] }, typeId: 18, chunkStreamId: 5, bytes: META_AMF0 },
  { message: { kind: 'shared-object-amf0', payload: hex('0102') }, typeId: 19, chunkStreamId: 3, bytes: '0102' },
  { message: { kind: 'command-amf0', command: CONNECT_COMMAND }, typeId: 20, chunkStreamId: 3, bytes: CONNECT_AMF0 },
  { message: { kind: 'aggregate', payload: hex('09 000005') }, typeId: 22, chunkStreamId: 7, bytes: '09000005' },
];

describe('the message table', () => {
  it('has every type of RTMP 1.0 5.4 and 7.1, under the ids of MessageType, once each', () => {
    const ids = Object.values(MESSAGE_TABLE).map((c) => c.typeId).sort((a, b) => a - b);
    expect(ids).toEqual(Object.values(MessageType).sort((a, b) => a - b));
    for (const kind of Object.keys(MESSAGE_TABLE) as MessageKind[]) expect(messageKind(MESSAGE_TABLE[kind].typeId)).toBe(kind);
    for (const id of [0, 7, 10, 11, 12, 13, 14, 21, 23, 255]) expect(messageKind(id)).toBeUndefined();
  });

  it('covers every kind in the exact-bytes table below', () => {
    expect(new Set(TABLE.map((row) => row.message.kind))).toEqual(new Set(Object.keys(MESSAGE_TABLE)));
  });

  it.each(TABLE)('$message.kind ↔ $bytes', ({ message, typeId, chunkStreamId, bytes }) => {
    const m = encodeMessage(message);
    expect({ typeId: m.typeId, chunkStreamId: m.chunkStreamId, timestamp: m.timestamp, messageStreamId: m.messageStreamId }).toEqual({ typeId, chunkStreamId, timestamp: 0, messageStreamId: 0 });
    expect(toHex(m.payload)).toBe(bytes.replace(/\s+/g, ''));
    expect(decodeMessage({ typeId, payload: hex(bytes) })).toEqual(message);
  });

  it('the header fields given win over the defaults', () => {
    const m = encodeMessage({ kind: 'video', payload: hex('27') }, { chunkStreamId: 70, timestamp: 40, messageStreamId: 1 });
    expect(m).toMatchObject({ chunkStreamId: 70, typeId: 9, timestamp: 40, messageStreamId: 1 });
  });

  it('audio, video and aggregate bodies are views of the received bytes, not copies', () => {
    const payload = hex('af0121');
    const t = decodeMessage({ typeId: 8, payload });
    expect(t?.kind === 'audio' && t.payload).toBe(payload);
    expect(encodeMessage({ kind: 'video', payload }).payload).toBe(payload);
  });

  it('undefined types decode to undefined (sessions ignore them)', () => {
    expect(decodeMessage({ typeId: 7, payload: hex('00') })).toBeUndefined();
  });

  it.each([
    { typeId: 1, bytes: '000010', code: 'ERR_RTMP_MESSAGE_MALFORMED' },
    { typeId: 1, bytes: '00000000', code: 'ERR_RTMP_CHUNK_SIZE_INVALID' },
    { typeId: 1, bytes: '80000000', code: 'ERR_RTMP_CHUNK_SIZE_INVALID' },
    { typeId: 2, bytes: '0000', code: 'ERR_RTMP_MESSAGE_MALFORMED' },
    { typeId: 3, bytes: '', code: 'ERR_RTMP_MESSAGE_MALFORMED' },
    { typeId: 4, bytes: '0006 0000', code: 'ERR_RTMP_MESSAGE_MALFORMED' },
    { typeId: 5, bytes: '01', code: 'ERR_RTMP_MESSAGE_MALFORMED' },
    { typeId: 6, bytes: '002625', code: 'ERR_RTMP_MESSAGE_MALFORMED' },
    { typeId: 20, bytes: '00 3ff0000000000000', code: 'ERR_RTMP_COMMAND_MALFORMED' },
    { typeId: 18, bytes: '02 0010 61', code: 'ERR_AMF_TRUNCATED' },
  ])('type $typeId body $bytes → $code', ({ typeId, bytes, code }) => {
    expect(() => decodeMessage({ typeId, payload: hex(bytes) })).toThrow(expect.objectContaining({ code }));
  });

  it('Set Peer Bandwidth without its limit type reads as dynamic (some clients send 4 bytes)', () => {
    expect(decodeMessage({ typeId: 6, payload: hex('002625a0') })).toEqual({ kind: 'set-peer-bandwidth', windowBytes: 2_500_000, limitType: 2 });
  });
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = fc.uint8Array({ maxLength: 48 }).map((b) => Uint8Array.from(b));
const amfLeaf: fc.Arbitrary<AmfValue> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
  fc.boolean(),
  fc.constant(null),
);
const amfValue: fc.Arbitrary<AmfValue> = fc.oneof(
  amfLeaf,
  fc.array(amfLeaf, { maxLength: 4 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__'), amfLeaf, { maxKeys: 4 }),
);
const command = fc.record({
  name: fc.string({ maxLength: 16 }),
  transactionId: fc.integer({ min: 0, max: 2 ** 31 }),
  commandObject: fc.oneof(fc.constant(null), fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__'), amfLeaf, { maxKeys: 4 })),
  args: fc.array(amfValue, { maxLength: 4 }),
});

/** Any typed message this layer can write. */
const typedMessage: fc.Arbitrary<TypedMessage> = fc.oneof(
  fc.integer({ min: 1, max: 0x7fffffff }).map((chunkSize) => ({ kind: 'set-chunk-size' as const, chunkSize })),
  u32.map((chunkStreamId) => ({ kind: 'abort' as const, chunkStreamId })),
  u32.map((sequenceNumber) => ({ kind: 'acknowledgement' as const, sequenceNumber })),
  fc.record({ event: fc.integer({ min: 0, max: 0xffff }).filter((e) => e !== 3), value: u32 }).map((uc) => ({ kind: 'user-control' as const, ...uc })),
  fc.record({ value: u32, bufferLengthMs: u32 }).map((uc) => ({ kind: 'user-control' as const, event: 3, ...uc })),
  u32.map((windowBytes) => ({ kind: 'window-ack-size' as const, windowBytes })),
  fc.record({ windowBytes: u32, limitType: fc.integer({ min: 0, max: 255 }) }).map((pb) => ({ kind: 'set-peer-bandwidth' as const, ...pb })),
  fc.record({ kind: fc.constantFrom('audio' as const, 'video' as const, 'aggregate' as const, 'shared-object-amf0' as const), payload: bytes }),
  fc.record({ kind: fc.constant('shared-object-amf3' as const), payload: bytes }),
  fc.record({ kind: fc.constantFrom('data-amf0' as const, 'data-amf3' as const), values: fc.array(amfValue, { maxLength: 4 }) }),
  fc.record({ kind: fc.constantFrom('command-amf0' as const, 'command-amf3' as const), command }),
);

describe('the message table: properties', () => {
  it('decode(encode(x)) = x, and encoding the decoded message gives the same bytes', () => {
    fc.assert(
      fc.property(typedMessage, (x) => {
        const m = encodeMessage(x);
        const decoded = decodeMessage(m);
        expect(decoded).toEqual(x);
        expect(toHex(encodeMessage(decoded!).payload)).toBe(toHex(m.payload));
      }),
      { numRuns: 500 },
    );
  });

  it('encode(decode(b)) = b for canonical control bodies (4-byte values, 5-byte peer bandwidth, user control)', () => {
    const canonical = fc.oneof(
      fc.tuple(fc.constantFrom(2, 3, 5), fc.uint8Array({ minLength: 4, maxLength: 4 })),
      fc.tuple(fc.constant(1), fc.integer({ min: 1, max: 0x7fffffff }).map((n) => Uint8Array.of(n >>> 24, n >>> 16, n >>> 8, n))),
      fc.tuple(fc.constant(6), fc.uint8Array({ minLength: 5, maxLength: 5 })),
      fc.tuple(fc.constant(4), fc.uint8Array({ minLength: 6, maxLength: 6 }).filter((b) => b[0] !== 0 || b[1] !== 3)),
      fc.tuple(fc.constant(4), fc.uint8Array({ minLength: 10, maxLength: 10 }).map((b) => Uint8Array.from([0, 3, ...b.subarray(2)]))),
    );
    fc.assert(
      fc.property(canonical, ([typeId, body]) => {
        const decoded = decodeMessage({ typeId, payload: body })!;
        expect(toHex(encodeMessage(decoded).payload)).toBe(toHex(body));
      }),
      { numRuns: 500 },
    );
  });

  it('any body under any type id decodes, is ignored, or throws a TidecastError: never anything else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.uint8Array({ maxLength: 40 }), (typeId, payload) => {
        try {
          const t = decodeMessage({ typeId, payload } satisfies Pick<RtmpMessage, 'typeId' | 'payload'>);
          if (t !== undefined) expect(encodeMessage(t).typeId).toBe(typeId);
        } catch (err) {
          expect(err).toBeInstanceOf(TidecastError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
