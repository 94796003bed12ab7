import { type Box, fullBox } from './box.js';

/**
 * SoundMediaHeaderBox, ISO/IEC 14496-12 12.2.2: the media header of every audio track.
 *
 *   smhd v0 | balance s8.8 = 0 (centre) | reserved u16
 */
export function smhd(): Box {
  return fullBox('smhd', 0, 0, 4, (w) => {
    w.u16(0).u16(0);
  });
}
