/**
 * One RTMP message as it leaves the chunk stream (RTMP 1.0 spec, 6.1): the chunk header fields
 * that describe it and its body. `payload` is a view; see docs/rtmp.md for its lifetime rule.
 */
export interface RtmpMessage {
  /** Chunk stream the message arrived on, or is to be sent on (2 ... 65599). */
  chunkStreamId: number;
  /** Message type id (RTMP 5.4, 7.1): see MessageType. */
  typeId: number;
  /** Absolute timestamp in milliseconds, unsigned 32-bit, wrapping at 2^32. */
  timestamp: number;
  /** Message stream id (0 for the NetConnection, createStream's value for a NetStream). */
  messageStreamId: number;
  payload: Uint8Array;
}

/** A message's header fields without its body, for writers given the body in pieces (ChunkWriter.encodeParts). */
export type RtmpMessageHeader = Omit<RtmpMessage, 'payload'>;

/**
 * A body given as a header and a payload (an FLV tag header and the frame's bytes): written into
 * the chunks as they are, so the payload is copied once, into the chunked output.
 */
export interface SplitBody {
  readonly header: Uint8Array;
  readonly payload: Uint8Array;
}

/** Message type ids of RTMP 1.0 sections 5.4 and 7.1. */
export const MessageType = {
  SET_CHUNK_SIZE: 1,
  ABORT: 2,
  ACKNOWLEDGEMENT: 3,
  USER_CONTROL: 4,
  WINDOW_ACK_SIZE: 5,
  SET_PEER_BANDWIDTH: 6,
  AUDIO: 8,
  VIDEO: 9,
  DATA_AMF3: 15,
  SHARED_OBJECT_AMF3: 16,
  COMMAND_AMF3: 17,
  DATA_AMF0: 18,
  SHARED_OBJECT_AMF0: 19,
  COMMAND_AMF0: 20,
  AGGREGATE: 22,
} as const;

export type MessageTypeId = (typeof MessageType)[keyof typeof MessageType];

/**
 * Chunk stream ids tidecast sends on. 2 is reserved for protocol control (5.3.1.1); the others are
 * conventions shared by FMS, nginx-rtmp and librtmp, which some players rely on.
 */
export const ChunkStreamId = {
  PROTOCOL_CONTROL: 2,
  COMMAND: 3,
  DATA: 5,
  AUDIO: 6,
  VIDEO: 7,
} as const;
