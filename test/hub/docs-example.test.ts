import { describe, expect, it } from 'vitest';
import { firstCodeBlock, markdownSection, pointAtSources, readDoc, repoRoot, runExample } from '../helpers/docs-examples.js';

/** The ```ts block of docs/hub.md's "## Example" section, and the ```text block after its "Output:". */
function example(): { code: string; output: string } {
  const section = markdownSection(readDoc('hub.md'), 'Example');
  return { code: firstCodeBlock(section, 'ts'), output: firstCodeBlock(section.slice(section.indexOf('Output:')), 'text') };
}

// test/docs/examples-typecheck.test.ts type-checks the example as written.
describe('docs/hub.md example', () => {
  it('runs as written and prints the documented output', async () => {
    const { code, output } = example();
    const out = await runExample(pointAtSources(code), { cwd: repoRoot });
    expect(out).toBe(output);
  });
});
