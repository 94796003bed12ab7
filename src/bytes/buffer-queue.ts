import { BytesError } from '../errors/index.js';
import { uninitialized } from './uninitialized.js';

/**
 * A FIFO of received byte arrays that incremental parsers read from without re-joining them.
 * Buffers are kept as pushed (views of the socket's buffers); bytes are copied only when a read
 * spans two of them. The queue never reads past `length`: a parser asks `length` first and
 * returns "need more data" itself.
 */
export class BufferQueue {
  private bufs: Uint8Array[] = [];
  private first = 0;
  private offset = 0;
  private total = 0;
  /** How many of the last buffers were pushed since `own()` (views of the caller's memory). */
  private borrowed = 0;

  get length(): number {
    return this.total;
  }

  push(buf: Uint8Array): void {
    if (buf.length === 0) return;
    this.bufs.push(buf);
    this.total += buf.length;
    this.borrowed += 1;
  }

  /** Byte `i` ahead of the read position (0 ≤ i < length). */
  peek(i: number): number {
    let idx = this.first;
    let at = this.offset + i;
    for (;;) {
      const b = this.bufs[idx];
      if (b === undefined) throw outOfRange(i + 1, this.total);
      if (at < b.length) return b[at]!;
      at -= b.length;
      idx++;
    }
  }

  /**
   * Makes the next `n` bytes addressable in one array without consuming them: returns the head
   * buffer when they lie in it, otherwise `scratch` (length ≥ n) filled with a copy. The bytes start
   * at `windowStart` of the returned array.
   */
  window(n: number, scratch: Uint8Array): Uint8Array {
    if (n > this.total) throw outOfRange(n, this.total);
    const head = this.bufs[this.first];
    if (head !== undefined && head.length - this.offset >= n) {
      this.windowStart = this.offset;
      return head;
    }
    this.copyOut(scratch, 0, n, false);
    this.windowStart = 0;
    return scratch;
  }

  /** Offset of the first byte in the array last returned by `window`. */
  windowStart = 0;

  skip(n: number): void {
    if (n > this.total) throw outOfRange(n, this.total);
    this.total -= n;
    while (n > 0) {
      const head = this.bufs[this.first]!;
      const left = head.length - this.offset;
      if (n < left) {
        this.offset += n;
        return;
      }
      n -= left;
      this.dropHead();
    }
  }

  /** Consumes `n` bytes into `dst` at `dstOffset`. */
  readInto(dst: Uint8Array, dstOffset: number, n: number): void {
    if (n > this.total) throw outOfRange(n, this.total);
    this.copyOut(dst, dstOffset, n, true);
  }

  /** Consumes `n` bytes: a view when they lie in one pushed buffer, else one copy. */
  take(n: number): Uint8Array {
    if (n > this.total) throw outOfRange(n, this.total);
    const head = this.bufs[this.first];
    if (head !== undefined && head.length - this.offset >= n) {
      const view = head.subarray(this.offset, this.offset + n);
      this.skip(n);
      return view;
    }
    const out = new Uint8Array(n);
    this.copyOut(out, 0, n, true);
    return out;
  }

  /**
   * Replaces what is left of the buffers pushed since the last call with copies, so the queue
   * holds no view of them: a caller that reads into the same memory again (a shared socket read
   * buffer) calls this before the next read. Copies only those buffers' unread bytes, never what
   * an earlier call already copied, so a chunk that takes many reads to arrive is copied once.
   */
  own(): void {
    for (let i = Math.max(this.first, this.bufs.length - this.borrowed); i < this.bufs.length; i++) {
      const from = i === this.first ? this.offset : 0;
      const b = this.bufs[i]!;
      const copy = uninitialized(b.length - from);
      copy.set(b.subarray(from));
      this.bufs[i] = copy;
      if (i === this.first) this.offset = 0;
    }
    this.borrowed = 0;
  }

  clear(): void {
    this.borrowed = 0;
    this.bufs = [];
    this.first = 0;
    this.offset = 0;
    this.total = 0;
  }

  private copyOut(dst: Uint8Array, dstOffset: number, n: number, consume: boolean): void {
    let idx = this.first;
    let off = this.offset;
    let written = 0;
    while (written < n) {
      const b = this.bufs[idx]!;
      const count = Math.min(b.length - off, n - written);
      dst.set(count === b.length && off === 0 ? b : b.subarray(off, off + count), dstOffset + written);
      written += count;
      off += count;
      if (off === b.length) {
        idx++;
        off = 0;
      }
    }
    if (!consume) return;
    this.total -= n;
    for (let drops = idx - this.first; drops > 0; drops--) this.dropHead();
    this.offset = off;
  }

  private dropHead(): void {
    this.bufs[this.first] = EMPTY;
    this.first++;
    this.offset = 0;
    if (this.first === this.bufs.length) {
      this.bufs.length = 0;
      this.first = 0;
    } else if (this.first >= 1024 && this.first * 2 >= this.bufs.length) {
      this.bufs = this.bufs.slice(this.first);
      this.first = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);

function outOfRange(need: number, have: number): BytesError {
  return new BytesError('ERR_BYTES_OUT_OF_RANGE', `queue holds ${have} bytes, ${need} needed`, { need, have });
}
