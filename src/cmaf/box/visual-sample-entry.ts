import { CmafError } from '../../errors/index.js';
import { type Box, leafBox, sumByteLength, writeBox, writeZeros } from './box.js';
import { SAMPLE_ENTRY_HEADER_BYTES, writeSampleEntryHeader } from './stsd.js';

/** Sample entry types tidecast writes: parameter sets out of band, in the configuration box. */
export type VisualSampleEntryType = 'avc1' | 'hvc1';

export interface VisualSampleEntryFields {
  readonly type: VisualSampleEntryType;
  /** Coded (cropped) size in pixels, u16 each (12.1.3.3). */
  readonly width: number;
  readonly height: number;
  /** At most 31 bytes of UTF-8; informative. */
  readonly compressorName: string;
  /** The configuration box (avcC/hvcC) first, then optional boxes such as pasp. */
  readonly children: readonly Box[];
}

/** 12.1.3.3: 72 dpi in 16.16, the fixed value of horizresolution and vertresolution. */
const RESOLUTION_72_DPI = 0x0048_0000;
/** 12.1.3.3: 0x0018, "images are in colour with no alpha". */
const DEPTH_COLOUR_NO_ALPHA = 0x0018;
const COMPRESSORNAME_BYTES = 32;
/** Body after the SampleEntry header: 16 pre_defined/reserved, size 4, resolution 8, … */
const VISUAL_FIELDS_BYTES = 2 + 2 + 12 + 4 + 8 + 4 + 2 + COMPRESSORNAME_BYTES + 2 + 2;

/**
 * VisualSampleEntry, ISO/IEC 14496-12 12.1.3, as 'avc1' (ISO/IEC 14496-15 5.4.2.1) or 'hvc1'
 * (14496-15 8.4.1.1). Both mean "parameter sets are in the configuration box"; for HEVC that is
 * the form Apple's HLS Authoring Specification requires ('hvc1', not 'hev1').
 *
 *   avc1|hvc1 | reserved u8[6] | data_reference_index u16 = 1
 *             | pre_defined u16 | reserved u16 | pre_defined u32[3]
 *             | width u16 | height u16 | horizresolution 16.16 | vertresolution 16.16
 *             | reserved u32 | frame_count u16 = 1 | compressorname u8[32]
 *             | depth u16 = 0x0018 | pre_defined s16 = -1
 *   ├─ avcC|hvcC                       decoder configuration record
 *   └─ pasp                            when the sample aspect ratio is not 1:1
 */
export function visualSampleEntry(fields: VisualSampleEntryFields): Box {
  const { width, height } = fields;
  if (!isU16(width) || !isU16(height) || width === 0 || height === 0) {
    throw new CmafError('ERR_CMAF_INVALID', `video size ${width}x${height} does not fit the 16-bit sample entry fields`, { width, height });
  }
  const name = Buffer.from(fields.compressorName, 'utf8');
  if (name.length > COMPRESSORNAME_BYTES - 1) {
    throw new CmafError('ERR_CMAF_INVALID', `compressor name is ${name.length} bytes, at most 31 fit`, { bytes: name.length });
  }
  const bodyBytes = SAMPLE_ENTRY_HEADER_BYTES + VISUAL_FIELDS_BYTES + sumByteLength(fields.children);
  return leafBox(fields.type, bodyBytes, (w) => {
    writeSampleEntryHeader(w);
    writeZeros(w, 16);
    w.u16(width).u16(height).u32(RESOLUTION_72_DPI).u32(RESOLUTION_72_DPI);
    w.u32(0).u16(1);
    // 12.1.3.3: a 32-byte Pascal string, length byte first, zero padded.
    w.u8(name.length).bytes(name);
    writeZeros(w, COMPRESSORNAME_BYTES - 1 - name.length);
    w.u16(DEPTH_COLOUR_NO_ALPHA).u16(0xffff);
    for (const child of fields.children) writeBox(w, child);
  });
}

/**
 * AVCConfigurationBox 'avcC' (ISO/IEC 14496-15 5.4.2.1) or HEVCConfigurationBox 'hvcC'
 * (8.4.1.1): the decoder configuration record, byte for byte as the codec layer produced it.
 */
export function configurationBox(type: 'avcC' | 'hvcC', record: Uint8Array): Box {
  if (record.byteLength === 0) {
    throw new CmafError('ERR_CMAF_INVALID', `empty ${type} decoder configuration record`, { type });
  }
  return leafBox(type, record.byteLength, (w) => {
    w.bytes(record);
  });
}

function isU16(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0xffff;
}
