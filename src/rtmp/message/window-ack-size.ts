import { readU32Body, u32Body } from './control-body.js';

/** RTMP 5.4.4 Window Acknowledgement Size: how many bytes the peer may receive before acknowledging. */
export interface WindowAckSize {
  windowBytes: number;
}

export function encodeWindowAckSize(m: WindowAckSize): Uint8Array {
  return u32Body(m.windowBytes);
}

export function decodeWindowAckSize(payload: Uint8Array): WindowAckSize {
  return { windowBytes: readU32Body(payload, 'Window Acknowledgement Size', 5) };
}
