import { someNalUnit } from '../nal/length-prefixed.js';

/** nal_unit_type values of ITU-T H.264 Table 7-1 that tidecast acts on. */
export const H264_NAL_TYPE = {
  /** Coded slice of a non-IDR picture. */
  SLICE: 1,
  /** Coded slice of an IDR picture: a decoder can start here. */
  IDR: 5,
  SEI: 6,
  SPS: 7,
  PPS: 8,
  /** Access unit delimiter. */
  AUD: 9,
  END_OF_SEQUENCE: 10,
  END_OF_STREAM: 11,
  FILLER: 12,
} as const;

/** nal_unit_type (7.3.1): the low five bits of the NAL header byte. */
export function h264NalType(nal: Uint8Array): number {
  return (nal[0] ?? 0) & 0x1f;
}

/**
 * True when a length-prefixed sample holds an IDR slice. Only IDR counts: a recovery point SEI
 * before a non-IDR I slice is an open-GOP start that a fresh decoder may not decode cleanly, and
 * HLS/CMAF segments must start where a player can.
 */
export function isH264Keyframe(data: Uint8Array, lengthSize: number): boolean {
  return someNalUnit(data, lengthSize, (nal) => h264NalType(nal) === H264_NAL_TYPE.IDR);
}
