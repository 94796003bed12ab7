import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readFlvFile } from '../../src/flv/index.js';
import { RtmpClient } from '../../src/rtmp/index.js';

const root = new URL('../../', import.meta.url).pathname;
/** tsx as a loader in the one node process (the tsx CLI would start a second one, which a SIGKILL of the first would orphan). */
const tsx = '--import=tsx';
const children: number[] = [];

afterEach(() => {
  for (const pid of children.splice(0)) {
    try {
      process.kill(pid);
    } catch {
      // already gone
    }
  }
});

describe('docs/rtmp.md embedding example', () => {
  it('runs as written: logs the publish and every frame', async () => {
    const child = spawn(process.execPath, [tsx, 'docs/examples/rtmp-log-server.ts'], { cwd: root, env: { ...process.env, PORT: '0' } });
    children.push(child.pid!);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`example did not start: ${out}`)), 20_000);
      child.stdout.on('data', () => {
        const m = /listening on rtmp:\/\/127\.0\.0\.1:(\d+)\/live/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const { tags } = readFlvFile(readFileSync(new URL('../../fixtures/media/h264-aac.flv', import.meta.url)));
    const first = tags.slice(0, 40);
    const client = await RtmpClient.connect(`rtmp://127.0.0.1:${port}/live`);
    const stream = await client.publish('mykey?token=1');
    for (const t of first) {
      if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
      else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
      else stream.writeDataPayload(t.timestamp, t.body);
    }
    stream.unpublish();
    await expect.poll(() => out, { timeout: 10_000 }).toContain('unpublish mykey');
    await client.close();
    expect(out).toContain('publish app=live key=mykey query=token=1');
    const lines = out.split('\n');
    expect(lines.filter((l) => l.startsWith('video mykey')).length).toBe(first.filter((t) => t.type === 9).length);
    expect(lines.filter((l) => l.startsWith('audio mykey')).length).toBe(first.filter((t) => t.type === 8).length);
    expect(out).toMatch(/video mykey t=0ms \d+ B keyframe/);
  });
});
