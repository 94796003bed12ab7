import { type Box, fullBox, writeU64 } from './box.js';

/**
 * TrackFragmentBaseMediaDecodeTimeBox, ISO/IEC 14496-12 8.8.12, always version 1.
 *
 *   tfdt v1 | baseMediaDecodeTime u64
 *
 * The decode time of the fragment's first sample in the track timescale. Version 1 because a
 * 90 kHz clock passes 2^32 ticks after 13.25 hours, well within a live stream's life.
 */
export function tfdt(baseMediaDecodeTime: number): Box {
  return fullBox('tfdt', 1, 0, 8, (w) => {
    writeU64(w, baseMediaDecodeTime);
  });
}
