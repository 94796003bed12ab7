import { describe, expect, it } from 'vitest';
import { markdownSection, pointAtSources, readDoc, runExample } from '../helpers/docs-examples.js';

/**
 * docs/hls.md "Live packaging" example, run as written: its ```ts block, with `tidecast/<module>`
 * pointed at src/, must print exactly the ```m3u8 and ```text blocks after it.
 * test/docs/examples-typecheck.test.ts type-checks it as written.
 */

describe('docs/hls.md live packaging example', () => {
  const section = markdownSection(readDoc('hls.md'), 'Live packaging');
  const blocks = [...section.matchAll(/```(ts|m3u8|text)\n([\s\S]*?)```/g)].map((m) => ({ language: m[1]!, body: m[2]! }));
  const code = blocks.find((b) => b.language === 'ts')?.body ?? '';

  it('prints the playlists and file lists the page shows', async () => {
    const expected = blocks.filter((b) => b.language !== 'ts').map((b) => b.body);
    expect(expected).toHaveLength(3);
    const stdout = await runExample(pointAtSources(code));
    expect(stdout).toBe(expected.join(''));
  });
});
