import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkReader, ChunkWriter } from '../../../src/rtmp/chunk/index.js';
import { setChunkSizeMessage, windowAckSizeMessage, type RtmpMessage } from '../../../src/rtmp/message/index.js';
import { cutAt, plain, readPieces, seededRandom, type PlainMessage } from './helpers.js';

/**
 * Whatever messages a writer sends, at whatever chunk sizes, a reader fed the bytes in any
 * chunking returns them unchanged (RTMP 5.3): the writer's header compression and the reader's
 * reassembly agree on every field.
 */

type Step = { kind: 'message'; message: RtmpMessage } | { kind: 'chunkSize'; size: number };

/** Payload bytes from a seed: generating 20 000 bytes element by element would dominate the run time. */
function payloadOf(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (random() * 256) | 0;
  return out;
}

/** Chunk stream ids across all three basic header forms; 2 is left to protocol control. */
const csidArb = fc.oneof(
  fc.integer({ min: 3, max: 63 }),
  fc.integer({ min: 64, max: 319 }),
  fc.integer({ min: 320, max: 65599 }),
  fc.constantFrom(64, 319, 320, 65599),
);

/** Type ids other than Set Chunk Size and Abort, which the reader applies. */
const typeIdArb = fc.oneof(fc.constantFrom(8, 9, 18, 20, 3, 4, 5, 6), fc.integer({ min: 3, max: 255 }));

const timestampArb = fc.oneof(
  fc.integer({ min: 0, max: 0x1000 }),
  fc.integer({ min: 0xfffff0, max: 0x1000010 }),
  fc.constantFrom(0, 0xffffff, 0x1000000, 0xffffffff),
  fc.nat({ max: 0xffffffff }),
);

const payloadLengthArb = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 20_000 }), fc.constantFrom(0, 1, 128, 129, 4096));

const chunkSizeArb = fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 17, max: 70_000 }), fc.constantFrom(1, 128, 4096, 65536, 70_000));

/**
 * A sequence of messages and chunk size changes. Chunk stream ids come from a pool of up to 12
 * per sequence (under the reader's 64-stream limit), so streams are reused and headers compress.
 * Timestamps per stream either climb by small deltas (so types 1–3 appear) or jump anywhere.
 */
const stepsArb: fc.Arbitrary<Step[]> = fc
  .record({
    pool: fc.uniqueArray(csidArb, { minLength: 1, maxLength: 12 }),
    msids: fc.array(fc.oneof(fc.constantFrom(0, 1), fc.nat({ max: 0xffffffff })), { minLength: 1, maxLength: 3 }),
    events: fc.array(
      fc.oneof(
        { weight: 10, arbitrary: fc.record({ kind: fc.constant('message' as const), pick: fc.nat(), msid: fc.nat(), typeId: typeIdArb, monotonic: fc.boolean(), delta: fc.oneof(fc.constantFrom(0, 20, 33), fc.nat({ max: 0x1000000 })), timestamp: timestampArb, length: payloadLengthArb, seed: fc.nat() }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('chunkSize' as const), size: chunkSizeArb }) },
      ),
      { maxLength: 24, size: 'max' },
    ),
  })
  .map(({ pool, msids, events }) => {
    const lastTimestamp = new Map<number, number>();
    const steps: Step[] = [];
    for (const e of events) {
      if (e.kind === 'chunkSize') {
        steps.push({ kind: 'chunkSize', size: e.size });
        continue;
      }
      const csid = pool[e.pick % pool.length]!;
      const prev = lastTimestamp.get(csid);
      const timestamp = e.monotonic && prev !== undefined ? (prev + e.delta) >>> 0 : e.timestamp;
      lastTimestamp.set(csid, timestamp);
      const message = { chunkStreamId: csid, typeId: e.typeId, timestamp, messageStreamId: msids[e.msid % msids.length]!, payload: payloadOf(e.length, e.seed) };
      steps.push({ kind: 'message', message });
    }
    return steps;
  });

/** Writes the steps; returns the bytes and the messages the reader must return, control included. */
function write(steps: Step[], initialChunkSize: number): { bytes: Buffer; expected: PlainMessage[] } {
  const writer = new ChunkWriter();
  const parts: Buffer[] = [];
  const expected: PlainMessage[] = [];
  const send = (m: RtmpMessage): void => {
    parts.push(writer.encode(m));
    expected.push(plain(m));
  };
  const setSize = (size: number): void => {
    send(setChunkSizeMessage(size));
    writer.setChunkSize(size);
  };
  if (initialChunkSize !== 128) setSize(initialChunkSize);
  for (const step of steps) {
    if (step.kind === 'chunkSize') setSize(step.size);
    else send(step.message);
  }
  return { bytes: Buffer.concat(parts), expected };
}

describe('ChunkWriter → ChunkReader round trip (property)', () => {
  it('random messages at random chunk sizes read back equal from random splits', () => {
    fc.assert(
      fc.property(stepsArb, chunkSizeArb, fc.array(fc.nat(), { maxLength: 40 }), (steps, initialChunkSize, cuts) => {
        const { bytes, expected } = write(steps, initialChunkSize);
        const reader = new ChunkReader();
        const got = readPieces(reader, cutAt(bytes, cuts.map((c) => c % (bytes.length + 1))));
        expect(got.map(plain)).toEqual(expected);
        expect(reader.buffered).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('the same bytes give the same messages one byte at a time', () => {
    fc.assert(
      fc.property(stepsArb, chunkSizeArb, (steps, initialChunkSize) => {
        const { bytes, expected } = write(steps.slice(0, 6), initialChunkSize);
        if (bytes.length > 60_000) return;
        const bytewise = readPieces(new ChunkReader(), cutAt(bytes, [...bytes.keys()]));
        expect(bytewise.map(plain)).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('up to 64 chunk streams in one session, each header form, read back equal', () => {
    fc.assert(
      fc.property(fc.uniqueArray(csidArb, { minLength: 60, maxLength: 63 }), chunkSizeArb, fc.nat(), (csids, chunkSize, seed) => {
        const steps: Step[] = csids.flatMap((csid, i) => [0, 1, 2].map((n) => ({
          kind: 'message' as const,
          message: { chunkStreamId: csid, typeId: 9, timestamp: i * 10 + n * 33, messageStreamId: 1, payload: payloadOf((seed + i * 7 + n) % 300, seed + i) },
        })));
        const { bytes, expected } = write(steps, chunkSize);
        const got = readPieces(new ChunkReader(), cutAt(bytes, [seed % bytes.length]));
        expect(got.map(plain)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('interleaved chunks of concurrent messages on distinct chunk streams reassemble (5.3.2.2)', () => {
    // Shorter payloads than elsewhere: at chunk size 1 each byte is a chunk to interleave.
    const messageArb = fc.record({ typeId: typeIdArb, timestamp: timestampArb, msid: fc.nat({ max: 0xffffffff }), length: fc.integer({ min: 0, max: 3000 }), seed: fc.nat() });
    fc.assert(
      fc.property(fc.uniqueArray(csidArb, { minLength: 2, maxLength: 12 }), fc.array(messageArb, { minLength: 12, maxLength: 12 }), chunkSizeArb, fc.array(fc.nat(), { maxLength: 2000 }), fc.array(fc.nat(), { maxLength: 20 }), fc.boolean(), (csids, specs, chunkSize, order, cuts, repeatExtended) => {
        const messages = csids.map((csid, i): RtmpMessage => {
          const s = specs[i]!;
          return { chunkStreamId: csid, typeId: s.typeId, timestamp: s.timestamp, messageStreamId: s.msid, payload: payloadOf(s.length, s.seed) };
        });
        const queues = messages.map((m) => chunksOf(m, chunkSize, repeatExtended));
        // Take chunks from the streams in an arbitrary order; each stream's own chunks stay in order.
        const chunks: Uint8Array[] = [new ChunkWriter().encode(setChunkSizeMessage(chunkSize))];
        const completed: PlainMessage[] = [plain(setChunkSizeMessage(chunkSize))];
        // Where each continuation of a message with an extended timestamp, sent without it, ends its header.
        const bare: { at: number; message: RtmpMessage }[] = [];
        let written = chunks[0]!.length;
        const counts = queues.map((q) => q.length);
        let pick = 0;
        for (let left = queues.reduce((n, q) => n + q.length, 0); left > 0; left--) {
          const live = queues.map((q, i) => i).filter((i) => queues[i]!.length > 0);
          const i = live[(order[pick++] ?? pick) % live.length]!;
          const first = queues[i]!.length === counts[i];
          const chunk = queues[i]!.shift()!;
          if (!first && !repeatExtended && messages[i]!.timestamp >= 0xffffff) bare.push({ at: written + basicHeaderLength(messages[i]!.chunkStreamId), message: messages[i]! });
          chunks.push(chunk);
          written += chunk.length;
          if (queues[i]!.length === 0) completed.push(plain(messages[i]!));
        }
        // Without repetition a reader needs the 4 bytes after a type 3 header to tell payload from
        // timestamp, so a last message ending in a short chunk is only complete once more bytes follow.
        const trailer = windowAckSizeMessage(2_500_000);
        const trailerWriter = new ChunkWriter();
        trailerWriter.setChunkSize(chunkSize);
        chunks.push(trailerWriter.encode(trailer));
        completed.push(plain(trailer));
        const bytes = Buffer.concat(chunks);
        // RTMP's own ambiguity: a continuation sent without the extended timestamp whose next 4 bytes
        // (payload, or the next chunk's header) happen to equal it reads as one that repeats it, by
        // any reader that accepts both forms (ours, SRS's). Such streams are left out, not guessed.
        fc.pre(!bare.some(({ at, message }) => at + 4 <= bytes.length && bytes.readUInt32BE(at) === message.timestamp >>> 0));
        const got = readPieces(new ChunkReader(), cutAt(bytes, cuts.map((c) => c % (bytes.length + 1))));
        expect(got.map(plain)).toEqual(completed);
      }),
      { numRuns: 200 },
    );
  });
});

/** Bytes of the basic header (5.3.1.1) for chunk stream `csid`. */
function basicHeaderLength(csid: number): number {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

/**
 * The chunks of one message, each a separate array: a type 0 header then type 3 continuations,
 * with the extended timestamp repeated in each (RTMP 5.3.1.3, as FFmpeg writes them) or not.
 */
function chunksOf(m: RtmpMessage, chunkSize: number, repeatExtended: boolean): Uint8Array[] {
  const csid = m.chunkStreamId;
  const basic = (fmt: number): number[] =>
    csid < 64 ? [(fmt << 6) | csid] : csid < 320 ? [fmt << 6, csid - 64] : [(fmt << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8];
  const ext = m.timestamp >= 0xffffff;
  const extBytes = ext ? [m.timestamp >>> 24, (m.timestamp >>> 16) & 0xff, (m.timestamp >>> 8) & 0xff, m.timestamp & 0xff] : [];
  const field = ext ? 0xffffff : m.timestamp;
  const length = m.payload.length;
  const header = [
    ...basic(0),
    field >>> 16, (field >>> 8) & 0xff, field & 0xff,
    length >>> 16, (length >>> 8) & 0xff, length & 0xff,
    m.typeId,
    m.messageStreamId & 0xff, (m.messageStreamId >>> 8) & 0xff, (m.messageStreamId >>> 16) & 0xff, m.messageStreamId >>> 24,
    ...extBytes,
  ];
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset === 0 || offset < length; offset += chunkSize) {
    const head = offset === 0 ? header : repeatExtended ? [...basic(3), ...extBytes] : basic(3);
    chunks.push(Buffer.concat([Uint8Array.from(head), m.payload.subarray(offset, offset + chunkSize)]));
  }
  return chunks;
}
