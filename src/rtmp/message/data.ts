import { decodeAmf0, type AmfLimits, type AmfValue } from '../../amf/index.js';
import { encodeValues, withoutFormatByte } from './command.js';

/**
 * Data messages (RTMP 7.1.2): AMF values without a transaction id, such as
 * `@setDataFrame onMetaData {…}` from publishers and `onMetaData {…}` to players. Type 18 is
 * AMF0; type 15 puts the format byte 0x00 before the same AMF0 values.
 */
export interface DataValues {
  values: AmfValue[];
}

export function encodeDataAmf0(m: DataValues): Uint8Array {
  return encodeValues(m.values, false);
}

export function encodeDataAmf3(m: DataValues): Uint8Array {
  return encodeValues(m.values, true);
}

export function decodeDataAmf0(payload: Uint8Array, limits?: Partial<AmfLimits>): DataValues {
  return { values: decodeAmf0(payload, limits) };
}

export function decodeDataAmf3(payload: Uint8Array, limits?: Partial<AmfLimits>): DataValues {
  return { values: decodeAmf0(withoutFormatByte(payload), limits) };
}

/**
 * The body a player should receive for a publisher's data message: `@setDataFrame` is an
 * instruction to the server (store this frame), so players get what follows it (FMS, nginx-rtmp
 * and SRS all strip it). Returns a view; without the prefix the payload is returned as is.
 */
export function stripSetDataFrame(payload: Uint8Array): Uint8Array {
  // AMF0 string marker 0x02, length 13, "@setDataFrame"
  if (payload.length > 16 && payload[0] === 0x02 && payload[1] === 0 && payload[2] === 13) {
    const name = Buffer.from(payload.buffer, payload.byteOffset + 3, 13).toString('latin1');
    if (name === '@setDataFrame') return payload.subarray(16);
  }
  return payload;
}
