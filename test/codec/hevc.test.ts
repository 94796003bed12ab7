import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildHvcC,
  hevcCodecString,
  hevcConfigFromParameterSets,
  hevcNalType,
  parseHevcSps,
  parseHvcC,
  splitAnnexB,
  type HevcConfig,
  type HevcProfileTierLevel,
  type HevcSps,
} from '../../src/codec/index.js';
import { ffprobePath, fixturePath, runFfprobeJson } from '../helpers/ffmpeg.js';
import { codecError, codecFixture, hex, toHex } from './helpers.js';
import { writeHevcSps, type HevcSpsFields } from './sps-writers.js';

function fixtureUnits(name: string): { vps: Uint8Array[]; sps: Uint8Array[]; pps: Uint8Array[] } {
  const units = splitAnnexB(codecFixture(name));
  const of = (type: number) => units.filter((n) => hevcNalType(n) === type);
  return { vps: of(32), sps: of(33), pps: of(34) };
}

/** What x265 (ffmpeg 5.1) wrote into each fixture, per fixtures/codec/make-codec-fixtures.sh. */
const FIXTURES: Array<{ name: string; codec: string; expect: Partial<HevcSps> }> = [
  {
    name: 'hevc-main-1280x720-25fps.hevc',
    codec: 'hvc1.1.6.L93.90',
    expect: {
      generalProfileSpace: 0, generalTierFlag: 0, generalProfileIdc: 1, generalProfileCompatibilityFlags: 0x60000000,
      generalConstraintIndicatorFlags: 0x9000_0000_0000, generalLevelIdc: 93, maxSubLayers: 1, temporalIdNesting: true,
      chromaFormatIdc: 1, bitDepthLuma: 8, codedWidth: 1280, codedHeight: 720, width: 1280, height: 720,
      timing: { numUnitsInTick: 1, timeScale: 25 }, frameRate: 25, sarWidth: 1, sarHeight: 1,
    },
  },
  {
    name: 'hevc-main10-1366x768.hevc',
    codec: 'hvc1.2.4.L120.90',
    expect: {
      generalProfileIdc: 2, generalProfileCompatibilityFlags: 0x20000000, generalLevelIdc: 120, bitDepthLuma: 10, bitDepthChroma: 10,
      codedWidth: 1368, codedHeight: 768, conformanceWindow: { left: 0, right: 1, top: 0, bottom: 0 }, width: 1366, height: 768,
      frameRate: 30000 / 1001,
    },
  },
  {
    name: 'hevc-main422-10-640x358.hevc',
    codec: 'hvc1.4.10.L63.9D.8',
    expect: {
      generalProfileIdc: 4, generalProfileCompatibilityFlags: 0x08000000, generalConstraintIndicatorFlags: 0x9d08_0000_0000, generalLevelIdc: 63,
      chromaFormatIdc: 2, codedHeight: 360, conformanceWindow: { left: 0, right: 0, top: 0, bottom: 2 }, width: 640, height: 358, frameRate: 24,
    },
  },
];

describe('parseHevcSps: real x265 parameter sets', () => {
  it.each(FIXTURES)('$name', ({ name, codec, expect: fields }) => {
    const sps = parseHevcSps(fixtureUnits(name).sps[0]!);
    expect(sps).toMatchObject(fields);
    expect(hevcCodecString(sps)).toBe(codec);
  });
});

const ffprobe = await ffprobePath();
const PROFILE_NAMES: Record<number, string> = { 1: 'Main', 2: 'Main 10', 3: 'Main Still Picture', 4: 'Rext' };

describe.skipIf(ffprobe === undefined)('parseHevcSps against ffprobe', () => {
  it.each(FIXTURES.map((f) => f.name))('%s: profile, level, size and rate agree', async (name) => {
    const { streams } = await runFfprobeJson<{ streams: Array<{ profile: string; level: number; width: number; height: number; coded_width: number; coded_height: number; r_frame_rate: string }> }>([
      '-show_entries', 'stream=profile,level,width,height,coded_width,coded_height,r_frame_rate', fixturePath(`codec/${name}`),
    ]);
    const probed = streams[0]!;
    const sps = parseHevcSps(fixtureUnits(name).sps[0]!);
    expect(PROFILE_NAMES[sps.generalProfileIdc]).toBe(probed.profile);
    expect([sps.generalLevelIdc, sps.width, sps.height, sps.codedWidth, sps.codedHeight]).toEqual([probed.level, probed.width, probed.height, probed.coded_width, probed.coded_height]);
    const [num, den] = probed.r_frame_rate.split('/').map(Number);
    expect(sps.frameRate).toBeCloseTo(num! / den!, 9);
  });
});

/** A 1920x1080 Main SPS (1088 coded rows, 4 chroma rows of conformance window), 50 fps. */
const BASE: HevcSpsFields = {
  ptl: { space: 0, tier: 0, idc: 1, compat: 0x60000000, constraint: 0xb000_0000_0000, level: 123 },
  chromaFormatIdc: 1,
  width: 1920,
  height: 1088,
  conf: [0, 0, 0, 4],
  vui: { timing: [1, 50, false] },
};

describe('parseHevcSps: syntax branches x265 does not write', () => {
  it('the base case', () => {
    expect(parseHevcSps(writeHevcSps(BASE))).toMatchObject({ width: 1920, height: 1080, frameRate: 50, generalLevelIdc: 123 });
  });

  it('sub-layers with their profile and level blocks, and ordering info for each', () => {
    const sps = parseHevcSps(writeHevcSps({ ...BASE, maxSubLayersMinus1: 3, subLayers: [{ profile: true, level: true }, { profile: false, level: true }, { profile: true, level: false }], orderingInfoForAll: true }));
    expect(sps).toMatchObject({ maxSubLayers: 4, generalProfileIdc: 1, generalLevelIdc: 123, width: 1920, frameRate: 50 });
  });

  it('scaling_list_data with predicted and explicit matrices, PCM, long-term pictures', () => {
    expect(parseHevcSps(writeHevcSps({ ...BASE, scalingList: 'data', pcm: true, longTerm: 3 }))).toMatchObject({ width: 1920, frameRate: 50 });
    expect(parseHevcSps(writeHevcSps({ ...BASE, scalingList: 'default', log2MaxPocLsbMinus4: 12, longTerm: 32 })).frameRate).toBe(50);
  });

  it('short-term RPS predicted from the previous set (7.4.8): entries at POC 0 and dropped entries count right', () => {
    // set 0: {-1, -2 | +1}; set 1 = set 0 shifted by -1 → {-1, -2, -3} (the +1 entry lands on 0 and
    // leaves); set 2 = set 1 shifted by +2 with entry 2 dropped → { | +1, +2}, two entries, not
    // three, so set 3 has three flag pairs to read.
    const rps: HevcSpsFields['rps'] = [
      { s0: [0, 0], s1: [0] },
      { negative: true, absMinus1: 0, flags: [[true], [true], [true], [true]] },
      { negative: false, absMinus1: 1, flags: [[true], [true], [false, false], [true]] },
      { negative: true, absMinus1: 0, flags: [[true], [false, true], [true]] },
      { s0: [3], s1: [] },
    ];
    expect(parseHevcSps(writeHevcSps({ ...BASE, rps }))).toMatchObject({ width: 1920, frameRate: 50 });
  });

  it.each([
    { name: 'monochrome', chroma: 0, conf: [1, 2, 3, 4], size: [1917, 1081] },
    { name: '4:2:0', chroma: 1, conf: [1, 2, 3, 4], size: [1914, 1074] },
    { name: '4:2:2', chroma: 2, conf: [1, 2, 3, 4], size: [1914, 1081] },
    { name: '4:4:4', chroma: 3, conf: [1, 2, 3, 4], size: [1917, 1081] },
  ])('conformance window units (7.4.3.2.1): $name', ({ chroma, conf, size }) => {
    const sps = parseHevcSps(writeHevcSps({ ...BASE, chromaFormatIdc: chroma, conf: conf as [number, number, number, number] }));
    expect([sps.width, sps.height]).toEqual(size);
  });

  it('4:4:4 with separate colour planes crops in luma samples too', () => {
    const sps = parseHevcSps(writeHevcSps({ ...BASE, chromaFormatIdc: 3, separateColourPlane: true, conf: [1, 1, 1, 1] }));
    expect(sps).toMatchObject({ separateColourPlane: true, width: 1918, height: 1086 });
  });

  it('VUI: SAR, default display window (skipped, not applied), field_seq halves the rate', () => {
    const sps = parseHevcSps(writeHevcSps({ ...BASE, vui: { aspectRatioIdc: 255, sar: [4, 3], videoSignal: { fullRange: true, colour: [9, 16, 9] }, chromaLoc: [1, 1], defaultDisplayWindow: [8, 8, 8, 8], fieldSeq: true, timing: [1001, 60000, false] } }));
    expect(sps).toMatchObject({ sarWidth: 4, sarHeight: 3, fullRange: true, colourPrimaries: 9, transferCharacteristics: 16, fieldSeq: true, width: 1920, height: 1080, frameRate: 30000 / 1001 });
  });

  it('no VUI or no timing: frameRate undefined; a truncated VUI keeps what was read', () => {
    expect(parseHevcSps(writeHevcSps({ ...BASE, vui: undefined })).frameRate).toBeUndefined();
    expect(parseHevcSps(writeHevcSps({ ...BASE, vui: { aspectRatioIdc: 14 } }))).toMatchObject({ vuiPresent: true, sarWidth: 4, frameRate: undefined });
    const whole = writeHevcSps({ ...BASE, vui: { aspectRatioIdc: 14, timing: [1, 50, false] } });
    expect(parseHevcSps(whole.subarray(0, whole.length - 5))).toMatchObject({ width: 1920, sarWidth: 4, sarHeight: 3, frameRate: undefined });
  });
});

describe('parseHevcSps: refusals', () => {
  it('another NAL type', () => {
    expect(codecError(() => parseHevcSps(fixtureUnits('hevc-main-1280x720-25fps.hevc').vps[0]!)).details).toMatchObject({ field: 'nal_unit_type', value: 32 });
  });

  it.each([
    { name: 'sps_max_sub_layers_minus1 7', fields: { ...BASE, maxSubLayersMinus1: 7 }, field: 'sps_max_sub_layers_minus1' },
    { name: 'sps_seq_parameter_set_id 16', fields: { ...BASE, spsId: 16 }, field: 'sps_seq_parameter_set_id' },
    { name: 'chroma_format_idc 4', fields: { ...BASE, chromaFormatIdc: 4 }, field: 'chroma_format_idc' },
    { name: 'bit depth 17', fields: { ...BASE, bitDepthLumaMinus8: 9 }, field: 'bit_depth_luma_minus8' },
    { name: 'zero width', fields: { ...BASE, width: 0 }, field: 'pic_width/height_in_luma_samples' },
    { name: 'a window over the whole picture', fields: { ...BASE, conf: [0, 0, 300, 300] as [number, number, number, number] }, field: 'conf_win_top_offset + conf_win_bottom_offset' },
    { name: '65 short-term RPS', fields: { ...BASE, rps: Array.from({ length: 65 }, () => ({ s0: [], s1: [] })) }, field: 'num_short_term_ref_pic_sets' },
    { name: '17 negative pictures', fields: { ...BASE, rps: [{ s0: Array.from({ length: 17 }, () => 0), s1: [] }] }, field: 'num_negative_pics' },
    { name: '33 long-term pictures', fields: { ...BASE, longTerm: 33 }, field: 'num_long_term_ref_pics_sps' },
  ])('$name → ERR_CODEC_INVALID naming the field', ({ fields, field }) => {
    const err = codecError(() => parseHevcSps(writeHevcSps(fields)));
    expect(err.code).toBe('ERR_CODEC_INVALID');
    expect(err.details).toMatchObject({ structure: 'H.265 SPS', field });
  });

  it('every truncation before the VUI is ERR_CODEC_TRUNCATED', () => {
    const nal = writeHevcSps({ ...BASE, vui: undefined, maxSubLayersMinus1: 1, subLayers: [{ profile: true, level: true }] });
    for (let n = 0; n < nal.length - 1; n++) expect(codecError(() => parseHevcSps(nal.subarray(0, n))).code, `${n} bytes`).toBe('ERR_CODEC_TRUNCATED');
  });
});

describe('hevcCodecString (14496-15 E.3)', () => {
  const ptl = (p: Partial<HevcProfileTierLevel>): HevcProfileTierLevel => ({
    generalProfileSpace: 0, generalTierFlag: 0, generalProfileIdc: 1, generalProfileCompatibilityFlags: 0x60000000,
    generalConstraintIndicatorFlags: 0xb000_0000_0000, generalLevelIdc: 120, ...p,
  });
  it.each([
    { name: 'Main, level 4', ptl: ptl({}), codec: 'hvc1.1.6.L120.B0' },
    { name: 'Main 10, level 5.1', ptl: ptl({ generalProfileIdc: 2, generalProfileCompatibilityFlags: 0x20000000, generalLevelIdc: 153 }), codec: 'hvc1.2.4.L153.B0' },
    { name: 'profile space A, High tier, no constraint bytes', ptl: ptl({ generalProfileSpace: 1, generalTierFlag: 1, generalLevelIdc: 150, generalConstraintIndicatorFlags: 0 }), codec: 'hvc1.A1.6.H150' },
    { name: 'space C, every compatibility flag', ptl: ptl({ generalProfileSpace: 3, generalProfileCompatibilityFlags: 0xffffffff }), codec: 'hvc1.C1.FFFFFFFF.L120.B0' },
    { name: 'no compatibility flag', ptl: ptl({ generalProfileCompatibilityFlags: 0 }), codec: 'hvc1.1.0.L120.B0' },
    { name: 'flag 31 only (reversed to bit 31)', ptl: ptl({ generalProfileCompatibilityFlags: 1 }), codec: 'hvc1.1.80000000.L120.B0' },
    { name: 'zero bytes inside the constraints are kept', ptl: ptl({ generalConstraintIndicatorFlags: 0xb000_0000_0001 }), codec: 'hvc1.1.6.L120.B0.0.0.0.0.1' },
  ])('$name → $codec', ({ ptl: value, codec }) => {
    expect(hevcCodecString(value)).toBe(codec);
  });

  it("'hev1' on request; out-of-range fields are ERR_CODEC_INVALID", () => {
    expect(hevcCodecString(ptl({}), 'hev1')).toBe('hev1.1.6.L120.B0');
    expect(codecError(() => hevcCodecString(ptl({ generalLevelIdc: 256 }))).details).toMatchObject({ field: 'general_level_idc' });
  });
});

describe('hvcC', () => {
  const units = fixtureUnits('hevc-main-1280x720-25fps.hevc');

  it('hevcConfigFromParameterSets + buildHvcC: the header from the SPS, then VPS, SPS, PPS arrays', () => {
    const bytes = buildHvcC(hevcConfigFromParameterSets(units));
    const arrays = [[0x20, units.vps[0]!], [0x21, units.sps[0]!], [0x22, units.pps[0]!]] as const;
    const tail = arrays.map(([type, nal]) => `${(0x80 | type).toString(16)}0001${nal.length.toString(16).padStart(4, '0')}${toHex(nal)}`).join('');
    expect(toHex(bytes)).toBe('01' + '01' + '60000000' + '900000000000' + '5d' + 'f000' + 'fc' + 'fd' + 'f8' + 'f8' + '0000' + '0f' + '03' + tail);
    expect(hevcCodecString(parseHvcC(bytes))).toBe('hvc1.1.6.L93.90');
  });

  it('parses back what it built, NAL units as views of the record', () => {
    const bytes = buildHvcC(hevcConfigFromParameterSets({ ...units, sei: [hex('4e01 0500'), hex('5001 8000')] }));
    const config = parseHvcC(bytes);
    expect(config).toMatchObject({ generalProfileIdc: 1, generalLevelIdc: 93, chromaFormatIdc: 1, bitDepthLuma: 8, numTemporalLayers: 1, temporalIdNested: true, nalLengthSize: 4 });
    expect(config.sei.map(toHex)).toEqual(['4e010500', '50018000']);
    expect(config.sps[0]!.buffer).toBe(bytes.buffer);
  });

  it('skips arrays of other NAL types, as 8.3.3.1.2 allows none', () => {
    const bytes = buildHvcC(hevcConfigFromParameterSets(units));
    const extra = Uint8Array.of(...bytes.subarray(0, 22), bytes[22]! + 1, ...bytes.subarray(23), 0x80 | 35, 0, 1, 0, 2, 0x46, 0x01);
    expect(parseHvcC(extra).pps.map(toHex)).toEqual(units.pps.map(toHex));
  });

  it.each([
    { name: 'empty', bytes: '', code: 'ERR_CODEC_TRUNCATED' },
    { name: 'a 22-byte header', bytes: '01'.repeat(22), code: 'ERR_CODEC_TRUNCATED' },
    { name: 'configurationVersion 0', bytes: '00' + '00'.repeat(22), code: 'ERR_CODEC_UNSUPPORTED' },
    { name: 'lengthSizeMinusOne 2', bytes: '01' + '00'.repeat(20) + '02' + '00', code: 'ERR_CODEC_INVALID' },
    { name: 'an array cut short', bytes: '01' + '00'.repeat(20) + '03' + '01' + 'a0 0002 0002 4001', code: 'ERR_CODEC_TRUNCATED' },
  ])('refuses $name with $code', ({ bytes, code }) => {
    expect(codecError(() => parseHvcC(hex(bytes))).code).toBe(code);
  });

  it('hevcConfigFromParameterSets needs an SPS; buildHvcC checks field ranges', () => {
    expect(codecError(() => hevcConfigFromParameterSets({ vps: [], sps: [], pps: [] })).code).toBe('ERR_CODEC_INVALID');
    const config = hevcConfigFromParameterSets(units);
    expect(codecError(() => buildHvcC({ ...config, numTemporalLayers: 8 })).details).toMatchObject({ field: 'numTemporalLayers', value: 8 });
    expect(codecError(() => buildHvcC({ ...config, pps: [new Uint8Array(0)] })).details).toMatchObject({ field: 'nalUnitLength' });
  });
});

const unit = fc.uint8Array({ minLength: 1, maxLength: 30 });
const sei = (type: number) => unit.map((b) => Uint8Array.of(type << 1, 1, ...b));
const hevcConfig: fc.Arbitrary<HevcConfig> = fc.record({
  generalProfileSpace: fc.integer({ min: 0, max: 3 }),
  generalTierFlag: fc.constantFrom(0 as const, 1 as const),
  generalProfileIdc: fc.integer({ min: 0, max: 31 }),
  generalProfileCompatibilityFlags: fc.integer({ min: 0, max: 0xffffffff }),
  generalConstraintIndicatorFlags: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
  generalLevelIdc: fc.integer({ min: 0, max: 255 }),
  minSpatialSegmentationIdc: fc.integer({ min: 0, max: 0xfff }),
  parallelismType: fc.integer({ min: 0, max: 3 }),
  chromaFormatIdc: fc.integer({ min: 0, max: 3 }),
  bitDepthLuma: fc.integer({ min: 8, max: 15 }),
  bitDepthChroma: fc.integer({ min: 8, max: 15 }),
  avgFrameRate: fc.integer({ min: 0, max: 0xffff }),
  constantFrameRate: fc.integer({ min: 0, max: 3 }),
  numTemporalLayers: fc.integer({ min: 0, max: 7 }),
  temporalIdNested: fc.boolean(),
  nalLengthSize: fc.constantFrom(1 as const, 2 as const, 4 as const),
  vps: fc.array(unit, { maxLength: 2 }),
  sps: fc.array(unit, { maxLength: 2 }),
  pps: fc.array(unit, { maxLength: 3 }),
  sei: fc.tuple(fc.array(sei(39), { maxLength: 2 }), fc.array(sei(40), { maxLength: 2 })).map(([p, s]) => [...p, ...s]),
});

describe('hvcC round trip (property)', () => {
  it('parseHvcC(buildHvcC(config)) = config', () => {
    const norm = (c: HevcConfig) => ({ ...c, vps: c.vps.map(toHex), sps: c.sps.map(toHex), pps: c.pps.map(toHex), sei: c.sei.map(toHex) });
    fc.assert(
      fc.property(hevcConfig, (config) => {
        expect(norm(parseHvcC(buildHvcC(config)))).toEqual(norm(config));
      }),
      { numRuns: 500 },
    );
  });
});
