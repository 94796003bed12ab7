import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { RtmpClient } from '../../src/rtmp/index.js';
import { killByPid, spawnTool } from '../helpers/process.js';

const root = new URL('../../', import.meta.url).pathname;
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const started: import('node:child_process').ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) killByPid(child);
});

describe('tidecast command', () => {
  it('serves RTMP, prints the OBS settings and logs a publish', async () => {
    const child = spawn(process.execPath, [tsx, 'src/cli/main.ts', '--rtmp-port', '0', '--host', '127.0.0.1'], { cwd: root });
    started.push(child);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await expect.poll(() => out, { timeout: 20_000 }).toMatch(/Stream Key: any name/);
    expect(out).toMatch(/Server: +rtmp:\/\/127\.0\.0\.1:\d+\/live/);
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const client = await RtmpClient.connect(`rtmp://127.0.0.1:${port}/live`);
    await client.publish('clitest');
    await expect.poll(() => out, { timeout: 5_000 }).toMatch(/publish +live\/clitest/);
    await client.close();
    child.kill('SIGTERM');
    await expect.poll(() => out, { timeout: 5_000 }).toMatch(/shutting down/);
  });

  it('refuses a bad option value, naming it, with exit code 1', async () => {
    const run = spawnTool(process.execPath, [tsx, 'src/cli/main.ts', '--rtmp-port', 'x'], { timeoutMs: 20_000, cwd: root });
    started.push(run.child);
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('option --rtmp-port must be a port number from 0 to 65535, got x');
  });
});
