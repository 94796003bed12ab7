import { describe, expect, it } from 'vitest';
import { CodecError, crc32Mpeg2, MediaError, PCR_DELAY_TICKS, TsMuxer } from '../../src/ts/index.js';
import { aacTrack, avcc, avcTrack, hevcTrack, hex, pcrOf, readPackets, readPes, sample } from './helpers.js';

/** Media times written as they are (no start offset), so they compare with the input's. */
const RAW = { timestampOffsetTicks: 0 };

const video = avcTrack(1);
const audio = aacTrack(2, '1210');
const IDR = hex('65 88 84 00 33');
const SLICE = hex('41 9a 02 03');
const frame = (i: number, key = i % 30 === 0) => sample(1, 3000 * i, 3000 * i + 6000, 3000, key, avcc(key ? IDR : SLICE));
const aac = (j: number, bytes = 20) => sample(2, 1024 * j, 1024 * j, 1024, true, new Uint8Array(bytes).fill(j & 0xff));
const ES = new Set([0x100, 0x101]);

describe('TsMuxer: segment layout', () => {
  it('PAT, PMT, then PES packets in decode order; PIDs 0x100 and 0x101, PCR on video', () => {
    const muxer = new TsMuxer([video, audio], RAW);
    expect([...muxer.pids]).toEqual([[1, 0x100], [2, 0x101]]);
    expect(muxer.pcrPid).toBe(0x100);
    const ts = muxer.segment([frame(0), frame(1), aac(0), aac(1), aac(2)]);
    const packets = readPackets(ts);
    expect(packets.slice(0, 2).map((p) => p.pid)).toEqual([0, 0x1000]);
    const pes = readPes(ts, ES);
    // Audio at 0 and video at dts 0: video first on a tie; the three AAC frames (70 ms) share one PES.
    expect(pes.map((p) => [p.pid, p.pts, p.dts])).toEqual([
      [0x100, 6000, 0],
      [0x101, 0, undefined],
      [0x100, 9000, 3000],
    ]);
    expect(pes[1]!.data.length).toBe(3 * 27);
    expect(pes[1]!.declaredLength).toBe(pes[1]!.afterLength);
    // The IDR's PES: random_access_indicator and the PCR (clamped at 0) in its first packet.
    expect(pes[0]!.firstAdaptation![1]! & 0x50).toBe(0x50);
    expect(pcrOf(pes[0]!.firstAdaptation)).toBe(0);
    expect(pes[2]!.firstAdaptation![1]! & 0x40).toBe(0);
  });

  it('PCR runs PCR_DELAY_TICKS behind the DTS, never backwards, and is refreshed before audio when video is sparse', () => {
    const muxer = new TsMuxer([video, audio], RAW);
    const far = 10 * 90_000;
    const ts = muxer.segment([sample(1, far, far, 45_000, true, avcc(IDR)), ...[0, 1, 2, 3, 4, 5, 6, 7].map((j) => aac(Math.round((far / 90_000) * 44_100 / 1024) + 1 + j, 10))]);
    const pcrs = readPackets(ts).filter((p) => p.pid === 0x100).map((p) => pcrOf(p.adaptation)).filter((v) => v !== undefined);
    expect(pcrs[0]).toBe(far - PCR_DELAY_TICKS);
    expect(pcrs.length).toBeGreaterThan(1);
    for (let i = 1; i < pcrs.length; i++) expect(pcrs[i]!).toBeGreaterThanOrEqual(pcrs[i - 1]!);
    // A PCR-only packet has no payload and does not advance the counter.
    const pcrOnly = readPackets(ts).filter((p) => p.pid === 0x100 && !p.hasPayload);
    expect(pcrOnly.length).toBe(pcrs.length - 1);
  });

  it('audio alone: the PCR rides on the audio PID', () => {
    const muxer = new TsMuxer([aacTrack(7, '1190', 48_000)], RAW);
    expect(muxer.pcrPid).toBe(0x100);
    const first = readPackets(muxer.segment([sample(7, 96_000, 96_000, 1024, true, new Uint8Array(9))])).find((p) => p.pid === 0x100)!;
    expect(pcrOf(first.adaptation)).toBe(180_000 - PCR_DELAY_TICKS);
  });

  it('continuity counters continue across segments; discontinuity marks each PID\'s first packet and restarts the PCR', () => {
    const muxer = new TsMuxer([video, audio], RAW);
    const a = readPackets(muxer.segment([frame(0), aac(0)]));
    const b = readPackets(muxer.segment([frame(1), aac(2)]));
    expect(b.filter((p) => p.pid === 0).map((p) => p.cc)).toEqual([1]);
    expect(b.filter((p) => p.pid === 0x101)[0]!.cc).toBe((a.filter((p) => p.pid === 0x101).at(-1)!.cc + 1) % 16);
    expect(b.every((p) => p.adaptation === undefined || (p.adaptation.length > 1 ? (p.adaptation[1]! & 0x80) === 0 : true))).toBe(true);
    const c = readPackets(muxer.segment([sample(1, 0, 0, 3000, true, avcc(IDR)), aac(0)], { discontinuity: true }));
    for (const pid of [0, 0x1000, 0x100, 0x101]) expect(c.find((p) => p.pid === pid)!.adaptation![1]! & 0x80).toBe(0x80);
    // PAT and PMT stay one packet each, their sections whole.
    expect(c.slice(0, 3).map((p) => p.pid)).toEqual([0, 0x1000, 0x100]);
    expect(crc32Mpeg2(c[0]!.payload, 1, 1 + 3 + 13)).toBe(0);
    expect(pcrOf(c.find((p) => p.pid === 0x100)!.adaptation)).toBe(0);
  });

  it('a Map of samples by track gives the same bytes as the flat list', () => {
    const samples = [frame(0), aac(0), frame(1), aac(1)];
    const flat = new TsMuxer([video, audio], RAW).segment(samples);
    const byTrack = new TsMuxer([video, audio], RAW).segment(new Map([[1, [frame(0), frame(1)]], [2, [aac(0), aac(1)]]]));
    expect(Buffer.from(byTrack).equals(Buffer.from(flat))).toBe(true);
  });

  it('an empty segment is PAT + PMT', () => {
    expect(new TsMuxer([video], RAW).segment([]).length).toBe(2 * 188);
  });

  it('HEVC gets stream_type 0x24 in the PMT', () => {
    const pmt = readPackets(new TsMuxer([hevcTrack(1)], RAW).segment([]))[1]!;
    expect(pmt.payload[13]).toBe(0x24);
  });
});

describe('TsMuxer: hostile input is a typed error, and a failed segment changes nothing', () => {
  it.each([
    ['a sample of an unknown track', [sample(9, 0, 0, 1, true, avcc(IDR))], MediaError, 'ERR_MEDIA_INVALID'],
    ['video out of decode order', [frame(2), frame(1)], MediaError, 'ERR_MEDIA_INVALID'],
    ['audio out of decode order', [aac(3), aac(2)], MediaError, 'ERR_MEDIA_INVALID'],
    ['a non-integer time', [sample(1, 0.5, 0, 1, true, avcc(IDR))], MediaError, 'ERR_MEDIA_INVALID'],
    ['a negative duration', [sample(2, 0, 0, -1, true, new Uint8Array(4))], MediaError, 'ERR_MEDIA_INVALID'],
    ['a NAL length past the sample end', [sample(1, 0, 0, 1, true, hex('00 00 10 00 65'))], CodecError, 'ERR_CODEC_TRUNCATED'],
    ['an AAC frame too long for ADTS', [sample(2, 0, 0, 1024, true, new Uint8Array(9000))], CodecError, 'ERR_CODEC_INVALID'],
  ])('%s', (_name, samples, type, code) => {
    const muxer = new TsMuxer([video, audio], RAW);
    const before = readPackets(muxer.segment([frame(0)]));
    expect(() => muxer.segment(samples)).toThrow(type);
    expect(() => muxer.segment(samples)).toThrow(expect.objectContaining({ code }));
    const after = readPackets(muxer.segment([frame(1)]));
    expect(after[0]!.cc).toBe((before[0]!.cc + 1) % 16);
  });

  it('a Map whose list holds another track\'s sample', () => {
    expect(() => new TsMuxer([video, audio], RAW).segment(new Map([[1, [aac(0)]]]))).toThrow(expect.objectContaining({ code: 'ERR_MEDIA_INVALID' }));
  });

  it.each([
    ['no tracks', []],
    ['a repeated track id', [video, { ...audio, id: 1 }]],
    ['Opus', [{ ...audio, codec: 'opus' as const }]],
    ['VP9', [{ ...video, codec: 'vp9' as const }]],
  ])('constructor: %s is ERR_MEDIA_INVALID', (_name, tracks) => {
    expect(() => new TsMuxer(tracks, RAW)).toThrow(expect.objectContaining({ code: 'ERR_MEDIA_INVALID' }));
  });

  it('a malformed avcC is a CodecError at construction', () => {
    expect(() => new TsMuxer([{ ...video, decoderConfig: hex('01 64') }], RAW)).toThrow(CodecError);
  });
});

describe('TsMuxer: shifted composition delay (the live segmenter\'s negative offsets)', () => {
  // I P B B as the live segmenter gives them with shiftCompositionDelay: the B-frames present before they decode.
  const shifted = (base: number) => [
    sample(1, base, base, 3000, true, avcc(IDR)),
    sample(1, base + 3000, base + 9000, 3000, false, avcc(SLICE)),
    sample(1, base + 6000, base + 3000, 3000, false, avcc(SLICE)),
    sample(1, base + 9000, base + 6000, 3000, false, avcc(SLICE)),
  ];

  it('every DTS moves back by the largest lead of the first segment; PTS stay; DTS ≤ PTS throughout', () => {
    const muxer = new TsMuxer([video], RAW);
    const a = readPes(muxer.segment(shifted(0)), ES);
    expect(muxer.decodeDelay(1)).toBe(3000);
    const b = readPes(muxer.segment(shifted(12_000)), ES);
    expect([...a, ...b].map((p) => [p.pts, p.dts ?? p.pts])).toEqual([
      [0, 2 ** 33 - 3000],
      [9000, 0],
      [3000, 3000],
      [6000, 6000],
      [12_000, 9000],
      [21_000, 12_000],
      [15_000, 15_000],
      [18_000, 18_000],
    ]);
  });

  it('by default every time starts 1.4 s later: a stream from media time 0 with B-frames writes no DTS below 0 and its PCR runs 0.7 s behind from the first packet', () => {
    const muxer = new TsMuxer([video]);
    const ts = muxer.segment(shifted(0));
    const pes = readPes(ts, ES);
    expect(pes.map((p) => [p.pts, p.dts ?? p.pts])).toEqual([
      [126_000, 123_000],
      [135_000, 126_000],
      [129_000, 129_000],
      [132_000, 132_000],
    ]);
    const pcrs = readPackets(ts).map((p) => pcrOf(p.adaptation)).filter((x): x is number => x !== undefined);
    expect(pcrs[0]).toBe(123_000 - PCR_DELAY_TICKS);
    expect(pcrs.every((pcr, i) => pcr === (pes[i]!.dts ?? pes[i]!.pts) - PCR_DELAY_TICKS)).toBe(true);
  });

  it('a discontinuity measures it afresh; samples without negative offsets keep their DTS', () => {
    const muxer = new TsMuxer([video], RAW);
    muxer.segment(shifted(0));
    muxer.segment([frame(0), frame(1)], { discontinuity: true });
    expect(muxer.decodeDelay(1)).toBe(0);
  });
});
