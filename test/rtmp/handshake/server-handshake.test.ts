import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BufferQueue } from '../../../src/bytes/index.js';
import { RtmpError } from '../../../src/errors/index.js';
import { ServerHandshake } from '../../../src/rtmp/handshake/index.js';

/*
 * The client side of these tests is built by hand from the description of the handshake, with a
 * reference digest computation that shares no code with src/rtmp/handshake.
 */
const SUFFIX = Buffer.from('F0EEC24A8068BEE82E00D0D1029E7E576EEC5D2D29806FAB93B8E636CFEB31AE', 'hex');
const REF_FP = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001'), SUFFIX]);
const REF_FMS = Buffer.concat([Buffer.from('Genuine Adobe Flash Media Server 001'), SUFFIX]);

function refOffset(sig: Uint8Array, scheme: 0 | 1): number {
  const start = scheme === 1 ? 8 : 772;
  return ((sig[start]! + sig[start + 1]! + sig[start + 2]! + sig[start + 3]!) % 728) + start + 4;
}

function refDigest(sig: Uint8Array, offset: number, key: Uint8Array): Buffer {
  return createHmac('sha256', key).update(Buffer.concat([sig.subarray(0, offset), sig.subarray(offset + 32)])).digest();
}

function hmac(key: Uint8Array, data: Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Deterministic "random" bytes so that two runs of the server produce the same answer. */
function counterRandom(): (n: number) => Uint8Array {
  let calls = 0;
  return (n) => {
    calls++;
    return Uint8Array.from({ length: n }, (_, i) => (i * 7 + calls * 13) & 0xff);
  };
}

const fixedServer = (): ServerHandshake => new ServerHandshake({ random: counterRandom(), now: () => 0x01020304 });

/** C0 + a complex C1 (version 9.0.124.2, digest in `scheme`), built with the reference computation. */
function referenceComplexC0C1(scheme: 0 | 1): { c0c1: Buffer; digest: Buffer } {
  const c0c1 = Buffer.alloc(1537);
  c0c1[0] = 3;
  const c1 = c0c1.subarray(1);
  c1.writeUInt32BE(1234, 0);
  c1.writeUInt32BE(0x09007c02, 4);
  for (let i = 8; i < 1536; i++) c1[i] = (i * 29 + 5) & 0xff;
  const offset = refOffset(c1, scheme);
  const digest = refDigest(c1, offset, REF_FP.subarray(0, 30));
  digest.copy(c1, offset);
  return { c0c1, digest };
}

function plainC0C1(): Buffer {
  const c0c1 = Buffer.alloc(1537);
  c0c1[0] = 3;
  c0c1.writeUInt32BE(777, 1);
  for (let i = 9; i < 1537; i++) c0c1[i] = (i * 3) & 0xff;
  return c0c1;
}

function answer(server: ServerHandshake, bytes: Uint8Array): { s0s1s2: Buffer; queue: BufferQueue; done: boolean } {
  const queue = new BufferQueue();
  queue.push(bytes);
  const out = server.receive(queue);
  return { s0s1s2: Buffer.concat(out.send), queue, done: out.done };
}

describe('ServerHandshake, plain', () => {
  it('answers S0 = 3, S1 = time + zeros + random, S2 = echo of C1 with our read time', () => {
    const c0c1 = plainC0C1();
    const server = fixedServer();
    const { s0s1s2, queue, done } = answer(server, c0c1);
    expect(done).toBe(false);
    expect(queue.length).toBe(0);
    expect(s0s1s2.length).toBe(3073);
    expect(s0s1s2[0]).toBe(3);
    expect(s0s1s2.readUInt32BE(1)).toBe(0x01020304);
    expect(s0s1s2.readUInt32BE(5)).toBe(0);
    const s2 = s0s1s2.subarray(1537);
    expect(s2.readUInt32BE(0)).toBe(777);
    expect(s2.readUInt32BE(4)).toBe(0x01020304);
    expect(s2.subarray(8).equals(c0c1.subarray(9))).toBe(true);
    expect(server.complex).toBe(false);
    expect(server.scheme).toBeUndefined();
  });

  it('answers plain when C1 has a version but no valid digest, and when it has a digest but version 0', () => {
    const noDigest = plainC0C1();
    noDigest.writeUInt32BE(0x80000702, 5);
    expect(fixedServer().receive(queueOf(noDigest)).send[0]![5]).toBe(0);

    const { c0c1 } = referenceComplexC0C1(1);
    c0c1.writeUInt32BE(0, 5);
    const server = fixedServer();
    server.receive(queueOf(c0c1));
    expect(server.complex).toBe(false);
  });

  it('finishes on C2 whatever it holds, leaving the bytes after C2 in the queue', () => {
    const server = fixedServer();
    const extra = Buffer.from([2, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0x10, 0]);
    const queue = queueOf(Buffer.concat([plainC0C1(), Buffer.alloc(1536, 0x55), extra]));
    const out = server.receive(queue);
    expect(out.done).toBe(true);
    expect(server.done).toBe(true);
    expect(out.send.length).toBe(1);
    expect(queue.length).toBe(extra.length);
    expect(Buffer.from(queue.take(queue.length)).equals(extra)).toBe(true);
    expect(server.peerResponseValid).toBeUndefined();
  });

  it('waits for all of C2, then consumes nothing more once done', () => {
    const server = fixedServer();
    const queue = queueOf(plainC0C1());
    expect(server.receive(queue).send.length).toBe(1);
    queue.push(new Uint8Array(1535));
    expect(server.receive(queue)).toEqual({ send: [], done: false });
    expect(queue.length).toBe(1535);
    queue.push(new Uint8Array(10));
    expect(server.receive(queue)).toEqual({ send: [], done: true });
    expect(queue.length).toBe(9);
    expect(server.receive(queue)).toEqual({ send: [], done: true });
    expect(queue.length).toBe(9);
  });
});

describe('ServerHandshake, complex', () => {
  it.each([0, 1] as const)('scheme %i: S1 carries an FMS digest in the same scheme, S2 the expected HMAC', (scheme) => {
    const { c0c1, digest } = referenceComplexC0C1(scheme);
    const server = fixedServer();
    const { s0s1s2 } = answer(server, c0c1);
    expect(server.complex).toBe(true);
    expect(server.scheme).toBe(scheme);
    expect(s0s1s2[0]).toBe(3);
    const s1 = s0s1s2.subarray(1, 1537);
    expect(s1.readUInt32BE(4)).not.toBe(0);
    const s1Offset = refOffset(s1, scheme);
    const s1Digest = s1.subarray(s1Offset, s1Offset + 32);
    expect(s1Digest.equals(refDigest(s1, s1Offset, REF_FMS.subarray(0, 36)))).toBe(true);
    const s2 = s0s1s2.subarray(1537);
    const expected = hmac(hmac(REF_FMS, digest), s2.subarray(0, 1504));
    expect(s2.subarray(1504).equals(expected)).toBe(true);

    const c2 = Buffer.alloc(1536, 0x42);
    hmac(hmac(REF_FP, s1Digest), c2.subarray(0, 1504)).copy(c2, 1504);
    const queue = queueOf(c2);
    expect(server.receive(queue).done).toBe(true);
    expect(server.peerResponseValid).toBe(true);
  });

  it('accepts a C2 that does not verify (an echo, as OBS-like clients send)', () => {
    const { c0c1 } = referenceComplexC0C1(1);
    const server = fixedServer();
    const { s0s1s2 } = answer(server, c0c1);
    expect(server.receive(queueOf(s0s1s2.subarray(1, 1537))).done).toBe(true);
    expect(server.peerResponseValid).toBe(false);
  });
});

describe('ServerHandshake, version byte', () => {
  it.each([
    { version: 6, message: /RTMPE/ },
    { version: 0xff, message: /255 is not RTMP version 3/ },
    { version: 0x47, message: /71 is not RTMP version 3/ },
  ])('C0 = $version → ERR_RTMP_HANDSHAKE_VERSION at the first byte', ({ version, message }) => {
    const server = fixedServer();
    const queue = queueOf(new Uint8Array([version]));
    let error: unknown;
    try {
      server.receive(queue);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RtmpError);
    expect((error as RtmpError).code).toBe('ERR_RTMP_HANDSHAKE_VERSION');
    expect((error as RtmpError).details).toMatchObject({ packet: 'C0', version, expected: 3 });
    expect((error as RtmpError).message).toMatch(message);
  });

  it('waits without error on an empty queue', () => {
    expect(fixedServer().receive(new BufferQueue())).toEqual({ send: [], done: false });
  });
});

/*
 * Real clients, recorded against nginx-rtmp (fixtures/rtmp/README.md). Seen in the recordings:
 * ffmpeg 5.1 sends a complex C1 (version 9.0.124.2, digest in scheme 1); OBS 29, GStreamer
 * rtmp2sink and librtmp 2.4 (rtmpsink, no SWF given, so no FP9 handshake) send plain C1s.
 */
const TRANSCRIPTS = [
  { file: 'ffmpeg-5.1-publish.c2s.bin', complex: true, scheme: 1 },
  { file: 'obs-29.0.2-publish.c2s.bin', complex: false, scheme: undefined },
  { file: 'gstreamer-1.22-rtmp2sink-publish.c2s.bin', complex: false, scheme: undefined },
  { file: 'librtmp-2.4-rtmpsink-publish.c2s.bin', complex: false, scheme: undefined },
] as const;

describe.each(TRANSCRIPTS)('ServerHandshake on the real $file', ({ file, complex, scheme }) => {
  const transcript = readFileSync(new URL(`../../../fixtures/rtmp/${file}`, import.meta.url));
  const c0c1 = transcript.subarray(0, 1537);

  it(`answers ${complex ? `complex, scheme ${scheme}` : 'plain'}`, () => {
    const server = fixedServer();
    const { s0s1s2 } = answer(server, c0c1);
    expect(s0s1s2.length).toBe(3073);
    expect(server.complex).toBe(complex);
    expect(server.scheme).toBe(scheme);
  });

  it('gives the same answer for C0+C1 split at every offset 1..1537', () => {
    const whole = answer(fixedServer(), c0c1).s0s1s2;
    for (let cut = 1; cut <= 1537; cut++) {
      const server = fixedServer();
      const queue = new BufferQueue();
      queue.push(c0c1.subarray(0, cut));
      const first = server.receive(queue);
      queue.push(c0c1.subarray(cut));
      const second = server.receive(queue);
      const sent = Buffer.concat([...first.send, ...second.send]);
      expect(cut < 1537 ? first.send.length : second.send.length).toBe(0);
      if (!sent.equals(whole)) throw new Error(`answer differs when C0+C1 is split at ${cut}`);
      expect(server.complex).toBe(complex);
      expect(queue.length).toBe(0);
    }
  });

  it('consumes C0+C1+C2 and leaves the first chunk of the session in the queue', () => {
    const server = fixedServer();
    const queue = new BufferQueue();
    queue.push(transcript.subarray(0, 5000));
    const out = server.receive(queue);
    expect(out.done).toBe(true);
    expect(queue.length).toBe(5000 - 3073);
    expect(Buffer.from(queue.take(queue.length)).equals(transcript.subarray(3073, 5000))).toBe(true);
  });
});

function queueOf(bytes: Uint8Array): BufferQueue {
  const queue = new BufferQueue();
  queue.push(bytes);
  return queue;
}
