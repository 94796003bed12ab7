/**
 * sample_flags, ISO/IEC 14496-12 8.8.3.1 (used by trex, tfhd and trun):
 *
 *   reserved(4) is_leading(2) sample_depends_on(2) sample_is_depended_on(2)
 *   sample_has_redundancy(2) sample_padding_value(3) sample_is_non_sync_sample(1)
 *   sample_degradation_priority(16)
 *
 * Only what tidecast knows for certain is set: whether the sample is a sync sample. That is what
 * players seek and switch on (MSE and AVFoundation read sample_is_non_sync_sample); the other
 * fields stay 0, "unknown".
 */

/** sample_depends_on = 2: does not depend on others (an I/IDR/IRAP picture, every AAC frame). */
export const SYNC_SAMPLE_FLAGS = 0x0200_0000;
/** sample_depends_on = 1 (depends on others) and sample_is_non_sync_sample = 1. */
export const NON_SYNC_SAMPLE_FLAGS = 0x0101_0000;

export function sampleFlags(keyframe: boolean): number {
  return keyframe ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS;
}
