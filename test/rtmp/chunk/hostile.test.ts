import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtmpError } from '../../../src/errors/index.js';
import { ChunkReader, ChunkWriter, DEFAULT_CHUNK_READER_LIMITS, type ChunkReaderLimits } from '../../../src/rtmp/chunk/index.js';
import { decodeCommand, setChunkSizeMessage, type RtmpMessage } from '../../../src/rtmp/message/index.js';
import { corpus, expectOutcome, expectTableMatchesCorpus, replay, withCorpusHint, type Expected } from '../../helpers/corpus.js';
import { cutAt, drain, hex, loadTranscript, plain, rtmpError, rtmpErrorCode } from './helpers.js';

/**
 * A peer controls every byte the chunk reader sees. Whatever it sends, in whatever chunking, the
 * reader returns messages, returns null (need more) or throws an RtmpError; any other exception
 * (a BytesError from the queue, a TypeError, a RangeError from an allocation) is a bug, and so is
 * a read loop that does not end.
 */

type Outcome = 'ok' | 'rtmp-error';

/** Feeds `bytes` cut at `cuts`, reading after each piece; checks the bounds the limits promise. */
function feed(bytes: Uint8Array, cuts: readonly number[], limits: Partial<ChunkReaderLimits> = {}): Outcome {
  const reader = new ChunkReader(limits);
  const maxMessageLength = reader.limits.maxMessageLength;
  let fed = 0;
  try {
    for (const piece of cutAt(bytes, cuts.map((c) => c % (bytes.length + 1)))) {
      reader.push(piece);
      fed += piece.length;
      // Every message consumes at least its 1-byte basic header, so more reads than bytes is a hang.
      for (let reads = 0; ; reads++) {
        if (reads > fed + 1) throw new Error('read() keeps returning messages without consuming bytes');
        const m = reader.read();
        if (m === null) break;
        if (m.payload.length > maxMessageLength) throw new Error(`payload of ${m.payload.length} bytes above maxMessageLength`);
      }
      if (reader.buffered > fed) throw new Error('buffered more than was pushed');
    }
    return 'ok';
  } catch (err) {
    if (err instanceof RtmpError) return 'rtmp-error';
    throw err;
  }
}

const cutsArb = fc.array(fc.nat(), { maxLength: 12 });

/** Limits low enough that random input reaches each of them. */
const TIGHT: Partial<ChunkReaderLimits> = { maxChunkSize: 4096, maxMessageLength: 2000, maxChunkStreams: 4, maxPendingBytes: 3000 };

const TRANSCRIPTS = [
  'obs-29.0.2-publish.c2s.bin',
  'ffmpeg-5.1-publish.c2s.bin',
  'gstreamer-1.22-rtmp2sink-publish.c2s.bin',
  'librtmp-2.4-rtmpsink-publish.c2s.bin',
].map((file) => loadTranscript(file).subarray(0, 16 * 1024));

describe('ChunkReader on hostile input (fuzz)', () => {
  it('random bytes: messages, null or RtmpError', () => {
    const outcomes = new Set<Outcome>();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), cutsArb, fc.boolean(), (bytes, cuts, tight) => {
        outcomes.add(feed(bytes, cuts, tight ? TIGHT : {}));
      }),
      withCorpusHint('rtmp-chunk', { numRuns: 3000 }),
    );
    expect(outcomes).toEqual(new Set(['ok', 'rtmp-error']));
  });

  it('a small Set Chunk Size then random bytes: messages, null or RtmpError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.uint8Array({ maxLength: 2000 }), cutsArb, (size, tail, cuts) => {
        const bytes = Buffer.concat([new ChunkWriter().encode(setChunkSizeMessage(size)), tail]);
        feed(bytes, cuts);
        feed(bytes, cuts, TIGHT);
      }),
      withCorpusHint('rtmp-chunk', { numRuns: 1500 }),
    );
  });

  it('random chunk headers with random fields: messages, null or RtmpError', () => {
    // Biased towards well-formed headers so the input gets past the first byte: the basic header
    // forms, timestamps around 0xFFFFFF, and small declared lengths.
    const header = fc.tuple(
      fc.integer({ min: 0, max: 3 }),
      fc.oneof(fc.integer({ min: 0, max: 70 }), fc.constantFrom(0, 1, 2, 63)),
      fc.constantFrom('000000', 'ffffff', '000010', 'fffffe'),
      fc.constantFrom('000000', '000001', '000004', '000080', '0000ff', 'ffffff'),
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(fc.array(header, { maxLength: 30 }), cutsArb, (headers, cuts) => {
        const bytes = Buffer.concat(
          headers.map(([fmt, id, ts, len, type, rest]) => Buffer.concat([hex(`${((fmt << 6) | (id & 0x3f)).toString(16).padStart(2, '0')} ${ts} ${len} ${type.toString(16).padStart(2, '0')}`), rest])),
        );
        feed(bytes, cuts);
        feed(bytes, cuts, TIGHT);
      }),
      withCorpusHint('rtmp-chunk', { numRuns: 2000 }),
    );
  });

  it.each(TRANSCRIPTS.map((bytes, i) => [i, bytes] as const))('transcript %i with bytes overwritten, inserted or removed: messages, null or RtmpError', (_i, transcript) => {
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('remove' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 16 }) }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), cutsArb, (edits, cuts) => {
        let bytes = Buffer.from(transcript);
        for (const e of edits) {
          const at = e.at % bytes.length;
          if (e.kind === 'set') bytes[at] = e.value;
          else if (e.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Uint8Array.of(e.value), bytes.subarray(at)]);
          else bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + e.value)]);
        }
        feed(bytes, cuts);
      }),
      withCorpusHint('rtmp-chunk', { numRuns: 250 }),
    );
  });
});

/** What a reader returned for a whole input: the messages, and the bytes it still holds. */
interface ChunkRead {
  readonly messages: RtmpMessage[];
  readonly buffered: number;
}

/** Pushes `bytes` in pieces of `pieceBytes`, draining after each. */
function readChunks(bytes: Uint8Array, pieceBytes: number): ChunkRead {
  const reader = new ChunkReader();
  const messages: RtmpMessage[] = [];
  for (let from = 0; from < bytes.length; from += pieceBytes) {
    reader.push(bytes.subarray(from, from + pieceBytes));
    drain(reader, messages);
  }
  return { messages, buffered: reader.buffered };
}

/** Name and arguments of each AMF0 command (type 20) among the messages. */
function commands(read: ChunkRead): unknown[][] {
  return read.messages.filter((m) => m.typeId === 20).map((m) => {
    const c = decodeCommand(m);
    return [c.name, ...c.args];
  });
}

/** The publish sequence each real client sends first (fixtures/rtmp/README.md), with its stream key. */
function publishSequence(key: string): unknown[][] {
  return [['connect'], ['releaseStream', key], ['FCPublish', key], ['createStream'], ['publish', key, 'live']];
}

/** fixtures/corpus/rtmp-chunk/: the bytes after the handshake, read with the default limits. */
const CHUNK_CORPUS: Record<string, Expected<ChunkRead>> = {
  'valid-obs-publish-8k.bin': (read) => {
    expect(commands(read)).toEqual(publishSequence('obskey'));
    // OBS sets its chunk size before connect; its first video frame is still incomplete at 8 KiB.
    expect(plain(read.messages[0]!)).toMatchObject({ chunkStreamId: 2, typeId: 1 });
    expect(read.messages.map((m) => m.typeId)).toEqual([1, 20, 20, 20, 20, 20, 18, 8, 9]);
  },
  'valid-ffmpeg-publish-8k.bin': (read) => expect(commands(read)).toEqual(publishSequence('ffkey')),
  'valid-gstreamer-publish-8k.bin': (read) => {
    expect(commands(read)).toEqual(publishSequence('gstkey'));
    // rtmp2sink sends a Window Acknowledgement Size (type 5) right after connect.
    expect(read.messages[1]).toMatchObject({ chunkStreamId: 2, typeId: 5 });
  },
  'valid-librtmp-publish-8k.bin': (read) => expect(commands(read)).toEqual(publishSequence('gstkey2')),
  'valid-every-basic-header-form.bin': (read) => {
    expect(read.messages.map((m) => m.chunkStreamId)).toEqual([3, 63, 64, 319, 320, 65599]);
    // The last one carries an extended timestamp (RTMP 5.3.1.3).
    expect(read.messages.map((m) => m.timestamp)).toEqual([0, 33, 66, 99, 132, 0x1000000]);
    expect(read.messages.map((m) => m.payload.length)).toEqual(Array<number>(6).fill(200));
    expect(read.buffered).toBe(0);
  },
  'valid-chunk-size-1.bin': (read) => {
    expect(read.messages.map((m) => [m.chunkStreamId, m.typeId, m.timestamp, m.payload.length])).toEqual([[2, 1, 0, 4], [5, 8, 0xffffff, 300]]);
    expect(read.buffered).toBe(0);
  },
  'truncated-obs-at-100.bin': (read) => expect(read.messages.map((m) => m.typeId)).toEqual([1]),
  'truncated-inside-basic-header.bin': (read) => expect(read).toEqual({ messages: [], buffered: 2 }),
  'truncated-inside-message-header.bin': (read) => expect(read).toEqual({ messages: [], buffered: 6 }),
  'truncated-before-extended-timestamp.bin': (read) => expect(read.messages).toEqual([]),
  'hostile-chunk-size-0.bin': 'ERR_RTMP_CHUNK_SIZE_INVALID',
  'hostile-chunk-size-2p31.bin': 'ERR_RTMP_CHUNK_SIZE_INVALID',
  'hostile-chunk-size-2p31-minus-1.bin': 'ERR_RTMP_CHUNK_SIZE_INVALID',
  'hostile-set-chunk-size-3-byte-body.bin': 'ERR_RTMP_MESSAGE_MALFORMED',
  'hostile-message-16mib.bin': 'ERR_RTMP_MESSAGE_TOO_LARGE',
  'hostile-type1-first.bin': 'ERR_RTMP_CHUNK_NO_PREVIOUS_HEADER',
  'hostile-type2-first.bin': 'ERR_RTMP_CHUNK_NO_PREVIOUS_HEADER',
  'hostile-type3-first.bin': 'ERR_RTMP_CHUNK_NO_PREVIOUS_HEADER',
  'hostile-70-chunk-streams.bin': 'ERR_RTMP_TOO_MANY_CHUNK_STREAMS',
  'hostile-pending-3x8mib.bin': 'ERR_RTMP_PENDING_TOO_LARGE',
  'hostile-type0-on-half-message.bin': 'ERR_RTMP_MESSAGE_MALFORMED',
  'hostile-zero-length-messages.bin': (read) => expect(read.messages.map((m) => m.payload.length)).toEqual(Array<number>(100).fill(0)),
  // Abort (RTMP 5.4.2) of a chunk stream with nothing pending is passed on and changes nothing.
  'hostile-abort-unknown-stream.bin': (read) => expect(read.messages.map((m) => m.typeId)).toEqual([2]),
};

describe('corpus', () => {
  const files = corpus('rtmp-chunk');

  it('every valid sample has its expected value, every expectation its file', () => expectTableMatchesCorpus(files, CHUNK_CORPUS));

  it.each(files)('$name: messages or an RtmpError, as pinned, in any chunking', (file) => {
    const whole = replay(file, RtmpError, (bytes) => readChunks(bytes, Math.max(bytes.length, 1)));
    expectOutcome(whole, CHUNK_CORPUS[file.name]);
    const pieces = replay(file, RtmpError, (bytes) => readChunks(bytes, 97));
    const comparable = (o: typeof whole): unknown => (o.ok ? { messages: o.value.messages.map(plain), buffered: o.value.buffered } : o.error.code);
    expect(comparable(pieces)).toEqual(comparable(whole));
    // The bounds the fuzz properties check hold here too, with the default and with tight limits.
    feed(file.bytes, []);
    feed(file.bytes, [], TIGHT);
  });
});

/** A type 0 chunk header on chunk stream `csid` < 64 declaring `length` bytes of type 9 on message stream 1. */
function type0(csid: number, length: number, timestamp = 0): string {
  const h = (v: number, bytes: number): string => v.toString(16).padStart(bytes * 2, '0');
  return `${h(csid, 1)} ${h(timestamp, 3)} ${h(length, 3)} 09 01000000`;
}

function scs(size: number): string {
  return `02 000000 000004 01 00000000 ${size.toString(16).padStart(8, '0')}`;
}

describe('ChunkReader limits', () => {
  it.each([
    ['0', 0],
    ['2^31 - 1 (above maxChunkSize)', 0x7fffffff],
    ['2^31 (bit 31 set, 5.4.1)', 0x80000000],
    ['0xFFFFFFFF', 0xffffffff],
    ['maxChunkSize + 1', DEFAULT_CHUNK_READER_LIMITS.maxChunkSize + 1],
  ])('Set Chunk Size %s → ERR_RTMP_CHUNK_SIZE_INVALID', (_name, size) => {
    const reader = new ChunkReader();
    reader.push(hex(scs(size)));
    const err = rtmpError(() => reader.read());
    expect(err.code).toBe('ERR_RTMP_CHUNK_SIZE_INVALID');
    expect(err.details).toMatchObject({ size, limit: DEFAULT_CHUNK_READER_LIMITS.maxChunkSize });
  });

  it.each([1, 4096, DEFAULT_CHUNK_READER_LIMITS.maxChunkSize])('Set Chunk Size %i is accepted', (size) => {
    const reader = new ChunkReader();
    reader.push(hex(scs(size)));
    expect(reader.read()).not.toBeNull();
    expect(reader.chunkSize).toBe(size);
  });

  it('with maxChunkSize raised to 2^31 - 1, that size is accepted and bit 31 still is not (5.4.1)', () => {
    const reader = new ChunkReader({ maxChunkSize: 0x7fffffff });
    reader.push(hex(scs(0x7fffffff)));
    expect(reader.read()).not.toBeNull();
    expect(reader.chunkSize).toBe(0x7fffffff);
    reader.push(hex(scs(0x80000000)));
    expect(rtmpErrorCode(() => reader.read())).toBe('ERR_RTMP_CHUNK_SIZE_INVALID');
  });

  it('a lower maxChunkSize applies', () => {
    const reader = new ChunkReader({ maxChunkSize: 4096 });
    reader.push(hex(scs(4097)));
    expect(rtmpErrorCode(() => reader.read())).toBe('ERR_RTMP_CHUNK_SIZE_INVALID');
  });

  it('Set Chunk Size with a 3-byte body → ERR_RTMP_MESSAGE_MALFORMED', () => {
    const reader = new ChunkReader();
    reader.push(hex('02 000000 000003 01 00000000 000080'));
    expect(rtmpErrorCode(() => reader.read())).toBe('ERR_RTMP_MESSAGE_MALFORMED');
  });

  it('a 16 MB message length → ERR_RTMP_MESSAGE_TOO_LARGE before any body byte arrives', () => {
    const reader = new ChunkReader();
    reader.push(hex(type0(4, 0xffffff)));
    const err = rtmpError(() => reader.read());
    expect(err.code).toBe('ERR_RTMP_MESSAGE_TOO_LARGE');
    expect(err.details).toMatchObject({ length: 0xffffff, limit: 8 * 1024 * 1024, csid: 4 });
  });

  it('a type 1 header raising the length above maxMessageLength → ERR_RTMP_MESSAGE_TOO_LARGE', () => {
    const reader = new ChunkReader({ maxMessageLength: 1000 });
    reader.push(hex(`${type0(4, 1)} aa  44 000000 0003e9 09`));
    expect(reader.read()).not.toBeNull();
    expect(rtmpErrorCode(() => reader.read())).toBe('ERR_RTMP_MESSAGE_TOO_LARGE');
  });

  it('a message of exactly maxMessageLength is accepted', () => {
    const reader = new ChunkReader({ maxMessageLength: 1000 });
    const writer = new ChunkWriter();
    reader.push(writer.encode({ chunkStreamId: 4, typeId: 9, timestamp: 0, messageStreamId: 1, payload: new Uint8Array(1000) }));
    expect(drain(reader)[0]!.payload.length).toBe(1000);
  });

  it('70 000 chunk stream ids → ERR_RTMP_TOO_MANY_CHUNK_STREAMS after the 64th distinct one', () => {
    // Zero-length type 0 messages on ids 2, 3, …, 65599, then around again: 70 000 headers.
    const parts: Buffer[] = [];
    for (let n = 0; n < 70_000; n++) {
      const csid = 2 + (n % 65598);
      const basic = csid < 64 ? [csid] : csid < 320 ? [0, csid - 64] : [1, (csid - 64) & 0xff, (csid - 64) >> 8];
      parts.push(Buffer.from([...basic, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 0]));
    }
    const reader = new ChunkReader();
    reader.push(Buffer.concat(parts));
    const read: number[] = [];
    const err = rtmpError(() => {
      for (let m = reader.read(); m !== null; m = reader.read()) read.push(m.chunkStreamId);
    });
    expect(err.code).toBe('ERR_RTMP_TOO_MANY_CHUNK_STREAMS');
    expect(err.details).toMatchObject({ csid: 66, limit: 64 });
    expect(read).toHaveLength(64);
    expect(read.at(-1)).toBe(65);
  });

  it('a chunk stream seen before does not count again', () => {
    const reader = new ChunkReader({ maxChunkStreams: 2 });
    reader.push(hex(`${type0(3, 0)} ${type0(4, 0)} ${type0(3, 0)} c4 c3 ${type0(5, 0)}`));
    const read: number[] = [];
    expect(rtmpErrorCode(() => {
      for (let m = reader.read(); m !== null; m = reader.read()) read.push(m.chunkStreamId);
    })).toBe('ERR_RTMP_TOO_MANY_CHUNK_STREAMS');
    expect(read).toEqual([3, 4, 3, 4, 3]);
  });

  it('many chunk streams each declaring a large message → ERR_RTMP_PENDING_TOO_LARGE (maxPendingBytes)', () => {
    // Each declares 8 MiB (the largest message allowed) and sends one 128-byte chunk: two fit in
    // the default 16 MiB of pending bytes, the third would not.
    const eightMiB = 8 * 1024 * 1024;
    const chunk = '00'.repeat(128);
    const reader = new ChunkReader();
    reader.push(hex(`${type0(3, eightMiB)} ${chunk} ${type0(4, eightMiB)} ${chunk}`));
    expect(reader.read()).toBeNull();
    reader.push(hex(`${type0(5, eightMiB)} ${chunk}`));
    const err = rtmpError(() => reader.read());
    expect(err.code).toBe('ERR_RTMP_PENDING_TOO_LARGE');
    expect(err.details).toMatchObject({ pending: 3 * eightMiB, limit: 16 * 1024 * 1024 });
  });

  it('pending bytes are released when a message completes or is aborted', () => {
    const body = (n: number): string => 'ab'.repeat(n);
    // 200 + 200 would exceed 300 at once; one after the other never does.
    const start = `${type0(3, 200)} ${body(128)} c3 ${body(72)}  ${type0(4, 200)} ${body(128)}  ${scs(2)}`;
    const abort = '02 000000 000004 02 00000000 0000 c2 0004';
    const next = `${type0(5, 200)} ${body(2)}`;

    const reader = new ChunkReader({ maxPendingBytes: 300 });
    reader.push(hex(start));
    expect(drain(reader).map((m) => m.chunkStreamId)).toEqual([3, 2]);
    // Abort of chunk stream 4 (5.4.2): its 200 bytes no longer count, so stream 5 may declare 200.
    reader.push(hex(`${abort} ${next}`));
    expect(drain(reader).map((m) => m.typeId)).toEqual([2]);

    const withoutAbort = new ChunkReader({ maxPendingBytes: 300 });
    withoutAbort.push(hex(`${start} ${next}`));
    expect(rtmpErrorCode(() => drain(withoutAbort))).toBe('ERR_RTMP_PENDING_TOO_LARGE');
  });

  it('a declared length allocates nothing until a whole first chunk is here', () => {
    const reader = new ChunkReader();
    const before = process.memoryUsage().arrayBuffers;
    reader.push(hex(`${type0(3, 8 * 1024 * 1024)} ${'00'.repeat(127)}`));
    expect(reader.read()).toBeNull();
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 1024 * 1024);
  });

  it.each([
    ['type 1', '44 000000 000001 09 aa'],
    ['type 2', '84 000000 aa'],
    ['type 3', 'c4 aa'],
    ['type 1 with a 3-byte basic header', '41 0001 000000 000001 09 aa'],
  ])('%s chunk on a fresh chunk stream → ERR_RTMP_CHUNK_NO_PREVIOUS_HEADER', (_name, bytes) => {
    const reader = new ChunkReader();
    reader.push(hex(bytes));
    expect(rtmpErrorCode(() => reader.read())).toBe('ERR_RTMP_CHUNK_NO_PREVIOUS_HEADER');
  });

  it('a type 0 header on a chunk stream with a message half received → ERR_RTMP_MESSAGE_MALFORMED', () => {
    const reader = new ChunkReader();
    reader.push(hex(`${type0(4, 200)} ${'00'.repeat(128)} ${type0(4, 10)}`));
    expect(rtmpErrorCode(() => reader.read())).toBe('ERR_RTMP_MESSAGE_MALFORMED');
  });

  it('a long stream of valid chunks keeps nothing but the unread tail buffered', () => {
    const writer = new ChunkWriter();
    const reader = new ChunkReader();
    const message = { chunkStreamId: 6, typeId: 9, timestamp: 0, messageStreamId: 1, payload: new Uint8Array(5000) };
    for (let i = 0; i < 2000; i++) {
      const bytes = writer.encode({ ...message, timestamp: i * 33 });
      reader.push(bytes.subarray(0, 3000));
      drain(reader);
      reader.push(bytes.subarray(3000));
      expect(drain(reader)).toHaveLength(1);
      expect(reader.buffered).toBe(0);
    }
  });
});
