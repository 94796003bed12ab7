import { type Box, fullBox } from './box.js';

/**
 * VideoMediaHeaderBox, ISO/IEC 14496-12 12.1.2: the media header of every video track.
 *
 *   vmhd v0 flags=1 | graphicsmode u16 = 0 (copy) | opcolor u16[3] = 0
 *
 * 12.1.2.2 fixes the flags at 1 (the box is defined as FullBox('vmhd', version = 0, 1)).
 */
export function vmhd(): Box {
  return fullBox('vmhd', 0, 1, 8, (w) => {
    w.u16(0).u16(0).u16(0).u16(0);
  });
}
