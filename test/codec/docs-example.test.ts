import { describe, expect, it } from 'vitest';
import { codeBlocks, pointAtSources, readDoc, repoRoot, runExample } from '../helpers/docs-examples.js';

/**
 * docs/codec.md's example, run as written: the first ```ts block with the package specifiers
 * pointed at src/, executed by tsx from the repository root; its output must be the ```text block
 * after it.
 */

describe('docs/codec.md example', () => {
  it('prints what the page says it prints', async () => {
    const doc = readDoc('codec.md');
    const code = codeBlocks(doc, 'ts')[0]!;
    const expected = codeBlocks(doc, 'text')[0]!;
    const stdout = await runExample(pointAtSources(code), { cwd: repoRoot, timeoutMs: 30_000 });
    expect(stdout).toBe(expected);
  });
});
