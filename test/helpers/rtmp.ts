import { readFileSync } from 'node:fs';
import net, { type Socket } from 'node:net';
import { encodeAmf0 } from '../../src/amf/index.js';
import { BufferQueue } from '../../src/bytes/index.js';
import type { TidecastError } from '../../src/errors/index.js';
import { readFlvFile, type FlvFileTag } from '../../src/flv/index.js';
import { ClientHandshake } from '../../src/rtmp/handshake/index.js';
import {
  ClientSession,
  MessageType,
  RtmpServer,
  stripSetDataFrame,
  type PlayerStream,
  type PublishingStream,
  type RtmpMessage,
  type RtmpServerEvents,
  type RtmpServerOptions,
  type ServerSession,
  type StatusInfo,
} from '../../src/rtmp/index.js';
import { socketTransport } from '../../src/rtmp/socket-transport.js';
import { fixturePath } from './ffmpeg.js';

import { withTimeout } from './process.js';

export { delay, findOnPath, killByPid, spawnTool, withTimeout } from './process.js';
export type { ToolResult } from './process.js';

/**
 * Shared pieces of the RTMP integration tests (test/integration/): a server on a free loopback
 * port, a relay that wires publishers to players by stream key, raw sockets for hostile clients
 * (process and timing helpers live in ./process.ts). Everything here is bounded in time and ends only what it
 * started, by PID. Over 400 lines: it is the one helper module of the integration tests, in
 * sections that each stand alone.
 */

// ---------------------------------------------------------------------------------------------
// FLV tag body classification (FLV 10.1 E.4.2.1 AUDIODATA, E.4.3.1 VIDEODATA)

const SOUND_FORMAT_AAC = 10;
const CODEC_ID_AVC = 7;
const FRAME_TYPE_KEY = 1;

/** Legacy (non-enhanced) FLV video: FrameType is the high nibble of the first byte; 1 = keyframe. */
export function isKeyframe(video: Uint8Array): boolean {
  return video[0]! >> 4 === FRAME_TYPE_KEY;
}

/** AVCPacketType 0: the AVCDecoderConfigurationRecord, without which no frame decodes. */
export function isAvcSequenceHeader(video: Uint8Array): boolean {
  return (video[0]! & 0x0f) === CODEC_ID_AVC && video[1] === 0;
}

/** AACPacketType 0: the AudioSpecificConfig. */
export function isAacSequenceHeader(audio: Uint8Array): boolean {
  return audio[0]! >> 4 === SOUND_FORMAT_AAC && audio[1] === 0;
}

// ---------------------------------------------------------------------------------------------
// Server and relay

export interface TestServer {
  readonly server: RtmpServer;
  readonly port: number;
  /** `rtmp://127.0.0.1:PORT/<path>` */
  url(path: string): string;
  close(): Promise<void>;
}

/** An RtmpServer on 127.0.0.1 and a port the kernel picks. */
export async function startServer(options: RtmpServerOptions = {}): Promise<TestServer> {
  const server = new RtmpServer({ ...options, port: 0, host: '127.0.0.1' });
  const { port } = await server.listen();
  return { server, port, url: (path) => `rtmp://127.0.0.1:${port}/${path}`, close: () => server.close() };
}


interface Feed {
  /** The last metadata and sequence headers, copied: a message payload is a view valid only during its event. */
  metadata: Uint8Array | undefined;
  videoConfig: Uint8Array | undefined;
  audioConfig: Uint8Array | undefined;
  /** Timestamp of the last message, the "now" of the stream that a late joiner starts at. */
  lastTimestamp: number;
  /** Players of this key; `awaitingKeyframe` until their first video frame that decodes alone. */
  players: Map<PlayerStream, { awaitingKeyframe: boolean }>;
}

/**
 * Wires publisher sessions to player sessions by stream key, the job the hub will do later: a
 * player gets the stream's metadata and sequence headers first (essential, never dropped), then
 * live frames; its video starts at a keyframe so a late joiner never sees a frame it cannot decode.
 */
export class Relay {
  private readonly feeds = new Map<string, Feed>();
  /** Video frames held back from late joiners until their first keyframe. */
  skippedUntilKeyframe = 0;

  constructor(server: RtmpServer) {
    server.on('session', (session) => this.watch(session));
    server.on('playing', (player, request) => this.addPlayer(request.streamKey, player));
    server.on('stop', (_session, player) => this.feeds.get(player.streamKey)?.players.delete(player));
    server.on('unpublish', (_session, stream) => this.endFeed(stream.streamKey));
  }

  /** Players currently attached to `streamKey`. */
  players(streamKey: string): PlayerStream[] {
    return [...(this.feeds.get(streamKey)?.players.keys() ?? [])];
  }

  private feed(key: string): Feed {
    let f = this.feeds.get(key);
    if (f === undefined) {
      f = { metadata: undefined, videoConfig: undefined, audioConfig: undefined, lastTimestamp: 0, players: new Map() };
      this.feeds.set(key, f);
    }
    return f;
  }

  private watch(session: ServerSession): void {
    session.on('audio', (m, stream) => this.onAudio(this.feed(stream.streamKey), m));
    session.on('video', (m, stream) => this.onVideo(this.feed(stream.streamKey), m));
    session.on('data', (m, stream) => this.onData(this.feed(stream.streamKey), m));
  }

  private addPlayer(key: string, player: PlayerStream): void {
    const f = this.feed(key);
    f.players.set(player, { awaitingKeyframe: true });
    // Headers go out at the stream's current time, not at the time they were published (0), so a
    // late joiner's timeline does not jump from 0 to the live frames after them.
    const now = f.lastTimestamp;
    if (f.metadata) player.writeData(now, f.metadata);
    if (f.videoConfig) player.writeVideo(now, f.videoConfig, { keyframe: true, essential: true });
    if (f.audioConfig) player.writeAudio(now, f.audioConfig, true);
  }

  private onAudio(f: Feed, m: RtmpMessage): void {
    f.lastTimestamp = m.timestamp;
    const essential = isAacSequenceHeader(m.payload);
    if (essential) f.audioConfig = m.payload.slice();
    // A copy of the set: a player that fails while written to is removed from it by 'stop'.
    for (const player of [...f.players.keys()]) player.writeAudio(m.timestamp, m.payload, essential);
  }

  private onVideo(f: Feed, m: RtmpMessage): void {
    f.lastTimestamp = m.timestamp;
    const essential = isAvcSequenceHeader(m.payload);
    const keyframe = isKeyframe(m.payload);
    if (essential) f.videoConfig = m.payload.slice();
    for (const [player, state] of [...f.players]) {
      if (!essential && state.awaitingKeyframe) {
        if (!keyframe) {
          this.skippedUntilKeyframe++;
          continue;
        }
        state.awaitingKeyframe = false;
      }
      player.writeVideo(m.timestamp, m.payload, { keyframe, essential });
    }
  }

  private onData(f: Feed, m: RtmpMessage): void {
    // AMF3 data (type 15) is a format byte 0 then AMF0 values (RTMP 7.1.2).
    const amf0 = m.typeId === MessageType.DATA_AMF3 && m.payload[0] === 0 ? m.payload.subarray(1) : m.payload;
    const payload = stripSetDataFrame(amf0);
    f.metadata = payload.slice();
    for (const player of [...f.players.keys()]) player.writeData(m.timestamp, payload);
  }

  private endFeed(key: string): void {
    const f = this.feeds.get(key);
    if (f === undefined) return;
    this.feeds.delete(key);
    for (const player of f.players.keys()) player.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Session outcomes

/**
 * Resolves when `session` closes, with the error that closed it (undefined for a clean close).
 * Call it synchronously from the 'session' event so no error can slip past.
 */
export function sessionOutcome(server: RtmpServer, session: ServerSession): Promise<TidecastError | undefined> {
  return new Promise((resolve) => {
    let error: TidecastError | undefined;
    const onError = (s: ServerSession, e: TidecastError): void => {
      if (s === session) error ??= e;
    };
    const onClose = (s: ServerSession): void => {
      if (s !== session) return;
      server.off('sessionError', onError);
      server.off('sessionClose', onClose);
      resolve(error);
    };
    server.on('sessionError', onError);
    server.on('sessionClose', onClose);
  });
}

// ---------------------------------------------------------------------------------------------
// Raw sockets, for clients that misbehave on purpose

export interface RawConnection {
  readonly socket: Socket;
  readonly session: ServerSession;
  /** The server side's end: the error that closed the session, or undefined. */
  readonly outcome: Promise<TidecastError | undefined>;
  /** Resolves when the client socket closed (either side). */
  readonly socketClosed: Promise<void>;
}

/**
 * Opens a TCP connection to `ts` and pairs it with the server session it created. Only one raw
 * connection may be opening at a time (the next 'session' event is taken to be ours). Socket
 * errors (ECONNRESET, EPIPE once the server cut us off) are expected and swallowed.
 */
export async function connectRaw(ts: TestServer, options: { allowHalfOpen?: boolean } = {}): Promise<RawConnection> {
  let outcome: Promise<TidecastError | undefined> | undefined;
  const accepted = new Promise<ServerSession>((resolve) => {
    ts.server.once('session', (session) => {
      outcome = sessionOutcome(ts.server, session);
      resolve(session);
    });
  });
  const socket = net.connect({ host: '127.0.0.1', port: ts.port, allowHalfOpen: options.allowHalfOpen ?? false });
  socket.on('error', () => undefined);
  const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('raw connection closed before connect')));
  });
  const session = await withTimeout(accepted, 2000, 'server session for a raw connection');
  return { socket, session, outcome: outcome!, socketClosed };
}

/** Runs the client side of the handshake on a raw socket; resolves once C2 is written. */
export async function rawHandshake(socket: Socket, complex = false): Promise<void> {
  const handshake = new ClientHandshake({ complex });
  const queue = new BufferQueue();
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      const onData = (bytes: Buffer): void => {
        queue.push(bytes);
        try {
          const out = handshake.receive(queue);
          for (const b of out.send) socket.write(b);
          if (out.done) {
            socket.off('data', onData);
            resolve();
          }
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error('closed during the handshake')));
      socket.write(handshake.start());
    }),
    2000,
    'raw handshake',
  );
}

/**
 * An AMF0 connect command whose command object nests `depth` objects (`{a: {a: … null}}`), built
 * by hand: the encoder refuses nesting past AMF_DEPTH_CEILING, which is the point of the test.
 */
export function deeplyNestedConnect(depth: number): Uint8Array {
  const head = encodeAmf0('connect', 1);
  const open = [0x00, 0x01, 0x61, 0x03]; // key "a", then an object marker (AMF0 2.5)
  const out = new Uint8Array(head.length + 1 + (depth - 1) * 4 + 4 + depth * 3);
  out.set(head, 0);
  let p = head.length;
  out[p++] = 0x03;
  for (let i = 1; i < depth; i++) {
    out.set(open, p);
    p += 4;
  }
  out.set([0x00, 0x01, 0x61, 0x05], p); // key "a", null
  p += 4;
  for (let i = 0; i < depth; i++) {
    out.set([0x00, 0x00, 0x09], p); // empty key + object-end marker
    p += 3;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// A client whose socket the test controls (to stop reading it)

export interface SocketClient {
  readonly socket: Socket;
  readonly session: ClientSession;
}

/** Connects a ClientSession over a socket the test keeps, runs the handshake and `connect`. */
export async function connectSocketClient(ts: TestServer, options: { app?: string; allowHalfOpen?: boolean } = {}): Promise<SocketClient> {
  const app = options.app ?? 'live';
  const socket = net.connect({ host: '127.0.0.1', port: ts.port, allowHalfOpen: options.allowHalfOpen ?? false });
  socket.on('error', () => undefined);
  const session = new ClientSession(socketTransport(socket));
  socket.on('data', (bytes) => session.receive(bytes));
  socket.on('close', () => session.close());
  await withTimeout(new Promise<void>((resolve) => socket.once('connect', () => resolve())), 2000, 'TCP connect');
  const handshake = new Promise<void>((resolve) => session.once('handshake', resolve));
  session.start();
  await withTimeout(handshake, 2000, 'handshake');
  await withTimeout(session.call('connect', { app, tcUrl: `rtmp://127.0.0.1:${ts.port}/${app}`, flashVer: 'LNX 9,0,124,2' }), 2000, 'connect');
  return { socket, session };
}

/** createStream then play; resolves on NetStream.Play.Start. */
export async function playOn(client: SocketClient, streamKey: string): Promise<number> {
  const r = await client.session.call('createStream', null);
  const id = r.args[0] as number;
  const started = waitForStatus(client.session, 'NetStream.Play.Start');
  client.session.notify('play', [streamKey, -2, -1, true], id);
  await withTimeout(started, 2000, 'NetStream.Play.Start');
  return id;
}

/** The next onStatus with `code`; rejects on another error-level status. */
export function waitForStatus(session: ClientSession, code: string): Promise<StatusInfo> {
  return new Promise((resolve, reject) => {
    const onStatus = (info: StatusInfo): void => {
      if (info.code === code) {
        session.off('status', onStatus);
        resolve(info);
      } else if (info.level === 'error') {
        session.off('status', onStatus);
        reject(new Error(`${code} expected, got ${info.code}: ${info.description}`));
      }
    };
    session.on('status', onStatus);
  });
}

// ---------------------------------------------------------------------------------------------
// The fixture as tags, and publishing it

let fixtureTags: FlvFileTag[] | undefined;

/** Tags of fixtures/media/h264-aac.flv (metadata, sequence headers, frames, end of sequence). */
export function loadFixtureTags(): FlvFileTag[] {
  fixtureTags ??= readFlvFile(new Uint8Array(readFileSync(fixturePath('media/h264-aac.flv')))).tags;
  return fixtureTags;
}

/**
 * What was sent or received, comparable with toEqual. The payload is kept as base64: exact, and
 * compared as one string (deep equality of Buffers walks them byte by byte, seconds per fixture).
 */
export interface MessageRecord {
  typeId: number;
  timestamp: number;
  payload: string;
}

export function record(m: Pick<RtmpMessage, 'typeId' | 'timestamp' | 'payload'>): MessageRecord {
  return { typeId: m.typeId, timestamp: m.timestamp, payload: Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.length).toString('base64') };
}

/** Writes one FLV tag as the matching RTMP message; returns what was written. */
export function writeTag(stream: PublishingStream, tag: FlvFileTag, timestamp = tag.timestamp): MessageRecord {
  if (tag.type === 8) stream.writeAudio(timestamp, tag.body);
  else if (tag.type === 9) stream.writeVideo(timestamp, tag.body);
  else stream.writeDataPayload(timestamp, tag.body);
  return record({ typeId: tag.type, timestamp, payload: tag.body });
}

/** The first `event` on `server` whose arguments satisfy `match`. */
export function serverEvent<K extends keyof RtmpServerEvents>(
  server: RtmpServer,
  event: K,
  match: (...args: RtmpServerEvents[K]) => boolean = () => true,
): Promise<RtmpServerEvents[K]> {
  return new Promise((resolve) => {
    const listener = (...args: RtmpServerEvents[K]): void => {
      if (!match(...args)) return;
      emitter.off(event, listener);
      resolve(args);
    };
    // eventemitter3 cannot resolve its listener type for a generic key; the map is the same.
    const emitter = server as unknown as {
      on(e: K, l: (...args: RtmpServerEvents[K]) => void): void;
      off(e: K, l: (...args: RtmpServerEvents[K]) => void): void;
    };
    emitter.on(event, listener);
  });
}
