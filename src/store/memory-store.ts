import type { SegmentStore, StoredFile } from './store.js';
import { checkStorePath, checkStorePrefix } from './store-path.js';

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
  readonly #files = new Map<string, StoredFile>();
  #bytes = 0;

  put(path: string, file: StoredFile): void {
    checkStorePath(path);
    const previous = this.#files.get(path);
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
