import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** docs/store.md's example, run as written (tidecast/<module> pointed at src/): it prints the ```text block. */

const root = fileURLToPath(new URL('../../', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx/cli');

/** The example takes well under a second; this only bounds a hang. */
const EXAMPLE_TIMEOUT_MS = 60_000;

describe('docs/store.md example', () => {
  it('prints what the page shows', async () => {
    const markdown = readFileSync(join(root, 'docs/store.md'), 'utf8');
    const section = markdown.slice(markdown.indexOf('\n## Example\n'), markdown.indexOf('\n## API\n'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    const expected = /```text\n([\s\S]*?)```/.exec(section)![1]!;
    const dir = mkdtempSync(join(tmpdir(), 'tidecast-store-doc-'));
    try {
      writeFileSync(join(dir, 'example.mts'), code.replace(/from 'tidecast\/([a-z]+)'/g, (_, module: string) => `from '${join(root, 'src', module, 'index.ts')}'`));
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [tsx, 'example.mts'], { cwd: dir, timeout: EXAMPLE_TIMEOUT_MS, encoding: 'utf8' }, (err, out, stderr) =>
          err ? reject(new Error(`${err.message}\n${out}\n${stderr}`)) : resolve(out),
        );
      });
      expect(stdout).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
