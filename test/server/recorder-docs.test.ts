import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstCodeBlock, markdownSection, readDoc, repoRoot, runExample } from '../helpers/docs-examples.js';

/** docs/recording.md's example, run as written from the repository root ('tidecast' pointed at src/index.ts): it prints the ```text block. */

describe('docs/recording.md example', () => {
  it('records a publish and prints what the page shows', async () => {
    const section = markdownSection(readDoc('recording.md'), 'Example');
    const entry = join(repoRoot, 'src/index.ts');
    const code = firstCodeBlock(section, 'ts').replace(/from 'tidecast'/g, `from '${entry}'`);
    expect(await runExample(code, { fileName: 'example.mts', cwd: repoRoot })).toBe(firstCodeBlock(section, 'text'));
  });
});
