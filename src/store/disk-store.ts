import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { contentTypeForPath } from './content-type.js';
import type { SegmentStore, StoredFile } from './store.js';
import { checkStorePath, checkStorePrefix, StorePathError } from './store-path.js';

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

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(path: string, file: StoredFile): Promise<void> {
    const target = this.#resolve(path);
    const directory = dirname(target);
    await mkdir(directory, { recursive: true });
    const temporary = join(directory, `.${randomUUID()}.tmp`);
    try {
      await writeFile(temporary, file.pieces);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
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

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
