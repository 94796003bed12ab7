import { open, rename, rm, type FileHandle } from 'node:fs/promises';

/**
 * The recorder's file writes, all asynchronous (docs/recording.md "Crash safety"):
 *
 * - a segment file is appended to part by part with write() through one handle, with no sync: the
 *   bytes are in the kernel's page cache when the call returns, so a killed process loses nothing
 *   written, only the part it had not handed over yet;
 * - at the segment's end the handle is fdatasync'ed and closed: a power loss or a kernel crash
 *   loses at most the segment being written (what the page cache held), and syncing once per
 *   segment costs one flush every couple of seconds per rendition instead of one per part;
 * - small files (playlists, recording.json) are replaced whole, atomically: written to a temporary
 *   name and renamed over the old one, so a reader or a crash sees the old file or the new one.
 */

/** Writes `pieces` in order at the handle's position (writev: one call per IOV_MAX pieces). */
export async function writePieces(handle: FileHandle, pieces: readonly Uint8Array[]): Promise<void> {
  // writev takes at most IOV_MAX (1024 on Linux) buffers per call; libuv splits longer lists itself,
  // but a short write must be resumed by us: handle.writev reports the bytes it wrote.
  let index = 0;
  let skip = 0;
  while (index < pieces.length) {
    const batch = pieces.slice(index, index + 1024).map((p, i) => (i === 0 && skip > 0 ? p.subarray(skip) : p));
    let { bytesWritten } = await handle.writev(batch);
    for (const piece of batch) {
      if (bytesWritten >= piece.byteLength) {
        bytesWritten -= piece.byteLength;
        index += 1;
        skip = 0;
        continue;
      }
      skip += bytesWritten;
      break;
    }
  }
}

/** The file at `path` made of `pieces` (created or emptied first); synced when `sync`. */
export async function writeWholeFile(path: string, pieces: readonly Uint8Array[], sync: boolean): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await writePieces(handle, pieces);
    if (sync) await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** Replaces `path` with `text` atomically (a temporary file renamed over it); the temporary file is synced first when `sync`. */
export async function replaceFile(path: string, text: string, sync = false): Promise<void> {
  const temporary = `${path}.tmp`;
  try {
    await writeWholeFile(temporary, [Buffer.from(text, 'utf8')], sync);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** A temporary file left by a crash between the write and the rename. */
export function isTemporaryFile(name: string): boolean {
  return name.endsWith('.tmp');
}
