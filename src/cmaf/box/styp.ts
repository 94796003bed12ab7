import type { Box } from './box.js';
import { type Brands, brandBox } from './ftyp.js';

/**
 * SegmentTypeBox, ISO/IEC 14496-12 8.16.2: optionally first in a media segment, with the syntax
 * of ftyp. In CMAF (ISO/IEC 23000-19 clause 7) a segment that carries one names the 'cmfs'
 * (CMAF segment) brand.
 *
 *   styp | major_brand u32 | minor_version u32 | compatible_brands u32[]
 */
export function styp(brands: Brands): Box {
  return brandBox('styp', brands);
}
