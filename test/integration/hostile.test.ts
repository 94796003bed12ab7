import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAmf0 } from '../../src/amf/index.js';
import { ERROR_CODES, type TidecastError } from '../../src/errors/index.js';
import {
  ChunkWriter,
  MessageType,
  RtmpClient,
  commandMessage,
  setChunkSizeMessage,
  type PlayerStream,
  type PublishingStream,
  type RtmpMessage,
  type ServerSession,
  type Transport,
} from '../../src/rtmp/index.js';
import {
  Relay,
  connectRaw,
  connectSocketClient,
  deeplyNestedConnect,
  delay,
  loadFixtureTags,
  playOn,
  rawHandshake,
  record,
  serverEvent,
  sessionOutcome,
  startServer,
  waitForStatus,
  withTimeout,
  writeTag,
  type MessageRecord,
  type TestServer,
} from '../helpers/rtmp.js';

/*
 * One live server, many hostile peers. Each must be cut off with its typed error (a protocol error
 * closes one session, never the process), while an honest publisher streams on the same server
 * the whole time and loses nothing: the last test compares every message it sent with what the
 * server handed on. (Over 400 lines because the cases, their crafted bytes and the honest publisher
 * share one server and one sequence; split, the final check would lose what it checks.)
 */

const tags = loadFixtureTags();
/** Short so the stalling client is cut off quickly; an honest client needs one round trip. */
const HANDSHAKE_TIMEOUT_MS = 300;
/** A backstop: a hostile case that left a session hanging fails with this instead of the test timing out. */
const IDLE_TIMEOUT_MS = 5000;
/** Small, so a player that never reads reaches the limit after a few MiB of flood. */
const MAX_OUTGOING_BUFFER_BYTES = 64 * 1024;
/** The honest publisher sends the fixture at this multiple of real time, looping it. */
const HONEST_SPEED = 4;
/** How long to wait for the server to close a hostile session. */
const OUTCOME_TIMEOUT_MS = 3000;

/** The fixture published in a loop, paced, with timestamps running on across loops. */
class HonestPublisher {
  readonly sent: MessageRecord[] = [];
  readonly received: MessageRecord[] = [];
  readonly clientErrors: TidecastError[] = [];
  session: ServerSession | undefined;
  private client: RtmpClient | undefined;
  private stream: PublishingStream | undefined;
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  async start(ts: TestServer): Promise<void> {
    ts.server.on('publish', (request) => {
      if (request.streamKey !== 'honest') return;
      this.session = request.session;
      const onMedia = (m: RtmpMessage): void => {
        if (m.messageStreamId === request.messageStreamId) this.received.push(record(m));
      };
      request.session.on('audio', onMedia);
      request.session.on('video', onMedia);
      request.session.on('data', onMedia);
    });
    this.client = await RtmpClient.connect(ts.url('live'));
    this.client.on('error', (e) => this.clientErrors.push(e));
    this.stream = await this.client.publish('honest');
    this.loop = this.run(this.stream);
  }

  private async run(stream: PublishingStream): Promise<void> {
    const t0 = performance.now();
    const loopMs = tags.at(-1)!.timestamp + 33;
    for (let offset = 0; !this.stopped; offset += loopMs) {
      for (const tag of tags) {
        if (this.stopped) return;
        const waitMs = t0 + (offset + tag.timestamp) / HONEST_SPEED - performance.now();
        if (waitMs > 1) await delay(waitMs);
        this.sent.push(writeTag(stream, tag, offset + tag.timestamp));
      }
    }
  }

  /** Stops writing (for teardown after a failure: no paced loop may outlive the suite). */
  halt(): void {
    this.stopped = true;
  }

  /** Stops writing and unpublishes; resolves once the server saw the unpublish. */
  async stop(ts: TestServer): Promise<void> {
    this.stopped = true;
    await this.loop;
    const unpublished = serverEvent(ts.server, 'unpublish', (_s, stream) => stream.streamKey === 'honest');
    this.stream?.unpublish();
    await withTimeout(unpublished, 3000, 'honest unpublish');
    await this.client?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Crafted bytes

function encode(...messages: RtmpMessage[]): Buffer {
  const writer = new ChunkWriter();
  return Buffer.concat(messages.map((m) => writer.encode(m)));
}

function control(typeId: number, body: number[]): RtmpMessage {
  return { chunkStreamId: 2, typeId, timestamp: 0, messageStreamId: 0, payload: Uint8Array.from(body) };
}

/** A type 0 chunk header alone: basic header (1 byte, csid < 64) and the 11-byte message header (RTMP 5.3.1.2.1). */
function type0Header(csid: number, length: number, typeId: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = csid;
  b.writeUIntBE(length, 4, 3);
  b[7] = typeId;
  b.writeUInt32LE(1, 8);
  return b;
}

/**
 * `count` type 0 headers of empty messages on distinct chunk stream ids, in the 3-byte basic
 * header form (5.3.1.1: ids 64 … 65599), wrapping around when there are more than 65 536.
 */
function manyChunkStreams(count: number): Buffer {
  const out = Buffer.alloc(count * 14);
  for (let i = 0; i < count; i++) {
    const p = i * 14;
    const id = i % 65536; // csid − 64
    out[p] = 1;
    out[p + 1] = id & 0xff;
    out[p + 2] = id >> 8;
    out[p + 10] = MessageType.SHARED_OBJECT_AMF0; // ignored by the session: only the header matters
  }
  return out;
}

/** mulberry32: a small seeded generator, so each garbage case is the same bytes every run. */
function garbage(seed: number, length: number): Buffer {
  let a = seed >>> 0;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

interface HostileCase {
  name: string;
  /** Run the handshake first (most attacks need a session to attack). */
  handshake: boolean;
  bytes: () => Uint8Array;
  code: string;
}

const cases: HostileCase[] = [
  {
    name: 'stalls in the handshake after C0 and 100 bytes of C1',
    handshake: false,
    bytes: () => Buffer.concat([Buffer.from([3]), Buffer.alloc(100, 0x55)]),
    code: 'ERR_RTMP_HANDSHAKE_TIMEOUT',
  },
  { name: 'asks for RTMPE (C0 = 6)', handshake: false, bytes: () => Buffer.alloc(1537, 6), code: 'ERR_RTMP_HANDSHAKE_VERSION' },
  { name: 'sets chunk size 0', handshake: true, bytes: () => encode(setChunkSizeMessage(0)), code: 'ERR_RTMP_CHUNK_SIZE_INVALID' },
  { name: 'sets chunk size 2^31 - 1', handshake: true, bytes: () => encode(setChunkSizeMessage(0x7fffffff)), code: 'ERR_RTMP_CHUNK_SIZE_INVALID' },
  {
    name: 'sets chunk size 2^31 (the reserved bit, 5.4.1)',
    handshake: true,
    bytes: () => encode(control(MessageType.SET_CHUNK_SIZE, [0x80, 0, 0, 0])),
    code: 'ERR_RTMP_CHUNK_SIZE_INVALID',
  },
  {
    name: 'declares a 16 MiB message',
    handshake: true,
    bytes: () => type0Header(3, 0xffffff, MessageType.COMMAND_AMF0),
    code: 'ERR_RTMP_MESSAGE_TOO_LARGE',
  },
  { name: 'opens 70 000 chunk streams', handshake: true, bytes: () => manyChunkStreams(70_000), code: 'ERR_RTMP_TOO_MANY_CHUNK_STREAMS' },
  {
    name: 'sends connect with an object nested 10 000 deep',
    handshake: true,
    bytes: () => encode({ chunkStreamId: 3, typeId: MessageType.COMMAND_AMF0, timestamp: 0, messageStreamId: 0, payload: deeplyNestedConnect(10_000) }),
    code: 'ERR_AMF_DEPTH_EXCEEDED',
  },
  {
    name: 'starts with a type 1 chunk',
    handshake: true,
    bytes: () => Buffer.from([0x43, 0, 0, 0, 0, 0, 5, MessageType.COMMAND_AMF0, 1, 2, 3, 4, 5]),
    code: 'ERR_RTMP_CHUNK_NO_PREVIOUS_HEADER',
  },
  {
    name: 'sends audio before any publish',
    handshake: true,
    bytes: () => encode(commandMessage({ name: 'connect', transactionId: 1, commandObject: { app: 'live' }, args: [] }), { chunkStreamId: 6, typeId: MessageType.AUDIO, timestamp: 0, messageStreamId: 1, payload: new Uint8Array([0xaf, 1, 0]) }),
    code: 'ERR_RTMP_UNEXPECTED_COMMAND',
  },
];

const RTMP_CODES = Object.keys(ERROR_CODES).filter((c) => c.startsWith('ERR_RTMP_') || c.startsWith('ERR_AMF_'));

/** The server session's transport, to read how much it holds unsent for a peer. */
function pendingBytesOf(session: ServerSession): number {
  return (session as unknown as { transport: Transport }).transport.pendingBytes;
}

describe('hostile clients against one live server, with an honest publisher streaming throughout', () => {
  let ts: TestServer;
  const honest = new HonestPublisher();
  const sessionErrors = new Map<ServerSession, string>();

  beforeAll(async () => {
    ts = await startServer({
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      maxOutgoingBufferBytes: MAX_OUTGOING_BUFFER_BYTES,
    });
    new Relay(ts.server);
    ts.server.on('sessionError', (session, e) => sessionErrors.set(session, e.code));
    ts.server.on('publish', (request) => {
      if (request.streamKey === 'forbidden') request.reject('forbidden');
    });
    await honest.start(ts);
  });

  afterAll(async () => {
    honest.halt();
    await ts.close();
  });

  for (const c of cases) {
    it(`${c.name} → ${c.code}`, async () => {
      const conn = await connectRaw(ts);
      if (c.handshake) await rawHandshake(conn.socket);
      const t0 = performance.now();
      conn.socket.write(c.bytes());
      const error = await withTimeout(conn.outcome, OUTCOME_TIMEOUT_MS, c.name);
      expect(error?.code).toBe(c.code);
      await withTimeout(conn.socketClosed, OUTCOME_TIMEOUT_MS, 'client socket closing');
      if (c.code === 'ERR_RTMP_HANDSHAKE_TIMEOUT') expect(performance.now() - t0).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 20);
    });
  }

  /*
   * Raw garbage mostly fails at the first chunk header (a type 1–3 chunk on a new chunk stream);
   * behind a valid type 0 header of a 100-byte connect it reaches the AMF decoder of its arguments.
   */
  it.each([
    ['raw', Buffer.alloc(0)],
    ['as the arguments of connect', Buffer.concat([type0Header(3, 100, MessageType.COMMAND_AMF0), encodeAmf0('connect', 1)])],
  ])('random garbage after the handshake (%s) is refused with a typed error (8 seeds)', async (_name, prefix) => {
    const codes: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const conn = await connectRaw(ts);
      await rawHandshake(conn.socket);
      conn.socket.write(Buffer.concat([prefix, garbage(seed, 64 * 1024)]));
      const error = await withTimeout(conn.outcome, OUTCOME_TIMEOUT_MS, `garbage seed ${seed}`);
      expect(RTMP_CODES).toContain(error?.code);
      expect(error?.code).not.toBe('ERR_RTMP_IDLE_TIMEOUT');
      codes.push(error!.code);
      conn.socket.destroy();
    }
    expect(codes).toHaveLength(8);
  });

  it('bytes after the server closed the session (error close) are ignored', async () => {
    const conn = await connectRaw(ts, { allowHalfOpen: true });
    await rawHandshake(conn.socket);
    conn.socket.write(Buffer.from([0x43, 0, 0, 0, 0, 0, 5, MessageType.COMMAND_AMF0]));
    expect((await withTimeout(conn.outcome, OUTCOME_TIMEOUT_MS, 'type 1 first'))?.code).toBe('ERR_RTMP_CHUNK_NO_PREVIOUS_HEADER');
    const errorsBefore = sessionErrors.size;
    for (let i = 0; i < 20 && !conn.socket.destroyed; i++) {
      conn.socket.write(garbage(100 + i, 16 * 1024));
      await delay(5);
    }
    conn.socket.destroy();
    expect(sessionErrors.size).toBe(errorsBefore);
  });

  it('bytes after the server closed the session (publish refused, graceful close) are ignored', async () => {
    const client = await connectSocketClient(ts, { allowHalfOpen: true });
    const server = [...ts.server.sessions].at(-1)!;
    const outcome = sessionOutcome(ts.server, server);
    const created = await client.session.call('createStream', null);
    const refused = waitForStatus(client.session, 'NetStream.Publish.Start').catch((e: unknown) => e);
    client.session.notify('publish', ['forbidden', 'live'], created.args[0] as number);
    expect(String(await refused)).toMatch(/NetStream\.Publish\.BadName/);
    // The server ended its side and ignores what still arrives on the half-open connection.
    for (let i = 0; i < 20; i++) {
      client.socket.write(garbage(200 + i, 16 * 1024));
      await delay(5);
    }
    expect(await withTimeout(outcome, OUTCOME_TIMEOUT_MS, 'refused session closing')).toBeUndefined();
    client.socket.destroy();
    expect(sessionErrors.has(server)).toBe(false);
  });

  it('a player that never reads: frames dropped, buffer bounded, then ERR_RTMP_OUTGOING_BUFFER_FULL', async () => {
    const flood = await RtmpClient.connect(ts.url('live'));
    let slowOutcome: Promise<TidecastError | undefined> | undefined;
    let slowSession: ServerSession | undefined;
    let slowPlayer: PlayerStream | undefined;
    const onPlaying = (player: PlayerStream, request: { streamKey: string; session: ServerSession }): void => {
      if (request.streamKey !== 'flood') return;
      slowPlayer = player;
      slowSession = request.session;
      slowOutcome = sessionOutcome(ts.server, request.session);
    };
    ts.server.on('playing', onPlaying);
    let maxPendingBytes = 0;
    ts.server.on('publish', (request) => {
      if (request.streamKey !== 'flood') return;
      // Registered after the relay's listener, so it runs right after the relay wrote the frame.
      request.session.on('video', () => {
        if (slowSession !== undefined && !slowSession.closed) maxPendingBytes = Math.max(maxPendingBytes, pendingBytesOf(slowSession));
      });
    });
    try {
      const stream = await flood.publish('flood');
      const slow = await connectSocketClient(ts);
      await playOn(slow, 'flood');
      slow.socket.pause();
      expect(slowOutcome).toBeDefined();
      let settled = false;
      void slowOutcome!.then(() => (settled = true));

      const FRAME_BYTES = 16 * 1024;
      const key = Buffer.alloc(FRAME_BYTES, 0x5a);
      key.set([0x17, 1, 0, 0, 0]);
      const inter = Buffer.alloc(FRAME_BYTES, 0xa5);
      inter.set([0x27, 1, 0, 0, 0]);
      let floodBytes = 0;
      const t0 = performance.now();
      for (let i = 0; !settled && floodBytes < 512 * 1024 * 1024 && performance.now() - t0 < 20_000; i++) {
        stream.writeVideo(i * 33, i % 30 === 0 ? key : inter);
        floodBytes += FRAME_BYTES;
        // Yield so the server reads and relays; back-pressure keeps the flood's own queue short.
        if (flood.pendingBytes > 256 * 1024 || i % 16 === 0) await new Promise((r) => setImmediate(r));
      }
      const error = await withTimeout(slowOutcome!, OUTCOME_TIMEOUT_MS, 'slow player disconnect');
      expect(error?.code).toBe('ERR_RTMP_OUTGOING_BUFFER_FULL');
      expect(slowPlayer!.dropped).toBeGreaterThan(0);
      // What the server held for the player never passed the limit plus the one frame (and its
      // chunk headers) that crossed it, however much the publisher sent; the kernel's socket
      // buffers took the first few MiB before the queue grew at all.
      expect(maxPendingBytes).toBeGreaterThan(MAX_OUTGOING_BUFFER_BYTES);
      expect(maxPendingBytes).toBeLessThanOrEqual(MAX_OUTGOING_BUFFER_BYTES + FRAME_BYTES + 64);
      expect(floodBytes).toBeGreaterThan(8 * 2 * MAX_OUTGOING_BUFFER_BYTES);
      slow.socket.destroy();
      stream.unpublish();
    } finally {
      ts.server.off('playing', onPlaying);
      await flood.close();
    }
  });

  it('the server still serves a new publisher: a player of its stream gets every frame it sends', async () => {
    const player = await RtmpClient.connect(ts.url('live'));
    const publisher = await RtmpClient.connect(ts.url('live'));
    try {
      // The sequence headers, the first keyframe and what follows it: 30 audio and video messages.
      const media = tags.filter((t) => t.type !== 18).slice(0, 30);
      const received: MessageRecord[] = [];
      const allArrived = new Promise<void>((resolve) => {
        const onMedia = (m: RtmpMessage): void => {
          received.push(record(m));
          if (received.length === media.length) resolve();
        };
        player.on('audio', onMedia);
        player.on('video', onMedia);
      });
      await player.play('after');
      const stream = await publisher.publish('after');
      const sent = media.map((tag) => writeTag(stream, tag));
      await withTimeout(allArrived, OUTCOME_TIMEOUT_MS, 'the new stream reaching its player');
      expect(received).toEqual(sent);
      stream.unpublish();
    } finally {
      await Promise.all([publisher.close(), player.close()]);
    }
  });

  it('the honest publisher lost nothing: every message arrived, in order, intact', async () => {
    await honest.stop(ts);
    expect(honest.clientErrors).toEqual([]);
    expect(honest.session !== undefined && sessionErrors.has(honest.session)).toBe(false);
    // The suite takes over a second (the handshake timeout case alone 300 ms): hundreds of messages.
    expect(honest.sent.length).toBeGreaterThan(100);
    expect(honest.received).toHaveLength(honest.sent.length);
    expect(honest.received).toEqual(honest.sent);
  });
});

describe('connection limits', () => {
  it('maxConnections: the third connection is refused with ERR_RTMP_TOO_MANY_CONNECTIONS', async () => {
    const ts = await startServer({ maxConnections: 2 });
    try {
      const a = await connectRaw(ts);
      const b = await connectRaw(ts);
      const refused = serverEvent(ts.server, 'refused');
      const c = net.connect({ host: '127.0.0.1', port: ts.port });
      c.on('error', () => undefined);
      const cClosed = new Promise<void>((resolve) => c.once('close', () => resolve()));
      const [error, remoteAddress] = await withTimeout(refused, OUTCOME_TIMEOUT_MS, 'refused');
      expect(error.code).toBe('ERR_RTMP_TOO_MANY_CONNECTIONS');
      expect(error.details['limit']).toBe(2);
      expect(remoteAddress).toBe('127.0.0.1');
      await withTimeout(cClosed, OUTCOME_TIMEOUT_MS, 'refused socket closing');
      expect(ts.server.sessions.size).toBe(2);
      // A slot frees when a session ends.
      a.socket.destroy();
      await a.outcome;
      const d = await connectRaw(ts);
      expect(ts.server.sessions.size).toBe(2);
      b.socket.destroy();
      d.socket.destroy();
    } finally {
      await ts.close();
    }
  });

  it('idleTimeoutMs: a peer silent after the handshake is closed with ERR_RTMP_IDLE_TIMEOUT', async () => {
    const IDLE_MS = 300;
    const ts = await startServer({ idleTimeoutMs: IDLE_MS });
    try {
      const conn = await connectRaw(ts);
      await rawHandshake(conn.socket);
      const t0 = performance.now();
      const error = await withTimeout(conn.outcome, OUTCOME_TIMEOUT_MS, 'idle close');
      expect(error?.code).toBe('ERR_RTMP_IDLE_TIMEOUT');
      expect(performance.now() - t0).toBeGreaterThanOrEqual(IDLE_MS - 50);
    } finally {
      await ts.close();
    }
  });
});
