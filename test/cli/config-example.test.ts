import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/cli/config-file.js';
import { renderExampleConfig } from '../../src/cli/config-example.js';
import { ROOT_PATH, isMapping, propertyPath, recordValue, shapeOf, variantTags, type ConfigPath, type SchemaNode } from '../../src/cli/config-schema.js';
import { CONFIG_SECTIONS, CONFIG_SECTION_NAMES } from '../../src/cli/control-config.js';
import { controlPlaneOptions } from '../../src/cli/control-options.js';
import { mediaServerOptions } from '../../src/cli/serve.js';
import { DEFAULT_SERVER_CONFIG, SERVER_CONFIG_FIELDS, SERVER_CONFIG_KEYS, configLayerFromEnv, resolveServerConfig } from '../../src/cli/server-config.js';
import { HELP } from '../../src/cli/help.js';
import { Authorizer, hashKey } from '../../src/server/index.js';

const root = new URL('../../', import.meta.url);
const committed = readFileSync(new URL('docs/tidecast.example.yaml', root), 'utf8');
const example = renderExampleConfig();

/** The example with every setting turned on: `#key` and `#  …` lines lose their `#`; `# note` lines stay notes. */
function uncommented(text: string): string {
  return text.replace(/^#(?=\S|  )/gm, '');
}

function resolved(text: string): ReturnType<typeof resolveServerConfig> {
  const file = parseConfigText(text, 'tidecast.example.yaml');
  return resolveServerConfig({ env: configLayerFromEnv({}, file), file });
}

/** Every key path of `node` that `value` leaves out: each key of an object, of a union's every member, and of a record's or list's entries. */
function missingKeys(node: SchemaNode, value: unknown, path: ConfigPath): string[] {
  switch (shapeOf(node)) {
    case 'object':
      return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
        const at = propertyPath(path, key);
        const given = isMapping(value) ? value[key] : undefined;
        return given === undefined ? [at.text] : missingKeys(child, given, at);
      });
    case 'record':
      return Object.values(value as Record<string, unknown>).flatMap((entry) => missingKeys(recordValue(node), entry, { ...path, text: `${path.text}.<app>` }));
    case 'list':
      return (value as unknown[]).flatMap((item) => missingKeys(node.items!, item, { ...path, text: `${path.text}[]` }));
    case 'variants': {
      const member = node.anyOf!.find((m) => m.properties?.['type']?.const === (value as { type?: unknown }).type)!;
      return missingKeys(member, value, path);
    }
    default:
      return [];
  }
}

describe('the shipped example config file (docs/tidecast.example.yaml)', () => {
  it('is what renderExampleConfig() writes', () => {
    expect(committed === example, 'docs/tidecast.example.yaml is out of date: regenerate it with `npx tsx src/cli/main.ts config example > docs/tidecast.example.yaml`').toBe(true);
  });

  it('is printed by `tidecast config example`', () => {
    const out = execFileSync(process.execPath, ['--import=tsx', 'src/cli/main.ts', 'config', 'example'], { cwd: root, encoding: 'utf8' });
    expect(out).toBe(example);
  });

  it('loaded as it is, changes nothing: the defaults, auth off, no webhooks, no API tokens', () => {
    const config = resolved(example);
    expect(config).toStrictEqual({ ...DEFAULT_SERVER_CONFIG, metrics: { maxStreams: 100 } });
    expect(controlPlaneOptions(config)).toStrictEqual({ metrics: { maxStreams: 100 } });
  });

  it('shows every setting with its default, variable and flag', () => {
    const notes = example.replace(/\n# /g, ' ');
    for (const key of SERVER_CONFIG_KEYS) {
      const field = SERVER_CONFIG_FIELDS[key];
      const value = DEFAULT_SERVER_CONFIG[key];
      expect(example, key).toMatch(new RegExp(`^${value === undefined ? '#' : ''}${key}: `, 'm'));
      expect(notes, key).toContain(`env ${field.env}, flag ${field.flag})`);
    }
  });

  it('with every block uncommented, parses, checks and builds the server options, each strategy among them', async () => {
    const text = uncommented(example);
    expect(text).not.toMatch(/^#(?! |$)/m);
    const config = resolved(text);
    for (const name of CONFIG_SECTION_NAMES) expect(config[name], name).toBeDefined();
    const types = Object.values(config.auth!.apps).flatMap((p) => p.strategies.map((s) => s.type));
    expect(types.sort()).toEqual(variantTags(CONFIG_SECTIONS.auth.properties!['apps']!.patternProperties!['^(.*)$']!.properties!['strategies']!.items!).sort());
    const options = mediaServerOptions(config);
    expect(Object.keys(options)).toEqual(expect.arrayContaining(['auth', 'webhooks', 'api', 'metrics']));
    const authorizer = new Authorizer(options.auth!);
    const ask = { action: 'publish', app: 'live', protocol: 'rtmp', ip: '127.0.0.1', query: '' } as const;
    expect(await authorizer.authorize({ ...ask, key: 'my-obs-stream-key' })).toMatchObject({ allow: true });
    expect(await authorizer.authorize({ ...ask, key: 'another-obs-key' })).toMatchObject({ allow: true });
    expect(await authorizer.authorize({ ...ask, key: 'wrong' })).toMatchObject({ allow: false });
  });

  it('documents every key of every section, and every strategy', () => {
    const config = resolved(uncommented(example));
    for (const name of CONFIG_SECTION_NAMES) {
      expect(missingKeys(CONFIG_SECTIONS[name], config[name], propertyPath(ROOT_PATH, name)), name).toEqual([]);
    }
  });
});

describe('the config commands and the help', () => {
  const run = (args: string[], input?: string): { status: number | null; stdout: string; stderr: string } =>
    spawnSync(process.execPath, ['--import=tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', ...(input === undefined ? {} : { input }), env: { ...process.env, TIDECAST_API_TOKENS: '' } });

  it('`tidecast config check` says what a file turns on, or exits 1 naming the bad key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tidecast-config-check-'));
    try {
      const good = join(dir, 'good.yaml');
      writeFileSync(good, uncommented(example));
      const ok = run(['config', 'check', good]);
      expect(ok.status).toBe(0);
      expect(ok.stdout).toBe(`${good}: valid (sections: ${CONFIG_SECTION_NAMES.join(', ')})\nauth: live: static-keys, play open; events: hmac; partners: callback; *: jwt\n`);
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'auth:\n  apps:\n    live:\n      strategies: [{ type: hmac, secret: short }]\n');
      const refused = run(['config', 'check', bad]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toBe(`tidecast: option auth.apps.live.strategies[0].secret in ${bad} must be a string of at least 16 characters, got a secret of 5 characters (not shown)\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`tidecast hash-key` hashes its arguments, or the lines of stdin', () => {
    expect(run(['hash-key', 'my-obs-stream-key']).stdout).toBe(`${hashKey('my-obs-stream-key')}\n`);
    expect(run(['hash-key'], 'key-one\nkey-two\n').stdout).toBe(`${hashKey('key-one')}\n${hashKey('key-two')}\n`);
  });

  it('`tidecast --help` names each section by its schema title, and the variables rule', () => {
    for (const name of CONFIG_SECTION_NAMES) expect(HELP).toMatch(new RegExp(`\\n  ${name} +${CONFIG_SECTIONS[name].title!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    expect(HELP).toContain('TIDECAST_AUTH_SESSIONS_SECRET, TIDECAST_API_TOKENS');
    expect(HELP).toContain('tidecast config example | config check <file>');
  });
});
