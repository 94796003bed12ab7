import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LADDER_OFF, ladderChoiceFromObject, readLadderChoice } from '../../src/cli/ladder-config.js';
import { ConfigError, TranscodeError } from '../../src/errors/index.js';
import type { LadderChoice } from '../../src/server/ladder-tier.js';
import { LADDER_PRESETS } from '../../src/transcode/ladder-presets.js';
import type { LadderSpec } from '../../src/transcode/ladder-spec.js';

/**
 * `--ladder <preset|file|off>`: off, a preset name, or a JSON/YAML file holding one spec or rules
 * per app and stream-key pattern (first match wins). Files are written to a temp folder; every
 * error must be ERR_CONFIG_INVALID on the option `ladder`, naming the file and the path inside it.
 */

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-ladder-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function configError(run: () => Promise<unknown> | unknown): Promise<ConfigError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID', details: { option: 'ladder' } });
    expect((err as Error).message.startsWith('option ladder (--ladder): ')).toBe(true);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const SMALL: LadderSpec = { rungs: [{ codec: 'copy' }, { codec: 'h264', height: 360, bitrateKbps: 800 }] };
const TINY: LadderSpec = { rungs: [{ codec: 'h264', height: 240, bitrateKbps: 400 }] };

/** The ladder a choice gives app/key: the spec, a preset's spec, or undefined (no ladder). */
function ladderFor(choice: LadderChoice | undefined, app: string, key: string): LadderSpec | string | undefined {
  return typeof choice === 'function' ? choice(app, key) : choice;
}

describe('readLadderChoice: off, presets, files', () => {
  it('off: no ladder', async () => {
    expect(LADDER_OFF).toBe('off');
    expect(await readLadderChoice('off')).toBeUndefined();
  });

  it('a preset name: the name itself, for every stream', async () => {
    expect(await readLadderChoice('default')).toBe('default');
  });

  it('a JSON file with one spec: that spec for every stream', async () => {
    const path = await file('one.json', JSON.stringify(SMALL));
    expect(await readLadderChoice(path)).toEqual(SMALL);
  });

  it('a YAML file with one spec: the same', async () => {
    const path = await file('one.yaml', 'rungs:\n  - codec: copy\n  - { codec: h264, height: 360, bitrateKbps: 800 }\n');
    expect(await readLadderChoice(path)).toEqual(SMALL);
  });

  it.each([
    ['a missing file', () => join(dir, 'nope.yaml'), 'ENOENT'],
    ['a folder', () => dir, 'EISDIR'],
  ])('%s: neither off, a preset nor a readable file, with the reason', async (_, path, reason) => {
    const err = await configError(() => readLadderChoice(path()));
    expect(err.message).toContain('neither off, a preset (default) nor a readable ladder file');
    expect(err.message).toContain(reason);
    expect(err.details).toMatchObject({ value: path() });
  });

  it('a misspelt preset or off is looked for as a file, and says what it accepts', async () => {
    for (const value of ['Default', 'OFF', 'none', '']) {
      const err = await configError(() => readLadderChoice(value));
      expect(err.message).toContain('neither off, a preset (default)');
    }
  });

  it.each([
    ['not YAML', 'rungs: [\n', 'is not valid JSON or YAML'],
    ['a duplicate key', 'rungs: []\nrungs: []\n', 'is not valid JSON or YAML'],
    ['a list', '- codec: copy\n', 'must hold a ladder spec (rungs: […]) or ladder rules (ladders: […])'],
    ['a scalar', '42\n', 'must hold a ladder spec'],
    ['nothing', '', 'must hold a ladder spec'],
  ])('a file holding %s', async (_, text, message) => {
    const path = await file(`bad-${_.replace(/\W+/g, '-')}.yaml`, text);
    const err = await configError(() => readLadderChoice(path));
    expect(err.message).toContain(path);
    expect(err.message).toContain(message);
  });

  it('a spec with problems names each field path, and keeps the spec error as the cause', async () => {
    const path = await file('bad-spec.json', JSON.stringify({ rungs: [{ codec: 'h264', height: 361 }, { codec: 'vp9' }], extra: 1 }));
    const err = await configError(() => readLadderChoice(path));
    expect(err.message).toContain(`${path}: `);
    expect(err.message).toContain('rungs[0].height: must be an even integer');
    expect(err.message).toContain('rungs[0].bitrateKbps: is required');
    expect(err.message).toContain('rungs[1].codec: must be one of h264, h265, copy');
    expect(err.message).toContain('extra: is not a field of a ladder spec');
    expect(err.cause).toBeInstanceOf(TranscodeError);
  });
});

describe('ladder rules: per app and stream-key pattern, first match wins', () => {
  const rules = {
    ladders: [
      { app: 'live', key: 'premium-*', ladder: SMALL },
      { key: 'test-*', ladder: 'off' },
      { app: 'live', ladder: 'default' },
      { key: '*-mobile', ladder: TINY },
    ],
  };
  const choice = ladderChoiceFromObject(rules, 'ladders.yaml');

  it.each([
    ['live', 'premium-1', SMALL],
    ['live', 'premium-', SMALL], // `*` matches an empty run too
    ['live', 'test-1', undefined], // rule 2 (off) comes before rule 3
    ['live', 'other', LADDER_PRESETS['default']],
    ['live', 'x-mobile', LADDER_PRESETS['default']], // rule 3 comes before rule 4
    ['vod', 'x-mobile', TINY],
    ['vod', 'premium-1', undefined],
    ['vod', 'test-x-mobile', undefined],
    ['LIVE', 'other', undefined], // app names compare exactly
    ['live', 'PREMIUM-1', LADDER_PRESETS['default']],
  ])('%s/%s', (app, key, expected) => {
    expect(ladderFor(choice, app, key)).toEqual(expected);
  });

  it('is a function (a choice per stream), and a preset rule gives the preset’s spec itself', () => {
    expect(typeof choice).toBe('function');
    expect(ladderFor(choice, 'live', 'other')).toBe(LADDER_PRESETS['default']);
  });

  it('reads the same rules from a YAML file', async () => {
    const path = await file(
      'rules.yaml',
      `ladders:
  - { app: live, key: 'premium-*', ladder: { rungs: [{ codec: copy }, { codec: h264, height: 360, bitrateKbps: 800 }] } }
  - { key: 'test-*', ladder: off }
  - { app: live, ladder: default }
`,
    );
    const read = await readLadderChoice(path);
    expect(ladderFor(read, 'live', 'premium-7')).toEqual(SMALL);
    expect(ladderFor(read, 'live', 'test-7')).toBeUndefined();
    expect(ladderFor(read, 'live', 'x')).toBe(LADDER_PRESETS['default']);
    expect(ladderFor(read, 'other', 'x')).toBeUndefined();
  });

  it.each([
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
    ['(x)|y', '(x)|y', true],
    ['(x)|y', 'y', false],
    ['[ab]', '[ab]', true],
    ['[ab]', 'a', false],
    ['^k$', '^k$', true],
    ['a\\d', 'a\\d', true],
    ['a\\d', 'a1', false],
    ['*', '', true],
    ['*', 'anything at all', true],
    ['k*', 'xk1', false], // anchored at the start
    ['*k', 'k1', false], // and at the end
    ['a*b*c', 'a-b-c', true],
    ['a*b*c', 'a-c', false],
    ['key?', 'keys', false],
  ])('key pattern %s against %s: %s (only * is special)', (pattern, key, matches) => {
    const c = ladderChoiceFromObject({ ladders: [{ key: pattern, ladder: TINY }] }, 'f.yaml');
    expect(ladderFor(c, 'live', key)).toEqual(matches ? TINY : undefined);
  });
});

describe('ladder rules: every error names its path', () => {
  const spec = { rungs: [{ codec: 'copy' }] };

  it.each([
    ['unknown field beside ladders', { ladders: [{ ladder: spec }], defaults: 1 }, 'f.yaml: unknown field defaults beside ladders'],
    ['ladders not a list', { ladders: { app: 'live' } }, 'f.yaml: ladders must be a non-empty list of rules'],
    ['ladders empty', { ladders: [] }, 'f.yaml: ladders must be a non-empty list of rules'],
    ['a rule not a mapping', { ladders: [{ ladder: spec }, 'default'] }, 'f.yaml: ladders[1] must be a mapping with app, key and ladder'],
    ['a rule that is a list', { ladders: [[]] }, 'f.yaml: ladders[0] must be a mapping with app, key and ladder'],
    ['an unknown rule field', { ladders: [{ ladder: spec, stream: 'x' }] }, 'f.yaml: ladders[0].stream is not a field (app, key, ladder)'],
    ['an empty app', { ladders: [{ app: '', ladder: spec }] }, 'f.yaml: ladders[0].app must be an app name'],
    ['an app that is a number', { ladders: [{ ladder: spec }, { app: 7, ladder: spec }] }, 'f.yaml: ladders[1].app must be an app name'],
    ['an empty key', { ladders: [{ key: '', ladder: spec }] }, "f.yaml: ladders[0].key must be a stream key pattern ('*' for any run of characters)"],
    ['a key that is a list', { ladders: [{ key: ['a'], ladder: spec }] }, 'f.yaml: ladders[0].key must be a stream key pattern'],
    ['no ladder', { ladders: [{ app: 'live' }] }, 'f.yaml: ladders[0].ladder is missing (a preset name, off, or a spec)'],
    ['an unknown preset', { ladders: [{ ladder: spec }, { ladder: spec }, { ladder: 'fancy' }] }, 'f.yaml: ladders[2].ladder names no preset ("fancy"; known: default, or off)'],
    ['a preset in the wrong case', { ladders: [{ ladder: 'Off' }] }, 'ladders[0].ladder names no preset ("Off"'],
  ])('%s', (_, raw, message) => {
    const err = (() => {
      try {
        ladderChoiceFromObject(raw, 'f.yaml');
      } catch (e) {
        return e;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID', details: { option: 'ladder', value: 'f.yaml' } });
    expect((err as Error).message).toContain(message);
  });

  it('a rule’s spec with problems: each named by its path under the rule', () => {
    const raw = { ladders: [{ ladder: spec }, { app: 'live', ladder: { rungs: [{ codec: 'copy' }, { codec: 'h264', height: 720, bitrateKbps: 5, profile: 'baseline10' }] } }] };
    let err: unknown;
    try {
      ladderChoiceFromObject(raw, 'f.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toContain('f.yaml: ladders[1].ladder.rungs[1].bitrateKbps: must be');
    expect(message).toContain('ladders[1].ladder.rungs[1].profile: must be one of baseline, main, high for h264');
    expect((err as Error).cause).toBeInstanceOf(TranscodeError);
  });

  it('a rule’s ladder that is not a spec at all is named by the rule’s path', () => {
    for (const ladder of [null, 5, ['copy'], { codec: 'copy' }]) {
      let err: unknown;
      try {
        ladderChoiceFromObject({ ladders: [{ ladder }] }, 'f.yaml');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain('f.yaml: ladders[0].ladder');
    }
  });

  it('every rule is checked at start, even one that no stream may ever match', () => {
    const raw = { ladders: [{ key: '*', ladder: 'default' }, { app: 'never', ladder: { rungs: [] } }] };
    expect(() => ladderChoiceFromObject(raw, 'f.yaml')).toThrow(/ladders\[1\]\.ladder\.rungs: must have at least one rung/);
  });
});
