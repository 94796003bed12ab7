import { type Box, fullBox } from './box.js';

/**
 * MovieFragmentHeaderBox, ISO/IEC 14496-12 8.8.5.
 *
 *   mfhd v0 | sequence_number u32
 *
 * 8.8.5.3: the numbers "usually start at 1" and increase in the order the fragments occur; the
 * caller (the segmenter) owns the counter, this box only writes it.
 */
export function mfhd(sequenceNumber: number): Box {
  return fullBox('mfhd', 0, 0, 4, (w) => {
    w.u32(sequenceNumber);
  });
}
