import { describe, expect, it } from 'vitest';
import { fragment, initSegment, writeFragment, type FragmentInput } from '../../src/cmaf/index.js';
import { CmafError } from '../../src/errors/index.js';
import type { AudioTrack, Sample, VideoTrack } from '../../src/media/index.js';
import { concatBytes, parseMp4 } from '../helpers/mp4box.js';

const audio: AudioTrack = {
  kind: 'audio',
  id: 2,
  codec: 'aac',
  timescale: 44_100,
  codecString: 'mp4a.40.2',
  decoderConfig: new Uint8Array([0x12, 0x10]),
  sampleRate: 44_100,
  channels: 2,
  samplesPerFrame: 1024,
};
const video: VideoTrack = {
  kind: 'video',
  id: 1,
  codec: 'avc',
  timescale: 90_000,
  codecString: 'avc1.64000d',
  decoderConfig: new Uint8Array([1, 0x64, 0, 0x0d]),
  width: 320,
  height: 240,
  frameRate: 30,
  sarWidth: 1,
  sarHeight: 1,
};
const h = (fields: string) => fields.replace(/\s+/g, '');

function aac(i: number, data: number[]): Sample {
  return { trackId: 2, dts: i * 1024, pts: i * 1024, duration: 1024, keyframe: true, data: new Uint8Array(data) };
}

/** moof for two AAC frames, derived by hand (ISO/IEC 14496-12 8.8.4–8.8.12). */
const AUDIO_MOOF = `
  00000068 6d6f6f66
    00000010 6d666864 00000000 00000001
    00000050 74726166
      00000018 74666864 00020028 00000002 00000400 02000000
      00000014 74666474 01000000 00000000 00000000
      0000001c 7472756e 01000201 00000002 00000070 00000002 00000001`;

describe('fragment: layout', () => {
  it('writes moof + mdat header by hand-derived bytes; payloads are the sample views', () => {
    const samples = [aac(0, [0xaa, 0xbb]), aac(1, [0xcc])];
    const f = fragment({ sequenceNumber: 1, track: audio, samples, baseMediaDecodeTime: 0 });
    // tfhd: default-base-is-moof + default duration 1024 + default flags (sync);
    // trun: data_offset 0x70 = moof 104 + mdat header 8; per-sample sizes only.
    expect(Buffer.from(f.header).toString('hex')).toBe(h(`${AUDIO_MOOF} 0000000b 6d646174`));
    expect(f.payloads).toHaveLength(2);
    expect(f.payloads[0]).toBe(samples[0]!.data);
    expect(f.payloads[1]).toBe(samples[1]!.data);
    expect(f.byteLength).toBe(f.header.byteLength + 3);
    expect(Buffer.from(writeFragment(f)).toString('hex')).toBe(h(`${AUDIO_MOOF} 0000000b 6d646174 aabb cc`));
  });

  it('puts a styp first when asked, leaving data_offset relative to the moof', () => {
    const f = fragment({ sequenceNumber: 1, track: audio, samples: [aac(0, [0xaa, 0xbb]), aac(1, [0xcc])], baseMediaDecodeTime: 0, styp: true });
    expect(Buffer.from(f.header).toString('hex')).toBe(h(`00000018 73747970 636d6673 00000000 636d6673 6d736468 ${AUDIO_MOOF} 0000000b 6d646174`));
  });

  it('writes sequence number and a 64-bit base media decode time', () => {
    const f = fragment({ sequenceNumber: 0xffff_ffff, track: audio, samples: [aac(0, [1])], baseMediaDecodeTime: 2 ** 40 + 1 });
    const b = Buffer.from(f.header);
    expect(b.readUInt32BE(8 + 12)).toBe(0xffff_ffff);
    const tfdt = b.indexOf('tfdt') - 4;
    expect(b.readUInt8(tfdt + 8)).toBe(1);
    expect(b.readBigUInt64BE(tfdt + 12)).toBe(2n ** 40n + 1n);
  });

  it('a video GOP: flags via tfhd default + first_sample_flags, durations, sizes and signed offsets in trun', () => {
    const samples: Sample[] = [
      { trackId: 1, dts: 0, pts: 0, duration: 3000, keyframe: true, data: new Uint8Array(4) },
      { trackId: 1, dts: 3000, pts: 9000, duration: 3000, keyframe: false, data: new Uint8Array(2) },
      { trackId: 1, dts: 6000, pts: 3000, duration: 3003, keyframe: false, data: new Uint8Array(1) },
    ];
    const f = fragment({ sequenceNumber: 5, track: video, samples, baseMediaDecodeTime: 0 });
    const b = Buffer.from(f.header);
    const tfhd = b.indexOf('tfhd') - 4;
    expect(b.subarray(tfhd, tfhd + 20).toString('hex')).toBe(h('00000014 74666864 00020020 00000001 01010000'));
    const trun = b.indexOf('trun') - 4;
    // 60 bytes: header 12, count, data_offset, first_sample_flags, 3 × (duration, size, offset).
    expect(b.subarray(trun).toString('hex')).toBe(
      h(`0000003c 7472756e 01000b05 00000003 ${(trun + 60 + 8).toString(16).padStart(8, '0')} 02000000
         00000bb8 00000004 00000000
         00000bb8 00000002 00001770
         00000bbb 00000001 fffff448
         0000000f 6d646174`),
    );
    expect(b.readUInt32BE(0)).toBe(trun + 60);
  });
});

describe('fragment: validation', () => {
  const base: FragmentInput = { sequenceNumber: 1, track: audio, samples: [aac(0, [1]), aac(1, [2])], baseMediaDecodeTime: 0 };
  const cases: [string, Partial<FragmentInput> | ((s: Sample[]) => void), RegExp][] = [
    ['no samples', { samples: [] }, /at least one sample/],
    ['a sample of another track', (s) => (s[1] = { ...s[1]!, trackId: 1 }), /belongs to track 1, not 2/],
    ['a negative duration', (s) => (s[0] = { ...s[0]!, duration: -1 }), /duration -1/],
    ['a fractional duration', (s) => (s[0] = { ...s[0]!, duration: 1.5 }), /duration 1.5/],
    ['a decreasing dts', (s) => (s[1] = { ...s[1]!, dts: -1, pts: -1 }), /dts -1 is before the previous 0/],
    ['a composition offset beyond 32 bits', (s) => (s[0] = { ...s[0]!, pts: 2 ** 31 }), /composition offset/],
    ['a sequence number beyond 32 bits', { sequenceNumber: 2 ** 32 }, /sequence number/],
    ['a negative base media decode time', { baseMediaDecodeTime: -1 }, /baseMediaDecodeTime/],
    ['a sample over 4 GiB', (s) => (s[0] = { ...s[0]!, data: { byteLength: 2 ** 32 } as Uint8Array }), /beyond a 32-bit size/],
    ['an mdat over 4 GiB', (s) => s.forEach((x, i) => (s[i] = { ...x, data: { byteLength: 2 ** 31 } as Uint8Array })), /mdat payload/],
  ];

  it.each(cases)('rejects %s with ERR_CMAF_INVALID', (_name, change, message) => {
    const samples = [...base.samples];
    const input = typeof change === 'function' ? (change(samples), { ...base, samples }) : { ...base, ...change };
    let caught: unknown;
    try {
      fragment(input);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CmafError);
    expect((caught as CmafError).code).toBe('ERR_CMAF_INVALID');
    expect((caught as CmafError).message).toMatch(message);
  });

  it('accepts equal dts (non-decreasing) and a zero duration, and writes them as given', () => {
    const samples = [{ ...aac(0, [1]), duration: 0 }, aac(0, [2])];
    const parsed = parseMp4(concatBytes([initSegment([audio]), writeFragment(fragment({ ...base, samples }))]));
    // mp4box.js reads both samples back at dts 0, the first lasting 0 ticks and the second 1024.
    expect(parsed.samples.get(audio.id)?.map((p) => ({ dts: p.dts, duration: p.duration, bytes: [...p.data] }))).toEqual([
      { dts: 0, duration: 0, bytes: [1] },
      { dts: 0, duration: 1024, bytes: [2] },
    ]);
  });
});
