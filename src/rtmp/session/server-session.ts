import type { AmfObject, AmfValue } from '../../amf/index.js';
import { streamNameProblem } from '../../config/index.js';
import { RtmpError, type TidecastError } from '../../errors/index.js';
import { ServerHandshake } from '../handshake/index.js';
import type { ProxyHeader } from '../proxy-protocol.js';
import {
  ChunkStreamId,
  MessageType,
  PeerBandwidthLimit,
  UserControlEvent,
  commandMessage,
  dataMessage,
  onStatusMessage,
  setPeerBandwidthMessage,
  userControlMessage,
  windowAckSizeMessage,
  type Command,
  type RtmpMessage,
  type TypedMessage,
} from '../message/index.js';
import { RtmpConnection, type ConnectionEvents } from './connection.js';
import type { SessionOptions } from './limits.js';
import { PlayerStream, type PlayerOutput } from './player-stream.js';
import { StatusCode, status } from './status.js';
import { PlayRequest, PublishRequest } from './stream-request.js';
import { parseAppName, parseStreamName } from './stream-name.js';
import type { Transport } from './transport.js';

/** What the client said in connect (RTMP 7.2.1.1). */
export interface ConnectInfo {
  app: string;
  /** Query string carried by the app name (`live?token=…`), if any. */
  query: string;
  tcUrl: string;
  flashVer: string;
  objectEncoding: number;
  /** The whole command object, for anything else a client sends (type, supportsGoAway, …). */
  commandObject: AmfObject;
}

/** A stream this session publishes. */
export interface PublishedStream {
  messageStreamId: number;
  app: string;
  streamKey: string;
  query: string;
}

export interface ServerSessionEvents extends ConnectionEvents {
  connect: [info: ConnectInfo];
  publish: [request: PublishRequest];
  play: [request: PlayRequest];
  /** A play was accepted: write the stream's media to `player`. */
  playing: [player: PlayerStream, request: PlayRequest];
  /** Audio of an accepted publish: FLV audio tag body, timestamp in ms. */
  audio: [message: RtmpMessage, stream: PublishedStream];
  video: [message: RtmpMessage, stream: PublishedStream];
  /** Data (AMF0/AMF3) of an accepted publish, such as `@setDataFrame onMetaData`. */
  data: [message: RtmpMessage, stream: PublishedStream];
  unpublish: [stream: PublishedStream];
  /** A player stopped (closeStream, deleteStream, disconnect). */
  stop: [stream: PlayerStream];
  /** A publish or play was refused (a bad name, or an embedder's reject): for the log. */
  refusedStream: [refusal: StreamRefusal];
}

/** What a refused publish or play asked for, and why it was refused. */
export interface StreamRefusal {
  kind: 'publish' | 'play';
  app: string;
  /** The stream name as sent, query and codec prefix removed (may be what made it bad). */
  streamKey: string;
  reason: string;
  /** The status code the client was sent (NetStream.Publish.BadName, NetStream.Play.StreamNotFound). */
  statusCode: string;
}

const FMS_VERSION = 'FMS/3,5,7,7009';
/** 7.2.1.1 capabilities: 31 is what FMS 3.5 answers and what FFmpeg and OBS expect. */
const CAPABILITIES = 31;

/**
 * The server side of one RTMP connection: answers the commands OBS, FFmpeg, GStreamer and librtmp
 * send, turns publishes and plays into requests the embedder decides on, and passes media on.
 */
export class ServerSession extends RtmpConnection<ServerSessionEvents> {
  connectInfo: ConnectInfo | undefined;
  /** Set by the server: a number unique within it, and the peer's address, for logs. */
  id = 0;
  /** The client's address and port: the TCP peer's, or with `proxyProtocol` the PROXY header's. */
  remoteAddress = '';
  remotePort = 0;
  /** With `proxyProtocol`: the balancer's address and port (the TCP peer), and the header it sent (TLVs included). */
  proxyAddress: string | undefined;
  proxyPort: number | undefined;
  proxyHeader: ProxyHeader | undefined;
  private nextStreamId = 1;
  private readonly publishing = new Map<number, PublishedStream>();
  private readonly playing = new Map<number, PlayerStream>();

  constructor(transport: Transport, options: Partial<SessionOptions> = {}, handshake = new ServerHandshake()) {
    super(transport, handshake, options);
  }

  /** Streams this session publishes, by message stream id. */
  get publishedStreams(): ReadonlyMap<number, PublishedStream> {
    return this.publishing;
  }

  get playerStreams(): ReadonlyMap<number, PlayerStream> {
    return this.playing;
  }

  protected handleMessage(m: RtmpMessage, typed: TypedMessage): void {
    switch (typed.kind) {
      case 'audio':
      case 'video':
      case 'data-amf0':
      case 'data-amf3':
        // Data was decoded (validated); the raw payload goes on, as publishers' metadata is relayed as is.
        this.handleMedia(m);
        return;
      case 'command-amf0':
      case 'command-amf3':
        this.handleCommand(typed.command, m);
        return;
      default:
        // Shared objects and aggregates are not used by live encoders; ignoring them is what
        // nginx-rtmp does and keeps an odd client streaming.
        return;
    }
  }

  private handleMedia(m: RtmpMessage): void {
    const stream = this.publishing.get(m.messageStreamId);
    if (stream === undefined) {
      if (m.typeId === MessageType.DATA_AMF0 || m.typeId === MessageType.DATA_AMF3) return;
      throw new RtmpError('ERR_RTMP_UNEXPECTED_COMMAND', `media (type ${m.typeId}) on message stream ${m.messageStreamId}, which is not publishing`, { typeId: m.typeId, messageStreamId: m.messageStreamId });
    }
    if (m.typeId === MessageType.AUDIO) this.emit('audio', m, stream);
    else if (m.typeId === MessageType.VIDEO) this.emit('video', m, stream);
    else this.emit('data', m, stream);
  }

  private handleCommand(cmd: Command, m: RtmpMessage): void {
    if (cmd.name !== 'connect' && this.connectInfo === undefined) {
      throw new RtmpError('ERR_RTMP_UNEXPECTED_COMMAND', `${cmd.name} before connect`, { command: cmd.name });
    }
    switch (cmd.name) {
      case 'connect':
        return this.onConnect(cmd);
      case 'createStream':
        return this.result(cmd, null, this.nextStreamId++);
      case 'releaseStream':
      case 'getStreamLength':
      case '_checkbw':
        return this.result(cmd, null, cmd.name === 'getStreamLength' ? 0 : undefined);
      case 'FCPublish':
        return this.onFcPublish(cmd);
      case 'FCSubscribe':
        // librtmp sends it before playing a live stream; FMS and SRS answer onFCSubscribe.
        this.send(commandMessage({ name: 'onFCSubscribe', transactionId: 0, commandObject: null, args: [status(StatusCode.PLAY_START, String(cmd.args[0] ?? ''))] }));
        return this.result(cmd, null, undefined);
      case 'FCUnpublish':
        this.stopPublishing(m.messageStreamId === 0 ? this.findPublished(cmd.args[0]) : m.messageStreamId);
        this.send(commandMessage({ name: 'onFCUnpublish', transactionId: 0, commandObject: null, args: [status(StatusCode.UNPUBLISH_SUCCESS, String(cmd.args[0] ?? ''))] }));
        return this.result(cmd, null, undefined);
      case 'publish':
        return this.onPublish(cmd, m.messageStreamId);
      case 'play':
        return this.onPlay(cmd, m.messageStreamId);
      case 'pause':
        return this.onPause(cmd, m.messageStreamId);
      case 'seek':
        // Live streams cannot seek (7.2.2.7 allows the failure status).
        this.send(onStatusMessage(m.messageStreamId, status(StatusCode.SEEK_FAILED, 'Live streams do not seek.', 'error')));
        return;
      case 'deleteStream':
        return this.closeStream(typeof cmd.args[0] === 'number' ? cmd.args[0] : m.messageStreamId);
      case 'closeStream':
        return this.closeStream(m.messageStreamId);
      case '_result':
      case '_error':
      case 'onBWDone':
      case 'onStatus':
        return;
      default:
        // FMS answers unknown calls that expect a reply with _error; transaction 0 wants none.
        if (cmd.transactionId !== 0) {
          this.send(commandMessage({ name: '_error', transactionId: cmd.transactionId, commandObject: null, args: [status(StatusCode.CALL_FAILED, `Method not found (${cmd.name}).`, 'error')] }));
        }
    }
  }

  private onConnect(cmd: Command): void {
    if (this.connectInfo !== undefined) throw new RtmpError('ERR_RTMP_UNEXPECTED_COMMAND', 'second connect on one connection', { command: 'connect' });
    const obj = (cmd.commandObject !== null && typeof cmd.commandObject === 'object' ? cmd.commandObject : {}) as AmfObject;
    if (typeof obj['app'] !== 'string') throw new RtmpError('ERR_RTMP_COMMAND_MALFORMED', 'connect without an app', { command: 'connect' });
    const { streamKey: app, query } = parseAppName(obj['app']);
    const objectEncoding = typeof obj['objectEncoding'] === 'number' ? obj['objectEncoding'] : 0;
    this.connectInfo = {
      app,
      query,
      tcUrl: typeof obj['tcUrl'] === 'string' ? obj['tcUrl'] : '',
      flashVer: typeof obj['flashVer'] === 'string' ? obj['flashVer'] : '',
      objectEncoding,
      commandObject: obj,
    };
    // The order nginx-rtmp, SRS and FMS use; OBS and FFmpeg read these before _result.
    this.send(windowAckSizeMessage(this.options.windowAckSize));
    this.send(setPeerBandwidthMessage(this.options.windowAckSize, PeerBandwidthLimit.DYNAMIC));
    this.setOutgoingChunkSize(this.options.outgoingChunkSize);
    this.result(cmd, { fmsVer: FMS_VERSION, capabilities: CAPABILITIES, mode: 1 }, status(StatusCode.CONNECT_SUCCESS, 'Connection succeeded.', 'status', { objectEncoding }));
    this.emit('connect', this.connectInfo);
  }

  private onFcPublish(cmd: Command): void {
    const name = typeof cmd.args[0] === 'string' ? cmd.args[0] : '';
    this.send(commandMessage({ name: 'onFCPublish', transactionId: 0, commandObject: null, args: [status(StatusCode.PUBLISH_START, name)] }));
    this.result(cmd, null, undefined);
  }

  private onPublish(cmd: Command, messageStreamId: number): void {
    const rawName = cmd.args[0];
    const request = this.streamRequest(PublishRequest, rawName, messageStreamId);
    if (typeof cmd.args[1] === 'string') request.publishType = cmd.args[1];
    const badName = typeof rawName !== 'string' ? 'is not a string' : nameProblem(request.app, request.streamKey);
    if (badName !== undefined) request.reject(`bad stream name: ${badName}`);
    else if (this.publishing.has(messageStreamId)) request.reject(`message stream ${messageStreamId} is already publishing`);
    else if (this.streamCount() >= this.options.maxStreamsPerSession) request.reject(`this connection already has ${this.streamCount()} streams (maxStreamsPerSession)`);
    else this.emit('publish', request);
    this.decide(request, () => {
      const stream: PublishedStream = { messageStreamId, app: request.app, streamKey: request.streamKey, query: request.query };
      this.publishing.set(messageStreamId, stream);
      this.send(userControlMessage(UserControlEvent.STREAM_BEGIN, messageStreamId));
      this.send(onStatusMessage(messageStreamId, status(StatusCode.PUBLISH_START, `${request.streamKey} is now published.`, 'status', { details: request.streamKey })));
    }, (reason) => {
      this.send(onStatusMessage(messageStreamId, status(StatusCode.PUBLISH_BAD_NAME, reason, 'error')));
      this.emit('refusedStream', { kind: 'publish', app: request.app, streamKey: request.streamKey, reason, statusCode: StatusCode.PUBLISH_BAD_NAME });
      this.close();
    });
  }

  private onPlay(cmd: Command, messageStreamId: number): void {
    const rawName = cmd.args[0];
    const request = this.streamRequest(PlayRequest, rawName, messageStreamId);
    if (typeof cmd.args[1] === 'number') request.start = cmd.args[1];
    if (typeof cmd.args[2] === 'number') request.duration = cmd.args[2];
    if (typeof cmd.args[3] === 'boolean') request.reset = cmd.args[3];
    const badName = typeof rawName !== 'string' ? 'is not a string' : nameProblem(request.app, request.streamKey);
    if (badName !== undefined) request.reject(`bad stream name: ${badName}`);
    else if (!this.playing.has(messageStreamId) && this.streamCount() >= this.options.maxStreamsPerSession) request.reject(`this connection already has ${this.streamCount()} streams (maxStreamsPerSession)`);
    else this.emit('play', request);
    this.decide(request, () => {
      const player = new PlayerStream(this.playerOutput, messageStreamId, request.streamKey);
      this.playing.get(messageStreamId)?.detach();
      this.playing.set(messageStreamId, player);
      // 7.2.2.1: Stream Begin, then Play.Reset (when asked) and Play.Start; the sample-access
      // data message and Data.Start are what FMS adds and Flash-era players wait for.
      this.send(userControlMessage(UserControlEvent.STREAM_BEGIN, messageStreamId));
      if (request.reset) this.send(onStatusMessage(messageStreamId, status(StatusCode.PLAY_RESET, `Playing and resetting ${request.streamKey}.`, 'status', { details: request.streamKey })));
      this.send(onStatusMessage(messageStreamId, status(StatusCode.PLAY_START, `Started playing ${request.streamKey}.`, 'status', { details: request.streamKey })));
      this.send(dataMessage(['|RtmpSampleAccess', true, true], messageStreamId, ChunkStreamId.DATA));
      this.send(dataMessage(['onStatus', { code: StatusCode.DATA_START }], messageStreamId, ChunkStreamId.DATA));
      this.emit('playing', player, request);
    }, (reason) => {
      this.send(onStatusMessage(messageStreamId, status(StatusCode.PLAY_STREAM_NOT_FOUND, reason, 'error', { details: request.streamKey })));
      this.emit('refusedStream', { kind: 'play', app: request.app, streamKey: request.streamKey, reason, statusCode: StatusCode.PLAY_STREAM_NOT_FOUND });
    });
  }

  /**
   * Ends a publish the server cannot go on with (a limit the media broke): the publisher is told
   * with NetStream.Failed and the reason, then the session is closed with `error`.
   */
  abortPublish(messageStreamId: number, error: TidecastError): void {
    if (this.closed) return;
    this.send(onStatusMessage(messageStreamId, status(StatusCode.FAILED, error.message, 'error', { details: error.code })));
    this.fail(error, true);
  }

  private streamCount(): number {
    return this.publishing.size + this.playing.size;
  }

  private onPause(cmd: Command, messageStreamId: number): void {
    const player = this.playing.get(messageStreamId);
    if (player === undefined) return;
    player.paused = cmd.args[0] === true;
    const code = player.paused ? StatusCode.PAUSE_NOTIFY : StatusCode.UNPAUSE_NOTIFY;
    this.send(onStatusMessage(messageStreamId, status(code, `${player.paused ? 'Paused' : 'Unpaused'} ${player.streamKey}.`)));
  }

  private streamRequest<R extends PublishRequest | PlayRequest>(
    Kind: new (...args: ConstructorParameters<typeof PublishRequest>) => R,
    rawName: AmfValue,
    messageStreamId: number,
  ): R {
    const info = this.connectInfo!;
    const { streamKey, query } = parseStreamName(typeof rawName === 'string' ? rawName : '');
    return new Kind(this, info.app, streamKey, query === '' ? info.query : query, messageStreamId);
  }

  /** Runs `accept` or `refuse` now, or once the request's async checks settle (messages held meanwhile). */
  private decide(request: PublishRequest | PlayRequest, accept: () => void, refuse: (reason: string) => void): void {
    if (!request.pending) {
      if (request.refused === undefined) accept();
      else refuse(request.refused);
      return;
    }
    this.pauseMessages();
    void request.settle().then((refusal) => {
      if (this.closed) return;
      if (refusal === undefined) accept();
      else refuse(refusal);
      this.resumeMessages();
    });
  }

  private readonly playerOutput: PlayerOutput = {
    send: (m) => this.send(m),
    sendParts: (header, parts) => this.sendParts(header, parts),
    fail: (err) => this.fail(err),
    pendingBytes: () => this.transport.pendingBytes,
    maxOutgoingBufferBytes: () => this.options.maxOutgoingBufferBytes,
  };

  private result(cmd: Command, commandObject: AmfValue, info: AmfValue): void {
    if (cmd.transactionId === 0) return;
    this.send(commandMessage({ name: '_result', transactionId: cmd.transactionId, commandObject, args: info === undefined ? [] : [info] }));
  }

  private findPublished(name: AmfValue): number {
    const key = typeof name === 'string' ? parseStreamName(name).streamKey : '';
    for (const [id, s] of this.publishing) if (s.streamKey === key) return id;
    return -1;
  }

  private stopPublishing(messageStreamId: number): void {
    const stream = this.publishing.get(messageStreamId);
    if (stream === undefined) return;
    this.publishing.delete(messageStreamId);
    this.send(onStatusMessage(messageStreamId, status(StatusCode.UNPUBLISH_SUCCESS, `${stream.streamKey} is now unpublished.`)));
    this.emit('unpublish', stream);
  }

  private closeStream(messageStreamId: number): void {
    this.stopPublishing(messageStreamId);
    const player = this.playing.get(messageStreamId);
    if (player !== undefined) {
      this.playing.delete(messageStreamId);
      player.detach();
      this.emit('stop', player);
    }
  }

  protected override onClose(): void {
    for (const stream of [...this.publishing.values()]) {
      this.publishing.delete(stream.messageStreamId);
      this.emit('unpublish', stream);
    }
    for (const player of [...this.playing.values()]) {
      this.playing.delete(player.messageStreamId);
      player.detach();
      this.emit('stop', player);
    }
  }
}

/** The name rule (config/stream-name-rule.ts) on the app and the key: the first problem, said with which. */
function nameProblem(app: string, streamKey: string): string | undefined {
  const appProblem = streamNameProblem(app);
  if (appProblem !== undefined) return `app ${JSON.stringify(app.slice(0, 64))} ${appProblem}`;
  const keyProblem = streamNameProblem(streamKey);
  return keyProblem === undefined ? undefined : `stream key ${JSON.stringify(streamKey.slice(0, 64))} ${keyProblem}`;
}
