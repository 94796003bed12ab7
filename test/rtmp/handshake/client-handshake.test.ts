import { describe, expect, it } from 'vitest';
import { BufferQueue } from '../../../src/bytes/index.js';
import { RtmpError } from '../../../src/errors/index.js';
import {
  ClientHandshake,
  FP_KEY_TEXT,
  findDigest,
  ServerHandshake,
} from '../../../src/rtmp/handshake/index.js';

/** Delivers `bytes` to `queue` in pieces of `piece` bytes, calling `receive` after each. */
function deliver<T extends { send: Uint8Array[] }>(
  bytes: Uint8Array[],
  queue: BufferQueue,
  piece: number,
  receive: () => T,
): Uint8Array[] {
  const sent: Uint8Array[] = [];
  for (const buf of bytes) {
    for (let at = 0; at < buf.length; at += piece) {
      queue.push(buf.subarray(at, at + piece));
      sent.push(...receive().send);
    }
  }
  return sent;
}

/** Runs a whole handshake in memory, pumping bytes both ways through BufferQueues. */
function pump(client: ClientHandshake, server: ServerHandshake, piece = 1 << 20): { toServer: BufferQueue; toClient: BufferQueue } {
  const toServer = new BufferQueue();
  const toClient = new BufferQueue();
  const s0s1s2 = deliver([client.start()], toServer, piece, () => server.receive(toServer));
  expect(s0s1s2.reduce((n, b) => n + b.length, 0)).toBe(3073);
  const c2 = deliver(s0s1s2, toClient, piece, () => client.receive(toClient));
  expect(client.done).toBe(true);
  expect(c2.length).toBe(1);
  expect(c2[0]!.length).toBe(1536);
  deliver(c2, toServer, piece, () => server.receive(toServer));
  expect(server.done).toBe(true);
  return { toServer, toClient };
}

describe('ClientHandshake ↔ ServerHandshake', () => {
  it.each([1, 7, 1000, 1 << 20])('plain, delivered in pieces of %i bytes', (piece) => {
    const client = new ClientHandshake();
    const server = new ServerHandshake();
    const { toServer, toClient } = pump(client, server, piece);
    expect(server.complex).toBe(false);
    expect(client.serverComplex).toBe(false);
    expect(client.peerResponseValid).toBeUndefined();
    expect(toServer.length + toClient.length).toBe(0);
  });

  it.each([1, 13, 1 << 20])('complex, delivered in pieces of %i bytes', (piece) => {
    const client = new ClientHandshake({ complex: true });
    const server = new ServerHandshake();
    pump(client, server, piece);
    expect(server.complex).toBe(true);
    expect(server.scheme).toBe(1);
    expect(client.serverComplex).toBe(true);
    expect(client.peerResponseValid).toBe(true);
    expect(server.peerResponseValid).toBe(true);
  });

  it('a complex client falls back to plain with a plain server reply', () => {
    const client = new ClientHandshake({ complex: true, now: () => 99 });
    const c1 = client.start().subarray(1);
    const reply = new Uint8Array(3073);
    reply[0] = 3;
    reply.set([0, 0, 0, 5, 0, 0, 0, 0], 1);
    reply.fill(0x33, 9);
    const queue = new BufferQueue();
    queue.push(reply);
    const out = client.receive(queue);
    expect(out.done).toBe(true);
    expect(client.serverComplex).toBe(false);
    const c2 = out.send[0]!;
    expect(Buffer.from(c2.subarray(0, 4)).readUInt32BE(0)).toBe(5);
    expect(Buffer.from(c2.subarray(4, 8)).readUInt32BE(0)).toBe(99);
    expect(c2.subarray(8)).toEqual(reply.subarray(9, 1537));
    expect(c1.length).toBe(1536);
  });

  it('a complex client refuses an S1 that claims a version but has no valid digest (as librtmp does)', () => {
    const client = new ClientHandshake({ complex: true });
    client.start();
    const reply = new Uint8Array(3073);
    reply[0] = 3;
    reply.set([0, 0, 0, 5, 1, 2, 3, 4], 1);
    reply.fill(0x33, 9);
    const queue = new BufferQueue();
    queue.push(reply);
    expect(() => client.receive(queue)).toThrowError(expect.objectContaining({ code: 'ERR_RTMP_HANDSHAKE_DIGEST' }));
  });
});

describe('ClientHandshake', () => {
  it('plain C1: version 3, time from the clock, zero version field, the random bytes', () => {
    const client = new ClientHandshake({ now: () => 0x11223344, random: (n) => new Uint8Array(n).fill(0x5a) });
    const c0c1 = client.start();
    expect(c0c1.length).toBe(1537);
    expect(Array.from(c0c1.subarray(0, 9))).toEqual([3, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0]);
    expect(c0c1.subarray(9).every((b) => b === 0x5a)).toBe(true);
    expect(client.start()).toBe(c0c1);
  });

  it('complex C1: version 128.0.7.2 and a Flash Player digest in scheme 1', () => {
    const c1 = new ClientHandshake({ complex: true }).start().subarray(1);
    expect(Array.from(c1.subarray(4, 8))).toEqual([0x80, 0, 7, 2]);
    expect(findDigest(c1, FP_KEY_TEXT)?.scheme).toBe(1);
  });

  it('waits for all of S0+S1+S2 and leaves what follows in the queue', () => {
    const client = new ClientHandshake();
    client.start();
    const queue = new BufferQueue();
    queue.push(new Uint8Array(3072).fill(3));
    expect(client.receive(queue)).toEqual({ send: [], done: false });
    expect(queue.length).toBe(3072);
    queue.push(new Uint8Array(6));
    expect(client.receive(queue).done).toBe(true);
    expect(queue.length).toBe(5);
    expect(client.receive(queue)).toEqual({ send: [], done: true });
  });

  it.each([6, 0xff])('S0 = %i → ERR_RTMP_HANDSHAKE_VERSION', (version) => {
    const client = new ClientHandshake();
    client.start();
    const queue = new BufferQueue();
    queue.push(new Uint8Array([version]));
    expect(() => client.receive(queue)).toThrow(RtmpError);
    try {
      client.receive(queue);
    } catch (e) {
      expect((e as RtmpError).code).toBe('ERR_RTMP_HANDSHAKE_VERSION');
      expect((e as RtmpError).details).toMatchObject({ packet: 'S0', version });
    }
  });

  it('refuses receive() before start()', () => {
    expect(() => new ClientHandshake().receive(new BufferQueue())).toThrow(/before start/);
  });
});
