import { RtmpError } from '../../errors/index.js';
import { ChunkStreamId, type RtmpMessage } from './rtmp-message.js';

/**
 * Shared by the protocol control messages (RTMP 5.4): they always travel on chunk stream 2,
 * message stream 0, with fixed-size big-endian bodies.
 */
export function controlMessage(typeId: number, body: Buffer): RtmpMessage {
  return { chunkStreamId: ChunkStreamId.PROTOCOL_CONTROL, typeId, timestamp: 0, messageStreamId: 0, payload: body };
}

export function u32Body(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
}

/** Reads the 4-byte value of Set Chunk Size, Abort, Acknowledgement or Window Acknowledgement Size. */
export function readControlValue(m: RtmpMessage): number {
  const p = m.payload;
  if (p.length < 4) {
    throw new RtmpError('ERR_RTMP_MESSAGE_MALFORMED', `control message type ${m.typeId} with ${p.length}-byte body`, { typeId: m.typeId, length: p.length });
  }
  return p[0]! * 0x1000000 + ((p[1]! << 16) | (p[2]! << 8) | p[3]!);
}
