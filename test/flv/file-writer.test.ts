import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FLV_MAX_TAG_BODY_BYTES, FlvError, FlvFileReader, FlvFileWriter, readFlvFile, writeFlvFile, type FlvTagInput } from '../../src/flv/index.js';
import { fixturePath } from '../helpers/ffmpeg.js';

/** The .flv writer (FLV 10.1 E.2, E.3, E.4.1) as exact bytes, against the reader, and against ffmpeg's file. */

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function concat(pieces: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(pieces));
}

describe('FlvFileWriter: exact bytes', () => {
  it.each([
    { hasAudio: true, hasVideo: true, bytes: '464c5601 05 00000009 00000000' },
    { hasAudio: true, hasVideo: false, bytes: '464c5601 04 00000009 00000000' },
    { hasAudio: false, hasVideo: true, bytes: '464c5601 01 00000009 00000000' },
    { hasAudio: false, hasVideo: false, bytes: '464c5601 00 00000009 00000000' },
  ])('header, audio $hasAudio video $hasVideo', ({ hasAudio, hasVideo, bytes }) => {
    expect(toHex(new FlvFileWriter({ hasAudio, hasVideo }).header())).toBe(toHex(hex(bytes)));
  });

  it.each([
    { name: 'audio at 0', type: 8, ts: 0, body: 'af0121', bytes: '08 000003 000000 00 000000 | af0121 | 0000000e' },
    { name: 'video at 1000 ms', type: 9, ts: 1000, body: '17020000 00', bytes: '09 000005 0003e8 00 000000 | 1702000000 | 00000010' },
    { name: 'script, empty body', type: 18, ts: 0, body: '', bytes: '12 000000 000000 00 000000 | | 0000000b' },
    { name: 'TimestampExtended carries bits 24–31', type: 9, ts: 0x12345678, body: '00', bytes: '09 000001 345678 12 000000 | 00 | 0000000c' },
    { name: 'a negative SI32 timestamp', type: 8, ts: -1, body: '00', bytes: '08 000001 ffffff ff 000000 | 00 | 0000000c' },
    { name: 'the largest SI32 timestamp', type: 8, ts: 0x7fffffff, body: '00', bytes: '08 000001 ffffff 7f 000000 | 00 | 0000000c' },
  ] as const)('tag: $name', ({ type, ts, body, bytes }) => {
    const input = hex(body);
    const pieces = new FlvFileWriter({ hasAudio: true, hasVideo: true }).tag(type, ts, input);
    expect(pieces.map(toHex)).toEqual(bytes.split('|').map((p) => toHex(hex(p))));
    expect(pieces[1]).toBe(input);
  });

  it('sets the Filter bit when asked', () => {
    const [header] = new FlvFileWriter({ hasAudio: true, hasVideo: false }).tag(8, 0, hex('00'), true);
    expect(header![0]).toBe(0x28);
  });

  it('header() + tag() pieces equal writeFlvFile', () => {
    const tags: FlvTagInput[] = [
      { type: 18, timestamp: 0, body: hex('0200 0a 6f6e4d65746144617461 05') },
      { type: 9, timestamp: 0, body: hex('1700000000 01') },
      { type: 8, timestamp: 23, body: hex('af01 21') },
    ];
    const writer = new FlvFileWriter({ hasAudio: true, hasVideo: true });
    const streamed = concat([writer.header(), ...tags.flatMap((t) => writer.tag(t.type, t.timestamp, t.body))]);
    expect(toHex(writeFlvFile({ hasAudio: true, hasVideo: true }, tags))).toBe(toHex(streamed));
  });
});

describe('FlvFileWriter: errors', () => {
  const writer = new FlvFileWriter({ hasAudio: true, hasVideo: true });
  it.each([
    { name: 'tag type 7', call: () => writer.tag(7 as 8, 0, hex('00')), code: 'ERR_FLV_UNKNOWN_TAG_TYPE' },
    { name: 'timestamp 2^31', call: () => writer.tag(8, 0x80000000, hex('00')), code: 'ERR_FLV_TAG_MALFORMED' },
    { name: 'timestamp below −2^31', call: () => writer.tag(8, -0x80000001, hex('00')), code: 'ERR_FLV_TAG_MALFORMED' },
    { name: 'fractional timestamp', call: () => writer.tag(8, 1.5, hex('00')), code: 'ERR_FLV_TAG_MALFORMED' },
    { name: 'NaN timestamp', call: () => writer.tag(8, Number.NaN, hex('00')), code: 'ERR_FLV_TAG_MALFORMED' },
    { name: 'a body beyond the 24-bit DataSize', call: () => writer.tag(9, 0, new Uint8Array(FLV_MAX_TAG_BODY_BYTES + 1)), code: 'ERR_FLV_TAG_TOO_LARGE' },
    {
      name: 'writeFlvFile checks before it allocates',
      call: () => writeFlvFile({ hasAudio: true, hasVideo: false }, [{ type: 8, timestamp: 2 ** 40, body: hex('00') }]),
      code: 'ERR_FLV_TAG_MALFORMED',
    },
  ])('$name → $code', ({ call, code }) => {
    let caught: unknown;
    try {
      call();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FlvError);
    expect(caught).toMatchObject({ code });
  });

  it('a body of exactly 16 MiB − 1 is written', () => {
    const [header] = writer.tag(9, 0, new Uint8Array(FLV_MAX_TAG_BODY_BYTES));
    expect(toHex(header!.subarray(1, 4))).toBe('ffffff');
  });
});

const tagInput: fc.Arbitrary<FlvTagInput> = fc.record({
  type: fc.constantFrom(8 as const, 9 as const, 18 as const),
  timestamp: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  body: fc.uint8Array({ maxLength: 64 }),
  filtered: fc.boolean(),
});

describe('writer → reader', () => {
  it('random tags read back equal, whole and in pieces', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(tagInput, { maxLength: 12 }), (hasAudio, hasVideo, tags) => {
        const { header, tags: read } = readFlvFile(writeFlvFile({ hasAudio, hasVideo }, tags));
        expect(header).toEqual({ kind: 'header', version: 1, hasAudio, hasVideo, dataOffset: 9 });
        expect(read).toEqual(tags.map((t) => ({ kind: 'tag', ...t })));

        const writer = new FlvFileWriter({ hasAudio, hasVideo });
        const reader = new FlvFileReader();
        const streamed = [];
        for (const pieces of [[writer.header()], ...tags.map((t) => writer.tag(t.type, t.timestamp, t.body, t.filtered))]) {
          for (const piece of pieces) reader.push(piece);
          for (let item = reader.read(); item !== null; item = reader.read()) if (item.kind === 'tag') streamed.push(item);
        }
        reader.end();
        expect(streamed).toEqual(read);
      }),
      { numRuns: 300 },
    );
  });

  it("writing fixtures/media/h264-aac.flv's tags back gives ffmpeg's file byte for byte", () => {
    const original = new Uint8Array(readFileSync(fixturePath('media/h264-aac.flv')));
    const { header, tags } = readFlvFile(original);
    const rewritten = writeFlvFile(header, tags);
    expect(rewritten.length).toBe(original.length);
    expect(Buffer.from(rewritten).equals(original)).toBe(true);
  });
});
