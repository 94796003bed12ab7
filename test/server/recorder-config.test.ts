import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/cli/config-file.js';
import { mediaServerOptions, serveConfig } from '../../src/cli/serve.js';
import { configLayerFromEnv, resolveServerConfig, type ServerConfig } from '../../src/cli/server-config.js';
import { HELP } from '../../src/cli/help.js';
import { ConfigError } from '../../src/errors/index.js';

/**
 * `tidecast serve`'s side of recording: the `record` section of the config file, its TIDECAST_RECORD_*
 * variables and `--record on|off` (record-config.ts), refused with messages naming the key.
 */

function load(text: string, env: Record<string, string> = {}, flags: string[] = []): ServerConfig {
  const file = parseConfigText(text, 't.yaml');
  const config = resolveServerConfig({ env: configLayerFromEnv(env, file), file });
  return flags.includes('--record=on') ? { ...config, recordAll: true } : flags.includes('--record=off') ? { ...config, recordAll: false } : config;
}

function refusal(text: string, env: Record<string, string> = {}): string {
  try {
    load(text, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-record-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the record section and --record', () => {
  it('gives no record option without either: no recorder', async () => {
    const { config } = await serveConfig([], {});
    expect(config.recordAll).toBeUndefined();
    expect(mediaServerOptions(config).record).toBeUndefined();
  });

  it('--record on records every stream into ./recordings (or the section\'s dir); off records none by itself', async () => {
    const { config } = await serveConfig(['--record', 'on'], {});
    expect(mediaServerOptions(config).record).toEqual({ dir: './recordings', streams: 'all' });
    const section = 'record:\n  dir: /var/lib/tidecast\n  apps: [live]\n  deleteAfterSeconds: 604800\n';
    expect(mediaServerOptions(load(section, {}, ['--record=on'])).record).toEqual({ dir: '/var/lib/tidecast', streams: 'all', deleteAfterSeconds: 604_800 });
    expect(mediaServerOptions(load(section, {}, ['--record=off'])).record).toEqual({ dir: '/var/lib/tidecast', streams: 'none', deleteAfterSeconds: 604_800 });
    expect((await serveConfig(['--record', 'off'], {})).config.recordAll).toBe(false);
    expect((await serveConfig([], { TIDECAST_RECORD_ALL: 'yes' })).config.recordAll).toBe(true);
    await expect(serveConfig(['--record', 'sometimes'], {})).rejects.toThrow('option --record must be on or off (or true/false, yes/no, 1/0), got sometimes');
  });

  it('maps the section: apps and app/key patterns, the template, the bounds', () => {
    const text = 'record:\n  apps: [live, "ev*"]\n  keys: [studio/show-*]\n  pathTemplate: "%app/%Y/%m/%d/%key-%H%M%S"\n  maxDurationSeconds: 3600\n  minFreeBytes: 5000000000\n';
    expect(mediaServerOptions(load(text)).record).toEqual({
      dir: './recordings',
      streams: { apps: ['live', 'ev*'], keys: ['studio/show-*'] },
      pathTemplate: '%app/%Y/%m/%d/%key-%H%M%S',
      maxDurationSeconds: 3600,
      minFreeBytes: 5_000_000_000,
    });
    // A section without apps or keys: the API and publish callbacks only.
    expect(mediaServerOptions(load('record:\n  dir: rec\n')).record).toEqual({ dir: 'rec', streams: 'none' });
  });

  it('takes every key from TIDECAST_RECORD_* variables, lists as comma lists', () => {
    const config = load('', { TIDECAST_RECORD_DIR: '/srv/rec', TIDECAST_RECORD_APPS: 'live, events', TIDECAST_RECORD_PATH_TEMPLATE: '%app/%key/%s', TIDECAST_RECORD_DELETE_AFTER_SECONDS: '86400' });
    expect(mediaServerOptions(config).record).toEqual({ dir: '/srv/rec', streams: { apps: ['live', 'events'], keys: [] }, pathTemplate: '%app/%key/%s', deleteAfterSeconds: 86_400 });
  });

  it.each([
    ['record:\n  pathTemplate: "%app/%key/%x"\n', 'option record.pathTemplate in t.yaml must be a path of literal text (A-Z a-z 0-9 . _ - /) and the tokens %app %key %Y %m %d %H %M %S %f %s, got "%app/%key/%x"'],
    ['record:\n  pathTemplate: "../%app"\n', 'option record.pathTemplate in t.yaml must be a path of literal text (A-Z a-z 0-9 . _ - /) and the tokens %app %key %Y %m %d %H %M %S %f %s, got "../%app"'],
    ['record:\n  keys: [live]\n', 'option record.keys[0] in t.yaml must be an app/key pattern ([A-Za-z0-9._-] and *, one /), got "live"'],
    ['record:\n  apps: ["a b"]\n', 'option record.apps[0] in t.yaml must be an app name pattern ([A-Za-z0-9._-] and *), got "a b"'],
    ['record:\n  maxDurationSeconds: 0\n', 'option record.maxDurationSeconds in t.yaml must be an integer from 1 to 2678400, got 0'],
    ['record:\n  folder: x\n', 'unknown option record.folder in t.yaml; known options: dir, apps, keys, pathTemplate, maxDurationSeconds, deleteAfterSeconds, minFreeBytes'],
  ])('refuses %j naming the key', (text, message) => {
    expect(refusal(text)).toBe(message);
  });

  it('names TIDECAST_RECORD_PATH_TEMPLATE for a bad template from the environment', () => {
    expect(refusal('', { TIDECAST_RECORD_PATH_TEMPLATE: '%app/%z' })).toBe('option TIDECAST_RECORD_PATH_TEMPLATE must be a path of literal text (A-Z a-z 0-9 . _ - /) and the tokens %app %key %Y %m %d %H %M %S %f %s, got %app/%z');
  });

  it('`tidecast serve` refuses a recordings folder it cannot write, naming record.dir, and exits 1', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'x');
    const config = join(dir, 'tidecast.yaml');
    await writeFile(config, `record:\n  dir: ${join(blocker, 'recordings')}\n`);
    const run = spawnSync(process.execPath, ['--import=tsx', 'src/cli/main.ts', 'serve', '--config', config, '--rtmp-port', '0', '--http-port', '0'], {
      cwd: new URL('../../', import.meta.url),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`tidecast: option record.dir must be a folder the server can write to, got "${join(blocker, 'recordings')}" (ENOTDIR)\n`);
  });

  it('--help lists --record with its variable and key', () => {
    expect(HELP).toContain('  --record <on|off>');
    expect(HELP).toContain('env TIDECAST_RECORD_ALL, key recordAll)');
  });
});
