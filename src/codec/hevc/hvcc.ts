import { ByteWriter, type ByteReader } from '../../bytes/index.js';
import { checkRange, codecByteReader, unsupportedField } from '../codec-error.js';
import { checkNalLengthSize, type NalLengthSize } from '../nal/length-prefixed.js';
import { HEVC_NAL_TYPE, hevcNalType } from './nal-types.js';
import type { HevcProfileTierLevel } from './profile-tier-level.js';

/**
 * HEVCDecoderConfigurationRecord ("hvcC", ISO/IEC 14496-15 8.3.3.1), carried by an MP4 hvc1
 * sample entry and an Enhanced RTMP HEVC sequence start (23 bytes, then the NAL unit arrays):
 *
 *   u8 configurationVersion = 1 | u2 general_profile_space, u1 general_tier_flag, u5 general_profile_idc
 *   u32 general_profile_compatibility_flags | u48 general_constraint_indicator_flags | u8 general_level_idc
 *   4 bits '1' + u12 min_spatial_segmentation_idc | 6 bits '1' + u2 parallelismType
 *   6 bits '1' + u2 chroma_format_idc | 5 bits '1' + u3 bit_depth_luma_minus8 | 5 bits '1' + u3 bit_depth_chroma_minus8
 *   u16 avgFrameRate | u2 constantFrameRate, u3 numTemporalLayers, u1 temporalIdNested, u2 lengthSizeMinusOne
 *   u8 numOfArrays | { u1 array_completeness, u1 0, u6 NAL_unit_type, u16 numNalus, { u16 length, NAL unit } × numNalus } × numOfArrays
 *
 * Arrays of VPS, SPS, PPS and SEI (prefix and suffix) NAL units are kept, as views of the record;
 * 8.3.3.1.2 allows no other types, and any others are skipped.
 */
export interface HevcConfig extends HevcProfileTierLevel {
  readonly minSpatialSegmentationIdc: number;
  readonly parallelismType: number;
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  /** Frames per 256 seconds; 0 is unspecified. */
  readonly avgFrameRate: number;
  readonly constantFrameRate: number;
  readonly numTemporalLayers: number;
  readonly temporalIdNested: boolean;
  readonly nalLengthSize: NalLengthSize;
  readonly vps: readonly Uint8Array[];
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
  /** Prefix and suffix SEI NAL units, told apart by their own NAL headers. */
  readonly sei: readonly Uint8Array[];
}

const STRUCTURE = 'hvcC';
/** Fixed fields through numOfArrays. */
const HEADER_BYTES = 23;

export function parseHvcC(bytes: Uint8Array): HevcConfig {
  const r = codecByteReader(bytes, STRUCTURE);
  r.need(HEADER_BYTES);
  const version = r.u8();
  if (version !== 1) throw unsupportedField(STRUCTURE, 'configurationVersion', version, 'is not 1');
  const b1 = r.u8();
  const generalProfileCompatibilityFlags = r.u32();
  const generalConstraintIndicatorFlags = r.u16() * 2 ** 32 + r.u32();
  const generalLevelIdc = r.u8();
  const minSpatialSegmentationIdc = r.u16() & 0x0fff;
  const parallelismType = r.u8() & 0x03;
  const chromaFormatIdc = r.u8() & 0x03;
  const bitDepthLuma = (r.u8() & 0x07) + 8;
  const bitDepthChroma = (r.u8() & 0x07) + 8;
  const avgFrameRate = r.u16();
  const b21 = r.u8();
  const lengthSize = checkNalLengthSize(STRUCTURE, (b21 & 0x03) + 1);
  const units = readArrays(r, r.u8());
  return {
    generalProfileSpace: b1 >>> 6, generalTierFlag: ((b1 >>> 5) & 1) as 0 | 1, generalProfileIdc: b1 & 0x1f,
    generalProfileCompatibilityFlags, generalConstraintIndicatorFlags, generalLevelIdc, minSpatialSegmentationIdc,
    parallelismType, chromaFormatIdc, bitDepthLuma, bitDepthChroma, avgFrameRate, constantFrameRate: b21 >>> 6,
    numTemporalLayers: (b21 >>> 3) & 0x07, temporalIdNested: (b21 & 0x04) !== 0, nalLengthSize: lengthSize, ...units,
  };
}

function readArrays(r: ByteReader, count: number): Pick<HevcConfig, 'vps' | 'sps' | 'pps' | 'sei'> {
  const out = { vps: [] as Uint8Array[], sps: [] as Uint8Array[], pps: [] as Uint8Array[], sei: [] as Uint8Array[] };
  for (let i = 0; i < count; i++) {
    const type = r.u8() & 0x3f;
    const list = listFor(out, type);
    for (let n = r.u16(); n > 0; n--) {
      const nal = r.bytes(r.u16());
      list?.push(nal);
    }
  }
  return out;
}

function listFor<T>(out: { vps: T; sps: T; pps: T; sei: T }, type: number): T | undefined {
  if (type === HEVC_NAL_TYPE.VPS) return out.vps;
  if (type === HEVC_NAL_TYPE.SPS) return out.sps;
  if (type === HEVC_NAL_TYPE.PPS) return out.pps;
  if (type === HEVC_NAL_TYPE.SEI_PREFIX || type === HEVC_NAL_TYPE.SEI_SUFFIX) return out.sei;
  return undefined;
}

/**
 * Writes a record: size first, one allocation, one pass. Arrays go in the order VPS, SPS, PPS,
 * prefix SEI, suffix SEI, empty ones left out, each with array_completeness 1 (an hvc1 sample
 * entry holds every parameter set, 8.4.1).
 */
export function buildHvcC(config: HevcConfig): Uint8Array {
  checkHeaderFields(config);
  const isSuffix = (nal: Uint8Array): boolean => hevcNalType(nal) === HEVC_NAL_TYPE.SEI_SUFFIX;
  const all: Array<readonly [number, readonly Uint8Array[]]> = [
    [HEVC_NAL_TYPE.VPS, config.vps],
    [HEVC_NAL_TYPE.SPS, config.sps],
    [HEVC_NAL_TYPE.PPS, config.pps],
    [HEVC_NAL_TYPE.SEI_PREFIX, config.sei.filter((nal) => !isSuffix(nal))],
    [HEVC_NAL_TYPE.SEI_SUFFIX, config.sei.filter(isSuffix)],
  ];
  const arrays = all.filter(([, units]) => units.length > 0);
  let size = HEADER_BYTES;
  for (const [, units] of arrays) {
    size += 3;
    checkRange(STRUCTURE, 'numNalus', units.length, 1, 0xffff);
    for (const nal of units) size += 2 + checkRange(STRUCTURE, 'nalUnitLength', nal.length, 1, 0xffff);
  }
  const w = new ByteWriter(size);
  w.u8(1).u8((config.generalProfileSpace << 6) | (config.generalTierFlag << 5) | config.generalProfileIdc);
  w.u32(config.generalProfileCompatibilityFlags);
  w.u16(Math.floor(config.generalConstraintIndicatorFlags / 2 ** 32)).u32(config.generalConstraintIndicatorFlags % 2 ** 32);
  w.u8(config.generalLevelIdc).u16(0xf000 | config.minSpatialSegmentationIdc).u8(0xfc | config.parallelismType);
  w.u8(0xfc | config.chromaFormatIdc).u8(0xf8 | (config.bitDepthLuma - 8)).u8(0xf8 | (config.bitDepthChroma - 8));
  w.u16(config.avgFrameRate);
  w.u8((config.constantFrameRate << 6) | (config.numTemporalLayers << 3) | (config.temporalIdNested ? 4 : 0) | (config.nalLengthSize - 1));
  w.u8(arrays.length);
  for (const [type, units] of arrays) {
    w.u8(0x80 | type).u16(units.length);
    for (const nal of units) w.u16(nal.length).bytes(nal);
  }
  return w.buf;
}

function checkHeaderFields(c: HevcConfig): void {
  const fields: Array<[string, number, number]> = [
    ['general_profile_space', c.generalProfileSpace, 3],
    ['general_tier_flag', c.generalTierFlag, 1],
    ['general_profile_idc', c.generalProfileIdc, 31],
    ['general_profile_compatibility_flags', c.generalProfileCompatibilityFlags, 0xffffffff],
    ['general_constraint_indicator_flags', c.generalConstraintIndicatorFlags, 2 ** 48 - 1],
    ['general_level_idc', c.generalLevelIdc, 255],
    ['min_spatial_segmentation_idc', c.minSpatialSegmentationIdc, 0x0fff],
    ['parallelismType', c.parallelismType, 3],
    ['chroma_format_idc', c.chromaFormatIdc, 3],
    ['avgFrameRate', c.avgFrameRate, 0xffff],
    ['constantFrameRate', c.constantFrameRate, 3],
    ['numTemporalLayers', c.numTemporalLayers, 7],
  ];
  for (const [field, value, max] of fields) checkRange(STRUCTURE, field, value, 0, max);
  checkRange(STRUCTURE, 'bit_depth_luma', c.bitDepthLuma, 8, 15);
  checkRange(STRUCTURE, 'bit_depth_chroma', c.bitDepthChroma, 8, 15);
  checkNalLengthSize(STRUCTURE, c.nalLengthSize);
}
