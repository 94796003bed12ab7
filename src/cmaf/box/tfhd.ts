import { type Box, fullBox } from './box.js';

/** 8.8.7.1 tf_flags. */
export const TFHD_DEFAULT_SAMPLE_DURATION_PRESENT = 0x00_0008;
export const TFHD_DEFAULT_SAMPLE_SIZE_PRESENT = 0x00_0010;
export const TFHD_DEFAULT_SAMPLE_FLAGS_PRESENT = 0x00_0020;
/** Data offsets are relative to the first byte of the enclosing moof. */
export const TFHD_DEFAULT_BASE_IS_MOOF = 0x02_0000;

export interface TfhdFields {
  readonly trackId: number;
  /** Written (and flagged) only when defined: the duration of every sample of the fragment. */
  readonly defaultSampleDuration?: number | undefined;
  readonly defaultSampleSize?: number | undefined;
  readonly defaultSampleFlags?: number | undefined;
}

/**
 * TrackFragmentHeaderBox, ISO/IEC 14496-12 8.8.7.
 *
 *   tfhd v0 flags | track_ID u32
 *                 [| default_sample_duration u32]   flag 0x000008
 *                 [| default_sample_size u32]       flag 0x000010
 *                 [| default_sample_flags u32]      flag 0x000020
 *
 * default-base-is-moof (0x020000) is always set and base-data-offset never: trun's data_offset
 * then counts from the moof, so a fragment means the same wherever it is stored or served — the
 * form CMAF requires (ISO/IEC 23000-19 clause 7) and brand 'iso5' introduced (14496-12 8.8.7.1).
 */
export function tfhd(fields: TfhdFields): Box {
  const defaults: number[] = [];
  let flags = TFHD_DEFAULT_BASE_IS_MOOF;
  if (fields.defaultSampleDuration !== undefined) {
    flags |= TFHD_DEFAULT_SAMPLE_DURATION_PRESENT;
    defaults.push(fields.defaultSampleDuration);
  }
  if (fields.defaultSampleSize !== undefined) {
    flags |= TFHD_DEFAULT_SAMPLE_SIZE_PRESENT;
    defaults.push(fields.defaultSampleSize);
  }
  if (fields.defaultSampleFlags !== undefined) {
    flags |= TFHD_DEFAULT_SAMPLE_FLAGS_PRESENT;
    defaults.push(fields.defaultSampleFlags);
  }
  return fullBox('tfhd', 0, flags, 4 + 4 * defaults.length, (w) => {
    w.u32(fields.trackId);
    for (const value of defaults) w.u32(value);
  });
}
