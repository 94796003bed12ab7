import { RtmpError } from '../../errors/index.js';

/**
 * What the protocol control bodies share (RTMP 5.4): fixed-size big-endian fields. A body shorter
 * than its fields is ERR_RTMP_MESSAGE_MALFORMED naming the message; longer bodies are read for
 * their fields and the rest ignored, as librtmp and FFmpeg read them.
 */

export function u32Body(value: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32(b, 0, value);
  return b;
}

export function writeU32(b: Uint8Array, p: number, value: number): void {
  b[p] = value >>> 24;
  b[p + 1] = value >>> 16;
  b[p + 2] = value >>> 8;
  b[p + 3] = value;
}

/** The big-endian u32 at `p`; the caller checked the length. */
export function u32At(b: Uint8Array, p: number): number {
  return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}

/** Throws ERR_RTMP_MESSAGE_MALFORMED unless `payload` holds at least `bytes` bytes. */
export function needBody(payload: Uint8Array, bytes: number, message: string, typeId: number): void {
  if (payload.length < bytes) {
    throw new RtmpError('ERR_RTMP_MESSAGE_MALFORMED', `${message} (type ${typeId}) with a ${payload.length}-byte body, ${bytes} needed`, { typeId, length: payload.length });
  }
}

/** The 4-byte value of Set Chunk Size, Abort, Acknowledgement or Window Acknowledgement Size (5.4.1–5.4.4). */
export function readU32Body(payload: Uint8Array, message: string, typeId: number): number {
  needBody(payload, 4, message, typeId);
  return u32At(payload, 0);
}
