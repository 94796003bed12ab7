import { describe, expect, it } from 'vitest';
import { firstCodeBlock, markdownSection, pointAtSources, readDoc, runExample } from '../helpers/docs-examples.js';

/** docs/health.md's example, run as written (tidecast/<module> pointed at src/): it prints the ```text block. */

describe('docs/health.md example', () => {
  it('prints what the page shows', async () => {
    const section = markdownSection(readDoc('health.md'), 'Example');
    const stdout = await runExample(pointAtSources(firstCodeBlock(section, 'ts')), { fileName: 'example.mts' });
    expect(stdout).toBe(firstCodeBlock(section, 'text'));
  });
});
