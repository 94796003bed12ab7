import { EventEmitter } from 'eventemitter3';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import type { AmfObject, AmfValue } from '../amf/index.js';
import { RtmpError, type TidecastError } from '../errors/index.js';
import { ChunkStreamId, MessageType, dataMessage, type RtmpMessage, type StatusInfo } from './message/index.js';
import { ClientSession, DEFAULT_SESSION_OPTIONS, type SessionOptions } from './session/index.js';
import { socketTransport } from './socket-transport.js';
import { parseRtmpUrl, type RtmpUrl } from './url.js';

export interface RtmpClientOptions extends Partial<SessionOptions> {
  /** Use the digest (complex) handshake of Flash Player and librtmp. Default false (plain, as OBS). */
  complexHandshake?: boolean;
  /** Time for each step (TCP connect + handshake + connect, createStream, publish/play). Default 10 000 ms. */
  timeoutMs?: number;
  /** Extra TLS options for rtmps:// (e.g. `ca`, `rejectUnauthorized`). */
  tls?: tls.ConnectionOptions;
  /** flashVer sent in connect. Default 'FMLE/3.0 (compatible; tidecast)'. */
  flashVer?: string;
}

export interface RtmpClientEvents {
  status: [info: StatusInfo, messageStreamId: number];
  audio: [message: RtmpMessage];
  video: [message: RtmpMessage];
  data: [message: RtmpMessage];
  streamEof: [messageStreamId: number];
  error: [error: TidecastError];
  close: [];
}

/**
 * An RTMP client for tests, load generation and relays: `RtmpClient.connect(url)`, then
 * `publish(key)` and write frames, or `play(key)` and listen for 'audio'/'video'/'data'.
 */
export class RtmpClient extends EventEmitter<RtmpClientEvents> {
  readonly url: RtmpUrl;
  readonly session: ClientSession;
  private readonly socket: Socket;
  private readonly timeoutMs: number;

  private constructor(url: RtmpUrl, socket: Socket, options: RtmpClientOptions) {
    super();
    this.url = url;
    this.socket = socket;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const { complexHandshake, timeoutMs: _t, tls: _tls, flashVer: _f, ...session } = options;
    this.session = new ClientSession(socketTransport(socket), { ...session, complexHandshake: complexHandshake ?? false });
    socket.setNoDelay(true);
    socket.on('data', (bytes) => this.session.receive(bytes));
    socket.on('error', (err) => this.session.fail(new RtmpError('ERR_RTMP_CONNECTION_CLOSED', `socket error: ${err.message}`, {}, { cause: err })));
    socket.on('close', () => this.session.close());
    this.session.on('status', (info, id) => this.emit('status', info, id));
    this.session.on('audio', (m) => this.emit('audio', m));
    this.session.on('video', (m) => this.emit('video', m));
    this.session.on('data', (m) => this.emit('data', m));
    this.session.on('streamEof', (id) => this.emit('streamEof', id));
    this.session.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
    this.session.on('close', () => this.emit('close'));
  }

  /** Opens the TCP/TLS connection, runs the handshake and the connect command. */
  static async connect(url: string, options: RtmpClientOptions = {}): Promise<RtmpClient> {
    const parsed = parseRtmpUrl(url);
    const socket = parsed.secure
      ? tls.connect({ host: parsed.host, port: parsed.port, servername: net.isIP(parsed.host) ? undefined : parsed.host, ...options.tls })
      : net.connect({ host: parsed.host, port: parsed.port });
    const client = new RtmpClient(parsed, socket, options);
    try {
      await client.within('connect', async () => {
        await new Promise<void>((resolve, reject) => {
          socket.once(parsed.secure ? 'secureConnect' : 'connect', () => resolve());
          socket.once('error', reject);
        });
        const handshake = new Promise<void>((resolve) => client.session.once('handshake', resolve));
        client.session.start();
        await handshake;
        // As OBS and FFmpeg do, before connect: the default 128-byte chunks would put a header in
        // front of every 128 bytes of video, for this client to write and the server to read.
        client.session.setOutgoingChunkSize(options.outgoingChunkSize ?? DEFAULT_SESSION_OPTIONS.outgoingChunkSize);
        const obj: AmfObject = {
          app: parsed.app,
          type: 'nonprivate',
          flashVer: options.flashVer ?? 'FMLE/3.0 (compatible; tidecast)',
          tcUrl: parsed.tcUrl,
          fpad: false,
          capabilities: 15,
          audioCodecs: 0x0fff,
          videoCodecs: 0x00ff,
          videoFunction: 1,
          objectEncoding: 0,
        };
        await client.session.call('connect', obj);
      });
    } catch (err) {
      socket.destroy();
      throw err;
    }
    return client;
  }

  /** Publishes `streamKey` (default: the URL's stream name); resolves on NetStream.Publish.Start. */
  async publish(streamKey = this.url.streamName, type: 'live' | 'record' | 'append' = 'live'): Promise<PublishingStream> {
    return this.within('publish', async () => {
      this.session.call('releaseStream', null, [streamKey]).catch(() => undefined);
      this.session.call('FCPublish', null, [streamKey]).catch(() => undefined);
      const id = await this.createStream();
      const started = this.awaitStatus(id, 'NetStream.Publish.Start');
      this.session.notify('publish', [streamKey, type], id);
      await started;
      return new PublishingStream(this, id, streamKey);
    });
  }

  /** Plays `streamKey`; resolves on NetStream.Play.Start with the message stream id. Media arrives as events. */
  async play(streamKey = this.url.streamName): Promise<number> {
    return this.within('play', async () => {
      const id = await this.createStream();
      const started = this.awaitStatus(id, 'NetStream.Play.Start');
      this.session.notify('play', [streamKey, -2, -1, true], id);
      await started;
      return id;
    });
  }

  /** Sends a message on this connection (media of a PublishingStream goes through here). */
  send(m: RtmpMessage): void {
    this.session.send(m);
  }

  /** Bytes written and not yet handed to the kernel: a publisher's back-pressure signal. */
  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.session.close();
    await closed;
  }

  private async createStream(): Promise<number> {
    const r = await this.session.call('createStream', null);
    const id = r.args[0];
    if (typeof id !== 'number') throw new RtmpError('ERR_RTMP_REJECTED', 'createStream answered without a stream id', { command: 'createStream' });
    return id;
  }

  /** Resolves on `code` for stream `id`; rejects on an error-level status for it. */
  private awaitStatus(id: number, code: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onStatus = (info: StatusInfo, streamId: number): void => {
        if (streamId !== id && streamId !== 0) return;
        if (info.code === code) {
          this.session.off('status', onStatus);
          resolve();
        } else if (info.level === 'error') {
          this.session.off('status', onStatus);
          reject(new RtmpError('ERR_RTMP_REJECTED', `${code} expected, got ${info.code}: ${info.description}`, { code: info.code, description: info.description }));
        }
      };
      this.session.on('status', onStatus);
    });
  }

  /** Runs `step` with the client's timeout; a closed connection rejects it too. */
  private async within<T>(step: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let onClose: (() => void) | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RtmpError('ERR_RTMP_TIMEOUT', `${step} got no answer in ${this.timeoutMs} ms`, { step, limit: this.timeoutMs })), this.timeoutMs);
      onClose = () => reject(new RtmpError('ERR_RTMP_CONNECTION_CLOSED', `connection closed during ${step}`, { step }));
      this.session.once('close', onClose);
    });
    try {
      return await Promise.race([run(), limit]);
    } finally {
      clearTimeout(timer);
      if (onClose) this.session.off('close', onClose);
    }
  }
}

/** A stream being published through an RtmpClient. Timestamps are milliseconds. */
export class PublishingStream {
  readonly client: RtmpClient;
  readonly messageStreamId: number;
  readonly streamKey: string;

  constructor(client: RtmpClient, messageStreamId: number, streamKey: string) {
    this.client = client;
    this.messageStreamId = messageStreamId;
    this.streamKey = streamKey;
  }

  /** An FLV audio tag body. */
  writeAudio(timestamp: number, payload: Uint8Array): void {
    this.client.send({ chunkStreamId: ChunkStreamId.AUDIO, typeId: MessageType.AUDIO, timestamp, messageStreamId: this.messageStreamId, payload });
  }

  /** An FLV video tag body. */
  writeVideo(timestamp: number, payload: Uint8Array): void {
    this.client.send({ chunkStreamId: ChunkStreamId.VIDEO, typeId: MessageType.VIDEO, timestamp, messageStreamId: this.messageStreamId, payload });
  }

  /** An AMF0 data message body, such as an FLV script tag (`onMetaData …`). */
  writeDataPayload(timestamp: number, payload: Uint8Array): void {
    this.client.send({ chunkStreamId: ChunkStreamId.DATA, typeId: MessageType.DATA_AMF0, timestamp, messageStreamId: this.messageStreamId, payload });
  }

  /** `@setDataFrame onMetaData {…}`, as encoders send metadata. */
  writeMetadata(metadata: AmfObject): void {
    this.client.send(dataMessage(['@setDataFrame', 'onMetaData', metadata as AmfValue], this.messageStreamId, ChunkStreamId.DATA));
  }

  /** FCUnpublish and deleteStream, as OBS does when it stops. */
  unpublish(): void {
    this.client.session.call('FCUnpublish', null, [this.streamKey]).catch(() => undefined);
    this.client.session.notify('deleteStream', [this.messageStreamId]);
  }
}
