import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** docs/flv.md's first example, run as written (package specifiers pointed at src/) from the repository root. */
const root = new URL('../../', import.meta.url).pathname;
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const dir = mkdtempSync(join(tmpdir(), 'tidecast-flv-doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/flv.md example', () => {
  it('prints one line per tag of the fixture: metadata, sequence headers, then frames', async () => {
    const doc = readFileSync(join(root, 'docs/flv.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(doc)![1]!;
    const file = join(dir, 'example.ts');
    writeFileSync(file, code.replace(/from 'tidecast\/(\w+)'/g, (_m, module: string) => `from '${join(root, 'src', module, 'index.js')}'`));
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [tsx, file], { cwd: root, timeout: 30_000, maxBuffer: 1 << 24 }, (err, out, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(out)));
    });
    // console.log of the metadata object spans several lines; every other line is one tag.
    const lines = stdout.trimEnd().split('\n').filter((l) => /^(avc|aac) /.test(l));
    expect(stdout).toMatch(/^onMetaData AmfEcmaArray \{/);
    expect(lines.slice(0, 3)).toEqual(['avc key sequence-start 0 44', 'aac sequence-start 5', 'avc key coded-frames 67 3006']);
    expect(lines.filter((l) => l.startsWith('avc key coded-frames'))).toHaveLength(5);
    expect(lines.filter((l) => l.startsWith('aac coded-frames'))).toHaveLength(432);
    expect(lines.filter((l) => / coded-frames /.test(l) && l.startsWith('avc'))).toHaveLength(300);
  });
});
