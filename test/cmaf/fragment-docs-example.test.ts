import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMp4 } from '../helpers/mp4box.js';

const root = new URL('../../', import.meta.url).pathname;
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const dir = mkdtempSync(join(tmpdir(), 'tidecast-cmaf-doc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first ```ts block after "## Example" in docs/cmaf.md, exactly as a reader would copy it. */
function example(): string {
  const doc = readFileSync(join(root, 'docs/cmaf.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Example'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('docs/cmaf.md has no ts example under "## Example"');
  return match[1]!;
}

describe('docs/cmaf.md example', () => {
  it('runs as written and produces a file mp4box.js reads as 300 H.264 samples', async () => {
    const script = join(dir, 'example.ts');
    const out = join(dir, 'out.mp4');
    writeFileSync(script, example());
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [tsx, script], { cwd: root, env: { ...process.env, OUT: out } }, (err, so, se) =>
        err ? reject(new Error(`${err.message}\n${se}`)) : resolve(so),
      );
    });
    expect(stdout).toMatch(/^fragment 1: 60 samples, header 848 B \+ 60 payload views = 41794 B$/m);
    expect(stdout.trim().split('\n')).toHaveLength(5);
    const parsed = parseMp4(new Uint8Array(readFileSync(out)));
    expect(parsed.tracks[0]).toMatchObject({ codec: 'avc1.64000d', width: 320, height: 240 });
    expect(parsed.samples.get(1)).toHaveLength(300);
    expect(parsed.fragments).toHaveLength(5);
  });
});
