import { closeSync, openSync, readSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { checkNumberRange, integerRange } from '../config/index.js';
import { TidecastError } from '../errors/index.js';
import { DeferredFile, type SegmentStore, type StoredFile } from './store.js';
import { checkStorePath, checkStorePrefix } from './store-path.js';
import { writePieces } from './write-pieces.js';

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
  /**
   * A folder (existing, writable) where retired files go: segments the live packager has moved
   * past its hot segments at the live edge (still listed, asked for only by players behind) and
   * segments out of every playlist that must stay readable a while longer (RFC 8216bis 6.2.2).
   * They are written there in the background and dropped from memory once written, read back from
   * there when asked for (the last few read back are kept), and unlinked on delete; so memory
   * holds the few segments at each live edge, not the windows. Default: none, every file stays in
   * memory.
   */
  spillDir?: string;
}

/**
 * Spilled files kept after being read back: 8, about 12 MB of 2 s segments at 6 Mb/s in all, so
 * that many players asking for one segment behind the live edge (a CDN's misses, a crowd joining
 * far back) cost one read, not one each.
 */
const READ_BACK_FILES = 8;

/**
 * 50 ms: how long the spill folder's work waits after it is first asked for: past the burst of
 * segment closes at a shared keyframe moment (32 streams list theirs in about 10 ms), short beside
 * the 2 s a segment stays hot.
 */
const SPILL_DELAY_MS = 50;

/** A put refused because the store would hold more than its maxBytes. */
export class StoreFullError extends TidecastError {
  constructor(path: string, bytes: number, fileBytes: number, maxBytes: number) {
    super('ERR_STORE_FULL', `store full: putting ${path} (${fileBytes} bytes) would hold ${bytes + fileBytes} bytes, above maxBytes ${maxBytes}`, { path: path.slice(0, 256), bytes, fileBytes, maxBytes });
  }
}

/** What a MemoryStore holds right now. */
export interface MemoryStoreCounters {
  /** Files stored, in memory or spilled. */
  files: number;
  /** Sum of the byteLength of the files held in memory. */
  bytes: number;
  /** Files whose bytes are in the spill folder (a part kept as a range of its segment's spilled file counts too). */
  spilledFiles: number;
  /** Bytes of the spill folder's files. */
  spilledBytes: number;
}

/** A file written in the spill folder, and how many of the store's files are kept in it. */
interface SpillFile {
  readonly path: string;
  readonly byteLength: number;
  refs: number;
}

/** Write a retired file to the spill folder (`written` once done), or keep it as a range of one written before it. */
interface WriteTask {
  readonly path: string;
  readonly file: StoredFile;
  /** Its container's task, and where in the container its bytes start. */
  readonly within: { readonly task: WriteTask; readonly offset: number } | undefined;
  written?: SpillFile;
}

/** Work for the spill folder: write (or range) a retired file, or unlink a file no longer used. */
type SpillTask = WriteTask | { readonly unlink: string };

/** A retired file whose bytes are in the spill folder: `byteLength` bytes at `offset` of `spilled`. */
interface Spilled {
  readonly spilled: SpillFile;
  readonly offset: number;
  readonly byteLength: number;
  readonly contentType: string;
}

/**
 * The default store: a map from path to the file as given. The pieces are kept as they are —
 * views of the fragment header and of the samples' payloads — so a segment costs no copy and its
 * memory is released when the packager deletes it (the packager owns the window; this store
 * never evicts). Every call is synchronous, so HTTP can answer from it without awaiting.
 */
export class MemoryStore implements SegmentStore {
  readonly maxBytes: number;
  readonly spillDir: string | undefined;
  readonly #files = new Map<string, StoredFile | Spilled>();
  #bytes = 0;
  #spilledBytes = 0;
  #spilledFiles = 0;
  /**
   * The spill folder's work not done yet, oldest first: files retired and not yet written there,
   * and spilled files deleted and not yet unlinked; and the loop doing it.
   */
  readonly #spillQueue: SpillTask[] = [];
  #spiller: Promise<void> | undefined;
  /**
   * The write task of each file retired and not yet written: a second retire of it is nothing, and
   * a part retired after its segment finds the segment's here.
   */
  readonly #queuedWrites = new Map<string, WriteTask>();
  /** DeferredFiles kept unmade: they count no bytes until made. */
  readonly #unmade = new WeakSet<StoredFile>();
  /** Spilled files read back lately, newest last: a file many players ask for at once is read once. */
  readonly #readBack = new Map<string, StoredFile>();

  constructor(options: MemoryStoreOptions = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MEMORY_STORE_MAX_BYTES;
    checkNumberRange('maxBytes', this.maxBytes, MEMORY_STORE_MAX_BYTES_RANGE);
    this.spillDir = options.spillDir;
  }

  /**
   * Keeps `file` under `path`, replacing what was there. A DeferredFile not made yet is kept unmade
   * and counts 0 bytes until it is read (get makes it, then counts it, past maxBytes or not: it is
   * a playlist of a few kilobytes).
   */
  put(path: string, file: StoredFile): void {
    const previous = this.#files.get(path);
    // Every path held passed the check when first put (so a path the map has needs none): the
    // packagers' calls at every part and segment, dozens per stream, skip it.
    if (previous === undefined) checkStorePath(path);
    const held = this.#bytes - this.#inMemory(previous);
    const unmade = file instanceof DeferredFile && !file.made;
    const fileBytes = unmade ? 0 : file.byteLength;
    if (held + fileBytes > this.maxBytes) throw new StoreFullError(path, held, fileBytes, this.maxBytes);
    this.#drop(previous);
    this.#readBack.delete(path);
    if (unmade) this.#unmade.add(file);
    this.#files.set(path, unmade ? file : { pieces: file.pieces, byteLength: file.byteLength, contentType: file.contentType });
    this.#bytes += fileBytes;
  }

  get(path: string): StoredFile | undefined {
    const file = this.#files.get(path);
    if (file === undefined) {
      checkStorePath(path);
      return undefined;
    }
    if (!isSpilled(file)) {
      this.#make(file);
      return file;
    }
    // A segment behind the live edge, asked for by a player that fell behind or joined far back:
    // read back whole, and kept among the last few read back.
    let read = this.#readBack.get(path);
    if (read === undefined) {
      read = { pieces: [readRange(file.spilled.path, file.offset, file.byteLength)], byteLength: file.byteLength, contentType: file.contentType };
      if (this.#readBack.size >= READ_BACK_FILES) this.#readBack.delete(this.#readBack.keys().next().value!);
    } else this.#readBack.delete(path);
    this.#readBack.set(path, read);
    return read;
  }

  has(path: string): boolean {
    if (this.#files.has(path)) return true;
    checkStorePath(path);
    return false;
  }

  delete(path: string): void {
    const previous = this.#files.get(path);
    if (previous === undefined) {
      checkStorePath(path);
      return;
    }
    this.#files.delete(path);
    this.#readBack.delete(path);
    this.#drop(previous);
  }

  /**
   * With a spill folder: writes the file there in the background and, once written (and if the
   * path still holds the same file), drops its bytes from memory. Without one: nothing.
   *
   * With `container` (retired just before it and still queued, its pieces holding this file's
   * pieces in order, as the same objects: checked here), nothing is written for this file: it is
   * kept as its range of the container's spilled file, which stays until neither uses it.
   */
  retire(path: string, container?: string): void {
    const file = this.#files.get(path);
    if (file === undefined) checkStorePath(path);
    if (this.spillDir === undefined || file === undefined || isSpilled(file) || this.#queuedWrites.get(path)?.file === file) return;
    this.#make(file);
    const holder = container === undefined ? undefined : this.#queuedWrites.get(container);
    const offset = holder === undefined ? undefined : rangeOf(holder.file.pieces, file.pieces);
    const task: WriteTask = { path, file, within: offset === undefined ? undefined : { task: holder!, offset } };
    this.#queuedWrites.set(path, task);
    this.#spillLater(task);
  }

  /**
   * The spill folder's writes and unlinks go one at a time in the order asked, starting
   * SPILL_DELAY_MS after the first of them: a live server retires and deletes a file per stream and
   * rendition at every segment, and with many streams whose keyframes come together, all in the
   * same few milliseconds. That work (a thread-pool write of each file, on the cores the event loop
   * needs) waits for the segments to be listed.
   */
  #spillLater(task: SpillTask): void {
    this.#spillQueue.push(task);
    this.#spiller ??= new Promise<void>((resolve) => setTimeout(resolve, SPILL_DELAY_MS))
      .then(() => this.#spillQueued())
      // Spilling is best effort: a file it could not move stays in memory, and nothing reaches the process.
      .catch(() => undefined)
      .finally(() => (this.#spiller = undefined));
  }

  /** Resolves when every spill write and unlink asked for so far has finished (before removing the spill folder). */
  async spillsWritten(): Promise<void> {
    while (this.#spiller !== undefined) await this.#spiller;
  }

  async #spillQueued(): Promise<void> {
    for (let next = this.#spillQueue.shift(); next !== undefined; next = this.#spillQueue.shift()) {
      if ('unlink' in next) {
        await unlink(next.unlink).catch(() => undefined);
        continue;
      }
      try {
        await this.#spill(next);
      } finally {
        if (this.#queuedWrites.get(next.path) === next) this.#queuedWrites.delete(next.path);
      }
    }
  }

  async #spill(task: WriteTask): Promise<void> {
    const { path, file, within } = task;
    // Replaced or deleted while it waited: nothing to write.
    if (this.#files.get(path) !== file) return;
    const container = within?.task.written;
    if (container !== undefined && container.refs > 0) {
      container.refs += 1;
      this.#spilled(path, file, { spilled: container, offset: within!.offset, byteLength: file.byteLength, contentType: file.contentType });
      return;
    }
    // One flat name per path: '/' is outside the store's path characters, '+' too.
    const target = join(this.spillDir!, path.replaceAll('/', '+'));
    try {
      await writePieces(target, file.pieces, file.byteLength);
    } catch {
      // Could not write (disk full, folder gone): the file simply stays in memory.
      await unlink(target).catch(() => undefined);
      return;
    }
    if (this.#files.get(path) !== file) {
      await unlink(target).catch(() => undefined);
      return;
    }
    task.written = { path: target, byteLength: file.byteLength, refs: 1 };
    this.#spilledBytes += file.byteLength;
    this.#spilled(path, file, { spilled: task.written, offset: 0, byteLength: file.byteLength, contentType: file.contentType });
  }

  /** `file`, at `path`, is now kept in the spill folder as `entry`: its bytes leave memory. */
  #spilled(path: string, file: StoredFile, entry: Spilled): void {
    this.#files.set(path, entry);
    this.#bytes -= file.byteLength;
    this.#spilledFiles += 1;
  }

  /** Makes a DeferredFile kept unmade, and counts its bytes from now on. */
  #make(file: StoredFile): void {
    if (!this.#unmade.delete(file)) return;
    this.#bytes += file.byteLength;
  }

  /** The bytes `file` counts in memory. */
  #inMemory(file: StoredFile | Spilled | undefined): number {
    return file === undefined || isSpilled(file) || this.#unmade.has(file) ? 0 : file.byteLength;
  }

  #drop(previous: StoredFile | Spilled | undefined): void {
    if (previous === undefined) return;
    if (!isSpilled(previous)) {
      this.#bytes -= this.#inMemory(previous);
      this.#unmade.delete(previous);
      return;
    }
    this.#spilledFiles -= 1;
    const target = previous.spilled;
    target.refs -= 1;
    if (target.refs > 0) return;
    this.#spilledBytes -= target.byteLength;
    this.#spillLater({ unlink: target.path });
  }

  list(prefix = ''): string[] {
    checkStorePrefix(prefix);
    return [...this.#files.keys()].filter((path) => path.startsWith(prefix)).sort();
  }

  get counters(): Readonly<MemoryStoreCounters> {
    return { files: this.#files.size, bytes: this.#bytes, spilledFiles: this.#spilledFiles, spilledBytes: this.#spilledBytes };
  }
}

function isSpilled(file: StoredFile | Spilled): file is Spilled {
  return (file as Spilled).spilled !== undefined;
}

/** Where `part`'s pieces start in `whole`'s bytes, when they are a run of its pieces (the same objects, in order). */
function rangeOf(whole: readonly Uint8Array[], part: readonly Uint8Array[]): number | undefined {
  if (part.length === 0) return undefined;
  let offset = 0;
  for (let i = 0; i < whole.length; i++) {
    if (whole[i] === part[0]) {
      for (let j = 1; j < part.length; j++) if (whole[i + j] !== part[j]) return undefined;
      return offset;
    }
    offset += whole[i]!.byteLength;
  }
  return undefined;
}

/** `length` bytes at `offset` of the file at `path`. */
function readRange(path: string, offset: number, length: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.allocUnsafe(length);
    const read = readSync(fd, bytes, 0, length, offset);
    if (read !== length) throw Object.assign(new Error(`EIO: read ${read} of ${length} bytes at ${offset} of ${path}`), { code: 'EIO' });
    return bytes;
  } finally {
    closeSync(fd);
  }
}
