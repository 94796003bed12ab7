import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, type MaybePromise, type MemoryStoreCounters, type MemoryStoreOptions, type SegmentStore, type StoredFile } from '../store/index.js';

/**
 * What else sees the packagers' writes (issue 13): a recorder keeps them on disk, an uploader
 * pushes them to object storage. A tap is told each put and delete after the store took it, with
 * the full path (`<app>/<key>/<rendition>/<file>`); it must not throw and must not hold the
 * packager up (it queues its own work). Reads, lists and retires go to the store alone.
 */
export interface StoreTap {
  put(path: string, file: StoredFile): void;
  delete(path: string): void;
  /** Optional: the server's close(), after the packagers' last writes; it may finish its queued work first (bounded). */
  close?(): Promise<void>;
}

/** `store` with `taps` told of every put and delete (the array as it is at each call: taps may join later). */
export function tappedStore(store: SegmentStore, taps: readonly StoreTap[]): SegmentStore {
  const tell = (each: (tap: StoreTap) => void): void => {
    for (const tap of taps) {
      try {
        each(tap);
      } catch {
        // A tap reports its own failures (events, counters): the live stream goes on regardless.
      }
    }
  };
  const after = (done: MaybePromise<void>, each: (tap: StoreTap) => void): MaybePromise<void> => {
    if (taps.length === 0) return done;
    if (done instanceof Promise) return done.then(() => tell(each));
    tell(each);
    return undefined;
  };
  return {
    put: (path, file) => after(store.put(path, file), (tap) => tap.put(path, file)),
    get: (path) => store.get(path),
    delete: (path) => after(store.delete(path), (tap) => tap.delete(path)),
    list: (prefix) => store.list(prefix),
    ...(store.retire === undefined ? {} : { retire: (path: string, container?: string) => store.retire!(path, container) }),
  };
}

/** The server's store: the embedder's, or a MemoryStore spilling to a folder of its own; tapped. */
export interface ServerStore {
  readonly store: SegmentStore;
  /** The default MemoryStore's figures (memory and spill folder); undefined for an embedder's store. */
  counters(): MemoryStoreCounters | undefined;
  /** Adds a tap: told of the puts and deletes from now on (a recorder, an uploader). */
  addTap(tap: StoreTap): void;
  /** Closes the taps (those that have close), waits for the default store's spill writes, then removes its folder (close()). */
  dispose(): Promise<void>;
}

export function createServerStore(options: { store?: SegmentStore; memoryStore?: MemoryStoreOptions; storeTaps?: readonly StoreTap[] }): ServerStore {
  // Segments kept after a playlist's window (6.2.2) wait on disk, not in memory, unless the embedder brings its own store.
  let spillDir: string | undefined;
  if (options.store === undefined && options.memoryStore?.spillDir === undefined) {
    removeDeadSpillDirs(tmpdir());
    spillDir = mkdtempSync(join(tmpdir(), `${SPILL_PREFIX}${process.pid}-`));
  }
  const base = options.store ?? new MemoryStore({ ...options.memoryStore, spillDir: options.memoryStore?.spillDir ?? spillDir });
  const taps = [...(options.storeTaps ?? [])];
  return {
    store: tappedStore(base, taps),
    addTap: (tap) => void taps.push(tap),
    counters: () => (base instanceof MemoryStore ? base.counters : undefined),
    async dispose() {
      // A tap's failure to close is its own to report: the others still close, and the store still goes.
      await Promise.allSettled(taps.map((tap) => tap.close?.()));
      if (spillDir === undefined) return;
      // The default store's spill writes still in flight land first, so the folder goes whole.
      if (base instanceof MemoryStore) await base.spillsWritten();
      rmSync(spillDir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** The default store's spill folder: `tidecast-spill-<pid>-<random>` in the system's temporary folder. */
const SPILL_PREFIX = 'tidecast-spill-';
const SPILL_FOLDER = /^tidecast-spill-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * Spill folders of servers that died without their close() (kill -9, an OOM kill, a crash) would
 * stay in the temporary folder, a window of segments each: a crash-and-restart loop would fill the
 * disk. A server removes, as it starts, those whose process is gone (its pid in the name; a pid in
 * use, by anything, keeps its folder: a live server's is never touched). Best effort: a folder it
 * cannot read or remove is left.
 */
export function removeDeadSpillDirs(dir: string): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = SPILL_FOLDER.exec(name)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed += 1;
    } catch {
      // another user's, or being removed by someone else
    }
  }
  return removed;
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
