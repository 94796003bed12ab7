import { describe, expect, it } from 'vitest';
import { ChangeQueue, HlsLivePackager, type StoreChange } from '../../src/hls/index.js';
import { MemoryStore, storedFile, type SegmentStore, type StoredFile } from '../../src/store/index.js';
import { arrival, T0, videoFrames, videoTrack } from './live-helpers.js';

/** A store answering every call after a varying delay, recording the order the calls completed in. */
function slowStore(fail?: (path: string) => boolean): SegmentStore & { log: string[] } {
  const inner = new MemoryStore();
  const log: string[] = [];
  let n = 0;
  const later = <T>(what: string, path: string, run: () => T): Promise<T> =>
    new Promise((resolve, reject) =>
      setTimeout(() => {
        if (fail?.(path) === true) return reject(new Error(`cannot write ${path}`));
        log.push(`${what} ${path}`);
        resolve(run());
      }, (n++ * 7) % 5),
    );
  return {
    log,
    put: (path: string, file: StoredFile) => later('put', path, () => inner.put(path, file)),
    get: (path: string) => later('get', path, () => inner.get(path)),
    delete: (path: string) => later('delete', path, () => inner.delete(path)),
    list: (prefix?: string) => Promise.resolve(inner.list(prefix)),
  };
}

describe('store changes', () => {
  it.each([false, true])('an asynchronous store receives the same calls in the same order as a synchronous one (lowLatency %s)', async (lowLatency) => {
    const sync = new MemoryStore();
    const syncLog: string[] = [];
    const recording: SegmentStore = {
      put: (path, file) => (syncLog.push(`put ${path}`), sync.put(path, file)),
      get: (path) => sync.get(path),
      delete: (path) => (syncLog.push(`delete ${path}`), sync.delete(path)),
      list: (prefix) => sync.list(prefix),
    };
    const slow = slowStore();
    for (const store of [recording, slow]) {
      const p = new HlsLivePackager(store, { keepAfterWindowSegments: 1, lowLatency });
      void p.setTracks([videoTrack()], T0);
      videoFrames(0, 9 * 60 + 1).forEach((s, i) => void p.pushSample(s, arrival(i)));
      await p.idle();
    }
    expect(slow.log).toEqual(syncLog);
    expect(syncLog).toContain('delete video/1.m4s');
    // A segment is put before the playlist listing it; a deletion follows the playlist that dropped it.
    expect(syncLog.indexOf('put video/8.m4s')).toBeLessThan(syncLog.lastIndexOf('put video/index.m3u8'));
    const afterPlaylist = syncLog.indexOf('put video/index.m3u8', syncLog.indexOf('put video/8.m4s'));
    // plain.m3u8 follows index.m3u8 with LL-HLS; then the deletes (segment 1 and, with LL-HLS, its parts).
    expect(syncLog.indexOf('delete video/1.m4s')).toBe(afterPlaylist + (lowLatency ? 2 : 1));
    if (lowLatency) expect(syncLog.filter((l) => l.startsWith('delete video/1.'))).toEqual(['delete video/1.m4s', ...Array.from({ length: 10 }, (_, i) => `delete video/1.${i}.m4s`)]);
  });

  it('a failed write rejects its own call, or goes to onWriteError; later writes go on', async () => {
    const store = slowStore((path) => path === 'a');
    const queue = new ChangeQueue(store);
    const put = (path: string): StoreChange => ({ type: 'put', path, file: storedFile([], 'text/plain') });
    const first = queue.apply([put('a')]);
    const second = queue.apply([put('b')]);
    await expect(first).rejects.toThrow(/cannot write a/);
    await second;
    expect(store.log).toEqual(['put b']);

    const errors: unknown[] = [];
    const reported = new ChangeQueue(store, (e) => errors.push(e));
    await reported.apply([put('a'), put('c')]);
    await reported.apply([put('d')]);
    expect(errors).toHaveLength(1);
    expect(store.log).toEqual(['put b', 'put d']);
  });
});
