import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferQueue } from '../../src/bytes/index.js';

describe('BufferQueue.own', () => {
  it('keeps the unread bytes when the pushed buffer is overwritten after own()', () => {
    const shared = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const q = new BufferQueue();
    q.push(shared);
    q.skip(2);
    q.own();
    shared.fill(0xee);
    expect([...q.take(4)]).toEqual([3, 4, 5, 6]);
  });

  it('copies only what was pushed since the last call: an owned buffer is not copied again', () => {
    const shared = new Uint8Array(4);
    const q = new BufferQueue();
    shared.set([1, 2, 3, 4]);
    q.push(shared);
    q.own();
    const scratch = new Uint8Array(8);
    const first = q.window(1, scratch);
    expect(first).not.toBe(shared);
    shared.set([5, 6, 7, 8]);
    q.push(shared);
    q.own();
    // The head is still the array the first call made, not a copy of it.
    expect(q.window(1, scratch)).toBe(first);
    shared.fill(0);
    expect([...q.take(8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('with nothing pushed, or everything read, changes nothing', () => {
    const q = new BufferQueue();
    q.own();
    expect(q.length).toBe(0);
    q.push(Uint8Array.from([1, 2]));
    q.skip(2);
    q.own();
    expect(q.length).toBe(0);
  });

  it('property: reads through one reused buffer, owned after each push, see the bytes as sent', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 600 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 40 }),
        (data, pushSizes, readSizes) => {
          const shared = new Uint8Array(97);
          const q = new BufferQueue();
          const got: number[] = [];
          let sent = 0;
          let turn = 0;
          while (sent < data.length) {
            const n = Math.min(pushSizes[turn % pushSizes.length]!, data.length - sent);
            shared.set(data.subarray(sent, sent + n));
            q.push(shared.subarray(0, n));
            sent += n;
            const want = Math.min(readSizes[turn % readSizes.length]!, q.length);
            got.push(...q.take(want));
            q.own();
            shared.fill(0xa5);
            turn++;
          }
          got.push(...q.take(q.length));
          expect(got).toEqual([...data]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
