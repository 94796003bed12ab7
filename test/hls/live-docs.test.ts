import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * docs/hls.md "Live packaging" example, run as written: its ```ts block, with `tidecast/<module>`
 * pointed at src/, must print exactly the ```m3u8 and ```text blocks after it; and it type-checks
 * with `tidecast/<module>` resolved through the project's tsconfig paths.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const tsx = require.resolve('tsx/cli');
const tsc = require.resolve('typescript/bin/tsc');

/** A runaway example or type check is killed after this; they take a few seconds at most. */
const EXAMPLE_TIMEOUT_MS = 60_000;

function liveSection(markdown: string): string {
  const start = markdown.indexOf('\n## Live packaging\n');
  if (start < 0) throw new Error('docs/hls.md has no "## Live packaging" section');
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

function run(args: string[], cwd: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    execFile(process.execPath, args, { cwd, timeout: EXAMPLE_TIMEOUT_MS, encoding: 'utf8' }, (err, out, stderr) =>
      err ? reject(new Error(`${err.message}\n${out}\n${stderr}`)) : resolve(out),
    );
  });
}

async function inTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tidecast-live-doc-'));
  try {
    return await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('docs/hls.md live packaging example', () => {
  const section = liveSection(readFileSync(join(root, 'docs/hls.md'), 'utf8'));
  const blocks = [...section.matchAll(/```(ts|m3u8|text)\n([\s\S]*?)```/g)].map((m) => ({ language: m[1]!, body: m[2]! }));
  const code = blocks.find((b) => b.language === 'ts')?.body ?? '';

  it('prints the playlists and file lists the page shows', async () => {
    const expected = blocks.filter((b) => b.language !== 'ts').map((b) => b.body);
    expect(expected).toHaveLength(3);
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
