import { describe, expect, it } from 'vitest';
import { ChunkReader, ChunkWriter } from '../../../src/rtmp/chunk/index.js';
import type { RtmpMessage } from '../../../src/rtmp/message/index.js';
import { BASIC_HEADER_FORMS, cutAt, drain, hex, msg, plain, readPieces } from './helpers.js';

/** Set Chunk Size to `size` as a type 0 chunk on chunk stream 2 (RTMP 5.4.1), and the message it decodes to. */
function setChunkSize(size: number): { bytes: string; message: RtmpMessage } {
  const value = size.toString(16).padStart(8, '0');
  return { bytes: `02 000000 000004 01 00000000 ${value}`, message: msg(2, 1, 0, 0, value) };
}

const SCS2 = setChunkSize(2);

/** Transcripts and the messages they decode to, in order. */
const DECODE: Array<{ name: string; bytes: string; messages: RtmpMessage[]; chunkSize?: number }> = [
  {
    name: 'message header types 0, 1, 2 and 3 on one chunk stream (5.3.1.2)',
    bytes: '04 0003e8 000003 08 01000000 aabbcc  44 000014 000002 09 ddee  84 00001e 1122  c4 3344',
    messages: [msg(4, 8, 1000, 1, 'aabbcc'), msg(4, 9, 1020, 1, 'ddee'), msg(4, 9, 1050, 1, '1122'), msg(4, 9, 1080, 1, '3344')],
  },
  {
    name: 'type 0 carries the message stream id little-endian',
    bytes: '04 000000 000001 14 04030201 aa',
    messages: [msg(4, 20, 0, 0x01020304, 'aa')],
  },
  {
    name: 'type 3 starting a message after a type 0 adds the type 0 timestamp again (librtmp, FFmpeg, SRS)',
    bytes: '04 000064 000001 08 01000000 aa  c4 bb',
    messages: [msg(4, 8, 100, 1, 'aa'), msg(4, 8, 200, 1, 'bb')],
  },
  {
    name: 'extended timestamp on type 0 (5.3.1.3)',
    bytes: '04 ffffff 000003 08 01000000 01000000 aabbcc',
    messages: [msg(4, 8, 0x01000000, 1, 'aabbcc')],
  },
  {
    name: 'timestamp 0xFFFFFF itself needs the extended field',
    bytes: '04 ffffff 000001 08 01000000 00ffffff aa',
    messages: [msg(4, 8, 0xffffff, 1, 'aa')],
  },
  {
    name: 'timestamp 0xFFFFFFFF',
    bytes: '04 ffffff 000001 08 01000000 ffffffff aa',
    messages: [msg(4, 8, 0xffffffff, 1, 'aa')],
  },
  {
    name: 'extended delta on type 2, and a timestamp that wraps at 2^32',
    bytes: '04 000010 000001 08 01000000 aa  84 ffffff 01000005 bb  84 ffffff ffffffff cc',
    messages: [msg(4, 8, 0x10, 1, 'aa'), msg(4, 8, 0x01000015, 1, 'bb'), msg(4, 8, 0x01000014, 1, 'cc')],
  },
  {
    name: 'extended timestamp repeated on every type 3 continuation chunk (FFmpeg, librtmp)',
    bytes: `${SCS2.bytes}  04 ffffff 000005 08 01000000 12345678 aabb  c4 12345678 ccdd  c4 12345678 ee`,
    messages: [SCS2.message, msg(4, 8, 0x12345678, 1, 'aabbccddee')],
    chunkSize: 2,
  },
  {
    name: 'extended timestamp not repeated on type 3 continuation chunks',
    bytes: `${SCS2.bytes}  04 ffffff 000005 08 01000000 12345678 aabb  c4 ccdd  c4 ee  06 000000 000000 08 01000000`,
    messages: [SCS2.message, msg(4, 8, 0x12345678, 1, 'aabbccddee'), msg(6, 8, 0, 1)],
  },
  {
    name: 'type 3 starting a message after an extended type 0 carries the extended field and adds it',
    bytes: '04 ffffff 000001 08 01000000 01000000 aa  c4 01000000 bb',
    messages: [msg(4, 8, 0x01000000, 1, 'aa'), msg(4, 8, 0x02000000, 1, 'bb')],
  },
  {
    name: 'Set Chunk Size applies from the very next chunk (5.4.1)',
    bytes: [
      setChunkSize(4).bytes,
      '04 000000 00000a 08 01000000 00010203  c4 04050607  c4 0809',
      setChunkSize(8).bytes,
      'c4 0a0b0c0d0e0f1011  c4 1213',
    ].join(' '),
    messages: [setChunkSize(4).message, msg(4, 8, 0, 1, '00010203040506070809'), setChunkSize(8).message, msg(4, 8, 0, 1, '0a0b0c0d0e0f10111213')],
    chunkSize: 8,
  },
  {
    name: 'Abort discards the partial message; the chunk stream starts over (5.4.2)',
    bytes: `${SCS2.bytes}  04 000000 000005 08 01000000 aabb  02 000000 000004 02 00000000 0000  c2 0004  c4 1122  c4 3344  c4 55`,
    messages: [SCS2.message, msg(2, 2, 0, 0, '00000004'), msg(4, 8, 0, 1, '1122334455')],
  },
  {
    name: 'Abort of an idle or unknown chunk stream changes nothing',
    bytes: '04 000000 000001 08 01000000 aa  02 000000 000004 02 00000000 00000004  02 000000 000004 02 00000000 00000009  c4 bb',
    messages: [msg(4, 8, 0, 1, 'aa'), msg(2, 2, 0, 0, '00000004'), msg(2, 2, 0, 0, '00000009'), msg(4, 8, 0, 1, 'bb')],
  },
  {
    name: 'zero-length messages: type 0, type 1 and a type 3 repeating it',
    bytes: '04 000010 000000 12 01000000  44 000005 000000 12  c4',
    messages: [msg(4, 18, 16, 1), msg(4, 18, 21, 1), msg(4, 18, 26, 1)],
  },
  {
    name: 'interleaved chunk streams are reassembled separately (5.3.2.2)',
    bytes: `${SCS2.bytes}  04 000000 000004 08 01000000 aabb  06 000007 000003 09 01000000 1122  c4 ccdd  c6 33`,
    messages: [SCS2.message, msg(4, 8, 0, 1, 'aabbccdd'), msg(6, 9, 7, 1, '112233')],
  },
  {
    name: 'continuation chunks keep the 2- and 3-byte basic header forms',
    bytes: `${SCS2.bytes}  00 00 000000 000003 08 01000000 aabb  c0 00 cc  01 0001 000000 000003 09 01000000 1122  c1 0001 33`,
    messages: [SCS2.message, msg(64, 8, 0, 1, 'aabbcc'), msg(320, 9, 0, 1, '112233')],
  },
  {
    name: 'Set Chunk Size on a chunk stream other than 2 applies too (5.4.1 names 2; a peer framing by it elsewhere is still framing by it)',
    bytes: '03 000000 000004 01 00000000 00000002  04 000000 000003 08 01000000 aabb  c4 cc',
    messages: [msg(3, 1, 0, 0, '00000002'), msg(4, 8, 0, 1, 'aabbcc')],
    chunkSize: 2,
  },
  {
    name: 'Abort on a chunk stream other than 2, on message stream 1, applies too (5.4.2)',
    bytes: `${SCS2.bytes}  04 000000 000005 08 01000000 aabb  05 000000 000004 02 01000000 0000  c5 0004  c4 1122  c4 3344  c4 55`,
    messages: [SCS2.message, msg(5, 2, 0, 1, '00000004'), msg(4, 8, 0, 1, '1122334455')],
    chunkSize: 2,
  },
  {
    name: 'Set Chunk Size on a 2-byte-form chunk stream (64) applies too',
    bytes: '00 00 000000 000004 01 00000000 00000003  04 000000 000004 08 01000000 aabbcc  c4 dd',
    messages: [msg(64, 1, 0, 0, '00000003'), msg(4, 8, 0, 1, 'aabbccdd')],
    chunkSize: 3,
  },
];

describe('ChunkReader decode tables', () => {
  it.each(BASIC_HEADER_FORMS)('basic header of chunk stream $csid is $basic', ({ csid, basic }) => {
    const reader = new ChunkReader();
    reader.push(hex(`${basic} 000102 000003 08 01000000 aabbcc`));
    expect(drain(reader).map(plain)).toEqual([plain(msg(csid, 8, 0x102, 1, 'aabbcc'))]);
    expect(reader.buffered).toBe(0);
  });

  it.each(DECODE)('$name', ({ bytes, messages, chunkSize }) => {
    const input = hex(bytes);
    const reader = new ChunkReader();
    reader.push(input);
    expect(drain(reader).map(plain)).toEqual(messages.map(plain));
    expect(reader.buffered).toBe(0);
    if (chunkSize !== undefined) expect(reader.chunkSize).toBe(chunkSize);

    // The same bytes one at a time, and cut at every single offset, decode the same.
    const bytewise = readPieces(new ChunkReader(), cutAt(input, [...input.keys()]));
    expect(bytewise.map(plain)).toEqual(messages.map(plain));
    for (let k = 1; k < input.length; k++) {
      expect(readPieces(new ChunkReader(), cutAt(input, [k])).map(plain)).toEqual(messages.map(plain));
    }
  });
});

describe('ChunkReader incremental reads', () => {
  it('starts with chunk size 128 (5.4.1)', () => {
    expect(new ChunkReader().chunkSize).toBe(128);
  });

  it('returns null and consumes nothing until a whole chunk header is here', () => {
    const input = hex('01 ffff ffffff 000002 08 01000000 01000000 aabb');
    const reader = new ChunkReader();
    for (let n = 1; n < 18; n++) {
      reader.push(input.subarray(n - 1, n));
      expect(reader.read()).toBeNull();
      expect(reader.buffered).toBe(n);
    }
    reader.push(input.subarray(17, 18));
    expect(reader.read()).toBeNull();
    expect(reader.buffered).toBe(0);
    reader.push(input.subarray(18, 19));
    expect(reader.read()).toBeNull();
    expect(reader.buffered).toBe(1);
    reader.push(input.subarray(19));
    expect(plain(reader.read()!)).toEqual(plain(msg(65599, 8, 0x01000000, 1, 'aabb')));
    expect(reader.read()).toBeNull();
  });

  it('with a non-repeated extended timestamp, waits for 4 bytes after a type 3 header to tell', () => {
    const reader = new ChunkReader();
    reader.push(hex(`${SCS2.bytes} 04 ffffff 000003 08 01000000 12345678 aabb c4 cc`));
    expect(drain(reader).map(plain)).toEqual([plain(SCS2.message)]);
    expect(reader.buffered).toBe(2);
    reader.push(hex('04 000000 000000 08 01000000'));
    expect(drain(reader).map(plain)).toEqual([plain(msg(4, 8, 0x12345678, 1, 'aabbcc')), plain(msg(4, 8, 0, 1))]);
  });

  it('copies a message that lies in one chunk out of the pushed buffer, which it must not keep alive', () => {
    const input = hex('04 000000 000003 08 01000000 aabbcc');
    const reader = new ChunkReader();
    reader.push(input);
    const m = reader.read()!;
    expect(m.payload.buffer).not.toBe(input.buffer);
    expect(m.payload.byteLength).toBe(3);
    // Changing the pushed bytes afterwards (a socket buffer reused) does not change the message.
    input.fill(0);
    expect([...m.payload]).toEqual([0xaa, 0xbb, 0xcc]);
  });

  it('copies a message of several chunks once into its own body', () => {
    const reader = new ChunkReader();
    const input = hex(`${SCS2.bytes} 04 000000 000003 08 01000000 aabb c4 cc`);
    reader.push(input);
    const [, m] = drain(reader);
    expect(m!.payload.buffer).not.toBe(input.buffer);
    expect(m!.payload.length).toBe(3);
  });

  it('reads back what ChunkWriter writes for every basic header form', () => {
    const writer = new ChunkWriter();
    const messages = BASIC_HEADER_FORMS.map(({ csid }, i) => msg(csid, 9, i * 40, 1, 'ab'.repeat(300)));
    const reader = new ChunkReader();
    reader.push(Buffer.concat(messages.map((m) => writer.encode(m))));
    expect(drain(reader).map(plain)).toEqual(messages.map(plain));
  });
});
