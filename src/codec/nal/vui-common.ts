import type { BitReader } from '../../bytes/index.js';
import { CodecError } from '../../errors/index.js';

/**
 * The start of vui_parameters(), identical in ITU-T H.264 E.1.1 and H.265 E.2.1: aspect ratio,
 * overscan, video signal type and chroma location. Each codec's VUI reader calls this, then reads
 * the fields that differ (timing info in H.264 comes next; H.265 has four more fields first).
 */

/** Table E-1 of both specs: sample aspect ratios for aspect_ratio_idc 1..16 (index 0 unused). */
const SAR_TABLE: ReadonlyArray<readonly [number, number]> = [
  [0, 0], [1, 1], [12, 11], [10, 11], [16, 11], [40, 33], [24, 11], [20, 11], [32, 11],
  [80, 33], [18, 11], [15, 11], [64, 33], [160, 99], [4, 3], [3, 2], [2, 1],
];

/** aspect_ratio_idc value that is followed by explicit sar_width and sar_height. */
const EXTENDED_SAR = 255;

export interface VuiPrefix {
  /** Sample (pixel) aspect ratio; 1:1 when absent, unspecified (0) or reserved (17..254). */
  sarWidth: number;
  sarHeight: number;
  /** video_full_range_flag; false when video_signal_type is absent. */
  fullRange: boolean;
  /** colour_primaries, transfer_characteristics, matrix_coefficients; 2 ("unspecified") when absent. */
  colourPrimaries: number;
  transferCharacteristics: number;
  matrixCoefficients: number;
}

/** The values a stream without VUI (or without these fields) implies. */
export function defaultVuiPrefix(): VuiPrefix {
  return { sarWidth: 1, sarHeight: 1, fullRange: false, colourPrimaries: 2, transferCharacteristics: 2, matrixCoefficients: 2 };
}

/**
 * Reads the common fields into `out` as it goes, so a caller that tolerates a truncated VUI keeps
 * whatever was read before the end.
 */
export function readVuiPrefix(r: BitReader, out: VuiPrefix): void {
  if (r.flag()) readAspectRatio(r, out);
  if (r.flag()) r.skip(1); // overscan_appropriate_flag
  if (r.flag()) {
    r.need(5);
    r.bitsUnchecked(3); // video_format
    out.fullRange = r.flagUnchecked();
    if (r.flagUnchecked()) {
      r.need(24);
      out.colourPrimaries = r.bitsUnchecked(8);
      out.transferCharacteristics = r.bitsUnchecked(8);
      out.matrixCoefficients = r.bitsUnchecked(8);
    }
  }
  if (r.flag()) {
    r.ue(); // chroma_sample_loc_type_top_field
    r.ue(); // chroma_sample_loc_type_bottom_field
  }
}

function readAspectRatio(r: BitReader, out: VuiPrefix): void {
  const idc = r.bits(8);
  if (idc === EXTENDED_SAR) {
    r.need(32);
    const width = r.bitsUnchecked(16);
    const height = r.bitsUnchecked(16);
    // E.2.1: a zero in either is "unspecified", which players treat as square pixels.
    if (width !== 0 && height !== 0) {
      out.sarWidth = width;
      out.sarHeight = height;
    }
    return;
  }
  const sar = SAR_TABLE[idc];
  if (sar !== undefined && idc !== 0) {
    out.sarWidth = sar[0];
    out.sarHeight = sar[1];
  }
}

/**
 * Runs `read` over the VUI. The VUI only informs display (aspect ratio, frame rate): an SPS whose
 * VUI stops early is still decodable, and decoders (FFmpeg's "Overread VUI") keep such streams, so
 * a truncated VUI ends with what was read instead of failing the whole SPS. Invalid values still
 * throw.
 */
export function readVuiTolerantly(read: () => void): void {
  try {
    read();
  } catch (err) {
    if (!(err instanceof CodecError && err.code === 'ERR_CODEC_TRUNCATED')) throw err;
  }
}
