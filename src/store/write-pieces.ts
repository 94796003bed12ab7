import { writevSync } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * A file's pieces written in order with one writev(2) — `writeFile` given several pieces writes
 * them one call (and, async, one thread-pool round trip) each, about 160 for a 2 s segment. libuv
 * repeats the call after a short write and splits the pieces at IOV_MAX, so fewer bytes than asked
 * means the file system stopped taking them: that is an EIO error here.
 */
export async function writePieces(file: string, pieces: readonly Uint8Array[], byteLength: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    const { bytesWritten } = await handle.writev(pieces as Uint8Array[]);
    if (bytesWritten !== byteLength) throw shortWrite(bytesWritten, byteLength);
  } finally {
    await handle.close();
  }
}

/** writePieces on an open descriptor, synchronously (`tidecast package`). */
export function writePiecesSync(fd: number, pieces: readonly Uint8Array[], byteLength: number): void {
  const written = writevSync(fd, pieces as Uint8Array[]);
  if (written !== byteLength) throw shortWrite(written, byteLength);
}

/** A system error as Node raises them (code EIO), for a write the file system cut short. */
function shortWrite(written: number, byteLength: number): Error {
  return Object.assign(new Error(`EIO: wrote ${written} of ${byteLength} bytes`), { code: 'EIO' });
}
