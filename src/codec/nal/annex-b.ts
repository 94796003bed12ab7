import { invalidField } from '../codec-error.js';
import { joinNalUnits, splitNalUnits } from './length-prefixed.js';

/**
 * Annex B byte streams (ITU-T H.264 Annex B, H.265 Annex B), what raw .h264/.hevc files, MPEG-TS
 * and ffmpeg's `-f h264` carry: NAL units separated by start code prefixes 00 00 01, optionally
 * preceded by a zero_byte (00 00 00 01) and followed by trailing_zero_8bits.
 */

/**
 * The NAL units of an Annex B stream, as views of `data`, without their start codes and trailing
 * zero bytes. The stream must begin with a start code (after any leading zero bytes): bytes before
 * the first one belong to no NAL unit and are refused rather than silently dropped.
 */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let start = findStartCode(data, 0);
  if (start < 0) {
    if (data.every((b) => b === 0)) return units;
    throw invalidField('Annex B stream', 'start_code_prefix', 'missing', 'at the start of the stream');
  }
  for (let i = 0; i < start; i++) {
    if (data[i] !== 0) throw invalidField('Annex B stream', 'leading_zero_8bits', data[i]!, 'is not zero before the first start code');
  }
  while (start >= 0) {
    const begin = start + 3;
    const next = findStartCode(data, begin);
    let end = next < 0 ? data.length : next;
    // Zero bytes before a start code are trailing_zero_8bits (or the next zero_byte), not payload:
    // a NAL unit never ends in 0x00 (H.264 7.4.1, rbsp_trailing_bits / cabac_zero_word + 0x03).
    while (end > begin && data[end - 1] === 0) end--;
    if (end > begin) units.push(data.subarray(begin, end));
    start = next;
  }
  return units;
}

/** Annex B → length-prefixed (AVCC) sample, NALUnitLength of `lengthSize` bytes (default 4). */
export function annexBToAvcc(data: Uint8Array, lengthSize: number = 4): Uint8Array {
  return joinNalUnits(splitAnnexB(data), lengthSize);
}

/** Length-prefixed (AVCC) sample → Annex B, each NAL unit after a 4-byte start code 00 00 00 01. */
export function avccToAnnexB(data: Uint8Array, lengthSize: number = 4): Uint8Array {
  const units = splitNalUnits(data, lengthSize);
  let total = 0;
  for (const nal of units) total += 4 + nal.length;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const nal of units) {
    out[pos + 3] = 1;
    out.set(nal, pos + 4);
    pos += 4 + nal.length;
  }
  return out;
}

/** Offset of the next 00 00 01 at or after `from`, or -1. */
function findStartCode(data: Uint8Array, from: number): number {
  let i = data.indexOf(1, from + 2);
  while (i >= 0) {
    if (data[i - 1] === 0 && data[i - 2] === 0) return i - 2;
    i = data.indexOf(1, i + 1);
  }
  return -1;
}
