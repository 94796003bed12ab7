import type { AmfLimits, AmfValue } from '../../amf/index.js';
import { RtmpError } from '../../errors/index.js';
import type { Command, StatusInfo } from './command.js';
import { decodeMessage, encodeMessage, type MessageKind, type MessageOf } from './message-table.js';
import { ChunkStreamId, type RtmpMessage } from './rtmp-message.js';
import type { PeerBandwidth, PeerBandwidthLimitType } from './set-peer-bandwidth.js';
import type { UserControl } from './user-control.js';

/**
 * The messages sessions send and read, as one-line uses of the table (message-table.ts): builders
 * with the conventional chunk streams, and readers of one expected kind.
 */

/** RTMP 5.4.1 Set Chunk Size, on chunk stream 2, message stream 0. */
export function setChunkSizeMessage(chunkSize: number): RtmpMessage {
  return encodeMessage({ kind: 'set-chunk-size', chunkSize });
}

/** RTMP 5.4.2 Abort: the peer discards the partly received message of `chunkStreamId`. */
export function abortMessage(chunkStreamId: number): RtmpMessage {
  return encodeMessage({ kind: 'abort', chunkStreamId });
}

/** RTMP 5.4.3 Acknowledgement of `bytesReceived` (sent modulo 2^32). */
export function acknowledgementMessage(bytesReceived: number): RtmpMessage {
  return encodeMessage({ kind: 'acknowledgement', sequenceNumber: bytesReceived });
}

export function windowAckSizeMessage(windowBytes: number): RtmpMessage {
  return encodeMessage({ kind: 'window-ack-size', windowBytes });
}

export function setPeerBandwidthMessage(windowBytes: number, limitType: PeerBandwidthLimitType): RtmpMessage {
  return encodeMessage({ kind: 'set-peer-bandwidth', windowBytes, limitType });
}

/** 7.1.7: an event and its value (and the buffer length of SET_BUFFER_LENGTH). */
export function userControlMessage(event: number, value: number, bufferLengthMs?: number): RtmpMessage {
  return encodeMessage({ kind: 'user-control', event, value, ...(bufferLengthMs === undefined ? {} : { bufferLengthMs }) });
}

/** An AMF0 command (type 20), on chunk stream 3 unless told. */
export function commandMessage(command: Command, messageStreamId = 0, chunkStreamId: number = ChunkStreamId.COMMAND): RtmpMessage {
  return encodeMessage({ kind: 'command-amf0', command }, { messageStreamId, chunkStreamId });
}

/** An onStatus command on a NetStream: transaction 0, null command object, the info object. */
export function onStatusMessage(messageStreamId: number, info: StatusInfo, chunkStreamId: number = ChunkStreamId.DATA): RtmpMessage {
  return commandMessage({ name: 'onStatus', transactionId: 0, commandObject: null, args: [info] }, messageStreamId, chunkStreamId);
}

/** An AMF0 data message (type 18). */
export function dataMessage(values: AmfValue[], messageStreamId: number, chunkStreamId: number, timestamp = 0): RtmpMessage {
  return encodeMessage({ kind: 'data-amf0', values }, { messageStreamId, chunkStreamId, timestamp });
}

/** A command message of either encoding (20, or the type-17 envelope). Throws unless it is one. */
export function decodeCommand(m: RtmpMessage, limits?: Partial<AmfLimits>): Command {
  return decodeAs(m, ['command-amf0', 'command-amf3'], limits).command;
}

/** The values of a data message of either encoding (18, or 15 with the format byte). */
export function decodeData(m: RtmpMessage, limits?: Partial<AmfLimits>): AmfValue[] {
  return decodeAs(m, ['data-amf0', 'data-amf3'], limits).values;
}

/** The 4-byte value of Set Chunk Size, Abort, Acknowledgement or Window Acknowledgement Size. */
export function readControlValue(m: RtmpMessage): number {
  const t = decodeAs(m, ['set-chunk-size', 'abort', 'acknowledgement', 'window-ack-size']);
  switch (t.kind) {
    case 'set-chunk-size':
      return t.chunkSize;
    case 'abort':
      return t.chunkStreamId;
    case 'acknowledgement':
      return t.sequenceNumber;
    case 'window-ack-size':
      return t.windowBytes;
  }
}

export function readUserControl(m: RtmpMessage): UserControl {
  const { kind: _kind, ...uc } = decodeAs(m, ['user-control']);
  return uc;
}

export function readPeerBandwidth(m: RtmpMessage): PeerBandwidth {
  const { kind: _kind, ...pb } = decodeAs(m, ['set-peer-bandwidth']);
  return pb;
}

/** `m` decoded, when it is one of `kinds`; ERR_RTMP_MESSAGE_MALFORMED naming the type otherwise. */
function decodeAs<K extends MessageKind>(m: RtmpMessage, kinds: readonly K[], limits?: Partial<AmfLimits>): MessageOf<K> {
  const t = decodeMessage(m, limits);
  if (t === undefined || !(kinds as readonly MessageKind[]).includes(t.kind)) {
    throw new RtmpError('ERR_RTMP_MESSAGE_MALFORMED', `message type ${m.typeId} where ${kinds.join(' or ')} was expected`, { typeId: m.typeId });
  }
  return t as MessageOf<K>;
}

