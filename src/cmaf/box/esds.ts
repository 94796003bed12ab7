import type { ByteWriter } from '../../bytes/index.js';
import { CmafError } from '../../errors/index.js';
import { type Box, fullBox } from './box.js';

/** ISO/IEC 14496-1 7.2.2.1 Table 1: class tags of the descriptors an esds carries. */
const ES_DESCR_TAG = 0x03;
const DECODER_CONFIG_DESCR_TAG = 0x04;
const DEC_SPECIFIC_INFO_TAG = 0x05;
const SL_CONFIG_DESCR_TAG = 0x06;
/** 14496-1 7.3.2.3: SLConfigDescriptor predefined = 2, "reserved for use in MP4 files". */
const SL_PREDEFINED_MP4 = 0x02;
/** Largest size an expandable 4-byte sizeOfInstance can express (14496-1 8.3.3). */
const MAX_DESCRIPTOR_PAYLOAD = 0x0fff_ffff;

export interface EsdsFields {
  /** 14496-1 Table 5: 0x40 for Audio ISO/IEC 14496-3 (AAC). */
  readonly objectTypeIndication: number;
  /** 14496-1 Table 6: 0x05 AudioStream. */
  readonly streamType: number;
  /** Size of the decoding buffer in bytes (u24). */
  readonly bufferSizeDB: number;
  /** Bits per second; 0 when unknown. */
  readonly maxBitrate: number;
  /** Bits per second; 0 for variable or unknown (14496-1 7.2.6.6.2). */
  readonly avgBitrate: number;
  /** DecoderSpecificInfo payload: for AAC the AudioSpecificConfig (14496-3 1.6.2.1). */
  readonly decoderSpecificInfo: Uint8Array;
}

/**
 * ESDBox 'esds', ISO/IEC 14496-14 (MP4 file format) 3.1.2 / 5.6: an MPEG-4 Systems
 * ES_Descriptor (14496-1 7.2.6.5) in a FullBox.
 *
 *   esds v0
 *   └─ ES_Descriptor             tag 0x03 | size | ES_ID u16 = 0 | flags u8 = 0
 *      ├─ DecoderConfigDescriptor tag 0x04 | size | objectTypeIndication u8
 *      │                          | streamType(6) upStream(1) reserved(1)=1 | bufferSizeDB u24
 *      │                          | maxBitrate u32 | avgBitrate u32
 *      │  └─ DecoderSpecificInfo  tag 0x05 | size | AudioSpecificConfig
 *      └─ SLConfigDescriptor      tag 0x06 | size | predefined u8 = 2
 *
 * ES_ID is 0: 14496-14 has the file format ignore it (the track_ID identifies the stream).
 * Sizes use the shortest expandable encoding (14496-1 8.3.3); every parser reads 1–4 bytes.
 */
export function esds(fields: EsdsFields): Box {
  const dsiPayload = fields.decoderSpecificInfo.byteLength;
  const dsiBytes = descriptorBytes(dsiPayload);
  const dcdPayload = 13 + dsiBytes;
  const slPayload = 1;
  const esPayload = 3 + descriptorBytes(dcdPayload) + descriptorBytes(slPayload);
  return fullBox('esds', 0, 0, descriptorBytes(esPayload), (w) => {
    writeDescriptorHeader(w, ES_DESCR_TAG, esPayload);
    w.u16(0).u8(0);
    writeDescriptorHeader(w, DECODER_CONFIG_DESCR_TAG, dcdPayload);
    w.u8(fields.objectTypeIndication);
    w.u8((fields.streamType << 2) | 0x01);
    w.u24(fields.bufferSizeDB).u32(fields.maxBitrate).u32(fields.avgBitrate);
    writeDescriptorHeader(w, DEC_SPECIFIC_INFO_TAG, dsiPayload);
    w.bytes(fields.decoderSpecificInfo);
    writeDescriptorHeader(w, SL_CONFIG_DESCR_TAG, slPayload);
    w.u8(SL_PREDEFINED_MP4);
  });
}

/** Tag byte + expandable size + payload. */
export function descriptorBytes(payload: number): number {
  return 1 + sizeFieldBytes(payload) + payload;
}

function sizeFieldBytes(payload: number): number {
  if (payload > MAX_DESCRIPTOR_PAYLOAD) {
    throw new CmafError('ERR_CMAF_INVALID', `descriptor payload of ${payload} bytes exceeds the 28-bit expandable size`, { payload });
  }
  return payload < 0x80 ? 1 : payload < 0x4000 ? 2 : payload < 0x20_0000 ? 3 : 4;
}

/** 14496-1 8.3.3: sizeOfInstance in 7-bit groups, most significant first, 0x80 = "more follows". */
function writeDescriptorHeader(w: ByteWriter, tag: number, payload: number): void {
  w.u8(tag);
  for (let shift = 7 * (sizeFieldBytes(payload) - 1); shift > 0; shift -= 7) w.u8(0x80 | ((payload >>> shift) & 0x7f));
  w.u8(payload & 0x7f);
}
