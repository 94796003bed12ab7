import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstCodeBlock, markdownSection, readDoc, runExample } from '../helpers/docs-examples.js';

/** docs/auth.md's example, run as written ('tidecast' pointed at src/index.ts): it prints the ```text block. */

describe('docs/auth.md example', () => {
  it('prints what the page shows', async () => {
    const section = markdownSection(readDoc('auth.md'), 'Example');
    const entry = join(new URL('../../src/index.ts', import.meta.url).pathname);
    const code = firstCodeBlock(section, 'ts').replace(/from 'tidecast'/g, `from '${entry}'`);
    expect(await runExample(code, { fileName: 'example.mts' })).toBe(firstCodeBlock(section, 'text'));
  });
});
