import { describe, expect, it } from 'vitest';
import { markdownSection, pointAtSources, readDoc, runExample, typecheckExample } from '../helpers/docs-examples.js';

/**
 * docs/hls.md "Live packaging" example, run as written: its ```ts block, with `tidecast/<module>`
 * pointed at src/, must print exactly the ```m3u8 and ```text blocks after it; and it type-checks
 * with `tidecast/<module>` resolved through the project's tsconfig paths.
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

  it('type-checks as written', async () => {
    await typecheckExample(code);
  });
});
