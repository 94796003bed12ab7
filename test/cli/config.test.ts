import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsBlock } from '../../src/cli/serve-output.js';
import { mediaServerOptions, serveConfig } from '../../src/cli/serve.js';
import {
  DEFAULT_SERVER_CONFIG,
  configLayerFromEnv,
  configLayerFromObject,
  configLayerFromStrings,
  loadConfigFile,
  parseConfigText,
  resolveServerConfig,
} from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ERR_CONFIG_INVALID');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config file text', () => {
  it('reads JSON and YAML to the same layer', () => {
    const json = parseConfigText('{ "rtmpPort": 1936, "httpPort": 8081, "host": "127.0.0.1", "segmentDuration": 1.5, "windowSegments": 8, "endGraceMs": 0 }', 'a.json');
    const yaml = parseConfigText('rtmpPort: 1936\nhttpPort: 8081\nhost: 127.0.0.1\nsegmentDuration: 1.5\nwindowSegments: 8\nendGraceMs: 0\n', 'a.yaml');
    expect(json).toEqual({ rtmpPort: 1936, httpPort: 8081, host: '127.0.0.1', segmentDuration: 1.5, windowSegments: 8, endGraceMs: 0 });
    expect(yaml).toEqual(json);
  });

  it('an empty file or a comment-only one is an empty layer', () => {
    expect(parseConfigText('', 'empty.yaml')).toEqual({});
    expect(parseConfigText('# nothing yet\n', 'c.yaml')).toEqual({});
  });

  it.each([
    ['rtmpPort: 1935\nsegmentSeconds: 2\n', 'unknown option segmentSeconds in t.yaml; known options: rtmpPort, httpPort, host, segmentDuration, windowSegments, endGraceMs'],
    ['rtmpPort: "1935"\n', 'option rtmpPort in t.yaml must be a port number from 0 to 65535, got "1935"'],
    ['httpPort: 70000\n', 'option httpPort in t.yaml must be a port number from 0 to 65535, got 70000'],
    ['host: ""\n', 'option host in t.yaml must be a non-empty string, got ""'],
    ['host: 8\n', 'option host in t.yaml must be a non-empty string, got 8'],
    ['segmentDuration: 0\n', 'option segmentDuration in t.yaml must be a number from 0.1 to 3600, got 0'],
    ['windowSegments: 2.5\n', 'option windowSegments in t.yaml must be an integer from 3 to 1800, got 2.5'],
    ['endGraceMs: [1]\n', 'option endGraceMs in t.yaml must be an integer from 0 to 3600000, got a list'],
    ['- rtmpPort\n', 'config file t.yaml must hold a mapping of options, got a list'],
    ['rtmpPort: 1\nrtmpPort: 2\n', 'config file t.yaml is not valid JSON or YAML: '],
    ['{ "rtmpPort": 1935,', 'config file t.yaml is not valid JSON or YAML: '],
  ])('refuses %j, naming the option and the value', (text, message) => {
    expect(thrown(() => parseConfigText(text, 't.yaml')).message).toContain(message);
  });

  it('carries the option and the value in details', () => {
    expect(thrown(() => configLayerFromObject({ httpPort: -1 }, 'f.json')).details).toEqual({ option: 'httpPort in f.json', value: '-1' });
  });
});

describe('flags and environment', () => {
  it('parses numbers from strings and names the flag or the variable in errors', () => {
    expect(configLayerFromStrings({ rtmpPort: '0', segmentDuration: '0.5', host: '::1' }, 'flag')).toEqual({ rtmpPort: 0, segmentDuration: 0.5, host: '::1' });
    expect(thrown(() => configLayerFromStrings({ rtmpPort: 'x' }, 'flag')).message).toBe('option --rtmp-port must be a port number from 0 to 65535, got x');
    expect(thrown(() => configLayerFromStrings({ httpPort: '' }, 'flag')).message).toBe('option --http-port must be a port number from 0 to 65535, got ');
    expect(thrown(() => configLayerFromEnv({ TIDECAST_HTTP_PORT: '80.5' })).message).toBe('option TIDECAST_HTTP_PORT must be a port number from 0 to 65535, got 80.5');
    expect(thrown(() => configLayerFromEnv({ TIDECAST_SEGMENT_DURATION: 'two' })).message).toBe('option TIDECAST_SEGMENT_DURATION must be a number from 0.1 to 3600, got two');
  });

  it('reads the four variables and ignores unset and empty ones', () => {
    expect(configLayerFromEnv({ TIDECAST_RTMP_PORT: '1940', TIDECAST_HTTP_PORT: '8090', TIDECAST_HOST: '127.0.0.1', TIDECAST_SEGMENT_DURATION: '4', PATH: '/bin' })).toEqual({
      rtmpPort: 1940,
      httpPort: 8090,
      host: '127.0.0.1',
      segmentDuration: 4,
    });
    expect(configLayerFromEnv({ TIDECAST_RTMP_PORT: '' })).toEqual({});
  });
});

describe('precedence: flag > environment > config file > default', () => {
  it('merges per key', () => {
    const config = resolveServerConfig({
      flags: { rtmpPort: 1 },
      env: { rtmpPort: 2, httpPort: 2 },
      file: { rtmpPort: 3, httpPort: 3, host: 'file-host' },
    });
    expect(config).toEqual({ ...DEFAULT_SERVER_CONFIG, rtmpPort: 1, httpPort: 2, host: 'file-host' });
    expect(resolveServerConfig({})).toEqual({ rtmpPort: 1935, httpPort: 8080, host: '0.0.0.0', segmentDuration: 2, windowSegments: 6, endGraceMs: 10_000 });
  });

  describe('through serveConfig, with files on disk', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tidecast-config-'));
      await writeFile(join(dir, 'c.json'), JSON.stringify({ rtmpPort: 3, httpPort: 3, host: 'json-host', segmentDuration: 3, windowSegments: 9, endGraceMs: 500 }));
      await writeFile(join(dir, 'c.yaml'), 'rtmpPort: 3\nhttpPort: 3\nhost: yaml-host\nsegmentDuration: 3\n');
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('a JSON file under the environment under the flags', async () => {
      const { config } = await serveConfig(['--config', join(dir, 'c.json'), '--rtmp-port', '1'], { TIDECAST_RTMP_PORT: '2', TIDECAST_HTTP_PORT: '2' });
      expect(config).toEqual({ rtmpPort: 1, httpPort: 2, host: 'json-host', segmentDuration: 3, windowSegments: 9, endGraceMs: 500 });
      expect(mediaServerOptions(config)).toEqual({
        rtmp: { port: 1, host: 'json-host' },
        http: { port: 2, host: 'json-host' },
        hls: { segmentTargetSeconds: 3, windowSegments: 9 },
        endGraceMs: 500,
      });
    });

    it('a YAML file, defaults for the keys it lacks', async () => {
      const { config } = await serveConfig(['--config', join(dir, 'c.yaml'), '--segment-duration', '1'], { TIDECAST_HOST: 'env-host' });
      expect(config).toEqual({ rtmpPort: 3, httpPort: 3, host: 'env-host', segmentDuration: 1, windowSegments: 6, endGraceMs: 10_000 });
    });

    it('a missing file is a ConfigError naming it', async () => {
      await expect(loadConfigFile(join(dir, 'nope.yaml'))).rejects.toThrow(`option --config: cannot read ${join(dir, 'nope.yaml')} (ENOENT)`);
    });

    it('an unknown flag is refused', async () => {
      await expect(serveConfig(['--segment-seconds', '2'], {})).rejects.toThrow(/segment-seconds/);
    });
  });
});

describe('the settings block', () => {
  it('brackets an IPv6 address in the URLs', () => {
    const text = settingsBlock({ host: '::1', rtmpPort: 1935, httpPort: 8080 }, '::1');
    expect(text).toContain('Server:     rtmp://[::1]:1935/live');
    expect(text).toContain('Page:           http://[::1]:8080/');
  });
});
