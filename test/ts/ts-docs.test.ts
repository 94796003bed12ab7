import { describe, expect, it } from 'vitest';
import { markdownSection, pointAtSources, readDoc, runExample } from '../helpers/docs-examples.js';

/** docs/hls.md "MPEG-TS output" example, run as written: it prints exactly the ```text block after it. */
describe('docs/hls.md MPEG-TS example', () => {
  const section = markdownSection(readDoc('hls.md'), 'MPEG-TS output');
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
  const expected = /```text\n([\s\S]*?)```/.exec(section)![1]!;

  it('prints what the page shows', async () => {
    expect(await runExample(pointAtSources(code))).toBe(expected);
  });
});
