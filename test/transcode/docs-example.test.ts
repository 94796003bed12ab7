import { describe, expect, it } from 'vitest';
import { codeBlocks, markdownSection, pointAtSources, readDoc, runExample } from '../helpers/docs-examples.js';

/** docs/transcode.md's example, run as written (`tidecast/transcode` pointed at src/): it must print the ```text block after it. */

describe('docs/transcode.md example', () => {
  const section = markdownSection(readDoc('transcode.md'), 'Example');

  it('prints the plan and the command the page shows', async () => {
    const [code] = codeBlocks(section, 'ts');
    const [expected] = codeBlocks(section, 'text');
    expect(expected).toBeDefined();
    expect(await runExample(pointAtSources(code!))).toBe(expected);
  });
});
