import { describe, expect, it } from 'vitest';
import { parseAdtsHeader } from '../../src/codec/index.js';
import {
  adtsConfig,
  adtsHeader,
  ContinuityCounters,
  crc32Mpeg2,
  packetCount,
  patPayload,
  pesHeader,
  pmtPayload,
  STREAM_TYPE,
  to90kHz,
  tsPackets,
  writePcr,
  writeTimestamp,
  type PacketRun,
} from '../../src/ts/index.js';
import { aacTrack, hex, pcrOf, readPackets, timestampOf, toHex } from './helpers.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('crc32Mpeg2 (ISO/IEC 13818-1 Annex A)', () => {
  it.each([
    ['the CRC-32/MPEG-2 check value of "123456789"', ascii('123456789'), 0x0376e6e7],
    ['no bytes: the preset register', new Uint8Array(0), 0xffffffff],
    ['one zero byte', hex('00'), 0x4e08bfb4],
    // FFmpeg 5.1's PAT section (program 1 → PMT 0x1000) and the CRC it wrote after it.
    ['FFmpeg\'s PAT section', hex('00 b0 0d 00 01 c1 00 00 00 01 f0 00'), 0x2ab104b2],
    ['FFmpeg\'s audio-only PMT section', hex('02 b0 12 00 01 c1 00 00 e1 00 f0 00 0f e1 00 f0 00'), 0xb69bc0d9],
  ])('%s', (_name, bytes, crc) => {
    expect(crc32Mpeg2(bytes)).toBe(crc);
  });

  it('a section followed by its own CRC runs the register to 0 (how a decoder checks it)', () => {
    expect(crc32Mpeg2(hex('00 b0 0d 00 01 c1 00 00 00 01 f0 00 2a b1 04 b2'))).toBe(0);
  });
});

describe('PSI sections, byte for byte as FFmpeg 5.1 writes them', () => {
  const stuffed = (section: string): string => toHex(hex(section)).padEnd(184 * 2, 'f');

  it('PAT: program 1 on PMT PID 0x1000', () => {
    expect(toHex(patPayload(0x1000))).toBe(stuffed('00 00 b0 0d 00 01 c1 00 00 00 01 f0 00 2a b1 04 b2'));
  });

  it('PMT: AAC alone on 0x100, the PCR with it', () => {
    expect(toHex(pmtPayload({ pcrPid: 0x100, streams: [{ streamType: STREAM_TYPE.aacAdts, pid: 0x100 }] }))).toBe(
      stuffed('00 02 b0 12 00 01 c1 00 00 e1 00 f0 00 0f e1 00 f0 00 b6 9b c0 d9'),
    );
  });

  it('PMT: H.264 on 0x100 (PCR) and AAC on 0x101', () => {
    const streams = [
      { streamType: STREAM_TYPE.h264, pid: 0x100 },
      { streamType: STREAM_TYPE.aacAdts, pid: 0x101 },
    ];
    expect(toHex(pmtPayload({ pcrPid: 0x100, streams }))).toBe(stuffed('00 02 b0 17 00 01 c1 00 00 e1 00 f0 00 1b e1 00 f0 00 0f e1 01 f0 00 2f 44 b9 9b'));
  });

  it('PMT version_number goes into bits 5..1 of byte 5, and the CRC follows it', () => {
    const pmt = pmtPayload({ pcrPid: 0x100, streams: [{ streamType: STREAM_TYPE.hevc, pid: 0x100 }], version: 3 });
    expect(pmt[6]).toBe(0xc1 | (3 << 1));
    expect(crc32Mpeg2(pmt, 1, 1 + 3 + 0x12)).toBe(0);
  });
});

describe('ADTS header (ISO/IEC 14496-3 1.A.2.2)', () => {
  it.each([
    // FFmpeg 5.1's aac encoder, 44.1 kHz mono, a 265-byte frame: ff f1 50 40 21 3f fc.
    ['AAC-LC 44.1 kHz mono, as FFmpeg wrote it', '1208', 258, 'fff15040213ffc'],
    ['AAC-LC 44.1 kHz stereo', '1210', 100, 'fff150800d7ffc'],
    ['AAC-LC 48 kHz stereo', '1190', 0, 'fff14c8000fffc'],
    ['AAC-LC 8 kHz 5.1 (channel configuration 6)', '15b0', 8184, 'fff16d83fffffc'],
    ['HE-AAC v1 44.1 kHz stereo: its LC core at 22.05 kHz', '2b920800', 166, 'fff15c8015bffc'],
  ])('%s', (_name, asc, payloadLength, bytes) => {
    const header = adtsHeader(adtsConfig(aacTrack(1, asc)), payloadLength);
    expect(toHex(header)).toBe(bytes);
    expect(parseAdtsHeader(header).frameLength).toBe(payloadLength + 7);
  });

  it('a frame past the 13-bit aac_frame_length is a CodecError, not a wrapped length', () => {
    expect(() => adtsHeader(adtsConfig(aacTrack(1, '1210')), 8185)).toThrow(expect.objectContaining({ code: 'ERR_CODEC_INVALID' }));
  });

  it('Opus has no ADTS: ERR_MEDIA_INVALID', () => {
    expect(() => adtsConfig({ ...aacTrack(1, '1210'), codec: 'opus' })).toThrow(expect.objectContaining({ code: 'ERR_MEDIA_INVALID' }));
  });
});

describe('PTS / DTS fields (13818-1 2.4.3.7)', () => {
  const field = (prefix: number, ticks: number): string => {
    const out = new Uint8Array(5);
    writeTimestamp(out, 0, prefix, ticks);
    return toHex(out);
  };

  it.each([
    [0b0010, 0, '2100010001'],
    [0b0010, 90_000, '210005bf21'],
    // FFmpeg 5.1's first PTS (1.4 s, its muxdelay) and DTS prefix.
    [0b0010, 126_000, '210007d861'],
    [0b0011, 133_200, '31000910a1'],
    [0b0001, 126_000, '110007d861'],
    [0b0010, 2 ** 33 - 1, '2fffffffff'],
    [0b0010, 2 ** 32, '2900010001'],
    // Wraps: 2^33 is 0 again, −1 is 2^33 − 1.
    [0b0010, 2 ** 33, '2100010001'],
    [0b0010, -1, '2fffffffff'],
  ])('prefix %i, %i ticks → %s', (prefix, ticks, bytes) => {
    expect(field(prefix, ticks)).toBe(bytes);
    expect(timestampOf(hex(bytes), 0)).toBe(((ticks % 2 ** 33) + 2 ** 33) % 2 ** 33);
  });

  it('PES header: PTS alone when DTS equals it, both otherwise, as FFmpeg writes them', () => {
    expect(toHex(pesHeader({ streamId: 0xc0, pts: 126_000, dts: 126_000, payloadLength: 100 }))).toBe('000001c0006c848005210007d861');
    expect(toHex(pesHeader({ streamId: 0xe0, pts: 133_200, dts: 126_000, payloadLength: 10 }))).toBe('000001e0001784c00a31000910a1110007d861');
  });

  it('PES_packet_length: exact up to 65 535; a longer video PES says 0; a longer audio PES is refused', () => {
    expect(toHex(pesHeader({ streamId: 0xe0, pts: 0, payloadLength: 0xffff - 8 }).subarray(4, 6))).toBe('ffff');
    expect(toHex(pesHeader({ streamId: 0xe0, pts: 0, payloadLength: 0xffff - 7 }).subarray(4, 6))).toBe('0000');
    expect(() => pesHeader({ streamId: 0xc0, pts: 0, payloadLength: 0xffff })).toThrow(expect.objectContaining({ code: 'ERR_MEDIA_INVALID' }));
  });

  it('90 kHz from any timescale, rounded from the absolute time (no drift over a day of 44.1 kHz frames)', () => {
    expect(to90kHz(1940, 44_100)).toBe(3959); // 3959.18
    expect(to90kHz(1024, 44_100)).toBe(2090); // 2089.80
    expect(to90kHz(1024, 48_000)).toBe(1920);
    expect(to90kHz(33, 1000)).toBe(2970);
    const frames = 24 * 3600 * 44_100 / 1024;
    expect(to90kHz(Math.floor(frames) * 1024, 44_100)).toBe(Math.round((Math.floor(frames) * 1024 * 90_000) / 44_100));
    expect(() => to90kHz(1.5, 44_100)).toThrow(expect.objectContaining({ code: 'ERR_MEDIA_INVALID' }));
  });
});

describe('PCR (13818-1 2.4.3.5)', () => {
  it.each([
    // FFmpeg 5.1's first PCR: base 63 000 (0.7 s), extension 0.
    [63_000, 0, '00007b0c7e00'],
    [0, 0, '000000007e00'],
    [1, 299, '00000000ff2b'],
    [2 ** 33 - 1, 0, 'fffffffffe00'],
  ])('base %i, extension %i → %s', (base, extension, bytes) => {
    const out = new Uint8Array(6);
    expect(writePcr(out, 0, base, extension)).toBe(6);
    expect(toHex(out)).toBe(bytes);
  });
});

describe('packetization', () => {
  const payload = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
  const run = (n: number, pcr?: number): PacketRun => ({
    pid: 0x100,
    unitStart: true,
    adaptation: pcr === undefined ? undefined : { pcr, randomAccess: true },
    chunks: [payload(n)],
    byteLength: n,
  });
  /** Payload bytes back out of the packets, in order. */
  const joined = (ts: Uint8Array): number[] => readPackets(ts).flatMap((p) => [...p.payload]);

  it.each([
    // size, packets, adaptation field bytes of each packet (0 = none)
    [0, 0, []],
    [1, 1, [183]],
    [182, 1, [2]],
    [183, 1, [1]],
    [184, 1, [0]],
    [185, 2, [0, 183]],
    [368, 2, [0, 0]],
    [369, 3, [0, 0, 183]],
  ])('a payload of %i bytes: %i packets, adaptation fields %j', (size, packets, afBytes) => {
    const ts = tsPackets(run(size));
    expect(ts.length).toBe(188 * packets);
    expect(packetCount(run(size))).toBe(packets);
    const read = readPackets(ts);
    expect(read.map((p) => p.adaptation?.length ?? 0)).toEqual(afBytes);
    expect(read.map((p) => p.unitStart)).toEqual(read.map((_, i) => i === 0));
    expect(joined(ts)).toEqual([...payload(size)]);
    // A 1-byte adaptation field is its length byte alone (0); longer ones stuff with 0xFF after the flags.
    for (const p of read) {
      if (p.adaptation?.length === 1) expect(p.adaptation[0]).toBe(0);
      if (p.adaptation !== undefined && p.adaptation.length > 1) expect([...p.adaptation.subarray(2)].every((b) => b === 0xff)).toBe(true);
    }
  });

  it.each([
    [0, 1, [184], false],
    [176, 1, [8], true],
    [177, 2, [8, 183], true],
    [183, 2, [8, 182 - 5], true],
  ])('with PCR + random_access (8-byte field), %i bytes: %i packets %j', (size, packets, afBytes, payloadFirst) => {
    const ts = tsPackets(run(size, 63_000));
    const read = readPackets(ts);
    expect(read).toHaveLength(packets);
    expect(read.map((p) => p.adaptation?.length ?? 0)).toEqual(afBytes);
    expect(read[0]!.hasPayload).toBe(payloadFirst);
    expect(read[0]!.adaptation![1]).toBe(0x50);
    expect(pcrOf(read[0]!.adaptation)).toBe(63_000);
    expect(joined(ts)).toEqual([...payload(size)]);
  });

  it('payload in pieces, empty ones too, crosses packet boundaries unchanged', () => {
    const pieces = [payload(100), new Uint8Array(0), payload(150), payload(1), new Uint8Array(0)];
    const ts = tsPackets({ pid: 0x101, unitStart: true, chunks: pieces, byteLength: 251 });
    expect(joined(ts)).toEqual(pieces.flatMap((p) => [...p]));
  });

  it('a byteLength that disagrees with the pieces is ERR_MEDIA_INVALID, as is a PID past 0x1FFE', () => {
    expect(() => tsPackets({ pid: 0x101, unitStart: true, chunks: [payload(3)], byteLength: 4 })).toThrow(expect.objectContaining({ code: 'ERR_MEDIA_INVALID' }));
    expect(() => tsPackets({ pid: 0x1fff, unitStart: true, chunks: [payload(3)], byteLength: 3 })).toThrow(expect.objectContaining({ code: 'ERR_MEDIA_INVALID' }));
  });

  it('continuity_counter: 0 first, +1 per payload packet, wraps at 16; adaptation-only packets repeat it', () => {
    const counters = new ContinuityCounters();
    const ccs: number[] = [];
    for (let i = 0; i < 17; i++) ccs.push(...readPackets(tsPackets(run(10), counters)).map((p) => p.cc));
    expect(ccs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0]);
    const pcrOnly = readPackets(tsPackets(run(0, 0), counters))[0]!;
    expect(pcrOnly).toMatchObject({ hasPayload: false, cc: 0 });
    expect(readPackets(tsPackets(run(400), counters)).map((p) => p.cc)).toEqual([1, 2, 3]);
    // Another PID counts on its own.
    expect(readPackets(tsPackets({ ...run(10), pid: 0x101 }, counters))[0]!.cc).toBe(0);
  });
});
