/**
 * tidecast/store — where packagers put segments, init segments and playlists, and where HTTP
 * delivery reads them: MemoryStore (the default, synchronous, zero-copy) and DiskStore (atomic
 * writes under a root directory). Depends on src/errors only (and node:fs for DiskStore).
 */
export type { SegmentStore, StoredFile, MaybePromise } from './store.js';
export { storedFile, joinPieces, DeferredFile } from './store.js';
export { checkStorePath, checkStorePrefix, isStorePathSegment, StorePathError, MAX_STORE_PATH_LENGTH } from './store-path.js';
export { PLAYLIST_CONTENT_TYPE, VIDEO_MP4_CONTENT_TYPE, AUDIO_MP4_CONTENT_TYPE, DEFAULT_CONTENT_TYPE, contentTypeForPath } from './content-type.js';
export { MemoryStore, StoreFullError, DEFAULT_MEMORY_STORE_MAX_BYTES } from './memory-store.js';
export type { MemoryStoreCounters, MemoryStoreOptions } from './memory-store.js';
export { DiskStore } from './disk-store.js';
