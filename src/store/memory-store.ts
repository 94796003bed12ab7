import { checkNumberRange, integerRange } from '../config/index.js';
import { TidecastError } from '../errors/index.js';
import type { SegmentStore, StoredFile } from './store.js';
import { checkStorePath, checkStorePrefix } from './store-path.js';

/**
 * 2 GiB: what a MemoryStore may hold in all. A stream keeps its window (6 segments) plus the
 * segments kept after it and its LL-HLS parts — about 12 MB at 6 Mb/s — so this is over 150 such
 * streams; past it a put fails with ERR_STORE_FULL (that stream's packaging reports the error and
 * goes on) instead of the process running out of memory.
 */
export const DEFAULT_MEMORY_STORE_MAX_BYTES = 2 * 1024 * 1024 * 1024;

/** maxBytes from 0 (store nothing) to 1 PiB, far past any machine's memory. */
export const MEMORY_STORE_MAX_BYTES_RANGE = integerRange(0, 2 ** 50);

export interface MemoryStoreOptions {
  /** Total bytes of all files; a put that would exceed it throws ERR_STORE_FULL. Default DEFAULT_MEMORY_STORE_MAX_BYTES. */
  maxBytes?: number;
}

/** A put refused because the store would hold more than its maxBytes. */
export class StoreFullError extends TidecastError {
  constructor(path: string, bytes: number, fileBytes: number, maxBytes: number) {
    super('ERR_STORE_FULL', `store full: putting ${path} (${fileBytes} bytes) would hold ${bytes + fileBytes} bytes, above maxBytes ${maxBytes}`, { path: path.slice(0, 256), bytes, fileBytes, maxBytes });
  }
}

/** What a MemoryStore holds right now. */
export interface MemoryStoreCounters {
  /** Files stored. */
  files: number;
  /** Sum of their byteLength. */
  bytes: number;
}

/**
 * The default store: a map from path to the file as given. The pieces are kept as they are —
 * views of the fragment header and of the samples' payloads — so a segment costs no copy and its
 * memory is released when the packager deletes it (the packager owns the window; this store
 * never evicts). Every call is synchronous, so HTTP can answer from it without awaiting.
 */
export class MemoryStore implements SegmentStore {
  readonly maxBytes: number;
  readonly #files = new Map<string, StoredFile>();
  #bytes = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MEMORY_STORE_MAX_BYTES;
    checkNumberRange('maxBytes', this.maxBytes, MEMORY_STORE_MAX_BYTES_RANGE);
  }

  put(path: string, file: StoredFile): void {
    checkStorePath(path);
    const previous = this.#files.get(path);
    const held = this.#bytes - (previous?.byteLength ?? 0);
    if (held + file.byteLength > this.maxBytes) throw new StoreFullError(path, held, file.byteLength, this.maxBytes);
    if (previous !== undefined) this.#bytes -= previous.byteLength;
    this.#files.set(path, { pieces: file.pieces, byteLength: file.byteLength, contentType: file.contentType });
    this.#bytes += file.byteLength;
  }

  get(path: string): StoredFile | undefined {
    checkStorePath(path);
    return this.#files.get(path);
  }

  has(path: string): boolean {
    checkStorePath(path);
    return this.#files.has(path);
  }

  delete(path: string): void {
    checkStorePath(path);
    const previous = this.#files.get(path);
    if (previous === undefined) return;
    this.#files.delete(path);
    this.#bytes -= previous.byteLength;
  }

  list(prefix = ''): string[] {
    checkStorePrefix(prefix);
    return [...this.#files.keys()].filter((path) => path.startsWith(prefix)).sort();
  }

  get counters(): Readonly<MemoryStoreCounters> {
    return { files: this.#files.size, bytes: this.#bytes };
  }
}
