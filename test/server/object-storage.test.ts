import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedFile, type StoredFile } from '../../src/store/index.js';
import { ObjectStorageUploader } from '../../src/server/object-storage.js';
import type { UploadEvent } from '../../src/server/object-storage-events.js';
import type { ObjectStorageOptions } from '../../src/server/object-storage-options.js';
import { describeFailure, planPut, playlistDependencies } from '../../src/server/object-storage-plan.js';
import { freePort } from '../helpers/process.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

/**
 * The object storage uploader (src/server/object-storage.ts) against a real S3-compatible service,
 * s3rver in a child process (test/helpers/s3rver.ts): the journal resumed by a new uploader after
 * the first one closed with uploads pending, playlists coalesced and uploaded after the segments
 * they list, the memory bound, deletes with the window, a multipart upload. The long run with a
 * live publish and a 30 s outage is test/integration/object-storage.test.ts (TIDECAST_STORAGE=1).
 */

let s3: S3rverHandle;
let dir: string;
beforeAll(async () => {
  s3 = await startS3rver('unit-bucket');
  dir = await mkdtemp(join(tmpdir(), 'tidecast-uploads-test-'));
});
afterAll(async () => {
  await s3?.close();
  await rm(dir, { recursive: true, force: true });
});

const uploaders: ObjectStorageUploader[] = [];
function uploader(options: Partial<ObjectStorageOptions> & { journalDir: string }): ObjectStorageUploader {
  const u = new ObjectStorageUploader({ bucket: s3.bucket, endpoint: s3.endpoint, forcePathStyle: true, ...S3RVER_CREDENTIALS, retryBaseMs: 50, retryMaxMs: 200, ...options });
  uploaders.push(u);
  return u;
}
afterAll(async () => {
  await Promise.all(uploaders.map((u) => u.close()));
});

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}
/** A segment as the packager puts it: several pieces (views). */
function media(n: number, seed: number): StoredFile {
  const all = bytes(n, seed);
  return storedFile([all.subarray(0, n >> 1), all.subarray(n >> 1)], 'video/mp4');
}
const text = (t: string): StoredFile => storedFile([Buffer.from(t)], 'application/vnd.apple.mpegurl');
const playlist = (msns: number[], end = false): string =>
  `#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:${msns[0]}\n#EXT-X-MAP:URI="init-0.mp4"\n${msns.map((m) => `#EXTINF:2.000,\n${m}.m4s\n`).join('')}${end ? '#EXT-X-ENDLIST\n' : ''}`;

async function get(key: string): Promise<{ status: number; body: Buffer; type: string | null; cache: string | null }> {
  const res = await fetch(s3.objectUrl(key));
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type'), cache: res.headers.get('cache-control') };
}

describe('what goes up, under which key', () => {
  it('segments, init segments, the multivariant and the plain views; not parts nor LL-HLS playlists', () => {
    const ll = new Set<string>();
    const plan = (path: string): string | undefined => {
      const p = planPut(path, (s) => ll.has(s));
      if (p.lowLatency && p.stream !== undefined) ll.add(p.stream);
      return p.target === undefined ? undefined : `${p.target.kind} ${p.target.objectPath}`;
    };
    expect(plan('live/a/video/index.m3u8')).toBe('playlist live/a/video/index.m3u8'); // LL-HLS off: the playlist is plain
    expect(plan('live/b/video/0.0.m4s')).toBeUndefined(); // a part: stays at the origin, and says LL-HLS
    expect(plan('live/b/video/index.m3u8')).toBeUndefined();
    expect(plan('live/b/video/plain.m3u8')).toBe('playlist live/b/video/index.m3u8');
    expect(plan('live/b/video/init-0.mp4')).toBe('init live/b/video/init-0.mp4');
    expect(plan('live/b/video/12.m4s')).toBe('segment live/b/video/12.m4s');
    expect(plan('live/b/index.m3u8')).toBe('multivariant live/b/index.m3u8');
    expect(plan('live/b/plain.m3u8')).toBeUndefined();
    expect(plan('live/b/ts/3.ts')).toBeUndefined();
    expect(playlistDependencies('live/b/index.m3u8', '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="x",URI="audio/index.m3u8"\n#EXT-X-STREAM-INF:BANDWIDTH=1\nvideo/index.m3u8\nhttps://cdn/x.m3u8\n')).toEqual(['live/b/audio/index.m3u8', 'live/b/video/index.m3u8']);
    expect(describeFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({ transient: true, status: undefined });
    expect(describeFailure(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }))).toMatchObject({ transient: false, status: 403, message: 'AccessDenied (HTTP 403): Access Denied' });
  });
});

describe('the objectStorage option', () => {
  it('is refused at start naming the key: a bad bucket or endpoint, one key without the other, an unusable journal folder', async () => {
    const base = { bucket: 'ok-bucket', journalDir: join(dir, 'options') };
    const refusal = (o: Partial<ObjectStorageOptions>): string => {
      try {
        new ObjectStorageUploader({ ...base, ...o }).close().catch(() => undefined);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(refusal({ bucket: 'Bad_Bucket' })).toBe('option objectStorage.bucket must be an S3 bucket name (3 to 63 of a-z, 0-9, . and -), got Bad_Bucket');
    expect(refusal({ endpoint: 'ftp://x' })).toBe('option objectStorage.endpoint must be an http:// or https:// URL, got "ftp://x"');
    expect(refusal({ accessKeyId: 'AKIA' })).toBe('option objectStorage.secretAccessKey must be given with the other key (or neither, for the AWS SDK chain), got nothing');
    expect(refusal({ maxConcurrency: 0 })).toBe('option objectStorage.maxConcurrency must be an integer from 1 to 64, got 0');
    await writeFile(join(dir, 'a-file'), '');
    expect(refusal({ journalDir: join(dir, 'a-file', 'journal') })).toBe(`option objectStorage.journalDir must be a folder this process can create and write, got ${JSON.stringify(join(dir, 'a-file', 'journal'))} (ENOTDIR)`);
    const vhost = new ObjectStorageUploader({ ...base, region: 'eu-west-1', prefix: '/media/' });
    expect(vhost.objectUrl('live/a/index.m3u8')).toBe('https://ok-bucket.s3.eu-west-1.amazonaws.com/media/live/a/index.m3u8');
    await vhost.close();
  });
});

describe('ObjectStorageUploader against s3rver', () => {
  it('journals what it cannot upload, bounded in memory; a new uploader resumes it: segments first, the newest playlist last', async () => {
    const journalDir = join(dir, 'resume');
    // Nothing listens there: every attempt is refused at once.
    const down = uploader({ journalDir, endpoint: `http://127.0.0.1:${await freePort()}`, maxMemoryBytes: 6000, closeTimeoutMs: 0 });
    const failures: UploadEvent[] = [];
    down.on('upload', (e) => failures.push(e));
    down.put('live/r/video/0.0.m4s', media(100, 0)); // a part: LL-HLS, never uploaded
    down.put('live/r/video/init-0.mp4', media(700, 1));
    down.put('live/r/video/0.m4s', media(5000, 2));
    down.put('live/r/video/index.m3u8', text('#EXTM3U\n#EXT-X-PART:URI="0.0.m4s"\n'));
    down.put('live/r/video/plain.m3u8', text(playlist([0])));
    down.put('live/r/video/1.m4s', media(5000, 3));
    down.put('live/r/video/plain.m3u8', text(playlist([0, 1])));
    down.put('live/r/video/plain.m3u8', text(playlist([0, 1], true)));
    expect(down.pending).toBe(4); // init, two segments, one playlist (coalesced)
    expect(down.pendingBytes).toBe(700 + 5000 + 5000 + playlist([0, 1], true).length);
    // Each object tried (a try follows its journal write): init and both segments refused, the playlist still waiting for them.
    await expect.poll(() => new Set(failures.map((f) => f.key)).size, { timeout: 3000 }).toBe(3);
    // Past 6000 bytes in memory the newest wait on disk only.
    expect(down.memoryBytes).toBeLessThanOrEqual(6000);
    expect(failures.every((f) => f.outcome === 'failed' && f.kind !== 'playlist' && /ECONNREFUSED/.test(f.error ?? '') && f.retryInMs! > 0)).toBe(true);
    await down.close();
    expect((await readdir(journalDir)).filter((n) => n.endsWith('.json'))).toHaveLength(4);

    const up = uploader({ journalDir });
    const done: UploadEvent[] = [];
    up.on('upload', (e) => done.push(e));
    expect(up.counters.resumed).toBe(4);
    await up.idle();
    expect(done.map((e) => `${e.outcome} ${e.key}`).at(-1)).toBe('completed live/r/video/index.m3u8');
    expect(done.every((e) => e.outcome === 'completed')).toBe(true);
    expect(await s3.keys('live/r/')).toEqual(['live/r/video/0.m4s', 'live/r/video/1.m4s', 'live/r/video/index.m3u8', 'live/r/video/init-0.mp4']);
    const segment = await get('live/r/video/1.m4s');
    expect(segment).toMatchObject({ status: 200, type: 'video/mp4', cache: 'public, max-age=31536000, immutable' });
    expect(segment.body.equals(Buffer.from(bytes(5000, 3)))).toBe(true);
    const list = await get('live/r/video/index.m3u8');
    expect(list).toMatchObject({ status: 200, type: 'application/vnd.apple.mpegurl', cache: 'public, max-age=1' });
    expect(list.body.toString()).toBe(playlist([0, 1], true));
    expect(await readdir(journalDir)).toEqual([]);
  });

  it('uploads a playlist only after the segments it lists, and one version of a playlist put twice in a row', async () => {
    const up = uploader({ journalDir: join(dir, 'order'), maxConcurrency: 4 });
    const done: string[] = [];
    up.on('upload', (e) => done.push(`${e.outcome} ${e.key}`));
    // Large segments: a playlist without the rule would be up long before them.
    up.put('live/o/video/init-0.mp4', media(1000, 4));
    up.put('live/o/video/0.m4s', media(1_000_000, 5));
    up.put('live/o/video/1.m4s', media(1_000_000, 6));
    up.put('live/o/video/index.m3u8', text(playlist([0])));
    up.put('live/o/video/index.m3u8', text(playlist([0, 1])));
    up.put('live/o/index.m3u8', text('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000\nvideo/index.m3u8\n'));
    await up.idle();
    const at = (key: string): number => done.indexOf(`completed live/o/${key}`);
    expect(done.filter((d) => d.endsWith('video/index.m3u8'))).toEqual(['completed live/o/video/index.m3u8']);
    expect(at('video/index.m3u8')).toBeGreaterThan(Math.max(at('video/0.m4s'), at('video/1.m4s'), at('video/init-0.mp4')));
    expect(at('index.m3u8')).toBeGreaterThan(at('video/index.m3u8'));
    expect((await get('live/o/video/index.m3u8')).body.toString()).toBe(playlist([0, 1]));
  });

  it('deletes with the window when asked; a large object goes up in parts', async () => {
    const up = uploader({ journalDir: join(dir, 'delete'), deleteWithWindow: true, multipartBytes: 5 * 1024 * 1024 });
    up.put('live/d/video/0.m4s', media(6 * 1024 * 1024, 7));
    up.put('live/d/video/1.m4s', media(1000, 8));
    await up.idle();
    const large = await get('live/d/video/0.m4s');
    expect(large.body.length).toBe(6 * 1024 * 1024);
    // It went up in parts: s3rver keeps its multipart uploads' folder (its ETag is the whole object's MD5, unlike S3's).
    expect(existsSync(join(s3.dir, s3.bucket, '._S3rver_uploads'))).toBe(true);
    expect(large.body.equals(Buffer.from(bytes(6 * 1024 * 1024, 7)))).toBe(true);
    up.delete('live/d/video/1.m4s');
    up.delete('live/d/video/1.0.m4s'); // a part: nothing to delete
    await up.idle();
    expect(await s3.keys('live/d/')).toEqual(['live/d/video/0.m4s']);
  });
});
