import type { Sample } from '../../media/index.js';
import { type Box, FULL_BOX_HEADER_BYTES, fullBox } from './box.js';
import { sampleFlags } from './sample-flags.js';

/** 8.8.8.1 tr_flags. */
export const TRUN_DATA_OFFSET_PRESENT = 0x00_0001;
export const TRUN_FIRST_SAMPLE_FLAGS_PRESENT = 0x00_0004;
export const TRUN_SAMPLE_DURATION_PRESENT = 0x00_0100;
export const TRUN_SAMPLE_SIZE_PRESENT = 0x00_0200;
export const TRUN_SAMPLE_FLAGS_PRESENT = 0x00_0400;
export const TRUN_SAMPLE_COMPOSITION_TIME_OFFSETS_PRESENT = 0x00_0800;

/**
 * Which per-sample values go in the trun and which, being the same for every sample, go once in
 * the tfhd as defaults (8.8.7, 8.8.8). Either way each fragment states them all itself, as the
 * 'cmf2' brand asks (nothing is left to trex). Typical results:
 *
 *   AAC       durations all 1024, flags all sync  → tfhd duration + flags; trun sizes only
 *   H.264 GOP first sync, rest non-sync           → tfhd flags (non-sync) + first_sample_flags;
 *             B-frames                              trun durations, sizes, composition offsets
 */
export interface TrackRunPlan {
  readonly trunFlags: number;
  readonly defaultSampleDuration: number | undefined;
  readonly defaultSampleSize: number | undefined;
  readonly defaultSampleFlags: number | undefined;
  /** Present when the first sample's flags differ from the default (a GOP's sync sample). */
  readonly firstSampleFlags: number | undefined;
  /** Sum of the samples' sizes: the mdat payload. */
  readonly payloadBytes: number;
}

/** One pass over a non-empty run of samples to choose its layout. */
export function planTrackRun(samples: readonly Sample[]): TrackRunPlan {
  const first = samples[0]!;
  const firstFlags = sampleFlags(first.keyframe);
  const restFlags = samples.length > 1 ? sampleFlags(samples[1]!.keyframe) : firstFlags;
  let sameDuration = true;
  let sameSize = true;
  let sameRestFlags = true;
  let anyOffset = false;
  let payloadBytes = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    if (s.duration !== first.duration) sameDuration = false;
    if (s.data.byteLength !== first.data.byteLength) sameSize = false;
    if (i > 0 && sampleFlags(s.keyframe) !== restFlags) sameRestFlags = false;
    if (s.pts !== s.dts) anyOffset = true;
    payloadBytes += s.data.byteLength;
  }
  const firstDiffers = sameRestFlags && firstFlags !== restFlags;
  let trunFlags = TRUN_DATA_OFFSET_PRESENT;
  if (!sameDuration) trunFlags |= TRUN_SAMPLE_DURATION_PRESENT;
  if (!sameSize) trunFlags |= TRUN_SAMPLE_SIZE_PRESENT;
  if (!sameRestFlags) trunFlags |= TRUN_SAMPLE_FLAGS_PRESENT;
  if (firstDiffers) trunFlags |= TRUN_FIRST_SAMPLE_FLAGS_PRESENT;
  if (anyOffset) trunFlags |= TRUN_SAMPLE_COMPOSITION_TIME_OFFSETS_PRESENT;
  return {
    trunFlags,
    defaultSampleDuration: sameDuration ? first.duration : undefined,
    defaultSampleSize: sameSize ? first.data.byteLength : undefined,
    defaultSampleFlags: sameRestFlags ? restFlags : undefined,
    firstSampleFlags: firstDiffers ? firstFlags : undefined,
    payloadBytes,
  };
}

/** Size of a trun with `sampleCount` samples and these tr_flags, known before its data_offset. */
export function trunByteLength(sampleCount: number, trunFlags: number): number {
  // One u32 per sample for each of the four per-sample flags (bits 8–11).
  const perSample = 4 * (((trunFlags >> 8) & 1) + ((trunFlags >> 9) & 1) + ((trunFlags >> 10) & 1) + ((trunFlags >> 11) & 1));
  const dataOffset = trunFlags & TRUN_DATA_OFFSET_PRESENT ? 4 : 0;
  const firstFlags = trunFlags & TRUN_FIRST_SAMPLE_FLAGS_PRESENT ? 4 : 0;
  return FULL_BOX_HEADER_BYTES + 4 + dataOffset + firstFlags + sampleCount * perSample;
}

/**
 * TrackRunBox, ISO/IEC 14496-12 8.8.8, always version 1.
 *
 *   trun v1 tr_flags | sample_count u32 | data_offset s32 | [first_sample_flags u32]
 *                    | per sample: [duration u32] [size u32] [flags u32] [composition_offset s32]
 *
 * Version 1 makes the composition offset signed (pts − dts may be negative once a producer
 * shifts dts so that the first pts equals the first dts), which 'cmf2' requires instead of an edit
 * list. `dataOffset` is from the start of the moof (tfhd default-base-is-moof) to the first
 * sample byte in the mdat; the fragment writer computes it from the sizes before writing.
 */
export function trun(samples: readonly Sample[], plan: TrackRunPlan, dataOffset: number): Box {
  const flags = plan.trunFlags;
  const bodyBytes = trunByteLength(samples.length, flags) - FULL_BOX_HEADER_BYTES;
  const withDuration = (flags & TRUN_SAMPLE_DURATION_PRESENT) !== 0;
  const withSize = (flags & TRUN_SAMPLE_SIZE_PRESENT) !== 0;
  const withFlags = (flags & TRUN_SAMPLE_FLAGS_PRESENT) !== 0;
  const withOffset = (flags & TRUN_SAMPLE_COMPOSITION_TIME_OFFSETS_PRESENT) !== 0;
  // Bytes of the per-sample table: the body less sample_count, data_offset and first_sample_flags.
  const tableBytes = bodyBytes - 8 - (plan.firstSampleFlags !== undefined ? 4 : 0);
  return fullBox('trun', 1, flags, bodyBytes, (w) => {
    w.u32(samples.length).u32(dataOffset);
    if (plan.firstSampleFlags !== undefined) w.u32(plan.firstSampleFlags);
    // The per-sample table is the one part that grows with the input: reserve it once and store
    // into the buffer directly instead of a bounds-checked call per field.
    const b = w.buf;
    let p = w.reserve(tableBytes);
    for (const s of samples) {
      if (withDuration) p = put32(b, p, s.duration);
      if (withSize) p = put32(b, p, s.data.byteLength);
      if (withFlags) p = put32(b, p, sampleFlags(s.keyframe));
      if (withOffset) p = put32(b, p, s.pts - s.dts);
    }
  });
}

/** Big-endian 32 bits at `p` (two's complement for negative offsets); returns the next offset. */
function put32(b: Uint8Array, p: number, v: number): number {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
  return p + 4;
}
