import { readU32Body, u32Body } from './control-body.js';

/** RTMP 5.4.2 Abort: the peer discards the partly received message of `chunkStreamId`. */
export interface Abort {
  chunkStreamId: number;
}

export function encodeAbort(m: Abort): Uint8Array {
  return u32Body(m.chunkStreamId);
}

export function decodeAbort(payload: Uint8Array): Abort {
  return { chunkStreamId: readU32Body(payload, 'Abort', 2) };
}
