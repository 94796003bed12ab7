import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkReader, ChunkWriter } from '../../../src/rtmp/chunk/index.js';
import { setChunkSizeMessage, type RtmpMessageHeader } from '../../../src/rtmp/message/index.js';
import { drain, hex, toHex } from './helpers.js';

/**
 * ChunkWriter.encodeParts: the body given in pieces is chunked exactly as the same body in one
 * buffer — the pieces may end anywhere relative to the chunk boundaries — and header compression
 * goes on from one form to the other.
 */

describe('ChunkWriter.encodeParts', () => {
  it('a 5-byte tag header and a payload across a 4-byte chunk size: the same bytes as one buffer', () => {
    const header: RtmpMessageHeader = { chunkStreamId: 7, typeId: 9, timestamp: 40, messageStreamId: 1 };
    const a = new ChunkWriter();
    const b = new ChunkWriter();
    a.setChunkSize(4);
    b.setChunkSize(4);
    const split = a.encodeParts(header, [hex('1701000000'), hex('aabbccdd')]);
    const joined = b.encode({ ...header, payload: hex('1701000000aabbccdd') });
    expect(toHex(split)).toBe('07 000028 000009 09 01000000 17010000 c7 00aabbcc c7 dd'.replace(/\s/g, ''));
    expect(toHex(split)).toBe(toHex(joined));
  });

  it('empty parts and an empty body', () => {
    const header: RtmpMessageHeader = { chunkStreamId: 6, typeId: 8, timestamp: 0, messageStreamId: 1 };
    expect(toHex(new ChunkWriter().encodeParts(header, [new Uint8Array(0), new Uint8Array(0)]))).toBe('06 000000 000000 08 01000000'.replace(/\s/g, ''));
    expect(toHex(new ChunkWriter().encodeParts(header, [new Uint8Array(0), hex('aa'), new Uint8Array(0)]))).toBe(toHex(new ChunkWriter().encode({ ...header, payload: hex('aa') })));
  });

  it('property: any split of any message sequence writes the bytes of the joined bodies, and reads back', () => {
    const message = fc.record({
      chunkStreamId: fc.constantFrom(3, 6, 7, 70),
      typeId: fc.constantFrom(8, 9, 18),
      timestamp: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      messageStreamId: fc.constantFrom(0, 1),
      parts: fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(message, { minLength: 1, maxLength: 8 }), (chunkSize, messages) => {
        const split = new ChunkWriter();
        const joined = new ChunkWriter();
        split.setChunkSize(chunkSize);
        joined.setChunkSize(chunkSize);
        const reader = new ChunkReader();
        reader.push(new ChunkWriter().encode(setChunkSizeMessage(chunkSize)));
        reader.read();
        for (const { parts, ...header } of messages) {
          const bytes = split.encodeParts(header, parts);
          expect(toHex(bytes)).toBe(toHex(joined.encode({ ...header, payload: Buffer.concat(parts) })));
          reader.push(bytes);
        }
        const read = drain(reader);
        expect(read.map((m) => toHex(m.payload))).toEqual(messages.map((m) => toHex(Buffer.concat(m.parts))));
      }),
    );
  });
});
