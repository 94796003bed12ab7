import { checkRange, invalidField, truncated } from '../codec-error.js';

/**
 * Length-prefixed NAL units, the sample format of MP4/FLV ("AVCC", ISO/IEC 14496-15 5.3.2 and
 * 8.3.2): each NAL unit is preceded by its size in NALUnitLength bytes, big-endian, where the
 * decoder configuration record gives the width (lengthSizeMinusOne + 1 = 1, 2 or 4).
 */

export type NalLengthSize = 1 | 2 | 4;

/** Checks a NALUnitLength width (14496-15 allows lengthSizeMinusOne 0, 1 and 3). */
export function checkNalLengthSize(structure: string, lengthSize: number): NalLengthSize {
  if (lengthSize !== 1 && lengthSize !== 2 && lengthSize !== 4) {
    throw invalidField(structure, 'lengthSize', lengthSize, 'is not 1, 2 or 4');
  }
  return lengthSize;
}

/**
 * Calls `visit` with a view of each NAL unit of a length-prefixed sample, in order, until it
 * returns true; returns whether one did. Zero-length units are skipped (some muxers pad with them).
 */
export function someNalUnit(data: Uint8Array, lengthSize: number, visit: (nal: Uint8Array) => boolean): boolean {
  const size = checkNalLengthSize('length-prefixed sample', lengthSize);
  let pos = 0;
  while (pos < data.length) {
    if (data.length - pos < size) throw truncated('length-prefixed sample', size, data.length - pos, 'bytes', pos);
    let length = 0;
    for (let i = 0; i < size; i++) length = length * 256 + data[pos + i]!;
    pos += size;
    if (length > data.length - pos) throw truncated('length-prefixed sample', length, data.length - pos, 'bytes', pos);
    if (length > 0 && visit(data.subarray(pos, pos + length))) return true;
    pos += length;
  }
  return false;
}

/** The NAL units of a length-prefixed sample, as views of `data`. */
export function splitNalUnits(data: Uint8Array, lengthSize: number): Uint8Array[] {
  const units: Uint8Array[] = [];
  someNalUnit(data, lengthSize, (nal) => {
    units.push(nal);
    return false;
  });
  return units;
}

/** Joins NAL units into one length-prefixed sample: size first, then one allocation and one write. */
export function joinNalUnits(units: readonly Uint8Array[], lengthSize: number = 4): Uint8Array {
  const size = checkNalLengthSize('length-prefixed sample', lengthSize);
  const max = 2 ** (8 * size) - 1;
  let total = 0;
  for (const nal of units) total += size + checkRange('length-prefixed sample', 'NALUnitLength', nal.length, 0, max);
  const out = new Uint8Array(total);
  let pos = 0;
  for (const nal of units) {
    for (let i = size - 1; i >= 0; i--) out[pos + size - 1 - i] = Math.floor(nal.length / 2 ** (8 * i)) & 0xff;
    out.set(nal, pos + size);
    pos += size + nal.length;
  }
  return out;
}
