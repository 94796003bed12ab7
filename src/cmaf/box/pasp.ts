import { CmafError } from '../../errors/index.js';
import { type Box, leafBox } from './box.js';

/**
 * PixelAspectRatioBox, ISO/IEC 14496-12 12.1.4: the sample (pixel) aspect ratio, which players
 * apply to the coded size to get the display size. Written only when it is not 1:1, as 12.1.4.1
 * makes it optional and 1:1 is what a reader assumes without it.
 *
 *   pasp | hSpacing u32 | vSpacing u32
 */
export function pasp(hSpacing: number, vSpacing: number): Box {
  if (!isPositiveU32(hSpacing) || !isPositiveU32(vSpacing)) {
    throw new CmafError('ERR_CMAF_INVALID', `pixel aspect ratio ${hSpacing}:${vSpacing} is not two positive 32-bit integers`, {
      hSpacing,
      vSpacing,
    });
  }
  return leafBox('pasp', 8, (w) => {
    w.u32(hSpacing).u32(vSpacing);
  });
}

function isPositiveU32(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n <= 0xffff_ffff;
}
