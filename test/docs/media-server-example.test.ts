import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readFlvFile } from '../../src/flv/index.js';
import { RtmpClient } from '../../src/rtmp/index.js';
import { killByPid } from '../helpers/process.js';

const root = new URL('../../', import.meta.url).pathname;
/** tsx as a loader in the one node process (the tsx CLI would start a second one, which a SIGKILL of the first would orphan). */
const tsx = '--import=tsx';
const started: import('node:child_process').ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) killByPid(c);
});

describe('docs/server.md embedding example', () => {
  it('runs as written: takes a publish, logs segments, serves the playlist over HTTP', async () => {
    const child = spawn(process.execPath, [tsx, 'docs/examples/media-server.ts'], { cwd: root, env: { ...process.env, RTMP_PORT: '0', HTTP_PORT: '0' } });
    started.push(child);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await expect.poll(() => out, { timeout: 20_000 }).toMatch(/rtmp:\/\/127\.0\.0\.1:\d+\/live {2}http:\/\/127\.0\.0\.1:\d+\//);
    const [, rtmpPort, httpPort] = /rtmp:\/\/127\.0\.0\.1:(\d+)\/live {2}http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)!;
    // 6 s of the fixture, as fast as it goes: enough for two 2 s segments per track.
    const { tags } = readFlvFile(readFileSync(new URL('../../fixtures/media/h264-aac.flv', import.meta.url)));
    const client = await RtmpClient.connect(`rtmp://127.0.0.1:${rtmpPort}/live`);
    const stream = await client.publish('doc');
    for (const t of tags.filter((t) => t.timestamp <= 6000)) {
      if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
      else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
      else stream.writeDataPayload(t.timestamp, t.body);
    }
    await expect.poll(() => out, { timeout: 10_000 }).toMatch(/segment live\/doc video #1 /);
    expect(out).toContain('publish live/doc');
    expect(out).toMatch(/segment live\/doc audio #0 \d\.\d{3} s \d+ B/);
    const playlist = await (await fetch(`http://127.0.0.1:${httpPort}/live/doc/video/index.m3u8`)).text();
    expect(playlist).toContain('#EXT-X-MAP:URI="init-0.mp4"');
    expect(playlist).toContain('0.m4s');
    stream.unpublish();
    await expect.poll(() => out, { timeout: 10_000 }).toContain('unpublish live/doc');
    await client.close();
  });
});
