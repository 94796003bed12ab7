import { describe, expect, it } from 'vitest';
import { markdownSection, pointAtSources, readDoc, runExample } from '../helpers/docs-examples.js';

/**
 * docs/ll-hls.md "Example", run as written: it prints exactly the ```m3u8 and ```text blocks after
 * it. test/docs/examples-typecheck.test.ts type-checks it as written.
 */

describe('docs/ll-hls.md example', () => {
  const section = markdownSection(readDoc('ll-hls.md'), 'Example');
  const blocks = [...section.matchAll(/```(ts|m3u8|text)\n([\s\S]*?)```/g)].map((m) => ({ language: m[1]!, body: m[2]! }));
  const code = blocks.find((b) => b.language === 'ts')?.body ?? '';

  it('prints the LL-HLS playlist and the blocking-reload decisions the page shows', async () => {
    const expected = blocks.filter((b) => b.language !== 'ts').map((b) => b.body);
    expect(expected).toHaveLength(2);
    expect(await runExample(pointAtSources(code))).toBe(expected.join(''));
  });
});
