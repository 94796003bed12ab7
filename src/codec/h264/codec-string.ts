import { checkRange } from '../codec-error.js';

/**
 * RFC 6381 3.3 codec string for H.264: 'avc1.' then profile_idc, the constraint flag byte
 * (profile_compatibility) and level_idc as two lowercase hex digits each, e.g. 'avc1.64001f' for
 * High profile, level 3.1. The three values are the SPS's bytes 1–3 (also avcC bytes 1–3).
 */
export function avcCodecString(profileIdc: number, profileCompatibility: number, levelIdc: number): string {
  return `avc1.${hex2('profile_idc', profileIdc)}${hex2('profile_compatibility', profileCompatibility)}${hex2('level_idc', levelIdc)}`;
}

function hex2(field: string, value: number): string {
  return checkRange('avc1 codec string', field, value, 0, 255).toString(16).padStart(2, '0');
}
