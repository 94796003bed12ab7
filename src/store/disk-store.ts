import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { contentTypeForPath } from './content-type.js';
import type { SegmentStore, StoredFile } from './store.js';
import { checkStorePath, checkStorePrefix, StorePathError } from './store-path.js';
import { writePieces, writePiecesSync } from './write-pieces.js';

/**
 * A store on the file system under `root`, for serving with a plain web server or keeping a
 * stream's files after the process ends.
 *
 * - put is atomic: the pieces go to a temporary file in the target's own directory (a dot-name
 *   no store path can reach), which is then renamed over the target. rename(2) within one file
 *   system replaces the name atomically, so a reader — this store's get or an outside web server —
 *   sees the whole old file or the whole new one, never a half-written playlist.
 * - Paths are checked by checkStorePath and the resolved file must lie under `root`, so '..' and
 *   absolute paths are refused with StorePathError before any file system call.
 * - delete tolerates a missing file: deletes may repeat after a restart or race with a cleanup.
 * - The Content-Type is not persisted; get derives it from the extension (contentTypeForPath).
 */
export class DiskStore implements SegmentStore {
  readonly root: string;
  /** Folders putSync has made (or found) already. */
  readonly #folders = new Set<string>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(path: string, file: StoredFile): Promise<void> {
    const target = this.#resolve(path);
    const directory = dirname(target);
    await mkdir(directory, { recursive: true });
    const temporary = join(directory, `.${randomUUID()}.tmp`);
    try {
      await writePieces(temporary, file.pieces, file.byteLength);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /**
   * put, synchronously, for a process that does nothing else meanwhile (`tidecast package`): the
   * pieces go out with one writev(2) — not one write per piece — into the temporary file, renamed
   * as put does. A folder is made once and remembered; one removed behind the store's back is made
   * again when the temporary file cannot be created in it.
   */
  putSync(path: string, file: StoredFile): void {
    const target = this.#resolve(path);
    const directory = dirname(target);
    if (!this.#folders.has(directory)) {
      mkdirSync(directory, { recursive: true });
      this.#folders.add(directory);
    }
    const temporary = join(directory, `.${randomUUID()}.tmp`);
    const fd = openCreating(temporary, directory);
    try {
      try {
        writePiecesSync(fd, file.pieces, file.byteLength);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, target);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  }

  async get(path: string): Promise<StoredFile | undefined> {
    const target = this.#resolve(path);
    try {
      const bytes = await readFile(target);
      return { pieces: [bytes], byteLength: bytes.byteLength, contentType: contentTypeForPath(path) };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async delete(path: string): Promise<void> {
    await rm(this.#resolve(path), { force: true });
  }

  async list(prefix = ''): Promise<string[]> {
    checkStorePrefix(prefix);
    const out: string[] = [];
    await this.#walk(this.root, '', out);
    return out.filter((path) => path.startsWith(prefix)).sort();
  }

  async #walk(directory: string, relative: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      // Temporary files of writes in flight are dot-names; so is anything a store path cannot name.
      if (entry.name.startsWith('.')) continue;
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await this.#walk(join(directory, entry.name), path, out);
      else if (entry.isFile()) out.push(path);
    }
  }

  #resolve(path: string): string {
    checkStorePath(path);
    const target = resolve(this.root, ...path.split('/'));
    // checkStorePath already rules out '..'; this is the second lock on the same door.
    if (!target.startsWith(this.root + sep)) throw new StorePathError(path, `resolves outside the store root`);
    return target;
  }
}

/** Opens `file` for writing, making its folder first if it has gone. */
function openCreating(file: string, directory: string): number {
  try {
    return openSync(file, 'w');
  } catch (error) {
    if (!isMissing(error)) throw error;
    mkdirSync(directory, { recursive: true });
    return openSync(file, 'w');
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
