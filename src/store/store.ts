/**
 * The segment store (design.md "store/"): where the packagers put the files they produce and where
 * HTTP delivery reads them. One file is a list of pieces written in order — a fragment header
 * followed by the samples' own payload views — so nothing is joined on the way from the packager
 * to the socket (style.md practice 4).
 *
 * Lifetime rule: a store keeps the pieces it is given; the caller must not modify them afterwards.
 * The packager owns the window: it decides what to delete, the store never evicts on its own.
 */

/** One stored file: its pieces in order, their total length, and the Content-Type to serve. */
export interface StoredFile {
  readonly pieces: readonly Uint8Array[];
  /** Sum of the pieces' byteLength. */
  readonly byteLength: number;
  /** MIME type for the HTTP Content-Type header (content-type.ts). */
  readonly contentType: string;
}

/** A value, or a promise of it: memory stores answer at once, disk or network stores later. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * What packagers write to and HTTP reads from. Paths are relative, '/'-separated and checked by
 * checkStorePath (no '..', no absolute paths, a small character set), e.g. `video/12.m4s`.
 * `put` replaces a file whole: a reader sees the old file or the new one, never a mix.
 */
export interface SegmentStore {
  put(path: string, file: StoredFile): MaybePromise<void>;
  /** The file, or undefined when there is none at `path`. */
  get(path: string): MaybePromise<StoredFile | undefined>;
  /** Removes the file; a missing file is not an error (deletes may race or repeat). */
  delete(path: string): MaybePromise<void>;
  /** Paths starting with `prefix` (default: all), sorted. */
  list(prefix?: string): MaybePromise<string[]>;
  /**
   * Optional. The file is no longer listed by any playlist but must stay readable until it is
   * deleted (RFC 8216bis 6.2.2: a segment removed from the playlist stays available for its
   * duration plus the playlist's): a store may move it to slower storage (MemoryStore's spill
   * folder). A store without it keeps the file as it is.
   *
   * `container`: the path of a file whose pieces hold this file's pieces, in order and as the
   * same objects (an LL-HLS part within its segment), retired before it: a store may keep this
   * file as that range of the container's bytes instead of a second copy.
   */
  retire?(path: string, container?: string): MaybePromise<void>;
}

/**
 * A file made when it is first read: `make` runs once, on the first access to its pieces or
 * byteLength. A store that writes files out makes it at once; MemoryStore keeps it unmade, so a
 * live playlist replaced part after part is rendered only for the versions someone reads.
 */
export class DeferredFile implements StoredFile {
  readonly contentType: string;
  #make: (() => readonly Uint8Array[]) | undefined;
  #pieces: readonly Uint8Array[] | undefined;
  #byteLength = 0;

  constructor(make: () => readonly Uint8Array[], contentType: string) {
    this.#make = make;
    this.contentType = contentType;
  }

  /** Whether the pieces exist yet. */
  get made(): boolean {
    return this.#make === undefined;
  }

  get pieces(): readonly Uint8Array[] {
    if (this.#make !== undefined) {
      const make = this.#make;
      this.#make = undefined;
      this.#pieces = make();
      for (const piece of this.#pieces) this.#byteLength += piece.byteLength;
    }
    return this.#pieces!;
  }

  get byteLength(): number {
    this.pieces;
    return this.#byteLength;
  }
}

/** Builds a StoredFile from pieces, computing byteLength. */
export function storedFile(pieces: readonly Uint8Array[], contentType: string): StoredFile {
  let byteLength = 0;
  for (const piece of pieces) byteLength += piece.byteLength;
  return { pieces, byteLength, contentType };
}

/** The file's bytes as one buffer (one copy), for tests, tools and stores that need it whole. */
export function joinPieces(file: StoredFile): Uint8Array {
  const out = new Uint8Array(file.byteLength);
  let at = 0;
  for (const piece of file.pieces) {
    out.set(piece, at);
    at += piece.byteLength;
  }
  return out;
}
