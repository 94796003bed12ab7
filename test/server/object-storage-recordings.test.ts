import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UploadEvent } from '../../src/server/object-storage-events.js';
import { UploadJournal } from '../../src/server/object-storage-journal.js';
import { planRecordingFile } from '../../src/server/object-storage-plan.js';
import { UPLOADED_MARKER } from '../../src/server/object-storage-recordings.js';
import { createMediaServer, type MediaServerOptions } from '../../src/server/index.js';
import { filesUnder, listedUris, startRecordingServer, type RecordingServer } from '../helpers/recording.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

/**
 * Object storage's recording mode (src/server/object-storage-recordings.ts) against s3rver: a
 * recording of a short publish goes up once the recorder completes it, every file of its folder
 * under `recordings/<id>/`, media first and recording.json last, with the kinds' content types and
 * Cache-Control; a restart resumes a recording's upload from the journal with only the files not
 * confirmed, and the start-up scan uploads the finished recordings not marked uploaded; the local
 * folder deleted when asked; a recording deleted mid-upload ends as `failed`, not retried.
 * The ffmpeg publish played from the bucket by ffprobe is test/integration/object-storage.test.ts.
 */

let s3: S3rverHandle;
let work: string;
beforeAll(async () => {
  s3 = await startS3rver('recordings-bucket');
  work = await mkdtemp(join(tmpdir(), 'tidecast-rec-uploads-'));
});
afterAll(async () => {
  await s3?.close();
  await rm(work, { recursive: true, force: true });
});

const storage = (journalDir: string, extra: Partial<NonNullable<MediaServerOptions['objectStorage']>> = {}): NonNullable<MediaServerOptions['objectStorage']> => ({
  bucket: s3.bucket,
  endpoint: s3.endpoint,
  forcePathStyle: true,
  ...S3RVER_CREDENTIALS,
  journalDir,
  retryBaseMs: 50,
  retryMaxMs: 200,
  recordings: true,
  live: false,
  ...extra,
});

/** A server recording every publish and uploading recordings; the fixture's first `seconds` published, then unpublished: the recording's id once completed. */
async function recordOne(rec: RecordingServer, key: string, seconds = 4): Promise<string> {
  const { stream } = await rec.publish(key, seconds * 1000);
  await expect.poll(() => rec.events.filter((e) => e.type === 'segment_completed').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  stream.unpublish();
  await expect.poll(() => rec.events.find((e) => e.type === 'completed' && e.streamKey === key), { timeout: 10_000 }).toBeDefined();
  return rec.events.find((e) => e.type === 'completed' && e.streamKey === key)!.id;
}

async function head(key: string): Promise<{ status: number; type: string | null; cache: string | null; body: Buffer }> {
  const res = await fetch(s3.objectUrl(key));
  return { status: res.status, type: res.headers.get('content-type'), cache: res.headers.get('cache-control'), body: Buffer.from(await res.arrayBuffer()) };
}

describe('the recording mode options', () => {
  it('refuses recordings without the record option and deleteLocalRecordings without recordings, naming the key', () => {
    const base = { rtmp: { port: 0 }, http: { port: 0 } };
    expect(() => createMediaServer({ ...base, objectStorage: { bucket: 'a-bucket', journalDir: join(work, 'j0'), recordings: true } })).toThrow(/objectStorage\.recordings.*record option/);
    expect(() => createMediaServer({ ...base, objectStorage: { bucket: 'a-bucket', journalDir: join(work, 'j0'), deleteLocalRecordings: true } })).toThrow(/objectStorage\.deleteLocalRecordings/);
    expect(planRecordingFile('audio/init-0.mp4', (r) => r === 'audio')).toEqual({ kind: 'init', contentType: 'audio/mp4', stage: 0 });
    expect(planRecordingFile('video/12.m4s', () => false)).toEqual({ kind: 'segment', contentType: 'video/mp4', stage: 0 });
    expect(planRecordingFile('video/index.m3u8', () => false)).toMatchObject({ kind: 'playlist', stage: 1 });
    expect(planRecordingFile('manifest.mpd', () => false)).toEqual({ kind: 'manifest', contentType: 'application/dash+xml', stage: 2 });
    expect(planRecordingFile('recording.json', () => false)).toEqual({ kind: 'info', contentType: 'application/json', stage: 3 });
  });
});

describe('finished recordings to the bucket', () => {
  it('uploads every file of a completed recording, media first, playlists after, recording.json last; live off uploads no live object', { timeout: 20_000 }, async () => {
    const journalDir = join(work, 'journal-1');
    const rec = await startRecordingServer({ record: { streams: 'all' }, objectStorage: storage(journalDir), endGraceMs: 500 });
    const uploads: UploadEvent[] = [];
    rec.server.on('upload', (e) => uploads.push(e));
    try {
      const id = await recordOne(rec, 'one');
      await rec.server.objectStorage!.recordings!.idle();
      const folder = join(rec.dir, ...id.split('/'));
      const local = (await filesUnder(folder)).filter((f) => f !== UPLOADED_MARKER);
      const keys = await s3.keys();
      expect(keys).toEqual(local.map((f) => `recordings/${id}/${f}`).sort());
      expect(local).toEqual(expect.arrayContaining(['index.m3u8', 'recording.json', 'video/index.m3u8', 'video/init-0.mp4', 'video/0.m4s', 'audio/index.m3u8', 'audio/0.m4s']));
      for (const f of local) expect((await head(`recordings/${id}/${f}`)).body.equals(await readFile(join(folder, f))), f).toBe(true);

      const objects = uploads.filter((e) => e.kind !== 'recording');
      expect(objects.every((e) => e.outcome === 'completed' && e.app === 'live' && e.streamKey === 'one' && e.recording === id)).toBe(true);
      const at = (f: string): number => objects.findIndex((e) => e.key === `recordings/${id}/${f}`);
      const media = local.filter((f) => /\.(m4s|mp4)$/.test(f));
      for (const m of media) expect(at(m)).toBeLessThan(at('video/index.m3u8'));
      for (const m of media) expect(at(m)).toBeLessThan(at('audio/index.m3u8'));
      expect(at('index.m3u8')).toBeGreaterThan(Math.max(at('video/index.m3u8'), at('audio/index.m3u8')));
      expect(at('recording.json')).toBe(objects.length - 1);
      expect(uploads.at(-1)).toMatchObject({ outcome: 'completed', kind: 'recording', key: `recordings/${id}/`, recording: id, app: 'live', streamKey: 'one' });

      expect(await head(`recordings/${id}/video/0.m4s`)).toMatchObject({ status: 200, type: 'video/mp4', cache: 'public, max-age=31536000, immutable' });
      expect(await head(`recordings/${id}/audio/init-0.mp4`)).toMatchObject({ type: 'audio/mp4', cache: 'public, max-age=31536000, immutable' });
      expect(await head(`recordings/${id}/video/index.m3u8`)).toMatchObject({ type: 'application/vnd.apple.mpegurl', cache: 'public, max-age=1' });
      expect(await head(`recordings/${id}/recording.json`)).toMatchObject({ type: 'application/json' });
      const playlist = (await head(`recordings/${id}/video/index.m3u8`)).body.toString();
      expect(playlist).toContain('#EXT-X-ENDLIST');
      for (const uri of listedUris(playlist)) expect((await head(`recordings/${id}/video/${uri}`)).status).toBe(200);
      // Marked, journal empty, nothing of the live stream went up (live: false).
      expect(JSON.parse(await readFile(join(folder, UPLOADED_MARKER), 'utf8'))).toMatchObject({ bucket: s3.bucket, key: `recordings/${id}/` });
      expect(new UploadJournal(join(journalDir, 'recordings')).scan()).toEqual([]);
      expect(keys.some((k) => k.startsWith('live/'))).toBe(false);
    } finally {
      await rec.close();
    }
  });

  it('a restart resumes a recording from the journal with the files not confirmed; the start-up scan uploads the unmarked ones; deleteLocalRecordings removes the folders', { timeout: 20_000 }, async () => {
    // Two finished recordings, made by a server without object storage.
    const dir = join(work, 'recordings-2');
    const maker = await startRecordingServer({ record: { streams: 'all', dir }, endGraceMs: 500 });
    let half: string;
    let whole: string;
    try {
      half = await recordOne(maker, 'half');
      whole = await recordOne(maker, 'whole');
    } finally {
      await maker.close();
    }
    const halfFiles = await filesUnder(join(dir, ...half.split('/')));
    const wholeFiles = await filesUnder(join(dir, ...whole.split('/')));
    // A kept copy of a recording already uploaded (marked): not uploaded again.
    await cp(join(dir, ...whole.split('/')), join(dir, 'live', 'marked', 'x'), { recursive: true });
    await writeFile(join(dir, 'live', 'marked', 'x', UPLOADED_MARKER), '{}\n');
    // Two more unmarked copies: the scan takes them SCANNED_RECORDINGS_AT_ONCE at a time.
    for (const copy of ['a', 'b']) await cp(join(dir, ...whole.split('/')), join(dir, 'copies', copy), { recursive: true });

    // The journal as a server killed mid-upload left it: `half` started, its media segments confirmed.
    const journalDir = join(work, 'journal-2');
    const journal = new UploadJournal(join(journalDir, 'recordings'));
    const entry = journal.newEntry('put', `recordings/${half}`, 'recording', '', 1, Date.now(), join(dir, ...half.split('/')));
    await journal.write(entry, undefined);
    const confirmed = halfFiles.filter((f) => f.endsWith('.m4s'));
    for (const f of confirmed) await journal.addDone(entry.id, f);

    const server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' }, record: { dir }, objectStorage: storage(journalDir, { deleteLocalRecordings: true, prefix: 'vod' }) });
    const uploads: UploadEvent[] = [];
    server.on('upload', (e) => uploads.push(e));
    try {
      await server.listen();
      const uploadsOf = server.objectStorage!.recordings!;
      await uploadsOf.ready;
      await uploadsOf.idle();
      const put = (id: string): string[] => uploads.filter((e) => e.kind !== 'recording' && e.recording === id).map((e) => e.key.slice(`vod/recordings/${id}/`.length)).sort();
      expect(put(half)).toEqual(halfFiles.filter((f) => !confirmed.includes(f)));
      expect(put(whole)).toEqual(wholeFiles);
      expect(uploads.filter((e) => e.kind === 'recording').map((e) => `${e.outcome} ${e.recording}`).sort()).toEqual([`completed ${half}`, `completed ${whole}`, 'completed copies/a', 'completed copies/b'].sort());
      expect(put('copies/b')).toEqual(wholeFiles);
      expect(existsSync(join(dir, 'copies'))).toBe(false);
      expect(uploads.some((e) => e.recording === 'live/marked/x')).toBe(false);
      // Every file of `whole` (and the files of `half` not confirmed) in the bucket; their local folders gone, with the parents they emptied.
      const keys = await s3.keys('vod/');
      for (const f of wholeFiles) expect(keys).toContain(`vod/recordings/${whole}/${f}`);
      expect(existsSync(join(dir, ...half.split('/')))).toBe(false);
      expect(existsSync(join(dir, 'live', 'whole'))).toBe(false);
      expect(existsSync(join(dir, 'live', 'marked', 'x'))).toBe(true);
      expect(new UploadJournal(join(journalDir, 'recordings')).scan()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('a recording deleted while its upload waits for the service ends as failed, and the uploads go on', { timeout: 20_000 }, async () => {
    const journalDir = join(work, 'journal-3');
    const rec = await startRecordingServer({ record: { streams: 'all' }, objectStorage: storage(journalDir, { prefix: 'gone' }), endGraceMs: 500 });
    const uploads: UploadEvent[] = [];
    rec.server.on('upload', (e) => uploads.push(e));
    try {
      await s3.stop();
      const id = await recordOne(rec, 'gone');
      await expect.poll(() => uploads.filter((e) => e.outcome === 'failed' && e.recording === id).length, { timeout: 10_000 }).toBeGreaterThan(0);
      await rm(join(rec.dir, ...id.split('/')), { recursive: true, force: true });
      await s3.start();
      await rec.server.objectStorage!.recordings!.idle();
      expect(uploads.at(-1)).toMatchObject({ outcome: 'failed', kind: 'recording', recording: id, key: `gone/recordings/${id}/` });
      expect(uploads.at(-1)!.error).toMatch(/gone before it was uploaded/);
      expect(await s3.keys('gone/')).toEqual([]);
      expect(rec.server.objectStorage!.pending).toBe(0);
      expect(new UploadJournal(join(journalDir, 'recordings')).scan()).toEqual([]);
    } finally {
      if (!s3.running) await s3.start();
      await rec.close();
    }
  });
});
