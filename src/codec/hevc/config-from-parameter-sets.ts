import { invalidField } from '../codec-error.js';
import type { NalLengthSize } from '../nal/length-prefixed.js';
import type { HevcConfig } from './hvcc.js';
import { parseHevcSps } from './sps.js';

/** Parameter sets as an encoder emits them in-band (Annex B), each a NAL unit with its header. */
export interface HevcParameterSets {
  readonly vps: readonly Uint8Array[];
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
  readonly sei?: readonly Uint8Array[];
}

/**
 * The hvcC fields for in-band parameter sets, taken from the first SPS (14496-15 8.3.3.1.3: the
 * record's profile, tier, level, chroma format and bit depths match the SPS). Fields only the VUI
 * bitstream restrictions or the PPS could refine are written as "unknown":
 * min_spatial_segmentation_idc 0, parallelismType 0, avgFrameRate 0, constantFrameRate 0.
 * Pass the result to `buildHvcC`.
 */
export function hevcConfigFromParameterSets(sets: HevcParameterSets, nalLengthSize: NalLengthSize = 4): HevcConfig {
  const first = sets.sps[0];
  if (first === undefined) throw invalidField('hvcC', 'SPS array', 0, 'is empty; a configuration needs an SPS');
  const sps = parseHevcSps(first);
  return {
    generalProfileSpace: sps.generalProfileSpace,
    generalTierFlag: sps.generalTierFlag,
    generalProfileIdc: sps.generalProfileIdc,
    generalProfileCompatibilityFlags: sps.generalProfileCompatibilityFlags,
    generalConstraintIndicatorFlags: sps.generalConstraintIndicatorFlags,
    generalLevelIdc: sps.generalLevelIdc,
    minSpatialSegmentationIdc: 0,
    parallelismType: 0,
    chromaFormatIdc: sps.chromaFormatIdc,
    bitDepthLuma: sps.bitDepthLuma,
    bitDepthChroma: sps.bitDepthChroma,
    avgFrameRate: 0,
    constantFrameRate: 0,
    numTemporalLayers: sps.maxSubLayers,
    temporalIdNested: sps.temporalIdNesting,
    nalLengthSize,
    vps: sets.vps,
    sps: sets.sps,
    pps: sets.pps,
    sei: sets.sei ?? [],
  };
}
