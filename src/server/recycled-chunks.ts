/**
 * Read buffers for one pass over a file, each reused once nothing refers to its bytes any more.
 *
 * Why: a fresh buffer per read is fresh memory, and the kernel maps and zeroes every page of it
 * on first touch. Packaging a 466 MB file that way spent more time in page faults than in
 * everything else together (docs/benchmarks.md, "tidecast package"); refilling a handful of
 * buffers that are already mapped costs only the copy out of the page cache.
 *
 * Lifetime rule. Tags and samples are views of the buffer they were read into, so a buffer may be
 * refilled only when
 *   - the FLV reader no longer holds any of its bytes (it holds the last `bufferedBytes` of the
 *     input: `readerFrom`), and
 *   - every sample view of it handed out (`retain`) has been written (`release`), and
 *   - no tag body of it was kept in another form (`pin`: a sequence header becomes a track's
 *     decoder config for the whole run). A pinned buffer is never refilled.
 * Views of buffers this pool did not hand out (the FLV reader's copies of a tag that spans two
 * reads, fragment headers) are ignored.
 */

interface Chunk {
  readonly bytes: Uint8Array;
  /** File offset one past the last byte read into it. */
  readonly end: number;
  /** Sample views handed out and not yet released. */
  views: number;
  pinned: boolean;
}

export class RecycledChunks {
  readonly chunkBytes: number;
  /** Buffers allocated over the run: a few when buffers are reused, input ÷ chunkBytes when not. */
  allocated = 0;
  readonly #free: Uint8Array[] = [];
  readonly #live = new Map<ArrayBufferLike, Chunk>();
  #readerFrom = 0;

  constructor(chunkBytes: number) {
    this.chunkBytes = chunkBytes;
  }

  /** A buffer of `chunkBytes` to read into: a free one, or a new one. */
  next(): Uint8Array {
    const free = this.#free.pop();
    if (free !== undefined) return free;
    this.allocated++;
    // Not from Node's shared pool: each buffer owns its ArrayBuffer, which is how views are traced back.
    const b = Buffer.allocUnsafeSlow(this.chunkBytes);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }

  /** `bytes` (from next()) now holds the input up to file offset `end`. */
  filled(bytes: Uint8Array, end: number): void {
    this.#live.set(bytes.buffer, { bytes, end, views: 0, pinned: false });
  }

  /** A buffer from next() that was not filled (end of input): back to the free list. */
  unused(bytes: Uint8Array): void {
    this.#free.push(bytes);
  }

  retain(view: Uint8Array): void {
    const chunk = this.#live.get(view.buffer);
    if (chunk !== undefined) chunk.views++;
  }

  pin(view: Uint8Array): void {
    const chunk = this.#live.get(view.buffer);
    if (chunk !== undefined) chunk.pinned = true;
  }

  /** A retained view has been written out. */
  release(view: Uint8Array): void {
    const chunk = this.#live.get(view.buffer);
    if (chunk === undefined) return;
    chunk.views--;
    this.#recycle(chunk);
  }

  /** The reader holds no byte before file offset `offset` any more. */
  readerFrom(offset: number): void {
    this.#readerFrom = offset;
    for (const chunk of this.#live.values()) this.#recycle(chunk);
  }

  #recycle(chunk: Chunk): void {
    if (chunk.views > 0 || chunk.pinned || chunk.end > this.#readerFrom) return;
    this.#live.delete(chunk.bytes.buffer);
    this.#free.push(chunk.bytes);
  }
}
