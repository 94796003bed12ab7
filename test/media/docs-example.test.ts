import { describe, expect, it } from 'vitest';
import { firstCodeBlock, markdownSection, pointAtSources, readDoc, repoRoot, runExample } from '../helpers/docs-examples.js';

describe('docs/media.md example', () => {
  it('runs as written and prints the documented output', async () => {
    const section = markdownSection(readDoc('media.md'), 'Example');
    const code = firstCodeBlock(section, 'ts');
    const out = await runExample(pointAtSources(code), { cwd: repoRoot });
    expect(out).toBe(firstCodeBlock(section.slice(section.indexOf('Output:')), 'text'));
  });
});
