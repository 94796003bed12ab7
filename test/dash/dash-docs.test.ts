import { describe, expect, it } from 'vitest';
import { markdownSection, pointAtSources, readDoc, runExample } from '../helpers/docs-examples.js';
import { mpdProblems } from '../helpers/mpd-check.js';

/** docs/dash.md "Example", run as written: it prints exactly the ```xml block after it, a well-formed MPD in the schema's order. */
describe('docs/dash.md example', () => {
  const section = markdownSection(readDoc('dash.md'), 'Example');
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
  const expected = /```xml\n([\s\S]*?)```/.exec(section)![1]!;

  it('prints the MPD the page shows', async () => {
    expect(await runExample(pointAtSources(code))).toBe(expected);
    expect(mpdProblems(expected)).toEqual([]);
  });
});
