import { type Box, containerBox, fullBox } from './box.js';

/**
 * SampleTableBox, ISO/IEC 14496-12 8.5.1, as a fragmented file has it: the sample description
 * and the four sample tables the spec makes mandatory (8.6.1.2, 8.7.4, 8.7.3.2, 8.7.5), each
 * with no entry, since every sample lives in a movie fragment (8.8).
 *
 *   stbl
 *   ├─ stsd                               (stsd.ts)
 *   ├─ stts v0 | entry_count u32 = 0      TimeToSampleBox 8.6.1.2
 *   ├─ stsc v0 | entry_count u32 = 0      SampleToChunkBox 8.7.4
 *   ├─ stsz v0 | sample_size u32 = 0 | sample_count u32 = 0    SampleSizeBox 8.7.3.2
 *   └─ stco v0 | entry_count u32 = 0      ChunkOffsetBox 8.7.5
 */
export function stbl(stsd: Box): Box {
  return containerBox('stbl', [stsd, emptyTable('stts'), emptyTable('stsc'), stsz(), emptyTable('stco')]);
}

function emptyTable(type: 'stts' | 'stsc' | 'stco'): Box {
  return fullBox(type, 0, 0, 4, (w) => {
    w.u32(0);
  });
}

function stsz(): Box {
  return fullBox('stsz', 0, 0, 8, (w) => {
    w.u32(0).u32(0);
  });
}
