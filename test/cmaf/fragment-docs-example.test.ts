import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstCodeBlock, markdownSection, readDoc, repoRoot, runExample, withTempDir } from '../helpers/docs-examples.js';
import { parseMp4 } from '../helpers/mp4box.js';

/**
 * The first ```ts block of docs/cmaf.md's "## Example" section, exactly as a reader would copy it:
 * `tidecast/<module>` is left as written and resolved by tsx through the tsconfig paths of the
 * repository root, where it runs.
 */
function example(): string {
  return firstCodeBlock(markdownSection(readDoc('cmaf.md'), 'Example'), 'ts');
}

describe('docs/cmaf.md example', () => {
  it('runs as written and produces a file mp4box.js reads as 300 H.264 samples', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'out.mp4');
      const stdout = await runExample(example(), { cwd: repoRoot, env: { OUT: out } });
      expect(stdout).toMatch(/^fragment 1: 60 samples, header 848 B \+ 60 payload views = 41794 B$/m);
      expect(stdout.trim().split('\n')).toHaveLength(5);
      const parsed = parseMp4(new Uint8Array(readFileSync(out)));
      expect(parsed.tracks[0]).toMatchObject({ codec: 'avc1.64000d', width: 320, height: 240 });
      expect(parsed.samples.get(1)).toHaveLength(300);
      expect(parsed.fragments).toHaveLength(5);
    });
  });
});
