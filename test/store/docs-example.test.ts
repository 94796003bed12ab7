import { describe, expect, it } from 'vitest';
import { firstCodeBlock, markdownSection, pointAtSources, readDoc, runExample } from '../helpers/docs-examples.js';

/** docs/store.md's example, run as written (tidecast/<module> pointed at src/): it prints the ```text block. */

describe('docs/store.md example', () => {
  it('prints what the page shows', async () => {
    const section = markdownSection(readDoc('store.md'), 'Example');
    const code = firstCodeBlock(section, 'ts');
    const expected = firstCodeBlock(section, 'text');
    // .mts: the example uses top-level await.
    const stdout = await runExample(pointAtSources(code), { fileName: 'example.mts' });
    expect(stdout).toBe(expected);
  });
});
