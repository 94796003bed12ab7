import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const tsx = createRequire(import.meta.url).resolve('tsx/cli');

/** The first fenced block of `lang` after `heading` in docs/media.md. */
function block(doc: string, heading: string, lang: string): string {
  const from = doc.indexOf(heading);
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(doc.slice(from));
  if (from < 0 || match === null) throw new Error(`no ${lang} block after ${heading}`);
  return match[1]!;
}

describe('docs/media.md example', () => {
  it('runs as written and prints the documented output', () => {
    const doc = readFileSync(join(root, 'docs/media.md'), 'utf8');
    const code = block(doc, '## Example', 'ts').replace("'tidecast/media'", `'${join(root, 'src/media/index.js')}'`);
    const dir = mkdtempSync(join(tmpdir(), 'tidecast-media-doc-'));
    try {
      writeFileSync(join(dir, 'example.ts'), code);
      const out = execFileSync(process.execPath, [tsx, join(dir, 'example.ts')], { cwd: root, encoding: 'utf8' });
      expect(out).toBe(block(doc, 'Output:', 'text'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
