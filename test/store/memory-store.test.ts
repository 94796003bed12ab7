import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkStorePath, joinPieces, MemoryStore, StorePathError, storedFile } from '../../src/store/index.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('MemoryStore', () => {
  it('keeps the pieces as given (zero-copy views) and counts files and bytes', () => {
    const store = new MemoryStore();
    const backing = bytes(1, 2, 3, 4, 5, 6);
    const pieces = [backing.subarray(0, 2), backing.subarray(2, 6)];
    store.put('video/0.m4s', storedFile(pieces, 'video/mp4'));
    store.put('index.m3u8', storedFile([bytes(35)], 'application/vnd.apple.mpegurl'));
    const got = store.get('video/0.m4s')!;
    expect(got.pieces[0]).toBe(pieces[0]);
    expect(got.pieces[1]!.buffer).toBe(backing.buffer);
    expect(got).toMatchObject({ byteLength: 6, contentType: 'video/mp4' });
    expect(joinPieces(got)).toEqual(backing);
    expect(store.counters).toEqual({ files: 2, bytes: 7, spilledFiles: 0, spilledBytes: 0 });
    expect(store.has('video/0.m4s')).toBe(true);
    expect(store.list()).toEqual(['index.m3u8', 'video/0.m4s']);
    expect(store.list('video/')).toEqual(['video/0.m4s']);
  });

  it('replacing a file adjusts the byte count; delete evicts and tolerates a missing file', () => {
    const store = new MemoryStore();
    store.put('a/1.m4s', storedFile([bytes(1, 2, 3)], 'video/mp4'));
    store.put('a/1.m4s', storedFile([bytes(1)], 'video/mp4'));
    expect(store.counters).toEqual({ files: 1, bytes: 1, spilledFiles: 0, spilledBytes: 0 });
    store.delete('a/1.m4s');
    store.delete('a/1.m4s');
    store.delete('a/never.m4s');
    expect(store.counters).toEqual({ files: 0, bytes: 0, spilledFiles: 0, spilledBytes: 0 });
    expect(store.get('a/1.m4s')).toBeUndefined();
  });

  it.each(['', '/etc/passwd', '../x', 'a/../b', 'a/./b', 'a//b', 'a/', '.hidden', 'a/.tmp', 'a\\b', 'a b', 'a?b', 'é', 'x'.repeat(1025)])(
    'rejects the path %j with StorePathError',
    (path) => {
      const store = new MemoryStore();
      expect(() => store.put(path, storedFile([], 'x'))).toThrow(StorePathError);
      expect(() => store.get(path)).toThrow(StorePathError);
      expect(() => store.delete(path)).toThrow(StorePathError);
    },
  );

  it('accepts what the packagers write', () => {
    for (const path of ['index.m3u8', 'video/index.m3u8', 'audio/init-0.mp4', 'video2/123.m4s', 'a_b-c/d.e.f']) expect(checkStorePath(path)).toBe(path);
    try {
      checkStorePath('../secret');
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_STORE_PATH_INVALID', details: { path: '../secret' } });
    }
  });
});

describe('MemoryStore maxBytes', () => {
  it('refuses a put that would take the total past maxBytes (ERR_STORE_FULL), counting a replaced file once', () => {
    const store = new MemoryStore({ maxBytes: 100 });
    store.put('a/1.m4s', storedFile([new Uint8Array(60)], 'video/mp4'));
    let code: string | undefined;
    try {
      store.put('a/2.m4s', storedFile([new Uint8Array(41)], 'video/mp4'));
    } catch (err) {
      code = (err as { code?: string }).code;
    }
    expect(code).toBe('ERR_STORE_FULL');
    expect(store.has('a/2.m4s')).toBe(false);
    store.put('a/2.m4s', storedFile([new Uint8Array(40)], 'video/mp4'));
    // Replacing a/1 (60 bytes) by 60 bytes fits; the old bytes are not counted twice.
    store.put('a/1.m4s', storedFile([new Uint8Array(60)], 'video/mp4'));
    expect(store.counters.bytes).toBe(100);
    store.delete('a/1.m4s');
    store.put('a/3.m4s', storedFile([new Uint8Array(60)], 'video/mp4'));
    expect(store.counters.bytes).toBe(100);
  });

  it('refuses a bad maxBytes at construction, naming it', () => {
    expect(() => new MemoryStore({ maxBytes: -1 })).toThrow(/maxBytes/);
  });
});

/** Runs `test` with a fresh spill folder, removed afterwards. */
async function withSpillDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tidecast-spill-test-'));
  try {
    await test(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('MemoryStore: retired files spill to disk', () => {
  it('retire() writes the file to the spill folder, drops it from memory, reads it back, and delete unlinks it', () =>
    withSpillDir(async (dir) => {
      const store = new MemoryStore({ spillDir: dir });
      const bytes = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
      store.put('live/k/video/3.m4s', storedFile([bytes.subarray(0, 1000), bytes.subarray(1000)], 'video/mp4'));
      store.put('live/k/video/index.m3u8', storedFile([new Uint8Array(10)], 'application/vnd.apple.mpegurl'));
      store.retire('live/k/video/3.m4s');
      // Written in the background: until then it is still in memory, and readable either way.
      expect(store.counters.spilledFiles).toBe(0);
      expect(store.get('live/k/video/3.m4s')!.byteLength).toBe(5000);
      await store.spillsWritten();
      expect(store.counters).toEqual({ files: 2, bytes: 10, spilledFiles: 1, spilledBytes: 5000 });
      expect(readdirSync(dir)).toEqual(['live+k+video+3.m4s']);
      const back = store.get('live/k/video/3.m4s')!;
      expect(back.contentType).toBe('video/mp4');
      expect(Buffer.from(joinPieces(back)).equals(Buffer.from(bytes))).toBe(true);
      expect(store.list('live/k/')).toEqual(['live/k/video/3.m4s', 'live/k/video/index.m3u8']);
      store.delete('live/k/video/3.m4s');
      expect(store.counters).toEqual({ files: 1, bytes: 10, spilledFiles: 0, spilledBytes: 0 });
      for (let i = 0; i < 100 && readdirSync(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(readdirSync(dir)).toEqual([]);
      expect(store.get('live/k/video/3.m4s')).toBeUndefined();
    }));

  it('a file replaced or deleted before its spill is written stays as it is now; without a spill folder retire() does nothing', () =>
    withSpillDir(async (dir) => {
      const store = new MemoryStore({ spillDir: dir });
      store.put('a/1.m4s', storedFile([new Uint8Array(100)], 'video/mp4'));
      store.retire('a/1.m4s');
      store.put('a/1.m4s', storedFile([new Uint8Array(7)], 'video/mp4'));
      store.put('a/2.m4s', storedFile([new Uint8Array(50)], 'video/mp4'));
      store.retire('a/2.m4s');
      store.delete('a/2.m4s');
      await new Promise((r) => setTimeout(r, 200));
      expect(store.counters).toEqual({ files: 1, bytes: 7, spilledFiles: 0, spilledBytes: 0 });
      expect(store.get('a/1.m4s')!.byteLength).toBe(7);
      expect(readdirSync(dir)).toEqual([]);
      const plain = new MemoryStore();
      plain.put('a/1.m4s', storedFile([new Uint8Array(100)], 'video/mp4'));
      plain.retire('a/1.m4s');
      await new Promise((r) => setTimeout(r, 50));
      expect(plain.counters).toEqual({ files: 1, bytes: 100, spilledFiles: 0, spilledBytes: 0 });
    }));

  it('retire() twice while the first write is in flight writes once and keeps the spilled file', () =>
    withSpillDir(async (dir) => {
      const store = new MemoryStore({ spillDir: dir });
      store.put('a/1.m4s', storedFile([new Uint8Array(300).fill(7)], 'video/mp4'));
      store.retire('a/1.m4s');
      store.retire('a/1.m4s');
      await store.spillsWritten();
      store.retire('a/1.m4s');
      await store.spillsWritten();
      expect(store.counters).toEqual({ files: 1, bytes: 0, spilledFiles: 1, spilledBytes: 300 });
      expect(readdirSync(dir)).toEqual(['a+1.m4s']);
      expect(joinPieces(store.get('a/1.m4s')!)).toEqual(new Uint8Array(300).fill(7));
    }));

  it('a spilled file read back is read from disk once while asked for again; a put or delete of its path forgets it', () =>
    withSpillDir(async (dir) => {
      const store = new MemoryStore({ spillDir: dir });
      for (let i = 0; i < 10; i++) store.put(`a/${i}.m4s`, storedFile([new Uint8Array(10).fill(i)], 'video/mp4'));
      for (let i = 0; i < 10; i++) store.retire(`a/${i}.m4s`);
      await store.spillsWritten();
      const first = store.get('a/0.m4s')!;
      // Removed behind the store's back: a second get still answers, from what it read.
      rmSync(join(dir, 'a+0.m4s'));
      expect(store.get('a/0.m4s')).toBe(first);
      // Eight are kept: reading eight others pushes a/0 out, and it would have to be read again.
      for (let i = 1; i <= 8; i++) store.get(`a/${i}.m4s`);
      expect(() => store.get('a/0.m4s')).toThrow(/ENOENT/);
      // A put replaces what was read back.
      const kept = store.get('a/8.m4s')!;
      store.put('a/8.m4s', storedFile([new Uint8Array(3).fill(9)], 'video/mp4'));
      expect(store.get('a/8.m4s')).not.toBe(kept);
      expect(joinPieces(store.get('a/8.m4s')!)).toEqual(new Uint8Array(3).fill(9));
      store.get('a/7.m4s');
      store.delete('a/7.m4s');
      expect(store.get('a/7.m4s')).toBeUndefined();
    }));

  it('parts retired after their segment, with it as container, are kept as ranges of its one spilled file, which stays until neither uses it', () =>
    withSpillDir(async (dir) => {
      const store = new MemoryStore({ spillDir: dir });
      const payload = Uint8Array.from({ length: 3000 }, (_, i) => i % 253);
      const header = (n: number): Uint8Array => new Uint8Array(8).fill(n);
      // A segment of two parts, each a fragment header and two payload views: the segment's pieces are the parts' pieces.
      const part0 = [header(1), payload.subarray(0, 700), payload.subarray(700, 1500)];
      const part1 = [header(2), payload.subarray(1500, 2000), payload.subarray(2000)];
      store.put('v/5.m4s', storedFile([...part0, ...part1], 'video/mp4'));
      store.put('v/5.0.m4s', storedFile(part0, 'video/mp4'));
      store.put('v/5.1.m4s', storedFile(part1, 'video/mp4'));
      // Not a run of the container's pieces (a copy of them): written as a file of its own.
      store.put('v/5.x.m4s', storedFile(part1.map((p) => p.slice()), 'video/mp4'));
      store.retire('v/5.m4s');
      store.retire('v/5.0.m4s', 'v/5.m4s');
      store.retire('v/5.1.m4s', 'v/5.m4s');
      store.retire('v/5.x.m4s', 'v/5.m4s');
      await store.spillsWritten();
      expect(readdirSync(dir).sort()).toEqual(['v+5.m4s', 'v+5.x.m4s']);
      expect(store.counters).toEqual({ files: 4, bytes: 0, spilledFiles: 4, spilledBytes: 3016 + 1508 });
      const whole = (pieces: Uint8Array[]): Buffer => Buffer.concat(pieces);
      expect(Buffer.from(joinPieces(store.get('v/5.1.m4s')!)).equals(whole(part1))).toBe(true);
      expect(Buffer.from(joinPieces(store.get('v/5.0.m4s')!)).equals(whole(part0))).toBe(true);
      expect(Buffer.from(joinPieces(store.get('v/5.x.m4s')!)).equals(whole(part1))).toBe(true);
      // The segment goes first: its file stays for the parts still kept in it.
      store.delete('v/5.m4s');
      store.delete('v/5.x.m4s');
      await store.spillsWritten();
      expect(readdirSync(dir)).toEqual(['v+5.m4s']);
      expect(store.counters).toEqual({ files: 2, bytes: 0, spilledFiles: 2, spilledBytes: 3016 });
      store.delete('v/5.0.m4s');
      // Read from disk again (not the copy read back before the segment was deleted).
      store.put('other.m4s', storedFile([new Uint8Array(1)], 'video/mp4'));
      expect(Buffer.from(joinPieces(store.get('v/5.1.m4s')!)).equals(whole(part1))).toBe(true);
      store.delete('v/5.1.m4s');
      await store.spillsWritten();
      expect(readdirSync(dir)).toEqual([]);
      expect(store.counters).toEqual({ files: 1, bytes: 1, spilledFiles: 0, spilledBytes: 0 });
    }));

  it('a part whose container was deleted before the spill, or was never retired, is written on its own', () =>
    withSpillDir(async (dir) => {
      const store = new MemoryStore({ spillDir: dir });
      const part = [new Uint8Array(4).fill(1), new Uint8Array(6).fill(2)];
      store.put('v/1.m4s', storedFile([...part, new Uint8Array(5)], 'video/mp4'));
      store.put('v/1.0.m4s', storedFile(part, 'video/mp4'));
      store.put('v/2.0.m4s', storedFile([new Uint8Array(3)], 'video/mp4'));
      store.retire('v/1.m4s');
      store.retire('v/1.0.m4s', 'v/1.m4s');
      store.retire('v/2.0.m4s', 'v/2.m4s');
      store.delete('v/1.m4s');
      await store.spillsWritten();
      expect(readdirSync(dir).sort()).toEqual(['v+1.0.m4s', 'v+2.0.m4s']);
      expect(joinPieces(store.get('v/1.0.m4s')!)).toEqual(Uint8Array.from([1, 1, 1, 1, 2, 2, 2, 2, 2, 2]));
      expect(store.counters).toEqual({ files: 2, bytes: 0, spilledFiles: 2, spilledBytes: 13 });
    }));
});
