import { someNalUnit } from '../nal/length-prefixed.js';

/** nal_unit_type values of ITU-T H.265 Table 7-1 that tidecast acts on. */
export const HEVC_NAL_TYPE = {
  /** First and last IRAP types (BLA_W_LP … RSV_IRAP_VCL23): pictures a decoder can start at. */
  IRAP_FIRST: 16,
  IRAP_LAST: 23,
  IDR_W_RADL: 19,
  IDR_N_LP: 20,
  CRA: 21,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  /** Access unit delimiter. */
  AUD: 35,
  END_OF_SEQUENCE: 36,
  END_OF_BITSTREAM: 37,
  FILLER: 38,
  SEI_PREFIX: 39,
  SEI_SUFFIX: 40,
} as const;

/** nal_unit_type (7.3.1.2): six bits after forbidden_zero_bit in the two-byte NAL header. */
export function hevcNalType(nal: Uint8Array): number {
  return ((nal[0] ?? 0) >>> 1) & 0x3f;
}

/** True for IRAP types 16..23 (BLA, IDR, CRA and the reserved IRAP types), 7.4.2.2. */
export function isHevcIrapType(type: number): boolean {
  return type >= HEVC_NAL_TYPE.IRAP_FIRST && type <= HEVC_NAL_TYPE.IRAP_LAST;
}

/**
 * True when a length-prefixed sample holds an IRAP picture. CRA counts, unlike H.264's open-GOP I
 * frames: its leading RASL pictures are marked as such and a decoder starting there drops them
 * (8.1.3), so every IRAP is a valid segment start.
 */
export function isHevcKeyframe(data: Uint8Array, lengthSize: number): boolean {
  return someNalUnit(data, lengthSize, (nal) => isHevcIrapType(hevcNalType(nal)));
}
