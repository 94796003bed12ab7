import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ColdStoreOps } from '../../src/server/cold-store-ops.js';
import { prefixedStore } from '../../src/server/prefixed-store.js';
import { DiskStore, MemoryStore, type SegmentStore, type StoredFile } from '../../src/store/index.js';

const file = (text: string): StoredFile => {
  const bytes = new TextEncoder().encode(text);
  return { pieces: [bytes], byteLength: bytes.byteLength, contentType: 'text/plain' };
};

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  dirs = [];
});

describe('ColdStoreOps', () => {
  it('runs deletes and retires after the turn, in the order asked; put, get and list pass through at once', async () => {
    const memory = new MemoryStore();
    const ops = new ColdStoreOps();
    const errors: unknown[] = [];
    const store = ops.wrap(prefixedStore(memory, 'live/a'), (e) => errors.push(e));
    store.put('video/0.m4s', file('zero'));
    store.put('video/1.m4s', file('one'));
    expect(store.delete('video/0.m4s')).toBeUndefined();
    store.retire?.('video/1.m4s');
    // Still there within the turn: the listing of the next stream's segment comes first.
    expect(memory.has('live/a/video/0.m4s')).toBe(true);
    expect(await store.list('video/')).toEqual(['video/0.m4s', 'video/1.m4s']);
    await turn();
    expect(memory.has('live/a/video/0.m4s')).toBe(false);
    expect(memory.has('live/a/video/1.m4s')).toBe(true);
    expect(errors).toEqual([]);
  });

  it('a put of a path whose delete still waits cancels the delete: the new file stays', async () => {
    const memory = new MemoryStore();
    const ops = new ColdStoreOps();
    const store = ops.wrap(prefixedStore(memory, 'live/a'), () => undefined);
    store.put('index.m3u8', file('old'));
    store.delete('index.m3u8');
    store.put('index.m3u8', file('new'));
    await turn();
    expect(new TextDecoder().decode((memory.get('live/a/index.m3u8') as StoredFile).pieces[0])).toBe('new');
  });

  it('keeps the paths of two streams apart', async () => {
    const memory = new MemoryStore();
    const ops = new ColdStoreOps();
    const a = ops.wrap(prefixedStore(memory, 'live/a'), () => undefined);
    const b = ops.wrap(prefixedStore(memory, 'live/b'), () => undefined);
    a.put('video/0.m4s', file('a'));
    b.put('video/0.m4s', file('b'));
    a.delete('video/0.m4s');
    // b's put of the same relative path does not cancel a's delete.
    b.put('video/0.m4s', file('b2'));
    await turn();
    expect(memory.has('live/a/video/0.m4s')).toBe(false);
    expect(memory.has('live/b/video/0.m4s')).toBe(true);
  });

  it('a store that throws reports to its onError and the calls after it still run', async () => {
    const memory = new MemoryStore();
    const ops = new ColdStoreOps();
    const errors: unknown[] = [];
    const store = ops.wrap(memory, (e) => errors.push(e));
    store.put('ok.m4s', file('ok'));
    store.delete('../outside'); // StorePathError, thrown by MemoryStore.delete
    store.delete('ok.m4s');
    await turn();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'ERR_STORE_PATH_INVALID' });
    expect(memory.has('ok.m4s')).toBe(false);
  });

  it('an onError that throws itself reaches neither the process nor the calls after it', async () => {
    const memory = new MemoryStore();
    const ops = new ColdStoreOps();
    const store = ops.wrap(memory, () => {
      throw new Error('listener bug');
    });
    store.put('ok.m4s', file('ok'));
    store.delete('../outside');
    store.delete('ok.m4s');
    await turn();
    expect(memory.has('ok.m4s')).toBe(false);
  });

  it('an asynchronous store (DiskStore): the calls run one after another and flush() waits for them', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tidecast-cold-'));
    dirs.push(root);
    const disk = new DiskStore(root);
    const ops = new ColdStoreOps();
    const errors: unknown[] = [];
    // Counts the deletes that reached the disk store (asserted synchronously: awaiting anything would let the turn end and the deferred calls start).
    let deletesAsked = 0;
    const counted: SegmentStore = {
      put: (path, stored) => disk.put(path, stored),
      get: (path) => disk.get(path),
      list: (prefix) => disk.list(prefix),
      delete: (path) => {
        deletesAsked++;
        return disk.delete(path);
      },
    };
    const store = ops.wrap(counted, (e) => errors.push(e));
    for (let i = 0; i < 5; i++) await store.put(`video/${i}.m4s`, file(String(i)));
    for (let i = 0; i < 5; i++) store.delete(`video/${i}.m4s`);
    expect(deletesAsked).toBe(0);
    await ops.flush();
    expect(deletesAsked).toBe(5);
    expect(await disk.list('video/')).toEqual([]);
    expect(errors).toEqual([]);
  });
});
