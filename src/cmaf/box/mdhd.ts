import { CmafError } from '../../errors/index.js';
import { type Box, fullBox } from './box.js';

export interface MdhdFields {
  /** Ticks per second of every sample time of the track. */
  readonly timescale: number;
  /** ISO 639-2/T three-letter code; 'und' (undetermined) when unknown. */
  readonly language: string;
}

/**
 * MediaHeaderBox, ISO/IEC 14496-12 8.4.2, version 0.
 *
 *   mdhd v0 | creation_time u32 | modification_time u32 | timescale u32 | duration u32
 *           | pad(1) language(15) | pre_defined u16
 *
 * The timescale here is the one every tfdt, trun duration and composition offset of the track
 * counts in. Duration 0: the samples are all in fragments (as in mvhd, 8.8.2).
 */
export function mdhd(fields: MdhdFields): Box {
  const language = packLanguage(fields.language);
  return fullBox('mdhd', 0, 0, 20, (w) => {
    w.u32(0).u32(0).u32(fields.timescale).u32(0);
    w.u16(language).u16(0);
  });
}

/**
 * 8.4.2.3: "each character is packed as the difference between its ASCII value and 0x60", three
 * 5-bit values after a zero pad bit. 'und' → 0x55c4.
 */
export function packLanguage(code: string): number {
  if (!/^[a-z]{3}$/.test(code)) {
    throw new CmafError('ERR_CMAF_INVALID', `language must be three lower-case ISO 639-2/T letters, got "${code}"`, { language: code });
  }
  return ((code.charCodeAt(0) - 0x60) << 10) | ((code.charCodeAt(1) - 0x60) << 5) | (code.charCodeAt(2) - 0x60);
}
