import { describe, expect, it } from 'vitest';
import { avcCodecString, h264NalType, parseAvcC, parseH264Sps, splitAnnexB, type H264Sps } from '../../src/codec/index.js';
import { ffprobePath, fixturePath, runFfprobeJson } from '../helpers/ffmpeg.js';
import { codecError, codecFixture, flvFixtureConfigs, hex } from './helpers.js';
import { writeH264Sps, type H264SpsFields } from './sps-writers.js';

/** The SPS of an Annex B fixture under fixtures/codec/. */
function fixtureSps(name: string): H264Sps {
  const sps = splitAnnexB(codecFixture(name)).find((n) => h264NalType(n) === 7);
  if (sps === undefined) throw new Error(`${name} has no SPS`);
  return parseH264Sps(sps);
}

/** What x264 (ffmpeg 5.1) wrote into each fixture, per fixtures/codec/make-codec-fixtures.sh. */
const FIXTURES: Array<{ name: string; expect: Partial<H264Sps>; codec: string }> = [
  {
    name: 'h264-high-1366x768.h264',
    codec: 'avc1.640020',
    expect: { profileIdc: 100, levelIdc: 32, chromaFormatIdc: 1, bitDepthLuma: 8, codedWidth: 1376, codedHeight: 768, width: 1366, height: 768, frameCrop: { left: 0, right: 5, top: 0, bottom: 0 }, frameRate: 30, sarWidth: 1, sarHeight: 1, picOrderCntType: 0, frameMbsOnly: true },
  },
  {
    name: 'h264-high422-10bit-1366x766.h264',
    codec: 'avc1.7a0020',
    expect: { profileIdc: 122, chromaFormatIdc: 2, bitDepthLuma: 10, bitDepthChroma: 10, codedWidth: 1376, codedHeight: 768, width: 1366, height: 766, frameCrop: { left: 0, right: 5, top: 0, bottom: 2 }, frameRate: 50 },
  },
  {
    name: 'h264-high-1440x1080i-sar4x3.h264',
    codec: 'avc1.640028',
    expect: { profileIdc: 100, levelIdc: 40, frameMbsOnly: false, picHeightInMapUnits: 34, codedWidth: 1440, codedHeight: 1088, width: 1440, height: 1080, frameCrop: { left: 0, right: 0, top: 0, bottom: 2 }, sarWidth: 4, sarHeight: 3, frameRate: 25 },
  },
  {
    name: 'h264-baseline-176x144-sar5x7.h264',
    codec: 'avc1.42c00a',
    expect: { profileIdc: 66, constraintFlags: 0xc0, levelIdc: 10, chromaFormatIdc: 1, bitDepthLuma: 8, picOrderCntType: 2, width: 176, height: 144, sarWidth: 5, sarHeight: 7, frameRate: 15 },
  },
];

describe('parseH264Sps: real x264 parameter sets', () => {
  it('fixtures/media/h264-aac.flv: 320x240 High, 30 fps from the VUI timing info', () => {
    const config = parseAvcC(flvFixtureConfigs().avcC);
    const sps = parseH264Sps(config.sps[0]!);
    expect(sps).toMatchObject({
      profileIdc: 100, constraintFlags: 0, levelIdc: 13, spsId: 0, chromaFormatIdc: 1, bitDepthLuma: 8, bitDepthChroma: 8,
      log2MaxFrameNum: 4, picOrderCntType: 0, log2MaxPicOrderCntLsb: 6, maxNumRefFrames: 4, frameMbsOnly: true,
      picWidthInMbs: 20, picHeightInMapUnits: 15, width: 320, height: 240, vuiPresent: true, sarWidth: 1, sarHeight: 1,
      timing: { numUnitsInTick: 1, timeScale: 60, fixedFrameRate: false }, frameRate: 30,
    });
    expect(avcCodecString(sps.profileIdc, sps.constraintFlags, sps.levelIdc)).toBe('avc1.64000d');
  });

  it.each(FIXTURES)('$name', ({ name, expect: fields, codec }) => {
    const sps = fixtureSps(name);
    expect(sps).toMatchObject(fields);
    expect(avcCodecString(sps.profileIdc, sps.constraintFlags, sps.levelIdc)).toBe(codec);
  });
});

const ffprobe = await ffprobePath();
const PROFILE_NAMES: Record<number, string[]> = { 66: ['Baseline', 'Constrained Baseline'], 77: ['Main'], 100: ['High'], 110: ['High 10'], 122: ['High 4:2:2'] };

interface ProbedStream {
  profile: string;
  level: number;
  width: number;
  height: number;
  sample_aspect_ratio?: string;
  r_frame_rate: string;
  field_order?: string;
}

describe.skipIf(ffprobe === undefined)('parseH264Sps against ffprobe', () => {
  it.each(FIXTURES.map((f) => f.name))('%s: profile, level, display size, SAR and rate agree', async (name) => {
    const { streams } = await runFfprobeJson<{ streams: ProbedStream[] }>(['-show_entries', 'stream=profile,level,width,height,sample_aspect_ratio,r_frame_rate,field_order', fixturePath(`codec/${name}`)]);
    const probed = streams[0]!;
    const sps = fixtureSps(name);
    expect(PROFILE_NAMES[sps.profileIdc]).toContain(probed.profile);
    expect([sps.levelIdc, sps.width, sps.height]).toEqual([probed.level, probed.width, probed.height]);
    expect(`${sps.sarWidth}:${sps.sarHeight}`).toBe(probed.sample_aspect_ratio ?? '1:1');
    const [num, den] = probed.r_frame_rate.split('/').map(Number);
    expect(sps.frameRate).toBeCloseTo(num! / den!, 9);
    expect(sps.frameMbsOnly).toBe(probed.field_order === 'progressive');
  });
});

/** A 1280x720 High-profile SPS; each synthetic case overrides the fields it is about. */
const BASE: H264SpsFields = {
  profileIdc: 100,
  levelIdc: 31,
  chroma: { chromaFormatIdc: 1 },
  poc: { type: 0, log2MaxPocLsbMinus4: 2 },
  widthMbs: 80,
  heightMapUnits: 45,
  vui: { timing: [1001, 60000, true] },
};

describe('parseH264Sps: syntax branches no fixture encoder writes', () => {
  it('the base case', () => {
    expect(parseH264Sps(writeH264Sps(BASE))).toMatchObject({ width: 1280, height: 720, frameRate: 60000 / 2002, log2MaxPicOrderCntLsb: 6 });
  });

  it('pic_order_cnt_type 1 with its offsets', () => {
    const sps = parseH264Sps(writeH264Sps({ ...BASE, poc: { type: 1, deltaAlwaysZero: true, offsetNonRef: -5, offsetTopBottom: 3, offsets: [1, -2, 300, 0] } }));
    expect(sps).toMatchObject({ picOrderCntType: 1, deltaPicOrderAlwaysZero: true, offsetForNonRefPic: -5, offsetForTopToBottomField: 3, offsetForRefFrame: [1, -2, 300, 0], frameRate: 30000 / 1001 });
  });

  it('scaling lists: full lists, lists ended early by nextScale 0, absent lists', () => {
    const full4x4 = Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 3 : -2));
    const endsEarly = [4, -12]; // 8 → 12 → 0: the rest of the list repeats 12
    const full8x8 = Array.from({ length: 64 }, () => 1);
    const lists = [full4x4, undefined, endsEarly, [-8], undefined, full4x4, full8x8, [127, -128, -7]] // last: 8 → 135 → 7 → 0;
    const sps = parseH264Sps(writeH264Sps({ ...BASE, chroma: { chromaFormatIdc: 1, scalingLists: lists } }));
    expect(sps).toMatchObject({ scalingMatrixPresent: true, width: 1280, height: 720, frameRate: 30000 / 1001 });
  });

  it('4:4:4 reads twelve scaling lists and crops in luma samples', () => {
    const lists = Array.from({ length: 12 }, (_, i) => (i === 11 ? [-8] : undefined));
    const sps = parseH264Sps(writeH264Sps({ ...BASE, profileIdc: 244, chroma: { chromaFormatIdc: 3, scalingLists: lists }, crop: [1, 2, 3, 4] }));
    expect(sps).toMatchObject({ chromaFormatIdc: 3, width: 1277, height: 713, frameRate: 30000 / 1001 });
  });

  it.each([
    { name: 'monochrome', chroma: { chromaFormatIdc: 0 }, frameMbsOnly: true, size: [1280 - 3, 720 - 7] },
    { name: 'separate colour planes', chroma: { chromaFormatIdc: 3, separateColourPlane: true }, frameMbsOnly: true, size: [1280 - 3, 720 - 7] },
    { name: '4:2:0', chroma: { chromaFormatIdc: 1 }, frameMbsOnly: true, size: [1280 - 6, 720 - 14] },
    { name: '4:2:2', chroma: { chromaFormatIdc: 2 }, frameMbsOnly: true, size: [1280 - 6, 720 - 7] },
    { name: '4:2:0 fields', chroma: { chromaFormatIdc: 1 }, frameMbsOnly: false, size: [1280 - 6, 1440 - 28] },
    { name: 'monochrome fields', chroma: { chromaFormatIdc: 0 }, frameMbsOnly: false, size: [1280 - 3, 1440 - 14] },
  ])('crop units (7.4.2.1.1): $name', ({ chroma, frameMbsOnly, size }) => {
    const sps = parseH264Sps(writeH264Sps({ ...BASE, profileIdc: 244, chroma, frameMbsOnly, crop: [1, 2, 3, 4] }));
    expect([sps.width, sps.height]).toEqual(size);
  });

  it('Extended_SAR, SAR table entries, and reserved or zero SARs read as square', () => {
    const sar = (vui: H264SpsFields['vui']) => {
      const s = parseH264Sps(writeH264Sps({ ...BASE, vui }));
      return [s.sarWidth, s.sarHeight];
    };
    expect(sar({ aspectRatioIdc: 255, sar: [64, 45] })).toEqual([64, 45]);
    expect(sar({ aspectRatioIdc: 2 })).toEqual([12, 11]);
    expect(sar({ aspectRatioIdc: 16 })).toEqual([2, 1]);
    expect(sar({ aspectRatioIdc: 17 })).toEqual([1, 1]);
    expect(sar({ aspectRatioIdc: 0 })).toEqual([1, 1]);
    expect(sar({ aspectRatioIdc: 255, sar: [0, 9] })).toEqual([1, 1]);
  });

  it('video signal type and chroma location are read through to the timing info', () => {
    const sps = parseH264Sps(writeH264Sps({ ...BASE, vui: { videoSignal: { fullRange: true, colour: [1, 1, 1] }, chromaLoc: [2, 2], timing: [1, 48, false] } }));
    expect(sps).toMatchObject({ fullRange: true, colourPrimaries: 1, transferCharacteristics: 1, matrixCoefficients: 1, frameRate: 24, timing: { fixedFrameRate: false } });
  });

  it('no VUI, or VUI without timing: frameRate undefined; zero timing values: undefined too', () => {
    expect(parseH264Sps(writeH264Sps({ ...BASE, vui: undefined }))).toMatchObject({ vuiPresent: false, frameRate: undefined, timing: undefined });
    expect(parseH264Sps(writeH264Sps({ ...BASE, vui: { aspectRatioIdc: 1 } }))).toMatchObject({ vuiPresent: true, frameRate: undefined });
    expect(parseH264Sps(writeH264Sps({ ...BASE, vui: { timing: [0, 50, true] } })).frameRate).toBeUndefined();
  });

  it('a VUI cut short keeps what was read (E.1.1 is informative for display), the SPS still parses', () => {
    const whole = writeH264Sps({ ...BASE, vui: { aspectRatioIdc: 14, timing: [1, 50, true] } });
    const cut = whole.subarray(0, whole.length - 6);
    expect(parseH264Sps(cut)).toMatchObject({ width: 1280, sarWidth: 4, sarHeight: 3, frameRate: undefined });
  });
});

describe('parseH264Sps: refusals', () => {
  it('another NAL type', () => {
    expect(codecError(() => parseH264Sps(hex('68ee3c80'))).details).toMatchObject({ field: 'nal_unit_type', value: 8 });
  });

  it.each([
    { name: 'chroma_format_idc 4', fields: { ...BASE, chroma: { chromaFormatIdc: 4 } }, field: 'chroma_format_idc' },
    { name: 'bit depth 15', fields: { ...BASE, chroma: { chromaFormatIdc: 1, bitDepthLumaMinus8: 7 } }, field: 'bit_depth_luma_minus8' },
    { name: 'pic_order_cnt_type 3', fields: { ...BASE, poc: { type: 3 } as unknown as H264SpsFields['poc'] }, field: 'pic_order_cnt_type' },
    { name: 'log2_max_frame_num_minus4 13', fields: { ...BASE, log2MaxFrameNumMinus4: 13 }, field: 'log2_max_frame_num_minus4' },
    { name: 'seq_parameter_set_id 32', fields: { ...BASE, spsId: 32 }, field: 'seq_parameter_set_id' },
    { name: 'delta_scale 128', fields: { ...BASE, chroma: { chromaFormatIdc: 1, scalingLists: [[128]] } }, field: 'delta_scale' },
    { name: 'cropping everything', fields: { ...BASE, crop: [320, 320, 0, 0] as [number, number, number, number] }, field: 'frame_crop_left_offset + frame_crop_right_offset' },
  ])('$name → ERR_CODEC_INVALID naming the field', ({ fields, field }) => {
    const err = codecError(() => parseH264Sps(writeH264Sps(fields)));
    expect(err.code).toBe('ERR_CODEC_INVALID');
    expect(err.details).toMatchObject({ structure: 'H.264 SPS', field });
  });

  it('every truncation before the VUI is ERR_CODEC_TRUNCATED', () => {
    const nal = writeH264Sps({ ...BASE, vui: undefined, poc: { type: 1, deltaAlwaysZero: false, offsetNonRef: 1, offsetTopBottom: 1, offsets: [5, 6] } });
    for (let n = 0; n < nal.length - 1; n++) {
      expect(codecError(() => parseH264Sps(nal.subarray(0, n))).code, `${n} bytes`).toBe('ERR_CODEC_TRUNCATED');
    }
  });
});
