import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { locateFfmpeg, locateFfprobe } from '../../src/transcode/index.js';

/**
 * Every branch of the lookup against a temp tree of fake executables (never run) and a
 * controlled env object, so the machine's real ffmpeg cannot leak into the results.
 *
 *   root/
 *     bin-a/            empty
 *     bin-b/ffmpeg      not executable (0644)      bin-b/ffprobe/  a directory
 *     bin-c/ffmpeg      executable                 bin-c/ffprobe   executable
 *     env/ffmpeg, env/ffprobe, env/not-exec
 *     pkg/node_modules/@ffmpeg-installer/ffmpeg    exports { path: pkg/bin/ffmpeg }
 *     pkg/node_modules/@ffprobe-installer/ffprobe  exports { path: pkg/bin/ffprobe }
 *     pkg-broken/…/@ffmpeg-installer/ffmpeg        throws a string, as on an unsupported platform
 *     pkg-noexec/…/@ffmpeg-installer/ffmpeg        exports a path that is not executable
 *     empty/                                       no node_modules at all
 */

let root = '';
const p = (...parts: string[]): string => path.join(root, ...parts);
const from = (dir: string): URL => pathToFileURL(p(dir, 'anchor.js'));

async function file(rel: string, mode: number, content = '#!/bin/sh\nexit 0\n'): Promise<void> {
  await mkdir(path.dirname(p(rel)), { recursive: true });
  await writeFile(p(rel), content);
  await chmod(p(rel), mode);
}

async function fakePackage(dir: string, name: string, body: string): Promise<void> {
  await file(`${dir}/node_modules/${name}/package.json`, 0o644, JSON.stringify({ name, main: 'index.js' }));
  await file(`${dir}/node_modules/${name}/index.js`, 0o644, body);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tidecast-locate-'));
  await mkdir(p('bin-a'), { recursive: true });
  await file('bin-b/ffmpeg', 0o644);
  await mkdir(p('bin-b/ffprobe'), { recursive: true });
  await file('bin-c/ffmpeg', 0o755);
  await file('bin-c/ffprobe', 0o755);
  await file('env/ffmpeg', 0o755);
  await file('env/ffprobe', 0o755);
  await file('env/not-exec', 0o644);
  await file('pkg/bin/ffmpeg', 0o755);
  await file('pkg/bin/ffprobe', 0o755);
  await fakePackage('pkg', '@ffmpeg-installer/ffmpeg', `module.exports = { path: ${JSON.stringify(p('pkg/bin/ffmpeg'))} };`);
  await fakePackage('pkg', '@ffprobe-installer/ffprobe', `module.exports = { path: ${JSON.stringify(p('pkg/bin/ffprobe'))} };`);
  await fakePackage('pkg-broken', '@ffmpeg-installer/ffmpeg', `throw 'Unsupported platform/architecture: sunos-sparc';`);
  await file('pkg-noexec/bin/ffmpeg', 0o644);
  await fakePackage('pkg-noexec', '@ffmpeg-installer/ffmpeg', `module.exports = { path: ${JSON.stringify(p('pkg-noexec/bin/ffmpeg'))} };`);
  await mkdir(p('empty'), { recursive: true });
});

afterAll(async () => {
  if (root !== '') await rm(root, { recursive: true, force: true });
});

const PATH = (): string => [p('bin-a'), p('bin-b'), p('bin-c')].join(path.delimiter);

describe('locateFfmpeg / locateFfprobe', () => {
  it('takes FFMPEG_PATH / FFPROBE_PATH first', async () => {
    const env = { FFMPEG_PATH: p('env/ffmpeg'), FFPROBE_PATH: p('env/ffprobe'), PATH: PATH() };
    expect(await locateFfmpeg(env, { resolveFrom: from('pkg') })).toEqual({ path: p('env/ffmpeg'), source: 'env' });
    expect(await locateFfprobe(env, { resolveFrom: from('pkg') })).toEqual({ path: p('env/ffprobe'), source: 'env' });
  });

  it('resolves a relative FFMPEG_PATH against the working directory', async () => {
    const env = { FFMPEG_PATH: path.relative(process.cwd(), p('env/ffmpeg')) };
    expect(await locateFfmpeg(env, { resolveFrom: from('empty') })).toEqual({ path: p('env/ffmpeg'), source: 'env' });
  });

  it.each([
    ['a file without execute permission', 'env/not-exec'],
    ['a directory', 'env'],
    ['a missing file', 'env/missing'],
  ])('rejects FFMPEG_PATH naming %s with ERR_CONFIG_INVALID, never falling back', async (_name, rel) => {
    const env = { FFMPEG_PATH: p(rel), PATH: PATH() };
    const err = await locateFfmpeg(env, { resolveFrom: from('pkg') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID', details: { option: 'FFMPEG_PATH', value: p(rel) } });
  });

  it('treats an empty FFMPEG_PATH as unset', async () => {
    const env = { FFMPEG_PATH: '', PATH: PATH() };
    expect(await locateFfmpeg(env, { resolveFrom: from('empty') })).toEqual({ path: p('bin-c/ffmpeg'), source: 'path' });
  });

  it('searches PATH in order, skipping missing, non-executable and directory entries', async () => {
    const env = { PATH: PATH() };
    expect(await locateFfmpeg(env, { resolveFrom: from('pkg') })).toEqual({ path: p('bin-c/ffmpeg'), source: 'path' });
    expect(await locateFfprobe(env, { resolveFrom: from('pkg') })).toEqual({ path: p('bin-c/ffprobe'), source: 'path' });
  });

  it('ignores empty and relative PATH entries, which depend on the working directory', async () => {
    const env = { PATH: ['', '.', path.relative(process.cwd(), p('bin-c'))].join(path.delimiter) };
    expect(await locateFfmpeg(env, { resolveFrom: from('empty') })).toBeUndefined();
  });

  it('falls back to the optional installer packages', async () => {
    const env = { PATH: p('bin-a') };
    expect(await locateFfmpeg(env, { resolveFrom: from('pkg') })).toEqual({ path: p('pkg/bin/ffmpeg'), source: 'package' });
    expect(await locateFfprobe(env, { resolveFrom: from('pkg') })).toEqual({ path: p('pkg/bin/ffprobe'), source: 'package' });
  });

  it.each([
    ['is not installed', 'empty'],
    ['throws when required', 'pkg-broken'],
    ['names a file that is not executable', 'pkg-noexec'],
  ])('returns undefined when nothing is on PATH and the package %s', async (_name, dir) => {
    expect(await locateFfmpeg({ PATH: p('bin-a') }, { resolveFrom: from(dir) })).toBeUndefined();
    expect(await locateFfmpeg({}, { resolveFrom: from(dir) })).toBeUndefined();
  });

  it.skipIf(!existsSync(fileURLToPath(new URL('../../node_modules/@ffmpeg-installer/ffmpeg', import.meta.url))))(
    'resolves the real optional package from tidecast itself by default',
    async () => {
      const found = await locateFfmpeg({});
      expect(found?.source).toBe('package');
      expect(found?.path).toContain(`${path.sep}@ffmpeg-installer${path.sep}`);
    },
  );
});
