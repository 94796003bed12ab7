import { describe, expect, it } from 'vitest';
import { codeBlocks, pointAtSources, readDoc, repoRoot, runExample } from '../helpers/docs-examples.js';

/** docs/flv.md's first example, run as written (package specifiers pointed at src/) from the repository root. */

describe('docs/flv.md example', () => {
  it('prints one line per tag of the fixture: metadata, sequence headers, then frames', async () => {
    const code = codeBlocks(readDoc('flv.md'), 'ts')[0]!;
    const stdout = await runExample(pointAtSources(code), { cwd: repoRoot, timeoutMs: 30_000 });
    // console.log of the metadata object spans several lines; every other line is one tag.
    const lines = stdout.trimEnd().split('\n').filter((l) => /^(avc|aac) /.test(l));
    expect(stdout).toMatch(/^onMetaData AmfEcmaArray \{/);
    expect(lines.slice(0, 3)).toEqual(['avc key sequence-start 0 44', 'aac sequence-start 5', 'avc key coded-frames 67 3006']);
    expect(lines.filter((l) => l.startsWith('avc key coded-frames'))).toHaveLength(5);
    expect(lines.filter((l) => l.startsWith('aac coded-frames'))).toHaveLength(432);
    expect(lines.filter((l) => / coded-frames /.test(l) && l.startsWith('avc'))).toHaveLength(300);
  });
});
