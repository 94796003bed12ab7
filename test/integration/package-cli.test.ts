import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFlv } from '../../src/server/index.js';
import { fixturePath } from '../helpers/ffmpeg.js';
import { runPackageCli, segmentUris } from '../helpers/packaging.js';

/**
 * `tidecast package` as a command: what it says and leaves behind when the input or an option is
 * wrong (one line naming the problem, exit code 1, no output folder), and that its one option
 * reaches the packager. package-fixtures.test.ts checks the media it writes.
 */

let workdir = '';

beforeAll(async () => {
  workdir = await mkdtemp(join(tmpdir(), 'tidecast-package-cli-'));
});

afterAll(async () => {
  if (workdir !== '') await rm(workdir, { recursive: true, force: true });
});

/** One error line on stderr, as main.ts prints a TidecastError: no stack, no object dump. */
function expectOneErrorLine(stderr: string, message: string): void {
  expect(stderr).toBe(`tidecast: ${message}\n`);
}

describe('tidecast package, error paths', () => {
  it('refuses a file that is not FLV with the FLV reader’s message, exit code 1 and no output', async () => {
    const input = join(workdir, 'not-flv.flv');
    await writeFile(input, '#EXTM3U\nthis is a playlist, not an FLV file\n');
    const out = join(workdir, 'out-not-flv');
    const result = await runPackageCli([input, out]);
    expect(result.code).toBe(1);
    expectOneErrorLine(result.stderr, 'FLV header does not start with "FLV" (E.2)');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an FLV file cut inside its header', async () => {
    const input = join(workdir, 'cut.flv');
    await writeFile(input, Buffer.from('FLV\x01\x05'));
    const result = await runPackageCli([input, join(workdir, 'out-cut')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tidecast: FLV input ended inside the header at offset \d+\n$/);
  });

  it('names an input file that does not exist', async () => {
    const input = join(workdir, 'missing.flv');
    const result = await runPackageCli([input, join(workdir, 'out-missing')]);
    expect(result.code).toBe(1);
    expectOneErrorLine(result.stderr, `cannot read the input file ${input} (ENOENT)`);
  });

  it('names a bad --segment-duration and the value given', async () => {
    const result = await runPackageCli([fixturePath('media/h264-aac.flv'), join(workdir, 'out-bad-option'), '--segment-duration', '0']);
    expect(result.code).toBe(1);
    expectOneErrorLine(result.stderr, 'option --segment-duration must be a number from 0.1 to 3600, got 0');
  });

  it('prints its usage when the output folder is missing', async () => {
    const result = await runPackageCli([fixturePath('media/h264-aac.flv')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^tidecast: package takes an input file and an output folder; usage: tidecast package <input\.flv> <outdir>/);
  });
});

describe('tidecast package --segment-duration', () => {
  it('cuts at the first keyframe past the target: 4 s on a 2 s GOP gives segments of 4, 4 and 2 s', async () => {
    const out = join(workdir, 'out-4s');
    const result = await runPackageCli([fixturePath('media/h264-aac.flv'), out, '--segment-duration', '4']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const playlist = await readFile(join(out, 'video', 'index.m3u8'), 'utf8');
    expect(segmentUris(playlist)).toEqual(['0.m4s', '1.m4s', '2.m4s']);
    expect(playlist).toContain('#EXT-X-TARGETDURATION:4\n');
    expect([...playlist.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]))).toEqual([4, 4, 2]);
  });
});

describe('tidecast package output', () => {
  it('writes exactly the files packageFlv makes in memory, byte for byte, and no temporary file', async () => {
    const input = fixturePath('media/h264-aac.flv');
    const out = join(workdir, 'out-same');
    const result = await runPackageCli([input, out]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const expected = new Map<string, Buffer>();
    const bytes = await readFile(input);
    async function* whole(): AsyncGenerator<Uint8Array> {
      yield bytes;
    }
    await packageFlv(whole(), (f) => void expected.set(f.path, Buffer.concat(f.pieces as Uint8Array[])));
    const written = (await readdir(out, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(out.length + 1));
    expect(written.sort()).toEqual([...expected.keys()].sort());
    for (const [path, content] of expected) expect((await readFile(join(out, path))).equals(content), path).toBe(true);
  });
});
