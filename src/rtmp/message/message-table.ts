import type { AmfLimits } from '../../amf/index.js';
import { decodeAbort, encodeAbort, type Abort } from './abort.js';
import { decodeAcknowledgement, encodeAcknowledgement, type Acknowledgement } from './acknowledgement.js';
import { decodeCommandAmf0, decodeCommandAmf3, encodeCommandAmf0, encodeCommandAmf3, type Command } from './command.js';
import { decodeDataAmf0, decodeDataAmf3, encodeDataAmf0, encodeDataAmf3, type DataValues } from './data.js';
import { decodeOpaque, encodeOpaque, type OpaqueBody } from './opaque.js';
import { ChunkStreamId, MessageType as T, type RtmpMessage, type RtmpMessageHeader } from './rtmp-message.js';
import { decodeSetChunkSize, encodeSetChunkSize, type SetChunkSize } from './set-chunk-size.js';
import { decodePeerBandwidth, encodePeerBandwidth, type PeerBandwidth } from './set-peer-bandwidth.js';
import { decodeUserControl, encodeUserControl, type UserControl } from './user-control.js';
import { decodeWindowAckSize, encodeWindowAckSize, type WindowAckSize } from './window-ack-size.js';

/**
 * The typed message layer: one table of RTMP 1.0's message types (5.4 protocol control, 7.1 the
 * others), each with its type id, the chunk stream it is sent on by default, and the codec of its
 * body. `decodeMessage` and `encodeMessage` are both driven by it, so a type cannot be decodable
 * and not encodable, or decode under one id and encode under another.
 *
 * | kind               | id | body                                      | default chunk stream |
 * | ------------------ | -- | ----------------------------------------- | -------------------- |
 * | set-chunk-size     |  1 | u32 chunk size (bit 31 zero)              | 2                    |
 * | abort              |  2 | u32 chunk stream id                       | 2                    |
 * | acknowledgement    |  3 | u32 sequence number                       | 2                    |
 * | user-control       |  4 | u16 event, u32 value [, u32 buffer ms]    | 2                    |
 * | window-ack-size    |  5 | u32 window                                | 2                    |
 * | set-peer-bandwidth |  6 | u32 window, u8 limit type                 | 2                    |
 * | audio, video       | 8, 9 | FLV tag body, passed on as a view       | 6, 7                 |
 * | data-amf3          | 15 | 0x00, AMF0 values                         | 5                    |
 * | shared-object-amf3 | 16 | passed on                                 | 3                    |
 * | command-amf3       | 17 | 0x00, name, transaction id, object, args  | 3                    |
 * | data-amf0          | 18 | AMF0 values                               | 5                    |
 * | shared-object-amf0 | 19 | passed on                                 | 3                    |
 * | command-amf0       | 20 | name, transaction id, object, args        | 3                    |
 * | aggregate          | 22 | FLV tags, passed on                       | 7                    |
 */
export interface MessageBodies {
  'set-chunk-size': SetChunkSize;
  abort: Abort;
  acknowledgement: Acknowledgement;
  'user-control': UserControl;
  'window-ack-size': WindowAckSize;
  'set-peer-bandwidth': PeerBandwidth;
  audio: OpaqueBody;
  video: OpaqueBody;
  'data-amf3': DataValues;
  'shared-object-amf3': OpaqueBody;
  'command-amf3': { command: Command };
  'data-amf0': DataValues;
  'shared-object-amf0': OpaqueBody;
  'command-amf0': { command: Command };
  aggregate: OpaqueBody;
}

export type MessageKind = keyof MessageBodies;

/** One decoded message body, told apart by `kind`. */
export type TypedMessage = { [K in MessageKind]: { kind: K } & MessageBodies[K] }[MessageKind];

/** A typed message of one kind. */
export type MessageOf<K extends MessageKind> = Extract<TypedMessage, { kind: K }>;

interface MessageCodec<K extends MessageKind> {
  readonly typeId: number;
  readonly chunkStreamId: number;
  encode(body: MessageBodies[K]): Uint8Array;
  /** Throws RtmpError (ERR_RTMP_MESSAGE_MALFORMED, …) or AmfError for a body that is not one. */
  decode(payload: Uint8Array, amf: Partial<AmfLimits> | undefined): MessageBodies[K];
}

const CONTROL = ChunkStreamId.PROTOCOL_CONTROL;

export const MESSAGE_TABLE: { readonly [K in MessageKind]: MessageCodec<K> } = {
  'set-chunk-size': { typeId: T.SET_CHUNK_SIZE, chunkStreamId: CONTROL, encode: encodeSetChunkSize, decode: (p) => decodeSetChunkSize(p) },
  abort: { typeId: T.ABORT, chunkStreamId: CONTROL, encode: encodeAbort, decode: decodeAbort },
  acknowledgement: { typeId: T.ACKNOWLEDGEMENT, chunkStreamId: CONTROL, encode: encodeAcknowledgement, decode: decodeAcknowledgement },
  'user-control': { typeId: T.USER_CONTROL, chunkStreamId: CONTROL, encode: encodeUserControl, decode: decodeUserControl },
  'window-ack-size': { typeId: T.WINDOW_ACK_SIZE, chunkStreamId: CONTROL, encode: encodeWindowAckSize, decode: decodeWindowAckSize },
  'set-peer-bandwidth': { typeId: T.SET_PEER_BANDWIDTH, chunkStreamId: CONTROL, encode: encodePeerBandwidth, decode: decodePeerBandwidth },
  audio: { typeId: T.AUDIO, chunkStreamId: ChunkStreamId.AUDIO, encode: encodeOpaque, decode: decodeOpaque },
  video: { typeId: T.VIDEO, chunkStreamId: ChunkStreamId.VIDEO, encode: encodeOpaque, decode: decodeOpaque },
  'data-amf3': { typeId: T.DATA_AMF3, chunkStreamId: ChunkStreamId.DATA, encode: encodeDataAmf3, decode: decodeDataAmf3 },
  'shared-object-amf3': { typeId: T.SHARED_OBJECT_AMF3, chunkStreamId: ChunkStreamId.COMMAND, encode: encodeOpaque, decode: decodeOpaque },
  'command-amf3': { typeId: T.COMMAND_AMF3, chunkStreamId: ChunkStreamId.COMMAND, encode: (m) => encodeCommandAmf3(m.command), decode: (p, amf) => ({ command: decodeCommandAmf3(p, amf) }) },
  'data-amf0': { typeId: T.DATA_AMF0, chunkStreamId: ChunkStreamId.DATA, encode: encodeDataAmf0, decode: decodeDataAmf0 },
  'shared-object-amf0': { typeId: T.SHARED_OBJECT_AMF0, chunkStreamId: ChunkStreamId.COMMAND, encode: encodeOpaque, decode: decodeOpaque },
  'command-amf0': { typeId: T.COMMAND_AMF0, chunkStreamId: ChunkStreamId.COMMAND, encode: (m) => encodeCommandAmf0(m.command), decode: (p, amf) => ({ command: decodeCommandAmf0(p, amf) }) },
  aggregate: { typeId: T.AGGREGATE, chunkStreamId: ChunkStreamId.VIDEO, encode: encodeOpaque, decode: decodeOpaque },
};

const KINDS = Object.keys(MESSAGE_TABLE) as MessageKind[];
const KIND_BY_TYPE_ID: ReadonlyMap<number, MessageKind> = new Map(KINDS.map((kind) => [MESSAGE_TABLE[kind].typeId, kind]));

/** The kind of a message type id; undefined for ids RTMP 1.0 does not define (7, 10–14, 21, ≥ 23). */
export function messageKind(typeId: number): MessageKind | undefined {
  return KIND_BY_TYPE_ID.get(typeId);
}

/**
 * The typed body of `m`, or undefined for a type id RTMP 1.0 does not define (sessions ignore
 * those, as nginx-rtmp does). Throws RtmpError or AmfError for a body its type cannot have.
 */
export function decodeMessage(m: Pick<RtmpMessage, 'typeId' | 'payload'>, amf?: Partial<AmfLimits>): TypedMessage | undefined {
  const kind = KIND_BY_TYPE_ID.get(m.typeId);
  if (kind === undefined) return undefined;
  const body = (MESSAGE_TABLE[kind] as MessageCodec<MessageKind>).decode(m.payload, amf);
  return { kind, ...body } as TypedMessage;
}

/**
 * `message` as an RtmpMessage: its type id and body from the table; the header fields from
 * `header`, else the kind's chunk stream, timestamp 0 and message stream 0 (the NetConnection).
 */
export function encodeMessage(message: TypedMessage, header: Partial<RtmpMessageHeader> = {}): RtmpMessage {
  const codec = MESSAGE_TABLE[message.kind] as MessageCodec<MessageKind>;
  return {
    chunkStreamId: header.chunkStreamId ?? codec.chunkStreamId,
    typeId: codec.typeId,
    timestamp: header.timestamp ?? 0,
    messageStreamId: header.messageStreamId ?? 0,
    payload: codec.encode(message as MessageBodies[MessageKind]),
  };
}
