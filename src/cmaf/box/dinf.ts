import { type Box, containerBox, fullBox, writeBox } from './box.js';

/** 8.7.2.2 DataEntryUrlBox flag: the media data is in the same file as this box. */
const SELF_CONTAINED = 0x000001;

/**
 * DataInformationBox with its DataReferenceBox, ISO/IEC 14496-12 8.7.1 and 8.7.2.
 *
 *   dinf
 *   └─ dref v0 | entry_count u32 = 1
 *      └─ url  v0 flags=1 (self-contained: no location string follows)
 *
 * Mandatory in every minf even though fragments always carry their samples in their own mdat:
 * the sample entry's data_reference_index (1) points at this one entry.
 */
export function dinf(): Box {
  const url = fullBox('url ', 0, SELF_CONTAINED, 0, () => {});
  const dref = fullBox('dref', 0, 0, 4 + url.byteLength, (w) => {
    w.u32(1);
    writeBox(w, url);
  });
  return containerBox('dinf', [dref]);
}
