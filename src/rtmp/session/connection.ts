import { EventEmitter } from 'eventemitter3';
import { BufferQueue } from '../../bytes/index.js';
import { RtmpError, TidecastError } from '../../errors/index.js';
import { ChunkReader, ChunkWriter, type PendingAccount } from '../chunk/index.js';
import type { HandshakeOutput } from '../handshake/index.js';
import {
  UserControlEvent,
  acknowledgementMessage,
  decodeMessage,
  setChunkSizeMessage,
  userControlMessage,
  type RtmpMessage,
  type RtmpMessageHeader,
  type TypedMessage,
} from '../message/index.js';
import { DEFAULT_SESSION_OPTIONS, type SessionOptions } from './limits.js';
import type { Transport } from './transport.js';

export interface ConnectionEvents {
  /** The handshake completed; messages may flow. */
  handshake: [];
  /** A protocol error closed the connection. */
  error: [error: TidecastError];
  close: [];
}

interface Handshaker {
  receive(queue: BufferQueue): HandshakeOutput;
}

/**
 * What server and client sessions share: handshake, chunk reader and writer, and the protocol
 * control layer (RTMP 5.4, 7.1.7): chunk size, acknowledgements, pings. Every message is decoded
 * once by the typed message layer (message/message-table.ts); everything above protocol control —
 * commands, data and media — goes to `handleMessage` of the subclass with its decoded form.
 * Types RTMP 1.0 does not define are ignored.
 */
export abstract class RtmpConnection<Events extends ConnectionEvents = ConnectionEvents> extends EventEmitter<Events> {
  readonly options: SessionOptions;
  protected readonly transport: Transport;
  protected readonly reader: ChunkReader;
  protected readonly writer = new ChunkWriter();
  private readonly handshakeQueue = new BufferQueue();
  private handshaker: Handshaker | undefined;
  /** Messages are held while an async decision is pending (pauseMessages) … */
  private paused = false;
  /** … or while the peer has not read what we queued for it (see maxOutgoingBufferBytes). */
  private awaitingDrain = false;
  private readonly pendingAccount: PendingAccount | undefined;
  private closedFlag = false;
  /** Bytes received, for Acknowledgement (5.4.3); a double, so it never wraps here. */
  bytesReceived = 0;
  bytesSent = 0;
  private lastAckAt = 0;
  /** The peer's Window Acknowledgement Size; until it sends one, we ack by the size we announced. */
  private ackWindow: number;

  constructor(transport: Transport, handshaker: Handshaker, options: Partial<SessionOptions> = {}) {
    super();
    this.options = { ...DEFAULT_SESSION_OPTIONS, chunk: {}, amf: {}, ...options };
    this.transport = transport;
    this.handshaker = handshaker;
    this.pendingAccount = this.options.pendingBudget?.account((error) => this.fail(error));
    this.reader = new ChunkReader(this.options.chunk, this.pendingAccount);
    this.ackWindow = this.options.windowAckSize;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** The chunk size the peer sends with (its last Set Chunk Size). */
  get peerChunkSize(): number {
    return this.reader.chunkSize;
  }

  get handshakeDone(): boolean {
    return this.handshaker === undefined;
  }

  /**
   * Feeds bytes received from the peer. Protocol errors close the connection; nothing is thrown.
   * `reused`: the caller reads into the same memory again once this returns (shared-read.ts), so
   * the session keeps no view of `bytes`: what it has not parsed yet is copied.
   */
  receive(bytes: Uint8Array, reused = false): void {
    if (this.closedFlag) return;
    if (reused) {
      this.receive(bytes);
      this.handshakeQueue.own();
      this.reader.own();
      return;
    }
    this.bytesReceived += bytes.length;
    try {
      if (this.handshaker !== undefined) {
        this.handshakeQueue.push(bytes);
        this.stepHandshake();
      } else {
        this.reader.push(bytes);
      }
      this.drain();
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * Sends one message, chunked. A peer that has more than twice maxOutgoingBufferBytes unsent is
   * not reading: the session is closed (ERR_RTMP_OUTGOING_BUFFER_FULL) instead of queueing more.
   */
  send(m: RtmpMessage): void {
    this.sendParts(m, [m.payload]);
  }

  /** Sends `header` with the concatenation of `parts` as its body, each part copied once, into the chunks. */
  sendParts(header: RtmpMessageHeader, parts: readonly Uint8Array[]): void {
    if (this.closedFlag) return;
    const pending = this.transport.pendingBytes;
    const limit = 2 * this.options.maxOutgoingBufferBytes;
    if (pending > limit) {
      this.fail(new RtmpError('ERR_RTMP_OUTGOING_BUFFER_FULL', `the peer has ${pending} bytes unsent, above twice maxOutgoingBufferBytes ${this.options.maxOutgoingBufferBytes}: it does not read`, { pending, limit: this.options.maxOutgoingBufferBytes }));
      return;
    }
    const bytes = this.writer.encodeParts(header, parts);
    this.bytesSent += bytes.length;
    this.transport.write(bytes);
  }

  /** Sends raw bytes (the handshake). */
  protected sendRaw(bytes: Uint8Array): void {
    this.bytesSent += bytes.length;
    this.transport.write(bytes);
  }

  /** Announces and switches to a new outgoing chunk size (5.4.1). */
  setOutgoingChunkSize(size: number): void {
    this.send(setChunkSizeMessage(size));
    this.writer.setChunkSize(size);
  }

  /** Stops handling messages (and reading the socket) until `resumeMessages`; used while an async decision is pending. */
  protected pauseMessages(): void {
    this.paused = true;
    this.transport.pause();
  }

  protected resumeMessages(): void {
    if (!this.paused || this.closedFlag) return;
    this.paused = false;
    this.continueReading();
  }

  private continueReading(): void {
    if (this.paused || this.awaitingDrain || this.closedFlag) return;
    this.transport.resume();
    try {
      this.drain();
    } catch (err) {
      this.fail(err);
    }
  }

  /**
   * Flow control toward a peer that does not read: with more than an eighth of
   * maxOutgoingBufferBytes unsent, its next messages wait (and its socket is not read) until what
   * we queued has gone out, so the replies to its commands cannot pile up here.
   */
  private outgoingBacklogged(): boolean {
    if (this.transport.onDrain === undefined || this.transport.pendingBytes <= this.options.maxOutgoingBufferBytes / 8) return false;
    this.awaitingDrain = true;
    this.transport.pause();
    this.transport.onDrain(() => {
      this.awaitingDrain = false;
      this.continueReading();
    });
    return true;
  }

  /** Closes after flushing what was sent (a refusal's status message must reach the client). */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.pendingAccount?.close();
    this.transport.end();
    this.onClose();
    this.base().emit('close');
  }

  /**
   * Closes with an error: emitted as 'error', then the transport is destroyed — or, with `flush`,
   * ended after what was sent (a status message telling the peer why).
   */
  fail(err: unknown, flush = false): void {
    if (this.closedFlag) return;
    const error =
      err instanceof TidecastError
        ? err
        : new RtmpError('ERR_RTMP_HANDLER_THREW', `an event listener threw while a message was handled: ${String(err)}`, {}, { cause: err });
    this.closedFlag = true;
    this.pendingAccount?.close();
    if (flush) this.transport.end();
    else this.transport.destroy();
    this.onClose();
    if (this.base().listenerCount('error') > 0) this.base().emit('error', error);
    this.base().emit('close');
  }

  /** This emitter seen with the base event map (TypeScript cannot narrow the generic one). */
  private base(): EventEmitter<ConnectionEvents> {
    return this as unknown as EventEmitter<ConnectionEvents>;
  }

  /** Called once when the connection closes, before 'close' is emitted. */
  protected onClose(): void {}

  /** A message above protocol control: `typed` is `m` decoded (its payload views `m`'s). */
  protected abstract handleMessage(m: RtmpMessage, typed: TypedMessage): void;

  private stepHandshake(): void {
    const out = this.handshaker!.receive(this.handshakeQueue);
    for (const bytes of out.send) this.sendRaw(bytes);
    if (!out.done) return;
    this.handshaker = undefined;
    if (this.handshakeQueue.length > 0) this.reader.push(this.handshakeQueue.take(this.handshakeQueue.length));
    this.base().emit('handshake');
  }

  private drain(): void {
    while (!this.paused && !this.awaitingDrain && !this.closedFlag && this.handshaker === undefined) {
      if (this.outgoingBacklogged()) break;
      const m = this.reader.read();
      if (m === null) break;
      const typed = decodeMessage(m, this.options.amf);
      if (typed !== undefined && !this.handleControl(typed)) this.handleMessage(m, typed);
    }
    this.maybeAcknowledge();
  }

  /** 5.4.3: acknowledge each window of bytes received. */
  private maybeAcknowledge(): void {
    if (this.closedFlag || this.handshaker !== undefined) return;
    if (this.bytesReceived - this.lastAckAt >= this.ackWindow) {
      this.lastAckAt = this.bytesReceived;
      this.send(acknowledgementMessage(this.bytesReceived));
    }
  }

  /** Protocol control and user control messages; true when consumed here. */
  private handleControl(m: TypedMessage): boolean {
    switch (m.kind) {
      case 'set-chunk-size':
      case 'abort':
      case 'acknowledgement':
      case 'set-peer-bandwidth':
        return true; // chunk size and abort were applied by the reader
      case 'window-ack-size':
        if (m.windowBytes > 0) this.ackWindow = m.windowBytes;
        return true;
      case 'user-control':
        if (m.event === UserControlEvent.PING_REQUEST) this.send(userControlMessage(UserControlEvent.PING_RESPONSE, m.value));
        this.handleUserControl(m.event, m.value);
        return true;
      default:
        return false;
    }
  }

  /** User control events other than ping requests, for subclasses that care (Stream Begin/EOF). */
  protected handleUserControl(_event: number, _value: number): void {}
}
