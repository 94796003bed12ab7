import { describe, expect, it } from 'vitest';
import { codeBlocks, markdownSection, pointAtSources, readDoc, runExample } from '../helpers/docs-examples.js';

/**
 * docs/hls.md's example, run as written: the ```ts block of its "## Example" section, with the
 * package's `tidecast/<module>` specifiers pointed at src/, must print exactly the ```m3u8 blocks
 * that follow it. test/docs/examples-typecheck.test.ts type-checks it as written.
 */

describe('docs/hls.md example', () => {
  const section = markdownSection(readDoc('hls.md'), 'Example');
  const code = codeBlocks(section, 'ts')[0] ?? '';

  it('prints the playlists the page shows', async () => {
    const expected = codeBlocks(section, 'm3u8');
    expect(expected).toHaveLength(2);
    const stdout = await runExample(pointAtSources(code));
    expect(stdout).toBe(expected.join(''));
  });
});
