import { describe, expect, it } from 'vitest';
import { ChunkReader, ChunkWriter } from '../../../src/rtmp/chunk/index.js';
import { setChunkSizeMessage, type RtmpMessage } from '../../../src/rtmp/message/index.js';
import { BASIC_HEADER_FORMS, drain, hex, msg, plain, rtmpErrorCode, toHex } from './helpers.js';

/** `n` bytes counting up from `start`, as hex. */
function counting(n: number, start = 0): string {
  return Array.from({ length: n }, (_, i) => ((start + i) & 0xff).toString(16).padStart(2, '0')).join('');
}

/** Encodes each message in turn with one writer; the hex of each output. */
function encodeAll(messages: RtmpMessage[], writer = new ChunkWriter()): string[] {
  return messages.map((m) => toHex(writer.encode(m)));
}

/** Reads `bytes` with a fresh reader at chunk size `chunkSize`. */
function readBack(bytes: Uint8Array[], chunkSize?: number): RtmpMessage[] {
  const reader = new ChunkReader();
  if (chunkSize !== undefined) {
    reader.push(new ChunkWriter().encode(setChunkSizeMessage(chunkSize)));
    reader.read();
  }
  for (const b of bytes) reader.push(b);
  return drain(reader);
}

/**
 * Header compression (RTMP 5.3.1.2): each step is a message and the exact chunk it must become.
 * One writer encodes them in order on chunk stream 6.
 */
const COMPRESSION: Array<{ why: string; message: RtmpMessage; bytes: string }> = [
  { why: 'type 0 first', message: msg(6, 8, 0, 1, 'aabbcc'), bytes: '06 000000 000003 08 01000000 aabbcc' },
  { why: 'type 1 when the length changes', message: msg(6, 8, 20, 1, 'aabbccdd'), bytes: '46 000014 000004 08 aabbccdd' },
  { why: 'type 3 when the delta repeats', message: msg(6, 8, 40, 1, '11223344'), bytes: 'c6 11223344' },
  { why: 'type 2 when the delta changes', message: msg(6, 8, 70, 1, '11223344'), bytes: '86 00001e 11223344' },
  { why: 'type 3 on the repeated delta of a type 2', message: msg(6, 8, 100, 1, '55667788'), bytes: 'c6 55667788' },
  { why: 'type 2 for a delta of 0', message: msg(6, 8, 100, 1, '55667788'), bytes: '86 000000 55667788' },
  { why: 'type 0 when the timestamp goes backwards', message: msg(6, 8, 50, 1, '55667788'), bytes: '06 000032 000004 08 01000000 55667788' },
  { why: 'type 1 when the type id changes', message: msg(6, 9, 60, 1, '55667788'), bytes: '46 00000a 000004 09 55667788' },
  { why: 'type 0 for another message stream', message: msg(6, 9, 60, 2, '55667788'), bytes: '06 00003c 000004 09 02000000 55667788' },
  { why: 'type 2, never 3, right after a type 0', message: msg(6, 9, 70, 2, '55667788'), bytes: '86 00000a 55667788' },
];

/** Extended timestamps (5.3.1.3) in type 0, 2 and 3 headers. */
const EXTENDED: Array<{ why: string; message: RtmpMessage; bytes: string }> = [
  { why: 'type 0 with an extended timestamp', message: msg(6, 8, 0x01000000, 1, 'aa'), bytes: '06 ffffff 000001 08 01000000 01000000 aa' },
  { why: 'type 2 with an extended delta', message: msg(6, 8, 0x02000000, 1, 'bb'), bytes: '86 ffffff 01000000 bb' },
  { why: 'type 3 repeating an extended delta carries it', message: msg(6, 8, 0x03000000, 1, 'cc'), bytes: 'c6 01000000 cc' },
  { why: 'a delta of 0xFFFFFF is extended too', message: msg(6, 8, 0x03ffffff, 1, 'dd'), bytes: '86 ffffff 00ffffff dd' },
  { why: 'a small delta goes back to the 3-byte field', message: msg(6, 8, 0x04000000, 1, 'ee'), bytes: '86 000001 ee' },
];

describe('ChunkWriter', () => {
  it.each(BASIC_HEADER_FORMS)('writes chunk stream $csid with basic header $basic', ({ csid, basic }) => {
    const m = msg(csid, 8, 0x102, 1, 'aabbcc');
    expect(toHex(new ChunkWriter().encode(m))).toBe(toHex(hex(`${basic} 000102 000003 08 01000000 aabbcc`)));
  });

  it('compresses headers: type 0, 1, 2, 3 as RTMP 5.3.1.2 allows', () => {
    const writer = new ChunkWriter();
    for (const step of COMPRESSION) expect(toHex(writer.encode(step.message)), step.why).toBe(toHex(hex(step.bytes)));
    const bytes = COMPRESSION.map((s) => hex(s.bytes));
    expect(readBack(bytes).map(plain)).toEqual(COMPRESSION.map((s) => plain(s.message)));
  });

  it('writes extended timestamps in type 0, 2 and 3 headers', () => {
    const writer = new ChunkWriter();
    for (const step of EXTENDED) expect(toHex(writer.encode(step.message)), step.why).toBe(toHex(hex(step.bytes)));
    expect(readBack(EXTENDED.map((s) => hex(s.bytes))).map(plain)).toEqual(EXTENDED.map((s) => plain(s.message)));
  });

  it('keeps header state per chunk stream', () => {
    const got = encodeAll([msg(4, 8, 0, 1, 'aa'), msg(6, 9, 0, 1, 'bb'), msg(4, 8, 10, 1, 'cc'), msg(6, 9, 10, 1, 'dd')]);
    expect(got).toEqual(['04 000000 000001 08 01000000 aa', '06 000000 000001 09 01000000 bb', '84 00000a cc', '86 00000a dd'].map((h) => toHex(hex(h))));
  });

  it('splits a payload into chunks of the chunk size with type 3 continuations', () => {
    const payload = counting(300);
    const out = toHex(new ChunkWriter().encode(msg(3, 20, 0, 0, payload)));
    const want = `03 000000 00012c 14 00000000 ${counting(128)} c3 ${counting(128, 128)} c3 ${counting(44, 256)}`;
    expect(out).toBe(toHex(hex(want)));
  });

  it('writes no empty chunk after a payload of exactly n chunk sizes', () => {
    const out = new ChunkWriter().encode(msg(3, 20, 0, 0, counting(256)));
    expect(out.length).toBe(12 + 256 + 1);
  });

  it('writes a zero-length message as a header alone', () => {
    const writer = new ChunkWriter();
    writer.setChunkSize(1);
    expect(toHex(writer.encode(msg(4, 18, 5, 1)))).toBe(toHex(hex('04 000005 000000 12 01000000')));
  });

  it('repeats the extended timestamp in every continuation chunk (FFmpeg, librtmp)', () => {
    const out = toHex(new ChunkWriter().encode(msg(4, 9, 0xffffff, 1, counting(130))));
    expect(out).toBe(toHex(hex(`04 ffffff 000082 09 01000000 00ffffff ${counting(128)} c4 00ffffff ${counting(2, 128)}`)));
  });

  it('writes 2- and 3-byte basic headers on continuation chunks', () => {
    const writer = new ChunkWriter();
    writer.setChunkSize(2);
    expect(toHex(writer.encode(msg(64, 8, 0, 1, 'aabbcc')))).toBe(toHex(hex('00 00 000000 000003 08 01000000 aabb c0 00 cc')));
    expect(toHex(writer.encode(msg(320, 8, 0, 1, 'aabbcc')))).toBe(toHex(hex('01 0001 000000 000003 08 01000000 aabb c1 0001 cc')));
  });

  it('uses a new chunk size from the next message on', () => {
    const writer = new ChunkWriter();
    expect(writer.chunkSize).toBe(128);
    const before = writer.encode(msg(3, 20, 0, 0, counting(300)));
    const scs = writer.encode(setChunkSizeMessage(4096));
    writer.setChunkSize(4096);
    expect(writer.chunkSize).toBe(4096);
    const after = writer.encode(msg(3, 20, 0, 0, counting(300)));
    expect(before.length).toBe(12 + 300 + 2);
    expect(toHex(scs)).toBe(toHex(hex('02 000000 000004 01 00000000 00001000')));
    expect(toHex(after)).toBe(`83000000${counting(300)}`);
    expect(readBack([before, scs, after]).map(plain)).toEqual([
      plain(msg(3, 20, 0, 0, counting(300))),
      plain(setChunkSizeMessage(4096)),
      plain(msg(3, 20, 0, 0, counting(300))),
    ]);
  });

  it.each([0, -1, 1.5, 0x80000000, Number.NaN, Infinity])('rejects outgoing chunk size %s with ERR_RTMP_CHUNK_SIZE_INVALID', (size) => {
    const writer = new ChunkWriter();
    expect(rtmpErrorCode(() => writer.setChunkSize(size))).toBe('ERR_RTMP_CHUNK_SIZE_INVALID');
    expect(writer.chunkSize).toBe(128);
  });

  it.each([1, 128, 0x7fffffff])('accepts outgoing chunk size %s', (size) => {
    const writer = new ChunkWriter();
    writer.setChunkSize(size);
    expect(writer.chunkSize).toBe(size);
  });

  it('what it writes at chunk sizes 1, 7, 128 and 65536, the reader reads back', () => {
    const messages = [
      msg(3, 20, 0, 0, counting(200)),
      msg(4, 8, 0xfffff0, 1, counting(3)),
      msg(4, 8, 0x01000010, 1, counting(3)),
      msg(4, 8, 0x01000030, 1, counting(3)),
      msg(4, 8, 0x01000050, 1, counting(1000)),
      msg(4, 8, 0x01000070, 1, counting(1000)),
      msg(4, 8, 5, 1, ''),
      msg(70, 9, 0, 1, counting(129)),
      msg(65599, 9, 1, 1, counting(129)),
    ];
    for (const size of [1, 7, 128, 65536]) {
      const writer = new ChunkWriter();
      writer.setChunkSize(size);
      const bytes = messages.map((m) => writer.encode(m));
      expect(readBack(bytes, size).map(plain), `chunk size ${size}`).toEqual(messages.map(plain));
    }
  });
});
