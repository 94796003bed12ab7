import { checkRange } from '../codec-error.js';
import type { HevcProfileTierLevel } from './profile-tier-level.js';

/**
 * Codec string for H.265 per ISO/IEC 14496-15 Annex E.3 (RFC 6381 syntax), e.g. 'hvc1.1.6.L93.B0':
 *
 *   sample entry '.' profile space ('' for 0, 'A', 'B', 'C') + general_profile_idc
 *   '.' general_profile_compatibility_flags bit-reversed, hex, no leading zeros
 *   '.' 'L' (Main tier) or 'H' (High tier) + general_level_idc
 *   then each byte of the 6 constraint indicator bytes as '.' + hex, trailing zero bytes left out.
 *
 * Accepts an HevcConfig or an HevcSps (both carry the general profile_tier_level fields).
 * `sampleEntry` is 'hvc1' (parameter sets only in the sample entry, what HLS requires) or 'hev1'.
 */
export function hevcCodecString(ptl: HevcProfileTierLevel, sampleEntry: 'hvc1' | 'hev1' = 'hvc1'): string {
  const structure = `${sampleEntry} codec string`;
  const space = ['', 'A', 'B', 'C'][checkRange(structure, 'general_profile_space', ptl.generalProfileSpace, 0, 3)]!;
  const profile = checkRange(structure, 'general_profile_idc', ptl.generalProfileIdc, 0, 31);
  const compatibility = reverseBits32(checkRange(structure, 'general_profile_compatibility_flags', ptl.generalProfileCompatibilityFlags, 0, 0xffffffff));
  const tier = checkRange(structure, 'general_tier_flag', ptl.generalTierFlag, 0, 1) === 1 ? 'H' : 'L';
  const level = checkRange(structure, 'general_level_idc', ptl.generalLevelIdc, 0, 255);
  const constraints = checkRange(structure, 'general_constraint_indicator_flags', ptl.generalConstraintIndicatorFlags, 0, 2 ** 48 - 1);
  const bytes: number[] = [];
  for (let i = 5; i >= 0; i--) bytes.push(Math.floor(constraints / 2 ** (8 * i)) & 0xff);
  while (bytes.length > 0 && bytes[bytes.length - 1] === 0) bytes.pop();
  const tail = bytes.map((b) => '.' + b.toString(16).toUpperCase()).join('');
  return `${sampleEntry}.${space}${profile}.${compatibility.toString(16).toUpperCase()}.${tier}${level}${tail}`;
}

function reverseBits32(value: number): number {
  let out = 0;
  for (let i = 0; i < 32; i++) out = out * 2 + (Math.floor(value / 2 ** i) & 1);
  return out;
}
