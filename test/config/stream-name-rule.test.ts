import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_STREAM_NAME_LENGTH, isValidStreamName, streamNameProblem } from '../../src/config/index.js';
import { deliveryPath } from '../../src/http/index.js';
import { checkStorePath } from '../../src/store/index.js';

const NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-';
const validName = fc
  .string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: MAX_STREAM_NAME_LENGTH })
  .filter((s) => !s.startsWith('.'));

describe('the stream name rule (app and stream key)', () => {
  it.each([
    ['live', undefined],
    ['mystream', undefined],
    ['Team_1-a.b', undefined],
    ['-x', undefined],
    ['_', undefined],
    ['x'.repeat(128), undefined],
    ['', 'is empty'],
    ['x'.repeat(129), 'is longer than 128 characters'],
    ['.hidden', "starts with '.'"],
    ['..', "starts with '.'"],
    ['a b', 'has a character outside [A-Za-z0-9._-]'],
    ['team+1', 'has a character outside [A-Za-z0-9._-]'],
    ['ref/video', 'has a character outside [A-Za-z0-9._-]'],
    ['../../etc/passwd', "starts with '.'"],
    ['a\\b', 'has a character outside [A-Za-z0-9._-]'],
    ['a%2Fb', 'has a character outside [A-Za-z0-9._-]'],
    ['ключ', 'has a character outside [A-Za-z0-9._-]'],
    ['a\u0000b', 'has a character outside [A-Za-z0-9._-]'],
    ['key\n', 'has a character outside [A-Za-z0-9._-]'],
  ])('%j → %s', (name, problem) => {
    expect(streamNameProblem(name)).toBe(problem);
    expect(isValidStreamName(name)).toBe(problem === undefined);
  });

  it('case is kept: Key and key are two names, both valid', () => {
    expect(isValidStreamName('Key') && isValidStreamName('key')).toBe(true);
    expect(deliveryPath('live', 'Key', 'index.m3u8')).not.toBe(deliveryPath('live', 'key', 'index.m3u8'));
  });

  it('every valid app/key pair makes valid store paths that HTTP serves, to its deepest file', () => {
    fc.assert(
      fc.property(validName, validName, (app, key) => {
        const deepest = `${app}/${key}/video/${123456789}.${15}.m4s`;
        expect(checkStorePath(deepest)).toBe(deepest);
        expect(deliveryPath(app, key, 'video/123456789.15.m4s')).toBe(deepest);
      }),
      { numRuns: 300 },
    );
  });

  it("no stream's folder is a prefix of another stream's folder or rendition folder", () => {
    fc.assert(
      fc.property(validName, validName, validName, validName, fc.constantFrom('video', 'audio', 'video1', 'index.m3u8'), (app1, key1, app2, key2, rendition) => {
        fc.pre(app1 !== app2 || key1 !== key2);
        const folder = `${app1}/${key1}/`;
        expect(`${app2}/${key2}/`.startsWith(folder)).toBe(false);
        expect(`${app2}/${key2}/${rendition}/`.startsWith(folder)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('a name with a separator never passes, so it cannot reach into another folder', () => {
    fc.assert(
      fc.property(validName, validName, fc.constantFrom('/', '\\', '/../'), (a, b, sep) => {
        expect(isValidStreamName(`${a}${sep}${b}`)).toBe(false);
        expect(deliveryPath(`${a}${sep}${b}`, 'key', 'index.m3u8')).toBeUndefined();
      }),
    );
  });
});
