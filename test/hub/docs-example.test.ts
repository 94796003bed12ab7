import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const tsx = require.resolve('tsx/cli');
const tsc = require.resolve('typescript/bin/tsc');

/** The first fenced block of `lang` after `heading` in docs/hub.md. */
function block(doc: string, heading: string, lang: string): string {
  const from = doc.indexOf(heading);
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(doc.slice(from));
  if (from < 0 || match === null) throw new Error(`no ${lang} block after ${heading}`);
  return match[1]!;
}

describe('docs/hub.md example', () => {
  it('runs as written and prints the documented output', () => {
    const doc = readFileSync(join(root, 'docs/hub.md'), 'utf8');
    const code = block(doc, '## Example', 'ts')
      .replace("'tidecast/hub'", `'${join(root, 'src/hub/index.js')}'`)
      .replace("'tidecast/media'", `'${join(root, 'src/media/index.js')}'`);
    const dir = mkdtempSync(join(tmpdir(), 'tidecast-hub-doc-'));
    try {
      writeFileSync(join(dir, 'example.ts'), code);
      const out = execFileSync(process.execPath, [tsx, join(dir, 'example.ts')], { cwd: root, encoding: 'utf8' });
      expect(out).toBe(block(doc, 'Output:', 'text'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('type-checks as written, with tidecast/<module> resolved through the project paths', () => {
    const doc = readFileSync(join(root, 'docs/hub.md'), 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'tidecast-hub-doc-tsc-'));
    try {
      writeFileSync(join(dir, 'example.ts'), block(doc, '## Example', 'ts'));
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      const paths = { 'tidecast/*': [join(root, 'src/*/index.ts')] };
      const compilerOptions = { noEmit: true, rootDir: '/', paths, typeRoots: [join(root, 'node_modules/@types')] };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(root, 'tsconfig.json'), compilerOptions, include: ['example.ts'] }));
      execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
