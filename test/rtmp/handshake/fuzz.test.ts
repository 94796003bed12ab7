import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferQueue } from '../../../src/bytes/index.js';
import { RtmpError } from '../../../src/errors/index.js';
import { ClientHandshake, ServerHandshake } from '../../../src/rtmp/handshake/index.js';
import { corpus, expectOutcome, expectTableMatchesCorpus, replay, withCorpusHint, type CorpusFile, type Expected } from '../../helpers/corpus.js';

/** Bytes that mostly start like RTMP (so the fuzzer gets past C0) and sometimes do not. */
const transcript = fc
  .tuple(fc.oneof(fc.constant(3), fc.constant(3), fc.constant(6), fc.integer({ min: 0, max: 255 })), fc.uint8Array({ maxLength: 5000 }))
  .map(([first, rest]) => Uint8Array.from([first, ...rest]));

const pieces = fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 20 });

interface Side {
  receive(queue: BufferQueue): { send: Uint8Array[]; done: boolean };
}

/**
 * Feeds `bytes` in pieces (cycling through `sizes`). Returns how the run ended; throws anything
 * that is not an RtmpError, and checks that only whole handshake packets are ever consumed.
 */
function feed(side: Side, bytes: Uint8Array, sizes: number[], allowedConsumed: readonly number[]): 'error' | 'done' | 'waiting' {
  const queue = new BufferQueue();
  let pushed = 0;
  for (let i = 0; pushed < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    queue.push(bytes.subarray(pushed, pushed + size));
    pushed = Math.min(pushed + size, bytes.length);
    let out;
    try {
      out = side.receive(queue);
    } catch (e) {
      if (e instanceof RtmpError) return 'error';
      throw e;
    }
    const consumed = pushed - queue.length;
    if (!allowedConsumed.includes(consumed)) throw new Error(`consumed ${consumed} bytes`);
    if (out.done) return 'done';
  }
  return 'waiting';
}

describe('handshake fuzzing: random bytes in random splits', () => {
  it('server: ends only in RtmpError, done or waiting', () => {
    fc.assert(
      fc.property(transcript, pieces, (bytes, sizes) => {
        const end = feed(new ServerHandshake(), bytes, sizes, [0, 1537, 3073]);
        if (bytes[0] !== 3) expect(end).toBe('error');
        else expect(end).toBe(bytes.length >= 3073 ? 'done' : 'waiting');
      }),
      withCorpusHint('rtmp-handshake', { numRuns: 300 }),
    );
  });

  it.each([false, true])('client (complex: %s): ends only in RtmpError, done or waiting', (complex) => {
    fc.assert(
      fc.property(transcript, pieces, (bytes, sizes) => {
        const client = new ClientHandshake({ complex });
        client.start();
        const end = feed(client, bytes, sizes, [0, 3073]);
        if (bytes[0] !== 3) expect(end).toBe('error');
        else expect(end).toBe(bytes.length >= 3073 ? 'done' : 'waiting');
      }),
      withCorpusHint('rtmp-handshake', { numRuns: 200 }),
    );
  });
});

/** How one side ended after all of a file's bytes arrived at once. */
interface HandshakeEnd {
  readonly done: boolean;
  /** Bytes the side answered with. */
  readonly sentBytes: number;
  /** Bytes left in the queue for the chunk reader. */
  readonly leftBytes: number;
}

interface ServerEnd extends HandshakeEnd {
  readonly complex: boolean;
  readonly peerResponseValid: boolean | undefined;
}

/** Fixed random bytes, so the replay is the same on every run. */
const zeros = (n: number): Uint8Array => new Uint8Array(n);

function receiveAll(side: Side, bytes: Uint8Array): HandshakeEnd {
  const queue = new BufferQueue();
  queue.push(bytes);
  const out = side.receive(queue);
  return { done: out.done, sentBytes: out.send.reduce((n, b) => n + b.length, 0), leftBytes: queue.length };
}

function serverSide(bytes: Uint8Array): ServerEnd {
  const server = new ServerHandshake({ random: zeros });
  return { ...receiveAll(server, bytes), complex: server.complex, peerResponseValid: server.peerResponseValid };
}

function clientSide(bytes: Uint8Array): HandshakeEnd {
  const client = new ClientHandshake({ random: zeros });
  client.start();
  return receiveAll(client, bytes);
}

/** fixtures/corpus/rtmp-handshake/: every file goes to both sides; c0c1c2 files are pinned on the server, s0s1s2 on the client. */
const HANDSHAKE_CORPUS: Record<string, { server?: Expected<ServerEnd>; client?: Expected<HandshakeEnd> }> = {
  'valid-obs-c0c1c2.bin': { server: (end) => expect(end).toEqual({ done: true, sentBytes: 3073, leftBytes: 0, complex: false, peerResponseValid: undefined }) },
  // FFmpeg signs C1 (a complex handshake) but echoes S1 as C2 instead of the HMAC; accepted, and reported.
  'valid-ffmpeg-c0c1c2.bin': { server: (end) => expect(end).toEqual({ done: true, sentBytes: 3073, leftBytes: 0, complex: true, peerResponseValid: false }) },
  'valid-gstreamer-c0c1c2.bin': { server: (end) => expect(end).toMatchObject({ done: true, leftBytes: 0, complex: false }) },
  'valid-librtmp-c0c1c2.bin': { server: (end) => expect(end).toMatchObject({ done: true, leftBytes: 0, complex: false }) },
  'valid-nginx-s0s1s2.bin': { client: (end) => expect(end).toEqual({ done: true, sentBytes: 1536, leftBytes: 0 }) },
  'valid-complex-c0c1.bin': { server: (end) => expect(end).toEqual({ done: false, sentBytes: 3073, leftBytes: 0, complex: true, peerResponseValid: undefined }) },
  'truncated-c0c1-at-1000.bin': {
    server: (end) => expect(end).toMatchObject({ done: false, sentBytes: 0, leftBytes: 1000 }),
    client: (end) => expect(end).toEqual({ done: false, sentBytes: 0, leftBytes: 1000 }),
  },
  'truncated-c0-only.bin': { server: (end) => expect(end).toMatchObject({ done: false, sentBytes: 0, leftBytes: 1 }) },
  'hostile-rtmpe-version-6.bin': { server: 'ERR_RTMP_HANDSHAKE_VERSION', client: 'ERR_RTMP_HANDSHAKE_VERSION' },
  'hostile-version-0.bin': { server: 'ERR_RTMP_HANDSHAKE_VERSION', client: 'ERR_RTMP_HANDSHAKE_VERSION' },
  'hostile-http-get.bin': { server: 'ERR_RTMP_HANDSHAKE_VERSION', client: 'ERR_RTMP_HANDSHAKE_VERSION' },
  // A non-zero C1 version without a valid digest gets the plain answer (RTMP 5.2.3).
  'hostile-c1-version-without-digest.bin': { server: (end) => expect(end).toMatchObject({ done: true, complex: false }) },
  'hostile-empty.bin': { server: (end) => expect(end).toMatchObject({ done: false, sentBytes: 0 }) },
};

describe('corpus', () => {
  const files = corpus('rtmp-handshake');

  it('every valid sample has its expected value, every expectation its file', () => expectTableMatchesCorpus(files, HANDSHAKE_CORPUS));

  it.each(files)('$name: both sides end done, waiting or in an RtmpError, as pinned, in any chunking', (file: CorpusFile) => {
    const expected = HANDSHAKE_CORPUS[file.name];
    expectOutcome(replay(file, RtmpError, serverSide), expected?.server);
    expectOutcome(replay(file, RtmpError, clientSide), expected?.client);
    feed(new ServerHandshake(), file.bytes, [97], [0, 1537, 3073]);
    const client = new ClientHandshake();
    client.start();
    feed(client, file.bytes, [97], [0, 3073]);
  });
});
