import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { DEFAULT_PATH_TEMPLATE, expandTemplate, resolveRecordOptions, streamSelector, templateProblem } from '../../src/server/recorder-options.js';
import { createMediaServer } from '../../src/server/index.js';

/** The `record` option: template tokens, stream patterns, and refusals at start naming the key. */

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-record-options-'));
});
afterAll(async () => {
  await chmod(join(dir, 'locked'), 0o700).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

describe('the path template', () => {
  const start = Date.UTC(2026, 0, 2, 3, 4, 5, 67);

  it('expands every token from the stream and its start in UTC', () => {
    expect(expandTemplate(DEFAULT_PATH_TEMPLATE, 'live', 'cam-1', start)).toBe('live/cam-1/2026-01-02_03-04-05');
    expect(expandTemplate('%app/%Y/%m/%d/%key_%H%M%S.%f_%s', 'live', 'cam', start)).toBe(`live/2026/01/02/cam_030405.067_${Math.floor(start / 1000)}`);
  });

  it.each([
    ['%app/%key/%q', 'unknown token %q'],
    ['%app/%key/%', 'unknown token %'],
    ['%ap/%key', 'unknown token %a'],
    ['%app/%%key', 'unknown token %%'],
    ['/%app', 'a folder name is empty'],
    ['%app//%key', 'a folder name is empty'],
    ['%app/.hidden', 'starts with a dot'],
    ['%app/../%key', 'starts with a dot'],
    ['%app key', 'the character " "'],
    ['', 'it is empty'],
  ])('refuses %j: %s', (template, problem) => {
    expect(templateProblem(template)).toContain(problem);
  });

  it('accepts literal text around the tokens', () => {
    expect(templateProblem('recordings-%Y/%app.%key/%H-%M-%S_%f')).toBeUndefined();
  });
});

describe('which streams', () => {
  it("'all', 'none', apps and app/key patterns with *", () => {
    expect(streamSelector('all')('a', 'b')).toBe(true);
    expect(streamSelector('none')('a', 'b')).toBe(false);
    const some = streamSelector({ apps: ['live', 'ev*'], keys: ['studio/show-*', '*/always'] });
    expect(some('live', 'x')).toBe(true);
    expect(some('events', 'x')).toBe(true);
    expect(some('studio', 'show-12')).toBe(true);
    expect(some('studio', 'other')).toBe(false);
    expect(some('any', 'always')).toBe(true);
    expect(some('livex', 'x')).toBe(false);
    expect(streamSelector({ apps: ['*'] })('whatever', 'k')).toBe(true);
  });

  it('refuses a pattern naming where it is', () => {
    expect(() => streamSelector({ keys: ['no-slash'] })).toThrow('option record.streams.keys[0] must be an app/key pattern');
    expect(() => streamSelector({ apps: ['ok', 'bad/app'] })).toThrow('option record.streams.apps[1] must be an app name pattern');
  });
});

describe('resolveRecordOptions and createMediaServer refuse a bad record option at start', () => {
  it('names record.pathTemplate for an unknown token', () => {
    const refusal = (() => {
      try {
        createMediaServer({ record: { dir, pathTemplate: '%app/%key/%Q' } });
      } catch (error) {
        return error as ConfigError;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(ConfigError);
    expect(refusal!.message).toBe('option record.pathTemplate must be a path of literal text and the tokens %app %key %Y %m %d %H %M %S %f %s (unknown token %Q), got "%app/%key/%Q"');
    expect(refusal!.details).toEqual({ option: 'record.pathTemplate', value: '"%app/%key/%Q"' });
  });

  it('names record.dir for a folder it cannot write, or a file in its place', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'not a folder');
    expect(() => resolveRecordOptions({ dir: join(blocker, 'recordings') })).toThrow(/^option record\.dir must be a folder the server can write to, got ".*a-file\/recordings" \(ENOTDIR\)$/);
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked');
      await import('node:fs/promises').then((fs) => fs.mkdir(locked));
      await chmod(locked, 0o500);
      expect(() => createMediaServer({ record: { dir: locked } })).toThrow(/^option record\.dir must be a folder the server can write to, got ".*locked" \(EACCES\)$/);
    }
  });

  it('checks the bounds, naming each', () => {
    expect(() => resolveRecordOptions({ dir, maxDurationSeconds: 0 })).toThrow('option record.maxDurationSeconds must be an integer from 1 to 2678400, got 0');
    expect(() => resolveRecordOptions({ dir, minFreeBytes: -1 })).toThrow('option record.minFreeBytes must be an integer from 0');
    expect(() => resolveRecordOptions({ dir, deleteAfterSeconds: 1.5 })).toThrow('option record.deleteAfterSeconds must be an integer');
    expect(resolveRecordOptions({ dir })).toMatchObject({ pathTemplate: DEFAULT_PATH_TEMPLATE, maxDurationSeconds: 21_600, minFreeBytes: 1024 ** 3, deleteAfterSeconds: undefined });
  });
});
