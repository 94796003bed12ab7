import type { AmfObject, AmfValue } from '../../amf/index.js';
import { RtmpError } from '../../errors/index.js';
import { ClientHandshake } from '../handshake/index.js';
import {
  UserControlEvent,
  commandMessage,
  type Command,
  type RtmpMessage,
  type StatusInfo,
  type TypedMessage,
} from '../message/index.js';
import { RtmpConnection, type ConnectionEvents } from './connection.js';
import type { SessionOptions } from './limits.js';
import type { Transport } from './transport.js';

export interface ClientSessionEvents extends ConnectionEvents {
  /** An onStatus from the server, with the message stream it concerns. */
  status: [info: StatusInfo, messageStreamId: number];
  audio: [message: RtmpMessage];
  video: [message: RtmpMessage];
  data: [message: RtmpMessage];
  /** User Control Stream Begin / EOF for a message stream. */
  streamBegin: [messageStreamId: number];
  streamEof: [messageStreamId: number];
}

/** What `call` resolves with: `_result`'s command object and arguments. */
export interface CallResult {
  commandObject: AmfValue;
  args: AmfValue[];
}

interface PendingCall {
  name: string;
  resolve: (r: CallResult) => void;
  reject: (e: RtmpError) => void;
}

/**
 * The client side of one RTMP connection, sans I/O: sends commands with transaction ids and matches
 * `_result`/`_error` to them; passes onStatus and media on. RtmpClient adds the socket and the
 * connect/publish/play sequences.
 */
export class ClientSession extends RtmpConnection<ClientSessionEvents> {
  private nextTransaction = 1;
  private readonly calls = new Map<number, PendingCall>();
  private readonly handshake: ClientHandshake;

  constructor(transport: Transport, options: Partial<SessionOptions> & { complexHandshake?: boolean } = {}) {
    const handshake = new ClientHandshake({ complex: options.complexHandshake ?? false });
    super(transport, handshake, options);
    this.handshake = handshake;
  }

  /** Sends C0+C1; call once the transport is open. */
  start(): void {
    this.sendRaw(this.handshake.start());
  }

  /** Whether the server answered the complex handshake with a valid digest. */
  get serverComplex(): boolean {
    return this.handshake.serverComplex;
  }

  /** Sends a command expecting `_result`; rejects with ERR_RTMP_REJECTED on `_error`. */
  call(name: string, commandObject: AmfValue, args: AmfValue[] = [], messageStreamId = 0): Promise<CallResult> {
    const transactionId = this.nextTransaction++;
    const result = new Promise<CallResult>((resolve, reject) => this.calls.set(transactionId, { name, resolve, reject }));
    this.send(commandMessage({ name, transactionId, commandObject, args }, messageStreamId));
    return result;
  }

  /** Sends a command that gets no `_result` (transaction 0), such as publish and play. */
  notify(name: string, args: AmfValue[], messageStreamId = 0): void {
    this.send(commandMessage({ name, transactionId: 0, commandObject: null, args }, messageStreamId));
  }

  protected handleMessage(m: RtmpMessage, typed: TypedMessage): void {
    switch (typed.kind) {
      case 'audio':
        this.emit('audio', m);
        return;
      case 'video':
        this.emit('video', m);
        return;
      case 'data-amf0':
      case 'data-amf3':
        this.emit('data', m);
        return;
      case 'command-amf0':
      case 'command-amf3':
        this.handleCommand(typed.command, m.messageStreamId);
        return;
      default:
        return;
    }
  }

  protected override handleUserControl(event: number, value: number): void {
    if (event === UserControlEvent.STREAM_BEGIN) this.emit('streamBegin', value);
    else if (event === UserControlEvent.STREAM_EOF) this.emit('streamEof', value);
  }

  private handleCommand(cmd: Command, messageStreamId: number): void {
    if (cmd.name === '_result' || cmd.name === '_error') {
      const call = this.calls.get(cmd.transactionId);
      if (call === undefined) return;
      this.calls.delete(cmd.transactionId);
      if (cmd.name === '_result') call.resolve({ commandObject: cmd.commandObject, args: cmd.args });
      else call.reject(rejection(call.name, cmd.args[0]));
      return;
    }
    if (cmd.name === 'onStatus') {
      const info = cmd.args[0];
      if (info !== null && typeof info === 'object' && typeof (info as AmfObject)['code'] === 'string') {
        this.emit('status', info as StatusInfo, messageStreamId);
      }
    }
  }

  protected override onClose(): void {
    const err = new RtmpError('ERR_RTMP_CONNECTION_CLOSED', 'connection closed with commands unanswered', {});
    for (const call of this.calls.values()) call.reject(err);
    this.calls.clear();
  }
}

function rejection(command: string, info: AmfValue): RtmpError {
  const o = info !== null && typeof info === 'object' ? (info as AmfObject) : {};
  const code = typeof o['code'] === 'string' ? o['code'] : 'unknown';
  const description = typeof o['description'] === 'string' ? o['description'] : '';
  return new RtmpError('ERR_RTMP_REJECTED', `${command} refused: ${code} ${description}`.trim(), { command, code, description });
}
