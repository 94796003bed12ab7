import { amf0ByteLength, decodeAmf0, writeAmf0, type AmfLimits, type AmfValue } from '../../amf/index.js';
import { ByteWriter } from '../../bytes/index.js';
import { AmfError, RtmpError } from '../../errors/index.js';

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

/** Status object of onStatus / _result / _error info (7.2.2): level, code, description. */
export interface StatusInfo {
  level: 'status' | 'error' | 'warning';
  code: string;
  description: string;
  [key: string]: AmfValue;
}

/** Type 20: the command's values in AMF0. */
export function encodeCommandAmf0(command: Command): Uint8Array {
  return encodeValues(commandValues(command), false);
}

/** Type 17: a format byte 0x00, then the same AMF0 values (7.1.1: each may switch to AMF3 with marker 0x11). */
export function encodeCommandAmf3(command: Command): Uint8Array {
  return encodeValues(commandValues(command), true);
}

export function decodeCommandAmf0(payload: Uint8Array, limits?: Partial<AmfLimits>): Command {
  return toCommand(decodeAmf0(payload, limits));
}

export function decodeCommandAmf3(payload: Uint8Array, limits?: Partial<AmfLimits>): Command {
  return toCommand(decodeAmf0(withoutFormatByte(payload), limits));
}

function commandValues(c: Command): AmfValue[] {
  return [c.name, c.transactionId, c.commandObject, ...c.args];
}

function toCommand(values: AmfValue[]): Command {
  const [name, transactionId, commandObject, ...args] = values;
  if (typeof name !== 'string' || (transactionId !== undefined && typeof transactionId !== 'number')) {
    throw new RtmpError('ERR_RTMP_COMMAND_MALFORMED', 'command without a string name and a numeric transaction id', {
      name: typeof name === 'string' ? name : typeof name,
    });
  }
  return { name, transactionId: transactionId ?? 0, commandObject: commandObject ?? null, args };
}

/**
 * AMF0 values back to back, behind the AMF3 envelope's format byte when `amf3`: sized first,
 * written once.
 */
export function encodeValues(values: readonly AmfValue[], amf3: boolean): Uint8Array {
  let size = amf3 ? 1 : 0;
  for (const value of values) size += amf0ByteLength(value);
  const writer = new ByteWriter(size);
  if (amf3) writer.u8(0);
  for (const value of values) writeAmf0(writer, value);
  if (writer.pos !== size) {
    // Only a getter or proxy answering differently in the two passes gets here (as encodeAmf0 checks).
    throw new AmfError('ERR_AMF_UNENCODABLE', 'AMF0 value changed while being encoded', { size, written: writer.pos });
  }
  return writer.buf;
}

/** The AMF3 envelope's format byte 0x00, when present (some clients omit it): 7.1.1, 7.1.2. */
export function withoutFormatByte(payload: Uint8Array): Uint8Array {
  return payload[0] === 0 ? payload.subarray(1) : payload;
}
