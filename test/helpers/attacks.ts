import net, { type Socket } from 'node:net';
import { BufferQueue } from '../../src/bytes/index.js';
import {
  ChunkWriter,
  ClientHandshake,
  ClientSession,
  MessageType,
  UserControlEvent,
  commandMessage,
  userControlMessage,
  type StatusInfo,
} from '../../src/rtmp/index.js';
import { socketTransport } from '../../src/rtmp/socket-transport.js';
import { getText } from './live.js';
import { loadFixtureTags } from './rtmp.js';
import { delay, withTimeout } from './process.js';

/*
 * The hostile clients of issue 15, by port only: the same attacks run against createMediaServer in
 * the test process (hostile-limits.test.ts) and against the built CLI in a child process
 * (hostile-cli.test.ts). Every attack talks to 127.0.0.1 (the "other address" is 127.0.0.2, also
 * loopback), is bounded in bytes and time, and ends by itself.
 */

/** A second loopback address: Linux routes all of 127.0.0.0/8 to lo, so a client can bind it. */
export const OTHER_ADDRESS = '127.0.0.2';

export interface RtmpPeer {
  socket: Socket;
  session: ClientSession;
  closed: Promise<void>;
}

/** TCP connect (optionally from `localAddress`), the handshake and `connect` with `app` as given (any string). */
export async function rtmpPeer(port: number, app: string, localAddress?: string): Promise<RtmpPeer> {
  const socket = net.connect({ host: '127.0.0.1', port, ...(localAddress === undefined ? {} : { localAddress }) });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const session = new ClientSession(socketTransport(socket));
  session.on('error', () => undefined);
  socket.on('data', (bytes) => session.receive(bytes));
  socket.on('close', () => session.close());
  await withTimeout(new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => reject(new Error('closed before connect')));
  }), 3000, 'TCP connect');
  const handshake = new Promise<void>((resolve, reject) => {
    session.once('handshake', resolve);
    socket.once('close', () => reject(new Error('closed during the handshake')));
  });
  session.start();
  await withTimeout(handshake, 3000, 'handshake');
  await withTimeout(session.call('connect', { app, tcUrl: `rtmp://127.0.0.1:${port}/${app}`, flashVer: 'FMLE/3.0 (compatible; attack)' }), 3000, 'connect');
  return { socket, session, closed };
}

/** The first onStatus on `session` (any level), or undefined when the connection closes first. */
function nextStatus(peer: RtmpPeer, timeoutMs: number): Promise<StatusInfo | undefined> {
  return withTimeout(
    new Promise<StatusInfo | undefined>((resolve) => {
      peer.session.once('status', (info) => resolve(info));
      void peer.closed.then(() => resolve(undefined));
    }),
    timeoutMs,
    'an onStatus',
  );
}

export interface PublishOutcome {
  status: StatusInfo | undefined;
  /** The server closed the connection within a second of its answer. */
  closedByServer: boolean;
}

/**
 * Publishes `key` on `app` the way OBS does (releaseStream, FCPublish, createStream, publish), then
 * — whatever the answer — sends what `media` says: nothing, the sequence headers only (the case
 * that crashed the server at end of stream), or headers and a second of frames.
 */
export async function publishAs(port: number, app: string, key: string, media: 'none' | 'headers' | 'frames'): Promise<PublishOutcome> {
  const peer = await rtmpPeer(port, app);
  peer.session.notify('releaseStream', [key]);
  peer.session.notify('FCPublish', [key]);
  const created = await withTimeout(peer.session.call('createStream', null), 3000, 'createStream');
  const id = created.args[0] as number;
  const answer = nextStatus(peer, 3000);
  peer.session.notify('publish', [key, 'live'], id);
  const status = await answer;
  const tags = loadFixtureTags();
  const send = (count: number): void => {
    for (const tag of tags.slice(0, count)) {
      if (tag.type !== 8 && tag.type !== 9) continue;
      peer.session.send({ chunkStreamId: tag.type === 8 ? 4 : 6, typeId: tag.type, timestamp: tag.timestamp, messageStreamId: id, payload: tag.body });
    }
  };
  if (media === 'headers') send(3);
  else if (media === 'frames') send(60);
  const closedByServer = await Promise.race([peer.closed.then(() => true), delay(1000).then(() => false)]);
  peer.socket.destroy();
  return { status, closedByServer };
}

/** Plays `key` on `app`; the first onStatus answer. */
export async function playAs(port: number, app: string, key: string): Promise<StatusInfo | undefined> {
  const peer = await rtmpPeer(port, app);
  const created = await withTimeout(peer.session.call('createStream', null), 3000, 'createStream');
  const answer = nextStatus(peer, 3000);
  peer.session.notify('play', [key, -2, -1, true], created.args[0] as number);
  const status = await answer;
  peer.socket.destroy();
  return status;
}

export interface FloodOutcome {
  /** Bytes of FCPublish commands the socket accepted before the server closed it (or we stopped). */
  bytesWritten: number;
  closedByServer: boolean;
  /** From the first flood byte to the close. */
  closedAfterMs: number | undefined;
}

/**
 * Case 4: connects (and with `publishKey`, publishes that key first, so no stream timeout applies),
 * stops reading its socket, then sends up to `totalBytes` of FCPublish commands (each asks for two
 * replies) as fast as TCP takes them, for at most `timeoutMs`.
 */
export async function floodWithoutReading(port: number, totalBytes: number, timeoutMs: number, publishKey?: string): Promise<FloodOutcome> {
  const peer = await rtmpPeer(port, 'live');
  if (publishKey !== undefined) {
    const created = await withTimeout(peer.session.call('createStream', null), 3000, 'createStream');
    const answer = nextStatus(peer, 3000);
    peer.session.notify('publish', [publishKey, 'live'], created.args[0] as number);
    if ((await answer)?.code !== 'NetStream.Publish.Start') throw new Error(`publish of ${publishKey} before the flood was refused`);
  }
  peer.socket.pause();
  const writer = new ChunkWriter();
  const start = Date.now();
  let bytesWritten = 0;
  let closedAt: number | undefined;
  void peer.closed.then(() => (closedAt = Date.now()));
  let transaction = 10;
  const batch = (): Uint8Array => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 256; i++) parts.push(writer.encode(commandMessage({ name: 'FCPublish', transactionId: transaction++, commandObject: null, args: ['flood'] })));
    return Buffer.concat(parts);
  };
  while (bytesWritten < totalBytes && closedAt === undefined && Date.now() - start < timeoutMs) {
    const bytes = batch();
    bytesWritten += bytes.length;
    if (!peer.socket.write(bytes)) {
      await Promise.race([new Promise((r) => peer.socket.once('drain', r)), peer.closed, delay(Math.max(0, timeoutMs - (Date.now() - start)))]);
    }
  }
  // Everything is sent: read again (and drop what comes), so a close after the server has read
  // all of it — a FIN behind unread replies, not a reset — is seen too.
  peer.socket.on('data', () => undefined);
  peer.socket.resume();
  await Promise.race([peer.closed, delay(Math.max(0, timeoutMs - (Date.now() - start)))]);
  const closedByServer = closedAt !== undefined;
  peer.socket.destroy();
  return { bytesWritten, closedByServer, closedAfterMs: closedAt === undefined ? undefined : closedAt - start };
}

/** A raw socket through the handshake (C0/C1 … C2), nothing more. */
async function handshaken(port: number, localAddress?: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port, ...(localAddress === undefined ? {} : { localAddress }) });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await withTimeout(new Promise<void>((resolve) => socket.once('connect', () => resolve())), 3000, 'TCP connect');
  const handshake = new ClientHandshake({ complex: false });
  const queue = new BufferQueue();
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      const onData = (bytes: Buffer): void => {
        queue.push(bytes);
        const out = handshake.receive(queue);
        for (const b of out.send) socket.write(b);
        if (out.done) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      void closed.then(() => reject(new Error('closed during the handshake')));
      socket.write(handshake.start());
    }),
    3000,
    'raw handshake',
  );
  return { socket, closed };
}

/** A type 0 chunk header (RTMP 5.3.1) on `csid` declaring a `length`-byte message of type 9. */
function type0Header(csid: number, length: number): Uint8Array {
  return Uint8Array.from([csid, 0, 0, 0, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, MessageType.VIDEO, 1, 0, 0, 0]);
}

export interface PartialsOutcome {
  sessions: number;
  /** Sessions the server closed while they held partial messages. */
  closedByServer: number;
  close(): void;
}

/**
 * Case 5: `sessions` connections, each from its own loopback address (127.0.1.1, 127.0.1.2, …: a
 * botnet, not one address the per-address limit would stop), each starting `messagesPerSession`
 * messages that declare `declaredBytes` and sending one 128-byte chunk of each — the server must
 * allocate each body at its declared length to reassemble it, unless a limit refuses. Held open
 * until `close()`.
 */
export async function holdPartialMessages(port: number, sessions: number, messagesPerSession: number, declaredBytes: number): Promise<PartialsOutcome> {
  const peers: Array<{ socket: Socket; closed: boolean }> = [];
  for (let i = 0; i < sessions; i++) {
    const { socket, closed } = await handshaken(port, `127.0.1.${i + 1}`);
    const peer = { socket, closed: false };
    void closed.then(() => (peer.closed = true));
    peers.push(peer);
    for (let m = 0; m < messagesPerSession; m++) socket.write(Buffer.concat([type0Header(3 + m, declaredBytes), Buffer.alloc(128, 0x17)]));
  }
  await delay(500);
  return {
    sessions,
    get closedByServer() {
      return peers.filter((p) => p.closed).length;
    },
    close: () => {
      for (const p of peers) p.socket.destroy();
    },
  };
}

export interface KeyframelessOutcome {
  status: StatusInfo | undefined;
  closedByServer: boolean;
  /** Media seconds (by timestamps) and bytes sent before the server closed the connection. */
  mediaSecondsSent: number;
  bytesSent: number;
}

/**
 * Case 6: publishes `key` with sequence headers and then only inter frames (and audio), their
 * timestamps running on at 30 fps, `speed` × faster than real time, for at most `maxMediaSeconds`.
 */
export async function publishWithoutKeyframes(port: number, key: string, maxMediaSeconds: number, speed: number): Promise<KeyframelessOutcome> {
  const peer = await rtmpPeer(port, 'live');
  const created = await withTimeout(peer.session.call('createStream', null), 3000, 'createStream');
  const id = created.args[0] as number;
  const started = nextStatus(peer, 3000);
  peer.session.notify('publish', [key, 'live'], id);
  const start = await started;
  if (start?.code !== 'NetStream.Publish.Start') throw new Error(`publish of ${key}: ${start?.code}`);
  const statuses: StatusInfo[] = [];
  peer.session.on('status', (info) => statuses.push(info));
  let closed = false;
  void peer.closed.then(() => (closed = true));
  const tags = loadFixtureTags();
  const headers = tags.filter((t) => (t.type === 8 || t.type === 9) && t.body[1] === 0).slice(0, 2);
  const interFrames = tags.filter((t) => t.type === 9 && t.body[1] === 1 && (t.body[0]! >> 4) === 2);
  const audio = tags.filter((t) => t.type === 8 && t.body[1] === 1);
  for (const h of headers) peer.session.send({ chunkStreamId: h.type === 8 ? 4 : 6, typeId: h.type, timestamp: 0, messageStreamId: id, payload: h.body });
  let bytesSent = 0;
  let frame = 0;
  const began = Date.now();
  while (!closed && frame / 30 < maxMediaSeconds) {
    const ts = Math.round((frame * 1000) / 30);
    const v = interFrames[frame % interFrames.length]!;
    const a = audio[frame % audio.length]!;
    peer.session.send({ chunkStreamId: 6, typeId: 9, timestamp: ts, messageStreamId: id, payload: v.body });
    peer.session.send({ chunkStreamId: 4, typeId: 8, timestamp: ts, messageStreamId: id, payload: a.body });
    bytesSent += v.body.length + a.body.length;
    frame++;
    if (frame % 30 === 0) await delay(Math.max(0, (frame * 1000) / 30 / speed - (Date.now() - began)));
  }
  await Promise.race([peer.closed, delay(2000)]);
  peer.socket.destroy();
  return { status: statuses.find((s) => s.level === 'error'), closedByServer: closed, mediaSecondsSent: frame / 30, bytesSent };
}

export interface SlotsOutcome {
  attempted: number;
  accepted: number;
  /** Accepted sessions still open after `holdMs` of pinging. */
  openAfterHold: number;
  close(): void;
}

/**
 * Case 7: `count` RTMP sessions from OTHER_ADDRESS that connect and then only ping (a User Control
 * Ping Request every 500 ms, which the server answers), never publishing or playing; after
 * `holdMs` reports how many the server let in and how many it has closed since.
 */
export async function takeRtmpSlots(port: number, count: number, holdMs: number): Promise<SlotsOutcome> {
  const peers: Array<{ peer: RtmpPeer; closed: boolean }> = [];
  let accepted = 0;
  for (let i = 0; i < count; i++) {
    try {
      const peer = await rtmpPeer(port, 'live', OTHER_ADDRESS);
      accepted++;
      const entry = { peer, closed: false };
      void peer.closed.then(() => (entry.closed = true));
      peers.push(entry);
    } catch {
      // refused at accept: closed before the handshake
    }
  }
  const pinger = setInterval(() => {
    for (const { peer, closed } of peers) if (!closed) peer.session.send(userControlMessage(UserControlEvent.PING_REQUEST, Date.now() >>> 0));
  }, 500);
  await delay(holdMs);
  clearInterval(pinger);
  return {
    attempted: count,
    accepted,
    openAfterHold: peers.filter((p) => !p.closed).length,
    close: () => {
      for (const { peer } of peers) peer.socket.destroy();
    },
  };
}

/**
 * Case 7, HTTP: `count` TCP connections to the HTTP port from OTHER_ADDRESS, each sending the
 * start of a request and nothing more; after `waitMs`, how many the server closed at once.
 */
export async function takeHttpSlots(port: number, count: number, waitMs: number): Promise<{ attempted: number; closedAtOnce: number; close(): void }> {
  const sockets: Array<{ socket: Socket; closed: boolean }> = [];
  const settled: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: OTHER_ADDRESS });
    socket.on('error', () => undefined);
    const entry = { socket, closed: false };
    socket.once('close', () => (entry.closed = true));
    socket.once('connect', () => socket.write('GET /api/streams HTTP/1.1\r\nHost: x\r\n'));
    settled.push(new Promise((resolve) => {
      socket.once('connect', () => resolve());
      socket.once('close', () => resolve());
    }));
    sockets.push(entry);
  }
  // Every connection made (or refused by the kernel), then time for the server to close the excess.
  await withTimeout(Promise.all(settled), 20_000, `${count} HTTP connections`);
  await delay(waitMs);
  return {
    attempted: count,
    closedAtOnce: sockets.filter((s) => s.closed).length,
    close: () => {
      for (const s of sockets) s.socket.destroy();
    },
  };
}

/**
 * The honest viewer: follows a live media playlist every `everyMs`, fetches the init section and
 * every newly listed segment once, and records what went wrong (a gap in media sequence numbers,
 * a discontinuity, a non-200). `stop()` resolves with what it saw.
 */
export function followPlaylist(playlistUrl: string, everyMs = 500): { stop(): Promise<FollowResult> } {
  const result: FollowResult = { msns: [], failures: [], discontinuities: 0, polls: 0 };
  const fetched = new Set<string>();
  let running = true;
  const base = playlistUrl.slice(0, playlistUrl.lastIndexOf('/') + 1);
  const get = async (uri: string): Promise<void> => {
    if (fetched.has(uri)) return;
    fetched.add(uri);
    const res = await fetch(base + uri);
    await res.arrayBuffer();
    if (res.status !== 200) result.failures.push(`${uri}: ${res.status}`);
  };
  const loop = (async () => {
    while (running) {
      result.polls++;
      try {
        const text = await getText(playlistUrl);
        if (text === undefined) result.failures.push(`playlist not 200 at poll ${result.polls}`);
        else {
          const lines = text.split('\n');
          let msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? NaN);
          for (const line of lines) {
            const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(line);
            if (map !== null) await get(map[1]!);
            if (line.startsWith('#EXT-X-DISCONTINUITY') && !line.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE')) result.discontinuities++;
            if (line !== '' && !line.startsWith('#')) {
              if (!result.msns.includes(msn)) result.msns.push(msn);
              await get(line);
              msn++;
            }
          }
        }
      } catch (err) {
        result.failures.push(`poll ${result.polls}: ${String(err)}`);
      }
      await delay(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      result.msns.sort((a, b) => a - b);
      return result;
    },
  };
}

export interface FollowResult {
  msns: number[];
  failures: string[];
  discontinuities: number;
  polls: number;
}

/** Numbers missing between the first and the last of `sorted`. */
export function gaps(sorted: readonly number[]): number[] {
  const missing: number[] = [];
  for (let i = 1; i < sorted.length; i++) for (let n = sorted[i - 1]! + 1; n < sorted[i]!; n++) missing.push(n);
  return missing;
}
