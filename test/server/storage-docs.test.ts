import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveConfig } from '../../src/cli/serve.js';
import { readFlvFile } from '../../src/flv/index.js';
import { RtmpClient } from '../../src/rtmp/index.js';
import { createMediaServer } from '../../src/server/index.js';
import { codeBlocks, firstCodeBlock, markdownSection, readDoc, repoRoot } from '../helpers/docs-examples.js';
import { killByPid } from '../helpers/process.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

/**
 * docs/storage.md: its example, run as written ('tidecast' pointed at src/index.ts) against s3rver
 * with the credentials in the AWS variables (the SDK's default chain): a publish of the fixture's
 * first 6 s is uploaded, and the bucket's playlists are read back over HTTP. Its YAML section loads.
 * The "Recordings" example: a 6 s publish recorded, uploaded and deleted locally, its VOD read
 * back from the bucket; its YAML loads, and refuses the recording mode without `record`.
 */

const page = readDoc('storage.md');
let s3: S3rverHandle | undefined;
let s3vod: S3rverHandle | undefined;
let dir: string | undefined;
let child: ChildProcess | undefined;
afterAll(async () => {
  if (child !== undefined) killByPid(child);
  await s3?.close();
  await s3vod?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('docs/storage.md', () => {
  it('the example uploads a publish to the bucket, and prints where to play it', { timeout: 30_000 }, async () => {
    s3 = await startS3rver('docs-bucket');
    dir = await mkdtemp(join(tmpdir(), 'tidecast-storage-doc-'));
    const code = firstCodeBlock(markdownSection(page, 'Example'), 'ts').replace(/from 'tidecast'/g, `from '${join(repoRoot, 'src/index.ts')}'`);
    const file = join(dir, 'example.mts');
    await writeFile(file, code);
    const env = { ...process.env, RTMP_PORT: '0', HTTP_PORT: '0', S3_BUCKET: s3.bucket, S3_ENDPOINT: s3.endpoint, UPLOAD_JOURNAL: join(dir, 'journal'), AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey };
    child = spawn(process.execPath, ['--import=tsx', file], { cwd: repoRoot, env });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    await expect.poll(() => out, { timeout: 15_000 }).toMatch(/^play .*\n/m);
    const rtmpPort = /publish to rtmp:\/\/127\.0\.0\.1:(\d+)\/live\/<key>/.exec(out)![1];
    expect(out).toContain(`play ${s3.endpoint}/${s3.bucket}/live/<key>/index.m3u8\n`);

    const { tags } = readFlvFile(readFileSync(new URL('../../fixtures/media/h264-aac.flv', import.meta.url)));
    const client = await RtmpClient.connect(`rtmp://127.0.0.1:${rtmpPort}/live`);
    const stream = await client.publish('demo');
    for (const t of tags.filter((t) => t.timestamp <= 6000)) {
      if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
      else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
      else stream.writeDataPayload(t.timestamp, t.body);
    }
    await expect.poll(() => out, { timeout: 10_000 }).toMatch(/^uploaded live\/demo\/index\.m3u8 \(multivariant, \d+ B\)$/m);
    expect(out).toMatch(/^uploaded live\/demo\/video\/0\.m4s \(segment, \d+ B\)$/m);
    expect(out).toMatch(/^uploaded live\/demo\/video\/init-0\.mp4 \(init, \d+ B\)$/m);
    const multivariant = await (await fetch(s3.objectUrl('live/demo/index.m3u8'))).text();
    expect(multivariant).toContain('video/index.m3u8');
    const media = await fetch(s3.objectUrl('live/demo/video/index.m3u8'));
    expect(media.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    const text = await media.text();
    expect(text).toContain('#EXT-X-MAP:URI="init-0.mp4"');
    expect(text).not.toContain('#EXT-X-PART');
    stream.unpublish();
    await client.close();
  });

  it('the recordings example uploads a recording of a publish, prints where to play it, and keeps no local copy', { timeout: 30_000 }, async () => {
    const vod = await startS3rver('my-vod-bucket');
    s3vod = vod;
    const work = await mkdtemp(join(tmpdir(), 'tidecast-storage-rec-doc-'));
    const recordings = markdownSection(page, 'Recordings');
    const code = firstCodeBlock(recordings, 'ts').replace(/from 'tidecast'/g, `from '${join(repoRoot, 'src/index.ts')}'`);
    const file = join(work, 'example.mts');
    await writeFile(file, code);
    const env = { ...process.env, RTMP_PORT: '0', HTTP_PORT: '0', S3_BUCKET: vod.bucket, S3_ENDPOINT: vod.endpoint, UPLOAD_JOURNAL: join(work, 'journal'), RECORDINGS_DIR: join(work, 'recordings'), TMPDIR: work, AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey };
    const example = spawn(process.execPath, ['--import=tsx', file], { cwd: repoRoot, env });
    try {
      let out = '';
      example.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      example.stderr!.on('data', (b: Buffer) => (out += b.toString()));
      await expect.poll(() => out, { timeout: 15_000 }).toMatch(/^publish to .*\n/m);
      const rtmpPort = /publish to rtmp:\/\/127\.0\.0\.1:(\d+)\/live\/<key>/.exec(out)![1];
      const { tags } = readFlvFile(readFileSync(new URL('../../fixtures/media/h264-aac.flv', import.meta.url)));
      const client = await RtmpClient.connect(`rtmp://127.0.0.1:${rtmpPort}/live`);
      const stream = await client.publish('demo');
      for (const t of tags.filter((t) => t.timestamp <= 6000)) {
        if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
        else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
      }
      stream.unpublish();
      await expect.poll(() => out, { timeout: 15_000 }).toMatch(/^uploaded live\/demo\/\S+ \(\d+ B\): play \S+\n/m);
      await client.close();
      expect(out).toMatch(/^recorded (live\/demo\/\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d) \([\d.]+ s\)$/m);
      const id = /^recorded (\S+)/m.exec(out)![1]!;
      const url = /^uploaded \S+ \(\d+ B\): play (\S+)$/m.exec(out)![1]!;
      expect(url).toBe(vod.objectUrl(`recordings/${id}/index.m3u8`));
      const multivariant = await (await fetch(url)).text();
      expect(multivariant).toContain('video/index.m3u8');
      const media = await (await fetch(vod.objectUrl(`recordings/${id}/video/index.m3u8`))).text();
      expect(media).toContain('#EXT-X-ENDLIST');
      expect((await fetch(vod.objectUrl(`recordings/${id}/video/0.m4s`))).status).toBe(200);
      expect(await vod.keys('live/')).toEqual([]); // live: false
      expect(existsSync(join(work, 'recordings', 'live'))).toBe(false); // deleteLocalRecordings
    } finally {
      // Killed: its store's spill folder is left in TMPDIR, the work folder removed here.
      const gone = example.exitCode !== null || example.signalCode !== null ? Promise.resolve() : new Promise((resolve) => example.once('exit', resolve));
      killByPid(example);
      await gone;
      await rm(work, { recursive: true, force: true });
    }
  });

  it('the recordings YAML loads as the options it shows', async () => {
    const yaml = codeBlocks(markdownSection(page, 'Recordings'), 'yaml')[0]!;
    const file = join(await mkdtemp(join(tmpdir(), 'tidecast-storage-yaml-')), 'tidecast.yaml');
    try {
      await writeFile(file, yaml);
      const { config } = await serveConfig(['--config', file], {});
      expect(config.objectStorage).toEqual({ bucket: 'my-vod-bucket', live: false, recordings: true, deleteLocalRecordings: true });
      expect(config.record).toMatchObject({ dir: '/var/lib/tidecast/recordings', apps: ['live'] });
      // Without the record section the recording mode is refused at start, naming the key.
      await writeFile(file, yaml.replace(/^record:\n(  .*\n)+/m, ''));
      const { config: alone } = await serveConfig(['--config', file], {});
      expect(alone.record).toBeUndefined();
      expect(() => createMediaServer({ objectStorage: alone.objectStorage! })).toThrow(/objectStorage\.recordings must be used with the record option/);
    } finally {
      await rm(join(file, '..'), { recursive: true, force: true });
    }
  });

  it('the configuration section loads as the options it shows', async () => {
    const yaml = codeBlocks(markdownSection(page, 'Configuration'), 'yaml')[0]!;
    const file = join(await mkdtemp(join(tmpdir(), 'tidecast-storage-yaml-')), 'tidecast.yaml');
    try {
      await writeFile(file, yaml);
      const { config } = await serveConfig(['--config', file], { TIDECAST_OBJECT_STORAGE_MAX_CONCURRENCY: '2' });
      expect(config.objectStorage).toEqual({ bucket: 'my-live-bucket', prefix: 'tidecast', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, journalDir: '/var/lib/tidecast/uploads', maxConcurrency: 2 });
    } finally {
      await rm(join(file, '..'), { recursive: true, force: true });
    }
  });
});
