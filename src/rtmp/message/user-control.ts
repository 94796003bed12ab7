import { needBody, u32At, writeU32 } from './control-body.js';

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

/** RTMP 7.1.7 User Control: a 2-byte event type then its data. */
export interface UserControl {
  event: number;
  /** Stream id for the stream events, the timestamp for ping request/response. */
  value: number;
  /** Buffer length in milliseconds, only for SET_BUFFER_LENGTH. */
  bufferLengthMs?: number;
}

export function encodeUserControl(m: UserControl): Uint8Array {
  const body = new Uint8Array(m.bufferLengthMs === undefined ? 6 : 10);
  body[0] = m.event >>> 8;
  body[1] = m.event;
  writeU32(body, 2, m.value);
  if (m.bufferLengthMs !== undefined) writeU32(body, 6, m.bufferLengthMs);
  return body;
}

export function decodeUserControl(payload: Uint8Array): UserControl {
  needBody(payload, 6, 'User Control', 4);
  const event = (payload[0]! << 8) | payload[1]!;
  const value = u32At(payload, 2);
  if (event === UserControlEvent.SET_BUFFER_LENGTH && payload.length >= 10) return { event, value, bufferLengthMs: u32At(payload, 6) };
  return { event, value };
}
