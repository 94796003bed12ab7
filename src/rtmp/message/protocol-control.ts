import { RtmpError } from '../../errors/index.js';
import { ChunkStreamId, MessageType, type RtmpMessage } from './rtmp-message.js';

/**
 * Protocol control messages (RTMP 5.4): always on chunk stream 2, message stream 0, with
 * fixed-size big-endian bodies.
 */

/** 5.4.3 Set Peer Bandwidth limit types. */
export const PeerBandwidthLimit = { HARD: 0, SOFT: 1, DYNAMIC: 2 } as const;
export type PeerBandwidthLimitType = (typeof PeerBandwidthLimit)[keyof typeof PeerBandwidthLimit];

function control(typeId: number, body: Buffer): RtmpMessage {
  return { chunkStreamId: ChunkStreamId.PROTOCOL_CONTROL, typeId, timestamp: 0, messageStreamId: 0, payload: body };
}

function u32Body(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value >>> 0, 0);
  return b;
}

/** 5.4.1: bit 31 is reserved and must be 0. */
export function setChunkSizeMessage(size: number): RtmpMessage {
  return control(MessageType.SET_CHUNK_SIZE, u32Body(size & 0x7fffffff));
}

/** 5.4.2 Abort: the peer discards the partial message of `chunkStreamId`. */
export function abortMessage(chunkStreamId: number): RtmpMessage {
  return control(MessageType.ABORT, u32Body(chunkStreamId));
}

/** 5.4.3 Acknowledgement: the sequence number is the byte count received so far, modulo 2^32. */
export function acknowledgementMessage(bytesReceived: number): RtmpMessage {
  return control(MessageType.ACKNOWLEDGEMENT, u32Body(bytesReceived % 0x100000000));
}

/** 5.4.4 Window Acknowledgement Size: how many bytes the peer may receive before acknowledging. */
export function windowAckSizeMessage(windowBytes: number): RtmpMessage {
  return control(MessageType.WINDOW_ACK_SIZE, u32Body(windowBytes));
}

/** 5.4.5 Set Peer Bandwidth. */
export function setPeerBandwidthMessage(windowBytes: number, limitType: PeerBandwidthLimitType): RtmpMessage {
  const b = Buffer.allocUnsafe(5);
  b.writeUInt32BE(windowBytes >>> 0, 0);
  b[4] = limitType;
  return control(MessageType.SET_PEER_BANDWIDTH, b);
}

/** Reads the 4-byte value of Set Chunk Size, Abort, Acknowledgement or Window Acknowledgement Size. */
export function readControlValue(m: RtmpMessage): number {
  const p = m.payload;
  if (p.length < 4) {
    throw new RtmpError('ERR_RTMP_MESSAGE_MALFORMED', `control message type ${m.typeId} with ${p.length}-byte body`, { typeId: m.typeId, length: p.length });
  }
  return p[0]! * 0x1000000 + ((p[1]! << 16) | (p[2]! << 8) | p[3]!);
}

export interface PeerBandwidth {
  windowBytes: number;
  limitType: number;
}

export function readPeerBandwidth(m: RtmpMessage): PeerBandwidth {
  const windowBytes = readControlValue(m);
  // Some clients send the 4-byte form without a limit type; dynamic is the harmless reading.
  return { windowBytes, limitType: m.payload[4] ?? PeerBandwidthLimit.DYNAMIC };
}
