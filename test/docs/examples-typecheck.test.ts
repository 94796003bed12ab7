import { beforeAll, describe, expect, it } from 'vitest';
import { firstCodeBlock, markdownSection, pointAtPackages, readDoc, typecheckExamples } from '../helpers/docs-examples.js';

/**
 * The docs' TypeScript examples type-check as written, with `tidecast/<module>` resolved through
 * the project's tsconfig paths: the first ```ts block of each section below, all in one TypeScript
 * program (one load of the compiler and of src/'s types), reported per example. Each page's own
 * test runs its example and compares what it prints with the page.
 */

interface DocExample {
  readonly page: string;
  readonly section: string;
  /** Installed packages the example imports, pointed at their entry: it is checked outside the repository. */
  readonly packages?: readonly string[];
}

const EXAMPLES: readonly DocExample[] = [
  { page: 'hls.md', section: 'Example' },
  { page: 'hls.md', section: 'Live packaging' },
  { page: 'll-hls.md', section: 'Example' },
  { page: 'hub.md', section: 'Example' },
  { page: 'http.md', section: 'Example', packages: ['fastify'] },
  { page: 'transcode.md', section: 'Example' },
  { page: 'dash.md', section: 'Example' },
  { page: 'hls.md', section: 'MPEG-TS output' },
];

describe('docs examples type-check as written', () => {
  const codes = EXAMPLES.map((e) => pointAtPackages(firstCodeBlock(markdownSection(readDoc(e.page), e.section), 'ts'), e.packages ?? []));
  let diagnostics: string[][] = [];

  beforeAll(async () => {
    diagnostics = await typecheckExamples(codes);
  });

  it.each(EXAMPLES.map((e, index) => [`docs/${e.page} "${e.section}"`, index] as const))('%s', (_name, index) => {
    expect(diagnostics).toHaveLength(EXAMPLES.length);
    expect(diagnostics[index]).toEqual([]);
  });
});
