import type { MaybePromise, SegmentStore, StoredFile } from '../store/index.js';

/** A view of `store` under `prefix/`: each stream's packager writes `video/3.m4s`, HTTP reads `live/key/video/3.m4s`. */
export function prefixedStore(store: SegmentStore, prefix: string): SegmentStore {
  const at = (path: string): string => `${prefix}/${path}`;
  return {
    put: (path: string, file: StoredFile): MaybePromise<void> => store.put(at(path), file),
    get: (path: string): MaybePromise<StoredFile | undefined> => store.get(at(path)),
    delete: (path: string): MaybePromise<void> => store.delete(at(path)),
    list: async (p = ''): Promise<string[]> => (await store.list(at(p))).map((full) => full.slice(prefix.length + 1)),
    retire: (path: string, container?: string): MaybePromise<void> => store.retire?.(at(path), container === undefined ? undefined : at(container)),
  };
}
