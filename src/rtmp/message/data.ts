import { decodeAmf0, encodeAmf0, type AmfLimits, type AmfValue } from '../../amf/index.js';
import { MessageType, type RtmpMessage } from './rtmp-message.js';

/**
 * Data messages (RTMP 7.1.2): AMF values without a transaction id, such as
 * `@setDataFrame onMetaData {…}` from publishers and `onMetaData {…}` to players.
 */
export function decodeData(m: RtmpMessage, limits?: Partial<AmfLimits>): AmfValue[] {
  const body = m.typeId === MessageType.DATA_AMF3 && m.payload[0] === 0 ? m.payload.subarray(1) : m.payload;
  return decodeAmf0(body, limits);
}

export function dataMessage(values: AmfValue[], messageStreamId: number, chunkStreamId: number, timestamp = 0): RtmpMessage {
  return { chunkStreamId, typeId: MessageType.DATA_AMF0, timestamp, messageStreamId, payload: encodeAmf0(...values) };
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
