import { describe, expect, it } from 'vitest';
import {
  type Box,
  configurationBox,
  dinf,
  encodeBoxes,
  esds,
  fourcc,
  ftyp,
  hdlr,
  leafBox,
  mdatHeader,
  mdhd,
  mfhd,
  mp4a,
  mvex,
  mvhd,
  pasp,
  smhd,
  stbl,
  stsd,
  styp,
  tfdt,
  tfhd,
  tkhd,
  trex,
  trun,
  vmhd,
  visualSampleEntry,
} from '../../src/cmaf/box/index.js';
import { descriptorBytes } from '../../src/cmaf/box/esds.js';
import { fittingRate } from '../../src/cmaf/box/mp4a.js';
import { packLanguage } from '../../src/cmaf/box/mdhd.js';
import { NON_SYNC_SAMPLE_FLAGS, SYNC_SAMPLE_FLAGS, sampleFlags } from '../../src/cmaf/box/sample-flags.js';
import { planTrackRun, trunByteLength } from '../../src/cmaf/box/trun.js';
import { CMAF_HEADER_BRANDS, CMAF_SEGMENT_BRANDS } from '../../src/cmaf/index.js';
import { CmafError } from '../../src/errors/index.js';
import type { Sample } from '../../src/media/index.js';

/**
 * Every box against bytes derived by hand from the box syntax in ISO/IEC 14496-12 (and 14496-14
 * for esds): the expected strings are written field by field, one group per field, so a reader can
 * check them against the spec without running anything.
 */
const hex = (box: Box) => Buffer.from(encodeBoxes([box])).toString('hex');
const h = (fields: string) => fields.replace(/\s+/g, '');
const MATRIX = '00010000 00000000 00000000 00000000 00010000 00000000 00000000 00000000 40000000';
const ESDS_AAC_LC_STEREO =
  '00000027 65736473 00000000' + // esds, 39 bytes, v0
  ' 03 19 0000 00' + // ES_Descriptor: 25-byte payload, ES_ID 0, flags 0
  ' 04 11 40 15 000600 00000000 00000000' + // DecoderConfig: AAC, audio stream (5<<2|1), buffer 1536, bitrates 0
  ' 05 02 1210' + // DecoderSpecificInfo: AudioSpecificConfig AAC-LC 44.1 kHz stereo
  ' 06 01 02'; // SLConfigDescriptor: predefined 2 (MP4)

function sample(overrides: Partial<Sample>): Sample {
  return { trackId: 1, dts: 0, pts: 0, duration: 1024, keyframe: true, data: new Uint8Array(3), ...overrides };
}

describe('box writers: exact bytes', () => {
  const table: [string, Box, string][] = [
    ['ftyp (4.3)', ftyp({ major: 'cmf2', minorVersion: 0, compatible: ['cmf2', 'cmfc'] }), '00000018 66747970 636d6632 00000000 636d6632 636d6663'],
    ['styp (8.16.2), CMAF segment brands', styp(CMAF_SEGMENT_BRANDS), '00000018 73747970 636d6673 00000000 636d6673 6d736468'],
    [
      'mvhd v0 (8.2.2)',
      mvhd({ timescale: 1000, nextTrackId: 2 }),
      `0000006c 6d766864 00000000 00000000 00000000 000003e8 00000000 00010000 0100 0000 00000000 00000000 ${MATRIX}
       ${'00000000'.repeat(6)} 00000002`,
    ],
    [
      'tkhd v0 video (8.3.2)',
      tkhd({ trackId: 1, volume: 0, width: 320, height: 240 }),
      `0000005c 746b6864 00000003 00000000 00000000 00000001 00000000 00000000 00000000 00000000 0000 0000 0000 0000 ${MATRIX}
       01400000 00f00000`,
    ],
    [
      'tkhd v0 audio: volume 1.0, no size',
      tkhd({ trackId: 2, volume: 0x0100, width: 0, height: 0 }),
      `0000005c 746b6864 00000003 00000000 00000000 00000002 00000000 00000000 00000000 00000000 0000 0000 0100 0000 ${MATRIX}
       00000000 00000000`,
    ],
    ['mdhd v0 (8.4.2), 90 kHz, und', mdhd({ timescale: 90_000, language: 'und' }), '00000020 6d646864 00000000 00000000 00000000 00015f90 00000000 55c4 0000'],
    [
      'hdlr (8.4.3)',
      hdlr('vide', 'VideoHandler'),
      '0000002d 68646c72 00000000 00000000 76696465 00000000 00000000 00000000 566964656f48616e646c6572 00',
    ],
    ['vmhd (12.1.2), flags 1', vmhd(), '00000014 766d6864 00000001 0000 0000 0000 0000'],
    ['smhd (12.2.2)', smhd(), '00000010 736d6864 00000000 0000 0000'],
    ['dinf/dref/url (8.7.1, 8.7.2)', dinf(), '00000024 64696e66 0000001c 64726566 00000000 00000001 0000000c 75726c20 00000001'],
    [
      'stbl with empty tables (8.5.1)',
      stbl(stsd(0, [])),
      `0000005c 7374626c 00000010 73747364 00000000 00000000 00000010 73747473 00000000 00000000
       00000010 73747363 00000000 00000000 00000014 7374737a 00000000 00000000 00000000 00000010 7374636f 00000000 00000000`,
    ],
    ['pasp (12.1.4)', pasp(4, 3), '00000010 70617370 00000004 00000003'],
    [
      'esds (14496-14) for AAC-LC',
      esds({ objectTypeIndication: 0x40, streamType: 5, bufferSizeDB: 1536, maxBitrate: 0, avgBitrate: 0, decoderSpecificInfo: new Uint8Array([0x12, 0x10]) }),
      ESDS_AAC_LC_STEREO,
    ],
    [
      'mp4a v0 (12.2.3)',
      mp4a({ channelCount: 2, sampleRate: 44_100, esds: aacEsds() }),
      `0000004b 6d703461 000000000000 0001 0000 000000000000 0002 0010 0000 0000 ac440000 ${ESDS_AAC_LC_STEREO}`,
    ],
    [
      'mp4a as AudioSampleEntryV1 with srat for 96 kHz (12.2.3.2)',
      mp4a({ channelCount: 2, sampleRate: 96_000, esds: aacEsds() }),
      `0000005b 6d703461 000000000000 0001 0001 000000000000 0002 0010 0000 0000 bb800000
       00000010 73726174 00000000 00017700 ${ESDS_AAC_LC_STEREO}`,
    ],
    [
      'avc1 (12.1.3) with avcC',
      visualSampleEntry({ type: 'avc1', width: 64, height: 48, compressorName: 'AVC Coding', children: [configurationBox('avcC', new Uint8Array([1, 2, 3]))] }),
      `00000061 61766331 000000000000 0001 0000 0000 000000000000000000000000 0040 0030 00480000 00480000 00000000 0001
       0a 41564320436f64696e67 ${'00'.repeat(21)} 0018 ffff 0000000b 61766343 010203`,
    ],
    ['trex (8.8.3)', trex(1), '00000020 74726578 00000000 00000001 00000001 00000000 00000000 00000000'],
    ['mvex (8.8.1)', mvex([1]), '00000028 6d766578 00000020 74726578 00000000 00000001 00000001 00000000 00000000 00000000'],
    ['mfhd (8.8.5)', mfhd(7), '00000010 6d666864 00000000 00000007'],
    ['tfhd: default-base-is-moof only (8.8.7)', tfhd({ trackId: 1 }), '00000010 74666864 00020000 00000001'],
    [
      'tfhd: default duration and flags',
      tfhd({ trackId: 1, defaultSampleDuration: 1024, defaultSampleFlags: SYNC_SAMPLE_FLAGS }),
      '00000018 74666864 00020028 00000001 00000400 02000000',
    ],
    [
      'tfhd: all three defaults',
      tfhd({ trackId: 3, defaultSampleDuration: 1, defaultSampleSize: 2, defaultSampleFlags: 3 }),
      '0000001c 74666864 00020038 00000003 00000001 00000002 00000003',
    ],
    ['tfdt v1 (8.8.12), past 2^32', tfdt(0x1_0000_0005), '00000014 74666474 01000000 00000001 00000005'],
    ['mdat header (8.1.1)', mdatHeader(10), '00000012 6d646174'],
  ];

  it.each(table)('%s', (_name, box, expected) => {
    expect(hex(box)).toBe(h(expected));
    expect(box.byteLength).toBe(h(expected).length / 2);
  });

  it('trun v1 (8.8.8): durations, sizes, first_sample_flags and a negative composition offset', () => {
    const samples = [
      sample({ dts: 0, pts: 3000, duration: 3000, keyframe: true, data: new Uint8Array(5) }),
      sample({ dts: 3000, pts: 1500, duration: 1500, keyframe: false, data: new Uint8Array(2) }),
    ];
    const plan = planTrackRun(samples);
    expect(plan).toEqual({
      trunFlags: 0xb05,
      defaultSampleDuration: undefined,
      defaultSampleSize: undefined,
      defaultSampleFlags: NON_SYNC_SAMPLE_FLAGS,
      firstSampleFlags: SYNC_SAMPLE_FLAGS,
      payloadBytes: 7,
    });
    expect(hex(trun(samples, plan, 100))).toBe(
      h(`00000030 7472756e 01000b05 00000002 00000064 02000000
         00000bb8 00000005 00000bb8
         000005dc 00000002 fffffa24`),
    );
  });

  it('trun with per-sample flags when the non-first samples differ', () => {
    const samples = [sample({ keyframe: false }), sample({ keyframe: true }), sample({ keyframe: false })];
    const plan = planTrackRun(samples);
    expect(plan.trunFlags).toBe(0x401);
    expect(plan.defaultSampleFlags).toBeUndefined();
    expect(plan.firstSampleFlags).toBeUndefined();
    expect(hex(trun(samples, plan, 8))).toBe(h('00000020 7472756e 01000401 00000003 00000008 01010000 02000000 01010000'));
  });

  it('trunByteLength agrees with what trun writes for every flag combination', () => {
    for (let flags = 0; flags < 0x1000; flags++) {
      if ((flags & ~0xf05) !== 0) continue;
      const perSample = [0x100, 0x200, 0x400, 0x800].filter((b) => flags & b).length * 4;
      expect(trunByteLength(5, flags)).toBe(12 + 4 + (flags & 1 ? 4 : 0) + (flags & 4 ? 4 : 0) + 5 * perSample);
    }
  });
});

describe('box field encodings', () => {
  it('packs ISO 639-2/T languages as three 5-bit letters (8.4.2.3)', () => {
    expect(packLanguage('und')).toBe(0x55c4);
    expect(packLanguage('eng')).toBe(0x15c7);
    expect(() => packLanguage('EN')).toThrow(CmafError);
  });

  it('encodes descriptor sizes in the shortest expandable form (14496-1 8.3.3)', () => {
    expect(descriptorBytes(0x7f)).toBe(1 + 1 + 0x7f);
    expect(descriptorBytes(0x80)).toBe(1 + 2 + 0x80);
    expect(descriptorBytes(0x4000)).toBe(1 + 3 + 0x4000);
    const dsi = new Uint8Array(200).fill(0xab);
    const bytes = Buffer.from(encodeBoxes([esds({ objectTypeIndication: 0x40, streamType: 5, bufferSizeDB: 0, maxBitrate: 0, avgBitrate: 0, decoderSpecificInfo: dsi })]));
    // ES payload 3 + DCD (1+2+13+203) + SL 3 = 225 → 0x81 0x61; DCD payload 216 → 0x81 0x58; DSI 200 → 0x81 0x48.
    expect(bytes.subarray(12, 15).toString('hex')).toBe('038161');
    expect(bytes.subarray(18, 21).toString('hex')).toBe('048158');
    expect(bytes.subarray(34, 37).toString('hex')).toBe('058148');
    expect(bytes.length).toBe(12 + 3 + 225);
  });

  it('picks the largest integer division of a rate that fits 16 bits', () => {
    expect(fittingRate(44_100)).toBe(44_100);
    expect(fittingRate(65_535)).toBe(65_535);
    expect(fittingRate(88_200)).toBe(44_100);
    expect(fittingRate(96_000)).toBe(48_000);
    expect(fittingRate(192_000)).toBe(64_000);
  });

  it('sample flags: sync depends on nothing, non-sync depends and is flagged (8.8.3.1)', () => {
    expect(sampleFlags(true)).toBe(0x0200_0000);
    expect(sampleFlags(false)).toBe(0x0101_0000);
  });

  it('the CMAF header brands lead with cmf2 and list cmfc, iso6, mp41, dash', () => {
    expect(CMAF_HEADER_BRANDS.major).toBe('cmf2');
    expect(CMAF_HEADER_BRANDS.compatible).toEqual(['cmf2', 'cmfc', 'iso6', 'mp41', 'dash']);
  });
});

describe('box writer guards', () => {
  it('rejects a four-character code of the wrong length or with non-ASCII', () => {
    expect(() => fourcc('abc')).toThrow(CmafError);
    expect(() => fourcc('abcde')).toThrow(CmafError);
    expect(() => fourcc('ab\u00e9d')).toThrow(CmafError);
    expect(fourcc('url ')).toBe(0x75726c20);
  });

  it('catches a writer that writes fewer bytes than it declared, naming the box', () => {
    const liar = leafBox('liar', 4, (w) => void w.u16(0));
    expect(() => encodeBoxes([liar])).toThrow(/box 'liar' wrote 10 bytes but declared 12/);
  });

  it('refuses sizes beyond 32 bits instead of writing largesize', () => {
    expect(() => mdatHeader(0xffff_ffff)).toThrow(CmafError);
    expect(() => leafBox('big!', 0xffff_fff8, () => {})).toThrow(CmafError);
    expect(() => mdatHeader(0xffff_fff7)).not.toThrow();
  });

  it('rejects sample entry values the fields cannot hold', () => {
    const avcC = configurationBox('avcC', new Uint8Array([1]));
    expect(() => visualSampleEntry({ type: 'avc1', width: 70_000, height: 10, compressorName: '', children: [avcC] })).toThrow(CmafError);
    expect(() => visualSampleEntry({ type: 'avc1', width: 10, height: 10, compressorName: 'x'.repeat(32), children: [avcC] })).toThrow(CmafError);
    expect(() => configurationBox('hvcC', new Uint8Array(0))).toThrow(CmafError);
    expect(() => mp4a({ channelCount: 0, sampleRate: 48_000, esds: aacEsds() })).toThrow(CmafError);
    expect(() => mp4a({ channelCount: 2, sampleRate: 0, esds: aacEsds() })).toThrow(CmafError);
    expect(() => pasp(0, 1)).toThrow(CmafError);
    expect(() => tkhd({ trackId: 1, volume: 0, width: 65_536, height: 1 })).toThrow(CmafError);
  });
});

function aacEsds(): Box {
  return esds({ objectTypeIndication: 0x40, streamType: 5, bufferSizeDB: 1536, maxBitrate: 0, avgBitrate: 0, decoderSpecificInfo: new Uint8Array([0x12, 0x10]) });
}
