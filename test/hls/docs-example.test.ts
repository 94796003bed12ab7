import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * docs/hls.md's example, run as written: the ```ts block of its "## Example" section, with the
 * package's `tidecast/<module>` specifiers pointed at src/, must print exactly the ```m3u8 blocks
 * that follow it; and it type-checks as written, with `tidecast/<module>` resolved through the
 * project's tsconfig paths.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const tsx = require.resolve('tsx/cli');
const tsc = require.resolve('typescript/bin/tsc');

/** A runaway example or type check is killed after this; they take a few seconds at most. */
const EXAMPLE_TIMEOUT_MS = 60_000;

function exampleSection(markdown: string): string {
  const start = markdown.indexOf('\n## Example\n');
  const end = markdown.indexOf('\n## ', start + 1);
  if (start < 0 || end < 0) throw new Error('docs/hls.md has no "## Example" section');
  return markdown.slice(start, end);
}

function blocks(section: string, language: string): string[] {
  return [...section.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

function run(args: string[], cwd: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    execFile(process.execPath, args, { cwd, timeout: EXAMPLE_TIMEOUT_MS, encoding: 'utf8' }, (err, out, stderr) =>
      err ? reject(new Error(`${err.message}\n${out}\n${stderr}`)) : resolve(out),
    );
  });
}

async function inTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tidecast-hls-doc-'));
  try {
    return await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('docs/hls.md example', () => {
  const section = exampleSection(readFileSync(join(root, 'docs/hls.md'), 'utf8'));
  const code = blocks(section, 'ts')[0] ?? '';

  it('prints the playlists the page shows', async () => {
    const expected = blocks(section, 'm3u8');
    expect(expected).toHaveLength(2);
    const runnable = code.replace(/from 'tidecast\/([a-z]+)'/g, (_, module: string) => `from '${join(root, 'src', module, 'index.ts')}'`);
    const stdout = await inTempDir(async (dir) => {
      writeFileSync(join(dir, 'example.ts'), runnable);
      return run([tsx, 'example.ts'], dir);
    });
    expect(stdout).toBe(expected.join(''));
  });

  it('type-checks as written', async () => {
    await inTempDir(async (dir) => {
      writeFileSync(join(dir, 'example.mts'), code);
      const config = {
        extends: join(root, 'tsconfig.json'),
        compilerOptions: { noEmit: true, rootDir: '/', typeRoots: [join(root, 'node_modules/@types')] },
        include: ['example.mts'],
      };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
      await run([tsc, '-p', 'tsconfig.json'], dir);
    });
  });
});
