import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFlvFile } from '../../src/flv/index.js';
import { RtmpClient, RtmpServer } from '../../src/rtmp/index.js';
import { ffmpegPath, fixturePath, spawnFfmpeg } from '../helpers/ffmpeg.js';

const hasFfmpeg = (await ffmpegPath()) !== undefined;
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
let dir = '';
let server: RtmpServer;
let port = 0;

beforeAll(async () => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(join(tmpdir(), 'tidecast-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  server = new RtmpServer({ port: 0, host: '127.0.0.1', tls: { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) } });
  port = (await server.listen()).port;
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasOpenssl)('RTMPS (RTMP over TLS)', () => {
  it('RtmpClient publishes over rtmps:// and the server receives every frame', async () => {
    const received: number[] = [];
    const onSession = (s: import('../../src/rtmp/index.js').ServerSession): void => {
      s.on('video', (m) => received.push(m.timestamp));
    };
    server.on('session', onSession);
    const { tags } = readFlvFile(readFileSync(fixturePath('media/h264-aac.flv')));
    const video = tags.filter((t) => t.type === 9).slice(0, 60);
    const client = await RtmpClient.connect(`rtmps://127.0.0.1:${port}/live`, { tls: { rejectUnauthorized: false } });
    const stream = await client.publish('secure');
    for (const t of video) stream.writeVideo(t.timestamp, t.body);
    stream.unpublish();
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(video.length);
    expect(received).toEqual(video.map((t) => t.timestamp));
    await client.close();
    server.off('session', onSession);
  });

  it.skipIf(!hasFfmpeg)('ffmpeg publishes over rtmps://', async () => {
    let frames = 0;
    const keys: string[] = [];
    const onSession = (s: import('../../src/rtmp/index.js').ServerSession): void => {
      s.on('video', () => frames++);
    };
    server.on('session', onSession);
    server.on('publish', (r) => keys.push(r.streamKey));
    const { done } = await spawnFfmpeg(['-v', 'error', '-i', fixturePath('media/h264-aac.flv'), '-t', '2', '-c', 'copy', '-f', 'flv', `rtmps://127.0.0.1:${port}/live/ffsecure`], { timeoutMs: 30_000 });
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    expect(keys).toContain('ffsecure');
    await expect.poll(() => frames, { timeout: 5_000 }).toBeGreaterThan(50);
    server.off('session', onSession);
  });
});
