import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStore, joinPieces, StorePathError, storedFile } from '../../src/store/index.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('DiskStore', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tidecast-store-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes the pieces in order, creating folders, and reads them back with a content type from the extension', async () => {
    const store = new DiskStore(root);
    await store.put('video/0.m4s', storedFile([text('ab'), text('cde')], 'video/mp4'));
    await store.put('index.m3u8', storedFile([text('#EXTM3U\n')], 'application/vnd.apple.mpegurl'));
    expect(readFileSync(join(root, 'video/0.m4s'), 'utf8')).toBe('abcde');
    const got = (await store.get('video/0.m4s'))!;
    expect(new TextDecoder().decode(joinPieces(got))).toBe('abcde');
    expect(got).toMatchObject({ byteLength: 5, contentType: 'video/mp4' });
    expect((await store.get('index.m3u8'))?.contentType).toBe('application/vnd.apple.mpegurl');
    expect(await store.get('video/1.m4s')).toBeUndefined();
    expect(await store.get('nothing/here.m4s')).toBeUndefined();
    expect(await store.list()).toEqual(['index.m3u8', 'video/0.m4s']);
    expect(await store.list('video/')).toEqual(['video/0.m4s']);
  });

  it('replaces atomically: no temporary file is left, and concurrent readers see old or new whole', async () => {
    const store = new DiskStore(root);
    const old = 'x'.repeat(100_000);
    const next = 'y'.repeat(200_000);
    await store.put('video/index.m3u8', storedFile([text(old)], 'application/vnd.apple.mpegurl'));
    const reads: string[] = [];
    await Promise.all([
      store.put('video/index.m3u8', storedFile([text(next.slice(0, 100_000)), text(next.slice(100_000))], 'application/vnd.apple.mpegurl')),
      ...Array.from({ length: 20 }, async () => {
        const f = await store.get('video/index.m3u8');
        reads.push(new TextDecoder().decode(joinPieces(f!)));
      }),
    ]);
    for (const r of reads) expect(r === old || r === next).toBe(true);
    expect(readFileSync(join(root, 'video/index.m3u8'), 'utf8')).toBe(next);
    expect(readdirSync(join(root, 'video'))).toEqual(['index.m3u8']);
  });

  it('delete tolerates missing files; list skips temporary dot-files', async () => {
    const store = new DiskStore(root);
    await store.put('audio/3.m4s', storedFile([text('z')], 'audio/mp4'));
    writeFileSync(join(root, 'audio', '.abc.tmp'), 'partial');
    await store.delete('audio/3.m4s');
    await store.delete('audio/3.m4s');
    await store.delete('gone/3.m4s');
    expect(await store.list()).toEqual([]);
  });

  it.each(['../escape.m3u8', '/abs/path', 'a/../../b', '.tmp', 'a\\..\\b', 'a/%2e%2e/b'])('refuses %j before touching the disk', async (path) => {
    const store = new DiskStore(join(root, 'inner'));
    await expect(store.put(path, storedFile([text('no')], 'x'))).rejects.toBeInstanceOf(StorePathError);
    await expect(store.get(path)).rejects.toBeInstanceOf(StorePathError);
    await expect(store.delete(path)).rejects.toBeInstanceOf(StorePathError);
    expect(readdirSync(root)).toEqual([]);
  });
  it('putSync writes the pieces in order, replaces whole, makes folders (again after one is removed) and leaves no temporary file', async () => {
    const store = new DiskStore(root);
    // More pieces than IOV_MAX (1024): one writev call as far as the store is concerned.
    const many = Array.from({ length: 3000 }, (_, i) => text(String(i % 10)));
    store.putSync('video/0.m4s', storedFile(many, 'video/mp4'));
    expect(readFileSync(join(root, 'video/0.m4s'), 'utf8')).toBe(many.map((p) => new TextDecoder().decode(p)).join(''));
    store.putSync('video/0.m4s', storedFile([text('ab'), text('cde')], 'video/mp4'));
    expect(readFileSync(join(root, 'video/0.m4s'), 'utf8')).toBe('abcde');
    rmSync(join(root, 'video'), { recursive: true });
    store.putSync('video/1.m4s', storedFile([text('x')], 'video/mp4'));
    expect(readdirSync(join(root, 'video'))).toEqual(['1.m4s']);
    expect(await store.list()).toEqual(['video/1.m4s']);
  });

  it('putSync refuses a path outside the root before touching the file system', () => {
    const store = new DiskStore(root);
    expect(() => store.putSync('../escape.m4s', storedFile([text('x')], 'video/mp4'))).toThrow(StorePathError);
    expect(readdirSync(root)).toEqual([]);
  });
});
