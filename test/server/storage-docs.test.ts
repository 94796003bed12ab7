import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveConfig } from '../../src/cli/serve.js';
import { readFlvFile } from '../../src/flv/index.js';
import { RtmpClient } from '../../src/rtmp/index.js';
import { codeBlocks, firstCodeBlock, markdownSection, readDoc, repoRoot } from '../helpers/docs-examples.js';
import { killByPid } from '../helpers/process.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverHandle } from '../helpers/s3rver.js';

/**
 * docs/storage.md: its example, run as written ('tidecast' pointed at src/index.ts) against s3rver
 * with the credentials in the AWS variables (the SDK's default chain): a publish of the fixture's
 * first 6 s is uploaded, and the bucket's playlists are read back over HTTP. Its YAML section loads.
 */

const page = readDoc('storage.md');
let s3: S3rverHandle | undefined;
let dir: string | undefined;
let child: ChildProcess | undefined;
afterAll(async () => {
  if (child !== undefined) killByPid(child);
  await s3?.close();
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
