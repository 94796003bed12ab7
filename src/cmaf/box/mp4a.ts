import { CmafError } from '../../errors/index.js';
import { type Box, fullBox, leafBox, writeBox, writeZeros } from './box.js';
import { SAMPLE_ENTRY_HEADER_BYTES, writeSampleEntryHeader } from './stsd.js';

export interface Mp4aFields {
  readonly channelCount: number;
  /** Hz; above 65535 the entry becomes an AudioSampleEntryV1 with a SamplingRateBox. */
  readonly sampleRate: number;
  /** The esds box (esds.ts). */
  readonly esds: Box;
}

/** Largest rate the 16.16 samplerate field holds in its integer part. */
const MAX_16BIT_RATE = 0xffff;
/** 12.2.3.2: samplesize "template = 16"; the real depth of AAC output is the decoder's. */
const SAMPLE_SIZE_BITS = 16;
/** entry_version u16 + reserved u16[3] | channelcount | samplesize | pre_defined | reserved | samplerate */
const AUDIO_FIELDS_BYTES = 8 + 2 + 2 + 2 + 2 + 4;

/**
 * AudioSampleEntry 'mp4a', ISO/IEC 14496-12 12.2.3 (MPEG-4 audio per ISO/IEC 14496-14 5.6).
 *
 *   mp4a | reserved u8[6] | data_reference_index u16 = 1
 *        | entry_version u16 | reserved u16[3] | channelcount u16 | samplesize u16 = 16
 *        | pre_defined u16 | reserved u16 | samplerate 16.16
 *   ├─ srat v0 | sampling_rate u32     only when the rate is above 65535 Hz
 *   └─ esds                            ES_Descriptor with the AudioSpecificConfig
 *
 * samplerate is a 16.16 value, so 88.2 kHz and 96 kHz do not fit. 12.2.3.2 answers that with
 * AudioSampleEntryV1: entry_version 1, a SamplingRateBox carrying the exact rate, and samplerate
 * set to "a suitable integer multiple or division of the actual sampling rate" (here the
 * largest integer division that fits). The caller must then write stsd version 1 (8.5.2.3) —
 * see `needsAudioSampleEntryV1`.
 */
export function mp4a(fields: Mp4aFields): Box {
  const { channelCount, sampleRate } = fields;
  if (!Number.isInteger(channelCount) || channelCount < 1 || channelCount > 0xffff) {
    throw new CmafError('ERR_CMAF_INVALID', `audio channel count ${channelCount} does not fit a 16-bit field`, { channelCount });
  }
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0xffff_ffff) {
    throw new CmafError('ERR_CMAF_INVALID', `audio sample rate ${sampleRate} is not a positive 32-bit integer`, { sampleRate });
  }
  const v1 = needsAudioSampleEntryV1(sampleRate);
  const srat = v1 ? sratBox(sampleRate) : undefined;
  const bodyBytes = SAMPLE_ENTRY_HEADER_BYTES + AUDIO_FIELDS_BYTES + (srat?.byteLength ?? 0) + fields.esds.byteLength;
  return leafBox('mp4a', bodyBytes, (w) => {
    writeSampleEntryHeader(w);
    w.u16(v1 ? 1 : 0);
    writeZeros(w, 6);
    w.u16(channelCount).u16(SAMPLE_SIZE_BITS).u16(0).u16(0);
    w.u32(fittingRate(sampleRate) * 0x1_0000);
    if (srat !== undefined) writeBox(w, srat);
    writeBox(w, fields.esds);
  });
}

/** True when `sampleRate` needs AudioSampleEntryV1 (and so stsd version 1). */
export function needsAudioSampleEntryV1(sampleRate: number): boolean {
  return sampleRate > MAX_16BIT_RATE;
}

/** The rate itself, or its largest integer division that fits 16 bits (96000 → 48000). */
export function fittingRate(sampleRate: number): number {
  let divisor = 1;
  while (sampleRate / divisor > MAX_16BIT_RATE || !Number.isInteger(sampleRate / divisor)) divisor++;
  return sampleRate / divisor;
}

/** SamplingRateBox, ISO/IEC 14496-12 12.2.3.2: the exact rate when samplerate cannot hold it. */
function sratBox(sampleRate: number): Box {
  return fullBox('srat', 0, 0, 4, (w) => {
    w.u32(sampleRate);
  });
}
