import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferQueue } from '../../../src/bytes/index.js';
import { RtmpError } from '../../../src/errors/index.js';
import { ClientHandshake, ServerHandshake } from '../../../src/rtmp/handshake/index.js';

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
      { numRuns: 300 },
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
      { numRuns: 200 },
    );
  });
});
