import type { ByteWriter } from '../../bytes/index.js';
import { type Box, fullBox, sumByteLength, writeBox, writeZeros } from './box.js';

/**
 * SampleDescriptionBox, ISO/IEC 14496-12 8.5.2.
 *
 *   stsd version | entry_count u32 | SampleEntry[entry_count]
 *
 * 8.5.2.3: version is 0 "unless the box contains an AudioSampleEntryV1, whereupon version must
 * be 1"; the version is how a reader tells an AudioSampleEntryV1 from a QuickTime sound
 * description, whose version field sits at the same offset.
 */
export function stsd(version: 0 | 1, entries: readonly Box[]): Box {
  return fullBox('stsd', version, 0, 4 + sumByteLength(entries), (w) => {
    w.u32(entries.length);
    for (const entry of entries) writeBox(w, entry);
  });
}

/** SampleEntry fields (8.5.2.2): reserved u8[6] | data_reference_index u16. */
export const SAMPLE_ENTRY_HEADER_BYTES = 8;

/** data_reference_index 1: the single self-contained entry of dinf.ts. */
export function writeSampleEntryHeader(w: ByteWriter): void {
  writeZeros(w, 6);
  w.u16(1);
}
