import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferQueue } from '../../src/bytes/index.js';
import { BytesError } from '../../src/errors/index.js';

/** A queue holding `parts` pushed in order, e.g. `queueOf([1, 2], [3], [4, 5, 6])`. */
function queueOf(...parts: number[][]): BufferQueue {
  const q = new BufferQueue();
  for (const p of parts) q.push(Uint8Array.from(p));
  return q;
}

/** The BytesError code `fn` threw; fails on success or on any other error. */
function bytesErrorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof BytesError) return err.code;
    throw err;
  }
  throw new Error('expected a BytesError, nothing was thrown');
}

describe('BufferQueue', () => {
  it('counts pushed bytes and ignores empty pushes', () => {
    const q = queueOf([1, 2], [], [3]);
    expect(q.length).toBe(3);
    q.push(new Uint8Array(0));
    expect(q.length).toBe(3);
  });

  it('peeks across buffer boundaries without consuming', () => {
    const q = queueOf([1, 2], [3], [4, 5, 6]);
    expect([0, 1, 2, 3, 4, 5].map((i) => q.peek(i))).toEqual([1, 2, 3, 4, 5, 6]);
    q.skip(1);
    expect([0, 1, 2, 3, 4].map((i) => q.peek(i))).toEqual([2, 3, 4, 5, 6]);
    expect(q.length).toBe(5);
  });

  it('peek past the end throws ERR_BYTES_OUT_OF_RANGE', () => {
    const q = queueOf([1, 2], [3]);
    expect(bytesErrorCode(() => q.peek(3))).toBe('ERR_BYTES_OUT_OF_RANGE');
  });

  it('window returns the head buffer itself when the bytes lie in it', () => {
    const head = Uint8Array.from([9, 1, 2, 3]);
    const q = new BufferQueue();
    q.push(head);
    q.push(Uint8Array.from([4]));
    q.skip(1);
    const scratch = new Uint8Array(8);
    expect(q.window(3, scratch)).toBe(head);
    expect(q.windowStart).toBe(1);
    expect(q.length).toBe(4);
  });

  it('window copies into scratch when the bytes span buffers', () => {
    const q = queueOf([1, 2], [3], [4, 5]);
    q.skip(1);
    const scratch = new Uint8Array(8).fill(0xee);
    const w = q.window(4, scratch);
    expect(w).toBe(scratch);
    expect(q.windowStart).toBe(0);
    expect([...w.subarray(0, 4)]).toEqual([2, 3, 4, 5]);
    expect(w[4]).toBe(0xee);
    expect(q.length).toBe(4);
  });

  it('window of 0 bytes, even on an empty queue, returns without reading', () => {
    const scratch = new Uint8Array(1);
    expect(new BufferQueue().window(0, scratch)).toBe(scratch);
  });

  it('window past the end throws ERR_BYTES_OUT_OF_RANGE', () => {
    expect(bytesErrorCode(() => queueOf([1], [2]).window(3, new Uint8Array(3)))).toBe('ERR_BYTES_OUT_OF_RANGE');
  });

  it('skips across buffer boundaries, landing exactly on one', () => {
    const q = queueOf([1, 2], [3], [4, 5, 6]);
    q.skip(3);
    expect(q.length).toBe(3);
    expect(q.peek(0)).toBe(4);
    q.skip(2);
    expect(q.peek(0)).toBe(6);
    q.skip(1);
    expect(q.length).toBe(0);
  });

  it('skip past the end throws and leaves the queue unchanged', () => {
    const q = queueOf([1, 2], [3]);
    expect(bytesErrorCode(() => q.skip(4))).toBe('ERR_BYTES_OUT_OF_RANGE');
    expect(q.length).toBe(3);
    expect(q.peek(0)).toBe(1);
  });

  it('readInto copies and consumes across buffers at an offset of the target', () => {
    const q = queueOf([1, 2], [3], [4, 5, 6]);
    q.skip(1);
    const dst = new Uint8Array(6);
    q.readInto(dst, 1, 4);
    expect([...dst]).toEqual([0, 2, 3, 4, 5, 0]);
    expect(q.length).toBe(1);
    expect(q.peek(0)).toBe(6);
  });

  it('readInto past the end throws ERR_BYTES_OUT_OF_RANGE', () => {
    expect(bytesErrorCode(() => queueOf([1]).readInto(new Uint8Array(2), 0, 2))).toBe('ERR_BYTES_OUT_OF_RANGE');
  });

  it('take returns a view (no copy) when the bytes lie in one buffer', () => {
    const buf = Uint8Array.from([1, 2, 3, 4]);
    const q = new BufferQueue();
    q.push(buf);
    q.skip(1);
    const view = q.take(2);
    expect([...view]).toEqual([2, 3]);
    expect(view.buffer).toBe(buf.buffer);
    expect(view.byteOffset).toBe(1);
    expect(q.length).toBe(1);
  });

  it('take copies once when the bytes span buffers', () => {
    const a = Uint8Array.from([1, 2]);
    const q = new BufferQueue();
    q.push(a);
    q.push(Uint8Array.from([3, 4]));
    const out = q.take(3);
    expect([...out]).toEqual([1, 2, 3]);
    expect(out.buffer).not.toBe(a.buffer);
    expect(q.length).toBe(1);
    expect(q.peek(0)).toBe(4);
  });

  it('take(0) on an empty queue returns an empty array', () => {
    expect(new BufferQueue().take(0).length).toBe(0);
  });

  it('take past the end throws ERR_BYTES_OUT_OF_RANGE', () => {
    expect(bytesErrorCode(() => queueOf([1, 2]).take(3))).toBe('ERR_BYTES_OUT_OF_RANGE');
  });

  it('clear empties the queue', () => {
    const q = queueOf([1, 2], [3]);
    q.clear();
    expect(q.length).toBe(0);
    q.push(Uint8Array.from([7]));
    expect(q.peek(0)).toBe(7);
  });

  it('compacts its buffer list after more than 1024 dropped heads, keeping every byte', () => {
    const q = new BufferQueue();
    const count = 5000;
    for (let i = 0; i < count; i++) q.push(Uint8Array.of(i & 0xff));
    // The list is private; reading its length is the one way to see that drops are reclaimed.
    const list = (): number => (q as unknown as { bufs: unknown[] }).bufs.length;
    for (let i = 0; i < 3000; i++) {
      expect(q.peek(0)).toBe(i & 0xff);
      q.skip(1);
    }
    expect(list()).toBeLessThan(count);
    expect(q.length).toBe(2000);
    const rest = q.take(2000);
    expect(rest.every((v, i) => v === ((3000 + i) & 0xff))).toBe(true);
    expect(list()).toBe(0);
  });

  it('keeps the dropped-head list bounded while bytes stream through', () => {
    const q = new BufferQueue();
    const list = (): number => (q as unknown as { bufs: unknown[] }).bufs.length;
    let max = 0;
    for (let i = 0; i < 20_000; i++) {
      q.push(Uint8Array.of(1, 2));
      q.push(Uint8Array.of(3));
      // Consume all but one byte so the list never empties and compaction has to do the work.
      q.skip(q.length - 1);
      max = Math.max(max, list());
    }
    expect(max).toBeLessThanOrEqual(2 * 1024 + 2);
  });

  /** A queue against a plain array model: every operation, every buffer layout. */
  it('matches a flat-array model under random operations (property)', () => {
    type Op =
      | { kind: 'push'; bytes: Uint8Array }
      | { kind: 'peek' | 'skip' | 'take' | 'readInto' | 'window'; n: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), bytes: fc.uint8Array({ maxLength: 9 }) }),
      fc.record({ kind: fc.constantFrom('peek' as const, 'skip' as const, 'take' as const, 'readInto' as const, 'window' as const), n: fc.nat({ max: 20 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const q = new BufferQueue();
        let model: number[] = [];
        for (const o of ops) {
          if (o.kind === 'push') {
            q.push(o.bytes);
            model = model.concat([...o.bytes]);
            continue;
          }
          const fits = o.kind === 'peek' ? o.n < model.length : o.n <= model.length;
          if (!fits) {
            expect(bytesErrorCode(() => apply(q, o.kind, o.n))).toBe('ERR_BYTES_OUT_OF_RANGE');
          } else {
            const got = apply(q, o.kind, o.n);
            const want = o.kind === 'peek' ? [model[o.n]!] : model.slice(0, o.n);
            expect(got).toEqual(want);
            if (o.kind === 'skip' || o.kind === 'take' || o.kind === 'readInto') model = model.slice(o.n);
          }
          expect(q.length).toBe(model.length);
        }
      }),
      { numRuns: 500 },
    );
  });
});

function apply(q: BufferQueue, kind: 'peek' | 'skip' | 'take' | 'readInto' | 'window', n: number): number[] {
  switch (kind) {
    case 'peek':
      return [q.peek(n)];
    case 'skip': {
      const head = n === 0 ? [] : Array.from({ length: n }, (_, i) => q.peek(i));
      q.skip(n);
      return head;
    }
    case 'take':
      return [...q.take(n)];
    case 'readInto': {
      const dst = new Uint8Array(n + 2);
      q.readInto(dst, 1, n);
      return [...dst.subarray(1, n + 1)];
    }
    case 'window': {
      const w = q.window(n, new Uint8Array(n));
      return [...w.subarray(q.windowStart, q.windowStart + n)];
    }
  }
}
