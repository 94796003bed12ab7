import { describe, expect, it } from 'vitest';
import { markdownSection, pointAtPackages, pointAtSources, readDoc, runExample } from '../helpers/docs-examples.js';

/**
 * docs/http.md "Example", run as written (fastify pointed at the installed package, `tidecast/*` at
 * src/): it prints exactly the ```text block after it — the statuses, Cache-Control and CORS headers
 * of a stored playlist, a parked blocking reload and hinted part released by the next part, a
 * too-far reload and a preflight. test/docs/examples-typecheck.test.ts type-checks it as written.
 */

describe('docs/http.md example', () => {
  const section = markdownSection(readDoc('http.md'), 'Example');
  const blocks = [...section.matchAll(/```(ts|text)\n([\s\S]*?)```/g)].map((m) => ({ language: m[1]!, body: m[2]! }));
  const code = pointAtPackages(blocks.find((b) => b.language === 'ts')?.body ?? '', ['fastify']);

  it('prints the answers the page shows', async () => {
    const expected = blocks.filter((b) => b.language === 'text').map((b) => b.body);
    expect(expected).toHaveLength(1);
    expect(await runExample(pointAtSources(code), { fileName: 'example.mts' })).toBe(expected[0]);
  });
});
