import { closeSync, openSync, readSync } from 'node:fs';
import type { PackagedFile } from '../hls/vod-packager.js';
import type { Track } from '../media/index.js';
import { FlvPackagingRun, type PackageFlvOptions, type PackageFlvProgress } from './package-flv.js';
import { RecycledChunks } from './recycled-chunks.js';

export interface PackageFlvFileOptions extends PackageFlvOptions {
  /**
   * Bytes per read. Default 1 MiB: large enough that the read calls cost nothing next to the
   * copy they make, small enough that a few buffers hold the segments being built.
   */
  readBytes?: number;
}

export const DEFAULT_PACKAGE_READ_BYTES = 1024 * 1024;

/**
 * packageFlv for a file on this machine, synchronously: the file is read in `readBytes` pieces
 * into buffers that are refilled once every sample read into them has been written
 * (RecycledChunks), and each file is handed to `write` as soon as it is complete. `write` must be
 * done with the pieces when it returns: their bytes are then overwritten by later reads.
 *
 * `readBuffers` in the result is how many read buffers the run allocated: a handful when reuse
 * works, input ÷ readBytes when it does not.
 *
 * Synchronous on purpose: the one job of the process is this pass, so nothing waits on the event
 * loop, and each read and write is one system call on this thread instead of a round trip through
 * libuv's thread pool.
 */
export function packageFlvFile(
  path: string,
  write: (file: PackagedFile) => void,
  options: PackageFlvFileOptions = {},
  onProgress?: (p: PackageFlvProgress) => void,
): { tracks: Track[]; progress: PackageFlvProgress; readBuffers: number } {
  const chunks = new RecycledChunks(options.readBytes ?? DEFAULT_PACKAGE_READ_BYTES);
  const run = new FlvPackagingRun(options, { sample: (data) => chunks.retain(data), kept: (body) => chunks.pin(body) });
  const fd = openSync(path, 'r');
  try {
    let offset = 0;
    for (;;) {
      const buffer = chunks.next();
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) {
        chunks.unused(buffer);
        break;
      }
      offset += n;
      chunks.filled(buffer, offset);
      const files = run.push(n === buffer.length ? buffer : buffer.subarray(0, n));
      chunks.readerFrom(offset - run.bufferedBytes);
      for (const file of files) {
        write(file);
        for (const piece of file.pieces) chunks.release(piece);
      }
      onProgress?.(run.progress);
    }
    for (const file of run.end()) write(file);
  } finally {
    closeSync(fd);
  }
  onProgress?.(run.progress);
  return { tracks: run.tracks, progress: run.progress, readBuffers: chunks.allocated };
}
