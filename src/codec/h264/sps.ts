import type { BitReader } from '../../bytes/index.js';
import { codecBitReader, invalidField, ueMax } from '../codec-error.js';
import { removeEmulationPrevention } from '../nal/emulation-prevention.js';
import { H264_NAL_TYPE, h264NalType } from './nal-types.js';
import { frameGeometry, type H264FrameGeometry } from './sps-geometry.js';
import { readH264Vui, type H264Vui } from './sps-vui.js';

/**
 * seq_parameter_set_data() of ITU-T H.264 7.3.2.1.1, read up to the VUI fields a packager needs.
 * Values are the spec's derived ones where that is what callers use (bitDepthLuma = 8 +
 * bit_depth_luma_minus8, log2MaxFrameNum = 4 + log2_max_frame_num_minus4), with the inferred
 * values of 7.4.2.1.1 when a field is absent.
 */
export interface H264Sps extends H264FrameGeometry, H264Vui {
  readonly profileIdc: number;
  /** constraint_set0..5_flag and reserved_zero_2bits, the byte avcC calls profile_compatibility. */
  readonly constraintFlags: number;
  readonly levelIdc: number;
  readonly spsId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4; 1 when the profile does not code it. */
  readonly chromaFormatIdc: number;
  readonly separateColourPlane: boolean;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly scalingMatrixPresent: boolean;
  readonly log2MaxFrameNum: number;
  readonly picOrderCntType: 0 | 1 | 2;
  /** pic_order_cnt_type 0 only; 0 otherwise. */
  readonly log2MaxPicOrderCntLsb: number;
  /** pic_order_cnt_type 1 only; false / 0 / [] otherwise. */
  readonly deltaPicOrderAlwaysZero: boolean;
  readonly offsetForNonRefPic: number;
  readonly offsetForTopToBottomField: number;
  readonly offsetForRefFrame: readonly number[];
  readonly maxNumRefFrames: number;
  readonly gapsInFrameNumAllowed: boolean;
  readonly direct8x8Inference: boolean;
}

const STRUCTURE = 'H.264 SPS';

/** Profiles whose SPS codes chroma_format_idc, bit depths and scaling matrices (7.3.2.1.1). */
const HIGH_PROFILES: ReadonlySet<number> = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Parses an SPS NAL unit (with its one-byte NAL header, emulation prevention still in). */
export function parseH264Sps(nal: Uint8Array): H264Sps {
  if (nal.length > 0 && h264NalType(nal) !== H264_NAL_TYPE.SPS) {
    throw invalidField(STRUCTURE, 'nal_unit_type', h264NalType(nal), `is not ${H264_NAL_TYPE.SPS} (SPS)`);
  }
  const r = codecBitReader(removeEmulationPrevention(nal), STRUCTURE);
  r.need(32);
  r.skip(8);
  const profileIdc = r.bitsUnchecked(8);
  const constraintFlags = r.bitsUnchecked(8);
  const levelIdc = r.bitsUnchecked(8);
  const spsId = ueMax(r, STRUCTURE, 'seq_parameter_set_id', 31);
  const chroma = HIGH_PROFILES.has(profileIdc) ? readChromaInfo(r) : DEFAULT_CHROMA;
  const log2MaxFrameNum = 4 + ueMax(r, STRUCTURE, 'log2_max_frame_num_minus4', 12);
  const poc = readPicOrderCnt(r);
  const maxNumRefFrames = ueMax(r, STRUCTURE, 'max_num_ref_frames', 16);
  const gapsInFrameNumAllowed = r.flag();
  const geometry = frameGeometry(r, chroma.chromaFormatIdc, chroma.separateColourPlane);
  const vui = readH264Vui(r);
  return { profileIdc, constraintFlags, levelIdc, spsId, ...chroma, log2MaxFrameNum, ...poc, maxNumRefFrames, gapsInFrameNumAllowed, ...geometry, ...vui };
}

interface ChromaInfo {
  chromaFormatIdc: number;
  separateColourPlane: boolean;
  bitDepthLuma: number;
  bitDepthChroma: number;
  scalingMatrixPresent: boolean;
}

/** 7.4.2.1.1: without the fields, 4:2:0 at 8 bits. */
const DEFAULT_CHROMA: Readonly<ChromaInfo> = Object.freeze({ chromaFormatIdc: 1, separateColourPlane: false, bitDepthLuma: 8, bitDepthChroma: 8, scalingMatrixPresent: false });

function readChromaInfo(r: BitReader): ChromaInfo {
  const chromaFormatIdc = ueMax(r, STRUCTURE, 'chroma_format_idc', 3);
  const separateColourPlane = chromaFormatIdc === 3 ? r.flag() : false;
  const bitDepthLuma = 8 + ueMax(r, STRUCTURE, 'bit_depth_luma_minus8', 6);
  const bitDepthChroma = 8 + ueMax(r, STRUCTURE, 'bit_depth_chroma_minus8', 6);
  r.skip(1); // qpprime_y_zero_transform_bypass_flag
  const scalingMatrixPresent = r.flag();
  if (scalingMatrixPresent) skipScalingLists(r, chromaFormatIdc === 3 ? 12 : 8);
  return { chromaFormatIdc, separateColourPlane, bitDepthLuma, bitDepthChroma, scalingMatrixPresent };
}

/**
 * seq_scaling_list_present_flag[i] and scaling_list() (7.3.2.1.1.1): six 4x4 lists, then two or
 * six 8x8 ones. Only their length matters here, but it depends on the values: a list ends early
 * once nextScale reaches 0, so every delta_scale is decoded.
 */
function skipScalingLists(r: BitReader, count: number): void {
  for (let i = 0; i < count; i++) {
    if (!r.flag()) continue;
    const size = i < 6 ? 16 : 64;
    let lastScale = 8;
    let nextScale = 8;
    for (let j = 0; j < size && nextScale !== 0; j++) {
      const delta = r.se();
      if (delta < -128 || delta > 127) throw invalidField(STRUCTURE, 'delta_scale', delta, 'outside -128..127');
      nextScale = (lastScale + delta + 256) % 256;
      if (nextScale !== 0) lastScale = nextScale;
    }
  }
}

type PicOrderCnt = Pick<
  H264Sps,
  'picOrderCntType' | 'log2MaxPicOrderCntLsb' | 'deltaPicOrderAlwaysZero' | 'offsetForNonRefPic' | 'offsetForTopToBottomField' | 'offsetForRefFrame'
>;

function readPicOrderCnt(r: BitReader): PicOrderCnt {
  const type = ueMax(r, STRUCTURE, 'pic_order_cnt_type', 2) as 0 | 1 | 2;
  const none = { log2MaxPicOrderCntLsb: 0, deltaPicOrderAlwaysZero: false, offsetForNonRefPic: 0, offsetForTopToBottomField: 0, offsetForRefFrame: [] };
  if (type === 0) return { ...none, picOrderCntType: 0, log2MaxPicOrderCntLsb: 4 + ueMax(r, STRUCTURE, 'log2_max_pic_order_cnt_lsb_minus4', 12) };
  if (type === 2) return { ...none, picOrderCntType: 2 };
  const deltaPicOrderAlwaysZero = r.flag();
  const offsetForNonRefPic = r.se();
  const offsetForTopToBottomField = r.se();
  const cycle = ueMax(r, STRUCTURE, 'num_ref_frames_in_pic_order_cnt_cycle', 255);
  const offsetForRefFrame: number[] = [];
  for (let i = 0; i < cycle; i++) offsetForRefFrame.push(r.se());
  return { picOrderCntType: 1, log2MaxPicOrderCntLsb: 0, deltaPicOrderAlwaysZero, offsetForNonRefPic, offsetForTopToBottomField, offsetForRefFrame };
}
