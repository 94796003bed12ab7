import { RtmpError } from '../../errors/index.js';
import { ChunkStreamId, MessageType, type RtmpMessage } from './rtmp-message.js';

/** User Control event types (RTMP 7.1.7). */
export const UserControlEvent = {
  STREAM_BEGIN: 0,
  STREAM_EOF: 1,
  STREAM_DRY: 2,
  SET_BUFFER_LENGTH: 3,
  STREAM_IS_RECORDED: 4,
  PING_REQUEST: 6,
  PING_RESPONSE: 7,
} as const;

export interface UserControl {
  event: number;
  /** Stream id for the stream events, the timestamp for ping request/response. */
  value: number;
  /** Buffer length in milliseconds, only for SET_BUFFER_LENGTH. */
  bufferLengthMs?: number;
}

/** 7.1.7: a 2-byte event type then its data; sent on chunk stream 2, message stream 0. */
export function userControlMessage(event: number, value: number, bufferLengthMs?: number): RtmpMessage {
  const body = Buffer.allocUnsafe(bufferLengthMs === undefined ? 6 : 10);
  body.writeUInt16BE(event, 0);
  body.writeUInt32BE(value >>> 0, 2);
  if (bufferLengthMs !== undefined) body.writeUInt32BE(bufferLengthMs >>> 0, 6);
  return { chunkStreamId: ChunkStreamId.PROTOCOL_CONTROL, typeId: MessageType.USER_CONTROL, timestamp: 0, messageStreamId: 0, payload: body };
}

export function readUserControl(m: RtmpMessage): UserControl {
  const p = m.payload;
  if (p.length < 6) {
    throw new RtmpError('ERR_RTMP_MESSAGE_MALFORMED', `user control message with ${p.length}-byte body`, { length: p.length });
  }
  const event = (p[0]! << 8) | p[1]!;
  const value = p[2]! * 0x1000000 + ((p[3]! << 16) | (p[4]! << 8) | p[5]!);
  if (event === UserControlEvent.SET_BUFFER_LENGTH && p.length >= 10) {
    return { event, value, bufferLengthMs: p[6]! * 0x1000000 + ((p[7]! << 16) | (p[8]! << 8) | p[9]!) };
  }
  return { event, value };
}
