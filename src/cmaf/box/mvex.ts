import { type Box, containerBox, fullBox } from './box.js';

/**
 * MovieExtendsBox with one TrackExtendsBox per track, ISO/IEC 14496-12 8.8.1 and 8.8.3: its
 * presence is what tells a reader the movie continues in fragments.
 *
 *   mvex
 *   └─ trex v0 | track_ID u32 | default_sample_description_index u32 = 1
 *              | default_sample_duration u32 = 0 | default_sample_size u32 = 0
 *              | default_sample_flags u32 = 0
 *
 * The defaults are 0 on purpose: every fragment states durations, sizes and flags itself (in
 * tfhd or trun), which the CMAF 'cmf2' brand requires, so no sample depends on the header.
 */
export function mvex(trackIds: readonly number[]): Box {
  return containerBox('mvex', trackIds.map(trex));
}

export function trex(trackId: number): Box {
  return fullBox('trex', 0, 0, 20, (w) => {
    w.u32(trackId).u32(1).u32(0).u32(0).u32(0);
  });
}
