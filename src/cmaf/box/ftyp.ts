import type { ByteWriter } from '../../bytes/index.js';
import { type Box, fourcc, leafBox } from './box.js';

/** The brand fields shared by FileTypeBox and SegmentTypeBox. */
export interface Brands {
  /** The "best use" specification of the file (4.3.3 major_brand). */
  readonly major: string;
  /** Informative version of the major brand (4.3.3 minor_version). */
  readonly minorVersion: number;
  /** Every specification the file conforms to; readers pick by these, not by the major brand. */
  readonly compatible: readonly string[];
}

/**
 * FileTypeBox, ISO/IEC 14496-12 4.3: the first box of a file, naming the specifications it
 * conforms to.
 *
 *   ftyp | major_brand u32 | minor_version u32 | compatible_brands u32[]
 */
export function ftyp(brands: Brands): Box {
  return brandBox('ftyp', brands);
}

/** The ftyp/styp body (8.16.2: SegmentTypeBox has "the same syntax" as FileTypeBox). */
export function brandBox(type: 'ftyp' | 'styp', brands: Brands): Box {
  const major = fourcc(brands.major);
  const compatible = brands.compatible.map(fourcc);
  return leafBox(type, 8 + 4 * compatible.length, (w: ByteWriter) => {
    w.u32(major).u32(brands.minorVersion);
    for (const brand of compatible) w.u32(brand);
  });
}
