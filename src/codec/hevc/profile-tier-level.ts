import type { BitReader } from '../../bytes/index.js';

/**
 * The general part of profile_tier_level() (ITU-T H.265 7.3.3), the fields an hvcC record and the
 * 'hvc1' codec string repeat. Flag words keep the bitstream's bit order: compatibility flag j is bit
 * 31 - j of `generalProfileCompatibilityFlags`, and the 48 bits from general_progressive_source_flag
 * on are `generalConstraintIndicatorFlags` (an integer below 2^48, exact in a double).
 */
export interface HevcProfileTierLevel {
  readonly generalProfileSpace: number;
  readonly generalTierFlag: 0 | 1;
  readonly generalProfileIdc: number;
  readonly generalProfileCompatibilityFlags: number;
  readonly generalConstraintIndicatorFlags: number;
  /** 30 × the level number: 93 is level 3.1, 120 is level 4. */
  readonly generalLevelIdc: number;
}

/** Bits of a general or sub-layer profile block: space 2, tier 1, idc 5, 32 flags, 48 constraint bits. */
const PROFILE_BITS = 88;

/** Reads profile_tier_level(1, maxSubLayersMinus1) and skips its sub-layer part. */
export function readProfileTierLevel(r: BitReader, maxSubLayersMinus1: number): HevcProfileTierLevel {
  r.need(PROFILE_BITS + 8);
  const generalProfileSpace = r.bitsUnchecked(2);
  const generalTierFlag = r.bitsUnchecked(1) as 0 | 1;
  const generalProfileIdc = r.bitsUnchecked(5);
  const generalProfileCompatibilityFlags = r.bitsUnchecked(32);
  const generalConstraintIndicatorFlags = r.bitsUnchecked(16) * 2 ** 32 + r.bitsUnchecked(32);
  const generalLevelIdc = r.bitsUnchecked(8);
  skipSubLayers(r, maxSubLayersMinus1);
  return { generalProfileSpace, generalTierFlag, generalProfileIdc, generalProfileCompatibilityFlags, generalConstraintIndicatorFlags, generalLevelIdc };
}

/**
 * sub_layer_profile_present_flag / sub_layer_level_present_flag for each sub-layer, padding to
 * eight entries when there are any, then each present sub-layer profile (88 bits) and level (8).
 */
function skipSubLayers(r: BitReader, maxSubLayersMinus1: number): void {
  if (maxSubLayersMinus1 === 0) return;
  r.need(16);
  const present: Array<[boolean, boolean]> = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) present.push([r.flagUnchecked(), r.flagUnchecked()]);
  r.skip(2 * (8 - maxSubLayersMinus1)); // reserved_zero_2bits
  for (const [profile, level] of present) {
    if (profile) r.skip(PROFILE_BITS);
    if (level) r.skip(8);
  }
}
