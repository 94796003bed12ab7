import { decodeAmf0, encodeAmf0, type AmfLimits, type AmfValue } from '../../amf/index.js';
import { RtmpError } from '../../errors/index.js';
import { ChunkStreamId, MessageType, type RtmpMessage } from './rtmp-message.js';

/**
 * A command message (RTMP 7.1.1 and 7.2): name, transaction id, command object, then arguments.
 * `_result`, `_error` and `onStatus` are commands too.
 */
export interface Command {
  name: string;
  transactionId: number;
  /** The command object: an object for connect and _result, null for most others. */
  commandObject: AmfValue;
  args: AmfValue[];
}

/**
 * Decodes an AMF0 command (type 20) or the AMF3 envelope (type 17): a format byte 0x00 then the
 * same AMF0 values, any of which may switch to AMF3 with marker 0x11 (7.1.1).
 */
export function decodeCommand(m: RtmpMessage, limits?: Partial<AmfLimits>): Command {
  const body = m.typeId === MessageType.COMMAND_AMF3 && m.payload[0] === 0 ? m.payload.subarray(1) : m.payload;
  const values = decodeAmf0(body, limits);
  const [name, transactionId, commandObject, ...args] = values;
  if (typeof name !== 'string' || (transactionId !== undefined && typeof transactionId !== 'number')) {
    throw new RtmpError('ERR_RTMP_COMMAND_MALFORMED', 'command without a string name and a numeric transaction id', {
      name: typeof name === 'string' ? name : typeof name,
    });
  }
  return { name, transactionId: transactionId ?? 0, commandObject: commandObject ?? null, args };
}

export function commandMessage(
  cmd: Command,
  messageStreamId = 0,
  chunkStreamId: number = ChunkStreamId.COMMAND,
): RtmpMessage {
  return {
    chunkStreamId,
    typeId: MessageType.COMMAND_AMF0,
    timestamp: 0,
    messageStreamId,
    payload: encodeAmf0(cmd.name, cmd.transactionId, cmd.commandObject, ...cmd.args),
  };
}

/** Status object of onStatus / _result / _error info (7.2.2): level, code, description. */
export interface StatusInfo {
  level: 'status' | 'error' | 'warning';
  code: string;
  description: string;
  [key: string]: AmfValue;
}

/** An onStatus command on a NetStream: transaction 0, null command object, the info object. */
export function onStatusMessage(messageStreamId: number, info: StatusInfo, chunkStreamId: number = ChunkStreamId.DATA): RtmpMessage {
  return commandMessage({ name: 'onStatus', transactionId: 0, commandObject: null, args: [info] }, messageStreamId, chunkStreamId);
}
