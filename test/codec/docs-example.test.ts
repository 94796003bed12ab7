import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * docs/codec.md's example, run as written: the first ```ts block with the package specifiers
 * pointed at src/, executed by tsx from the repository root; its output must be the ```text block
 * after it.
 */

const root = new URL('../../', import.meta.url).pathname;
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const dir = mkdtempSync(join(tmpdir(), 'tidecast-codec-doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/codec.md example', () => {
  it('prints what the page says it prints', async () => {
    const doc = readFileSync(join(root, 'docs/codec.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(doc)![1]!;
    const expected = /```text\n([\s\S]*?)```/.exec(doc)![1]!;
    const runnable = code.replace(/from 'tidecast\/(\w+)'/g, (_m, module: string) => `from '${join(root, 'src', module, 'index.js')}'`);
    const file = join(dir, 'example.ts');
    writeFileSync(file, runnable);
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [tsx, file], { cwd: root, timeout: 30_000 }, (err, out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out)));
    });
    expect(stdout).toBe(expected);
  });
});
