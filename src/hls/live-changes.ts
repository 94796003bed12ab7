import type { MaybePromise, SegmentStore, StoredFile } from '../store/index.js';
import { initUri } from './live-names.js';
import type { LiveTimelineUpdate } from './live-timeline.js';

/**
 * The "then act" half of the live packager (the model: membrane's manifest returns changesets a
 * storage layer applies): every packager call decides a list of changes, and only this file
 * touches the store. Order matters and is kept: a segment is put before the playlist that lists
 * it, and a file is deleted only after the playlist that stopped listing it was put — so a client
 * never reads a playlist naming a segment the store does not have (6.2.2).
 */
export type StoreChange =
  | { readonly type: 'put'; readonly path: string; readonly file: StoredFile }
  | { readonly type: 'delete'; readonly path: string }
  /** The file left every playlist; it stays readable until deleted (SegmentStore.retire). */
  | { readonly type: 'retire'; readonly path: string; readonly container?: string };

/**
 * The store changes an append to rendition `folder`'s timeline calls for, to make after its
 * playlists are put. Segments past the hot ones at the live edge, or out of the playlist but still
 * to be served for a while (6.2.2), are retired: the store may keep them colder. Their parts too
 * (they share the segment's bytes, and would otherwise keep them in memory), with the segment as
 * container: the store may keep them as ranges of its file. Expired segments and their parts, and
 * init segments no segment uses any more, are deleted.
 */
export function windowChanges(folder: string, update: Omit<LiveTimelineUpdate, 'timeline'>): StoreChange[] {
  const changes: StoreChange[] = [];
  for (const old of update.retiredNow) {
    const container = `${folder}/${old.uri}`;
    changes.push({ type: 'retire', path: container });
    for (const p of old.parts ?? []) changes.push({ type: 'retire', path: `${folder}/${p.uri}`, container });
  }
  for (const old of update.expired) {
    changes.push({ type: 'delete', path: `${folder}/${old.uri}` });
    for (const p of old.parts ?? []) changes.push({ type: 'delete', path: `${folder}/${p.uri}` });
  }
  // An init file is named with the epoch of the segments that used it (live-names.ts).
  for (const generation of update.releasedGenerations) changes.push({ type: 'delete', path: `${folder}/${initUri(generation, update.expired.find((s) => s.generation === generation)?.epoch)}` });
  return changes;
}

/**
 * Applies `changes` in order. A synchronous store (MemoryStore) is written before this returns
 * and nothing is awaited; with an asynchronous one (DiskStore) each call waits for the previous.
 */
export function applyChanges(store: SegmentStore, changes: readonly StoreChange[], from = 0): MaybePromise<void> {
  for (let i = from; i < changes.length; i++) {
    const change = changes[i]!;
    const result = change.type === 'put' ? store.put(change.path, change.file) : change.type === 'delete' ? store.delete(change.path) : store.retire?.(change.path, change.container);
    if (isPromise(result)) return result.then(() => applyChanges(store, changes, i + 1));
  }
  return undefined;
}

/**
 * Serializes the change lists of successive calls on one store: with an asynchronous store the
 * next list waits for the previous one, so files never land out of order. A failed write goes to
 * `onError` when one is given (and the list's promise resolves: a caller that drops the promise
 * cannot crash the process with an unhandled rejection), else it rejects the promise returned for
 * its own list. Either way later lists still run.
 */
export class ChangeQueue {
  readonly #store: SegmentStore;
  readonly #onError: ((error: unknown) => void) | undefined;
  #tail: Promise<void> | undefined;

  constructor(store: SegmentStore, onError?: (error: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
  }

  apply(changes: readonly StoreChange[]): MaybePromise<void> {
    if (changes.length === 0) return this.#tail;
    let result = this.#tail === undefined ? applyChanges(this.#store, changes) : this.#tail.then(() => applyChanges(this.#store, changes));
    if (!isPromise(result)) return undefined;
    const onError = this.#onError;
    if (onError !== undefined) result = result.catch(onError);
    const tail = result.catch(() => undefined);
    this.#tail = tail;
    void tail.then(() => {
      if (this.#tail === tail) this.#tail = undefined;
    });
    return result;
  }

  /** Resolves when every change handed over so far is written (or failed). */
  idle(): Promise<void> {
    return this.#tail ?? Promise.resolve();
  }
}

function isPromise(value: unknown): value is Promise<void> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}
