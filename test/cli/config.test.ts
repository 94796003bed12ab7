import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingsBlock } from '../../src/cli/serve-output.js';
import { loadConfigFile, parseConfigText } from '../../src/cli/config-file.js';
import { HELP } from '../../src/cli/help.js';
import { mediaServerOptions, readTlsFiles, serveConfig } from '../../src/cli/serve.js';
import { JsonFileJobStore } from '../../src/transcode/index.js';
import {
  DEFAULT_SERVER_CONFIG,
  SERVER_CONFIG_FIELDS,
  SERVER_CONFIG_KEYS,
  configLayerFromEnv,
  configLayerFromObject,
  configLayerFromStrings,
  resolveServerConfig,
} from '../../src/cli/server-config.js';
import type { ServerConfigLayer } from '../../src/cli/server-config.js';
import { ConfigError } from '../../src/errors/index.js';
import { DEFAULT_WINDOW_SEGMENTS } from '../../src/hls/index.js';
import { resolveConnectionLimits } from '../../src/http/index.js';
import { RTMP_SERVER_OPTION_RANGES, resolveServerOptions } from '../../src/rtmp/server-options.js';
import { MemoryStore } from '../../src/store/index.js';
import { MEDIA_SERVER_OPTION_RANGES, resolveMediaServerOptions } from '../../src/server/media-server-options.js';

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
    ['rtmpPort: 1935\nsegmentSeconds: 2\n', 'unknown option segmentSeconds in t.yaml; known options: rtmpPort, httpPort, host, segmentDuration, windowSegments, dvrWindow, endGraceMs, lowLatency, partDuration, tlsCert, tlsKey'],
    ['rtmpPort: "1935"\n', 'option rtmpPort in t.yaml must be a port number from 0 to 65535, got "1935"'],
    ['httpPort: 70000\n', 'option httpPort in t.yaml must be a port number from 0 to 65535, got 70000'],
    ['host: ""\n', 'option host in t.yaml must be a non-empty string, got ""'],
    ['host: 8\n', 'option host in t.yaml must be a non-empty string, got 8'],
    ['segmentDuration: 0\n', 'option segmentDuration in t.yaml must be a number from 0.1 to 3600, got 0'],
    ['windowSegments: 2.5\n', 'option windowSegments in t.yaml must be an integer from 3 to 7200, got 2.5'],
    ['endGraceMs: [1]\n', 'option endGraceMs in t.yaml must be an integer from 0 to 3600000, got a list'],
    // YAML 1.2: yes, on and "true" are strings, not booleans; a file says true or false.
    ['lowLatency: yes\n', 'option lowLatency in t.yaml must be true or false, got "yes"'],
    ['lowLatency: "true"\n', 'option lowLatency in t.yaml must be true or false, got "true"'],
    ['lowLatency: 1\n', 'option lowLatency in t.yaml must be true or false, got 1'],
    ['lowLatency: null\n', 'option lowLatency in t.yaml must be true or false, got null'],
    ['partDuration: 0.01\n', 'option partDuration in t.yaml must be a number from 0.033 to 10, got 0.01'],
    ['partDuration: 11\n', 'option partDuration in t.yaml must be a number from 0.033 to 10, got 11'],
    ['partDuration: "0.2"\n', 'option partDuration in t.yaml must be a number from 0.033 to 10, got "0.2"'],
    ['tlsCert: ""\n', 'option tlsCert in t.yaml must be a non-empty string, got ""'],
    ['tlsKey: 5\n', 'option tlsKey in t.yaml must be a non-empty string, got 5'],
    ['tlsKey: { path: k.pem }\n', 'option tlsKey in t.yaml must be a non-empty string, got a mapping'],
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
    expect(resolveServerConfig({})).toStrictEqual({
      rtmpPort: 1935,
      httpPort: 8080,
      host: '0.0.0.0',
      segmentDuration: 2,
      windowSegments: 6,
      dvrWindow: 0,
      endGraceMs: 10_000,
      lowLatency: true,
      partDuration: 0.2,
      endedRetentionMs: 60_000,
      rtmpMaxConnections: 1000,
      rtmpMaxConnectionsPerAddress: 32,
      rtmpNoStreamTimeoutMs: 10_000,
      rtmpMaxOutgoingBytes: 4 * 1024 * 1024,
      rtmpMaxStreamsPerSession: 8,
      rtmpMaxPendingBytes: 16 * 1024 * 1024,
      rtmpMaxTotalPendingBytes: 128 * 1024 * 1024,
      rtmpPlayAbsoluteTimestamps: false,
      rtmpProxyProtocol: false,
      rtmpProxyProtocolTrusted: '127.0.0.0/8,::1',
      httpMaxConnections: 10_000,
      httpMaxConnectionsPerAddress: 1000,
      storeMaxBytes: 2 * 1024 * 1024 * 1024,
      maxKeyframeIntervalMs: 30_000,
      maxBytesWithoutKeyframe: 64 * 1024 * 1024,
      heapGrowingPercent: 300,
      httpWorkers: 0,
      ladder: 'off',
      jobsFile: 'tidecast-jobs.json',
      redis: 'off',
    });
  });

  it.each([
    ['lowLatency', { lowLatency: true }, { lowLatency: false }, { lowLatency: true }, { flags: true, env: false, file: true }],
    ['partDuration', { partDuration: 0.1 }, { partDuration: 0.3 }, { partDuration: 0.5 }, { flags: 0.1, env: 0.3, file: 0.5 }],
    ['tlsCert', { tlsCert: 'flag.crt' }, { tlsCert: 'env.crt' }, { tlsCert: 'file.crt' }, { flags: 'flag.crt', env: 'env.crt', file: 'file.crt' }],
    ['tlsKey', { tlsKey: 'flag.key' }, { tlsKey: 'env.key' }, { tlsKey: 'file.key' }, { flags: 'flag.key', env: 'env.key', file: 'file.key' }],
  ] as const)('%s: the flag beats the environment, which beats the file, which beats the default', (key, flags, env, file, expected) => {
    // The TLS settings go together: the other one of the pair comes from the file in every case.
    const pair = key === 'tlsCert' ? { tlsKey: 'k.pem' } : key === 'tlsKey' ? { tlsCert: 'c.pem' } : {};
    const withFile = { ...pair, ...file };
    expect(resolveServerConfig({ flags, env, file: withFile })[key]).toBe(expected.flags);
    expect(resolveServerConfig({ env, file: withFile })[key]).toBe(expected.env);
    expect(resolveServerConfig({ file: withFile })[key]).toBe(expected.file);
    // The default: none for the TLS pair (resolveServerConfig({}) has neither), else DEFAULT_SERVER_CONFIG's.
    expect(resolveServerConfig({})[key]).toBe((DEFAULT_SERVER_CONFIG as Record<string, unknown>)[key]);
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
      expect(config).toStrictEqual({ ...DEFAULT_SERVER_CONFIG, rtmpPort: 1, httpPort: 2, host: 'json-host', segmentDuration: 3, windowSegments: 9, endGraceMs: 500, lowLatency: true, partDuration: 0.2 });
      expect(mediaServerOptions(config)).toStrictEqual({
        jobs: { store: expect.any(JsonFileJobStore) },
        rtmp: {
          port: 1,
          host: 'json-host',
          maxConnections: 1000,
          maxConnectionsPerAddress: 32,
          noStreamTimeoutMs: 10_000,
          maxOutgoingBufferBytes: 4 * 1024 * 1024,
          maxStreamsPerSession: 8,
          maxTotalPendingBytes: 128 * 1024 * 1024,
          chunk: { maxPendingBytes: 16 * 1024 * 1024 },
          proxyProtocol: false,
          proxyProtocolTrusted: ['127.0.0.0/8', '::1'],
        },
        http: { port: 2, host: 'json-host', maxConnections: 10_000, maxConnectionsPerAddress: 1000 },
        memoryStore: { maxBytes: 2 * 1024 * 1024 * 1024 },
        maxKeyframeIntervalMs: 30_000,
        maxBytesWithoutKeyframe: 64 * 1024 * 1024,
        endedRetentionMs: 60_000,
        hls: { segmentTargetSeconds: 3, windowSegments: 9, lowLatency: true, partTargetSeconds: 0.2 },
        endGraceMs: 500,
        rtmpPlay: { absoluteTimestamps: false },
      });
    });

    it('a YAML file, defaults for the keys it lacks', async () => {
      const { config } = await serveConfig(['--config', join(dir, 'c.yaml'), '--segment-duration', '1'], { TIDECAST_HOST: 'env-host' });
      expect(config).toStrictEqual({ ...DEFAULT_SERVER_CONFIG, rtmpPort: 3, httpPort: 3, host: 'env-host', segmentDuration: 1, windowSegments: 6, endGraceMs: 10_000, lowLatency: true, partDuration: 0.2 });
    });

    it('the LL-HLS and TLS settings from a file, the environment and flags', async () => {
      const file = join(dir, 'll.yaml');
      await writeFile(file, 'lowLatency: false\npartDuration: 0.5\ntlsCert: file.crt\ntlsKey: file.key\n');
      expect((await serveConfig(['--config', file], {})).config).toMatchObject({ lowLatency: false, partDuration: 0.5, tlsCert: 'file.crt', tlsKey: 'file.key' });
      const { config } = await serveConfig(['--config', file, '--low-latency', 'on', '--tls-key', 'flag.key'], { TIDECAST_LOW_LATENCY: 'no', TIDECAST_PART_DURATION: '0.3', TIDECAST_TLS_CERT: 'env.crt' });
      expect(config).toMatchObject({ lowLatency: true, partDuration: 0.3, tlsCert: 'env.crt', tlsKey: 'flag.key' });
      expect((await serveConfig(['--low-latency=off', '--part-duration=0.25'], {})).config).toMatchObject({ lowLatency: false, partDuration: 0.25 });
    });

    it('a bad LL-HLS or TLS setting anywhere is ERR_CONFIG_INVALID naming it', async () => {
      await expect(serveConfig(['--low-latency', 'sometimes'], {})).rejects.toThrow('option --low-latency must be on or off (or true/false, yes/no, 1/0), got sometimes');
      await expect(serveConfig([], { TIDECAST_PART_DURATION: '0' })).rejects.toThrow('option TIDECAST_PART_DURATION must be a number from 0.033 to 10, got 0');
      await expect(serveConfig(['--segment-duration', '0.5', '--part-duration', '0.6'], {})).rejects.toThrow('option --part-duration must be at most the segment duration (0.5 s) with LL-HLS on, got 0.6');
      await expect(serveConfig(['--tls-cert', 'c.pem'], {})).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', details: { option: 'tlsKey' } });
      const file = join(dir, 'bad.json');
      await writeFile(file, '{ "lowLatency": "off" }');
      await expect(serveConfig(['--config', file], {})).rejects.toThrow(`option lowLatency in ${file} must be true or false, got "off"`);
    });

    it('a flag without its value is a usage error, ERR_CONFIG_INVALID', async () => {
      await expect(serveConfig(['--low-latency'], {})).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringContaining('--low-latency') });
    });

    it('a missing file is a ConfigError naming it', async () => {
      await expect(loadConfigFile(join(dir, 'nope.yaml'))).rejects.toThrow(`option --config: cannot read ${join(dir, 'nope.yaml')} (ENOENT)`);
    });

    it('an unknown flag is refused', async () => {
      await expect(serveConfig(['--segment-seconds', '2'], {})).rejects.toThrow(/segment-seconds/);
      await expect(serveConfig(['--segment-seconds', '2'], {})).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
    });
  });
});

describe('the settings block', () => {
  it('brackets an IPv6 address in the URLs', () => {
    const text = settingsBlock({ host: '::1', rtmpPort: 1935, httpPort: 8080 }, '::1');
    expect(text).toContain('Server:     rtmp://[::1]:1935/live');
    expect(text).toContain('Dashboard:      http://[::1]:8080/');
  });

  it('says https:// in every HTTP URL with TLS, and that the port speaks HTTP/2 and HTTP/1.1', () => {
    const text = settingsBlock({ host: '0.0.0.0', rtmpPort: 1935, httpPort: 8443 }, '192.0.2.7', { tls: true, lowLatency: true, partDuration: 0.2 });
    expect(text).toContain('  HTTPS (HTTP/2, HTTP/1.1) listening on 0.0.0.0:8443\n');
    expect(text).toContain('Playback (HLS): https://192.0.2.7:8443/live/<key>/index.m3u8\n');
    expect(text).toContain('Dashboard:      https://192.0.2.7:8443/\n');
    expect(text).toContain('LL-HLS:         on, parts of 0.2 s (plain HLS for older players: https://192.0.2.7:8443/live/<key>/plain.m3u8)\n');
    expect(text).not.toContain('http://');
    // RTMP stays rtmp:// (RTMPS is the RTMP server's own option).
    expect(text).toContain('Server:     rtmp://192.0.2.7:1935/live');
  });

  it('says http:// without TLS and whether LL-HLS is on', () => {
    const off = settingsBlock({ host: '127.0.0.1', rtmpPort: 1935, httpPort: 8080 }, '127.0.0.1', { tls: false, lowLatency: false, partDuration: 0.2 });
    expect(off).toContain('  HTTP listening on 127.0.0.1:8080\n');
    expect(off).toContain('LL-HLS:         off (whole segments only)\n');
    expect(off).not.toContain('https://');
    expect(off).not.toContain('plain.m3u8');
    expect(settingsBlock({ host: '127.0.0.1', rtmpPort: 1935, httpPort: 8080 }, '127.0.0.1', { tls: false, lowLatency: true, partDuration: 0.5 })).toContain(
      'LL-HLS:         on, parts of 0.5 s (plain HLS for older players: http://127.0.0.1:8080/live/<key>/plain.m3u8)\n',
    );
  });
});

describe('LL-HLS and TLS settings', () => {
  it.each([
    ['on', true], ['off', false], ['true', true], ['false', false], ['yes', true], ['no', false], ['1', true], ['0', false],
    ['ON', true], ['Off', false], [' yes ', true], ['TRUE', true],
  ] as const)('--low-latency %j (and the same in TIDECAST_LOW_LATENCY) is %s', (word, value) => {
    expect(configLayerFromStrings({ lowLatency: word }, 'flag')).toEqual({ lowLatency: value });
    expect(configLayerFromEnv({ TIDECAST_LOW_LATENCY: word })).toEqual({ lowLatency: value });
  });

  it.each(['maybe', 'enabled', '2', '-1', ' ', 'constructor', 'toString'])('refuses --low-latency %j and the same in TIDECAST_LOW_LATENCY, naming them', (word) => {
    const flag = thrown(() => configLayerFromStrings({ lowLatency: word }, 'flag'));
    expect(flag.message).toBe(`option --low-latency must be on or off (or true/false, yes/no, 1/0), got ${word}`);
    expect(flag.details).toEqual({ option: '--low-latency', value: word });
    expect(thrown(() => configLayerFromEnv({ TIDECAST_LOW_LATENCY: word })).message).toBe(`option TIDECAST_LOW_LATENCY must be on or off (or true/false, yes/no, 1/0), got ${word}`);
  });

  it.each([
    // [setting, flag value, env variable, value, expected]
    ['partDuration', '--part-duration', 'TIDECAST_PART_DURATION', '0.5', 0.5],
    ['partDuration', '--part-duration', 'TIDECAST_PART_DURATION', '0.033', 0.033],
    ['partDuration', '--part-duration', 'TIDECAST_PART_DURATION', '10', 10],
    ['tlsCert', '--tls-cert', 'TIDECAST_TLS_CERT', '/etc/tidecast/cert.pem', '/etc/tidecast/cert.pem'],
    ['tlsKey', '--tls-key', 'TIDECAST_TLS_KEY', 'key.pem', 'key.pem'],
  ] as const)('%s from %s and from %s', (key, flag, variable, raw, value) => {
    expect(SERVER_CONFIG_FIELDS[key].flag).toBe(flag);
    expect(SERVER_CONFIG_FIELDS[key].env).toBe(variable);
    expect(configLayerFromStrings({ [key]: raw }, 'flag')).toEqual({ [key]: value });
    expect(configLayerFromEnv({ [variable]: raw })).toEqual({ [key]: value });
    expect(configLayerFromObject({ [key]: value }, 'f.yaml')).toEqual({ [key]: value });
  });

  it.each([
    ['partDuration', '0.032', '--part-duration', 'TIDECAST_PART_DURATION', 'a number from 0.033 to 10'],
    ['partDuration', '10.5', '--part-duration', 'TIDECAST_PART_DURATION', 'a number from 0.033 to 10'],
    ['partDuration', 'fast', '--part-duration', 'TIDECAST_PART_DURATION', 'a number from 0.033 to 10'],
    ['partDuration', 'Infinity', '--part-duration', 'TIDECAST_PART_DURATION', 'a number from 0.033 to 10'],
    ['tlsCert', ' ', '--tls-cert', 'TIDECAST_TLS_CERT', 'a non-empty string'],
    ['tlsKey', '  ', '--tls-key', 'TIDECAST_TLS_KEY', 'a non-empty string'],
  ] as const)('refuses %s %j, naming the flag or the variable', (key, raw, flag, variable, expected) => {
    expect(thrown(() => configLayerFromStrings({ [key]: raw }, 'flag')).message).toBe(`option ${flag} must be ${expected}, got ${raw}`);
    expect(thrown(() => configLayerFromEnv({ [variable]: raw })).message).toBe(`option ${variable} must be ${expected}, got ${raw}`);
  });

  it('an empty variable is unset, as for the other settings', () => {
    expect(configLayerFromEnv({ TIDECAST_LOW_LATENCY: '', TIDECAST_PART_DURATION: '', TIDECAST_TLS_CERT: '', TIDECAST_TLS_KEY: '' })).toEqual({});
  });

  it('JSON and YAML files give the same layer, with real booleans', () => {
    const json = parseConfigText('{ "lowLatency": false, "partDuration": 0.25, "tlsCert": "c.pem", "tlsKey": "k.pem" }', 'a.json');
    expect(json).toEqual({ lowLatency: false, partDuration: 0.25, tlsCert: 'c.pem', tlsKey: 'k.pem' });
    expect(parseConfigText('lowLatency: false\npartDuration: 0.25\ntlsCert: c.pem\ntlsKey: k.pem\n', 'a.yaml')).toEqual(json);
  });

  describe('the part duration and the segment duration', () => {
    it('unset, it is 0.2 s, or the segment duration when that is shorter', () => {
      expect(resolveServerConfig({}).partDuration).toBe(0.2);
      expect(resolveServerConfig({ flags: { segmentDuration: 0.15 } }).partDuration).toBe(0.15);
      expect(resolveServerConfig({ file: { segmentDuration: 0.1, lowLatency: true } }).partDuration).toBe(0.1);
    });

    it('set, it may equal the segment duration', () => {
      expect(resolveServerConfig({ flags: { segmentDuration: 0.5, partDuration: 0.5 } })).toMatchObject({ segmentDuration: 0.5, partDuration: 0.5 });
    });

    it.each([
      ['flags', '--part-duration'],
      ['env', 'TIDECAST_PART_DURATION'],
      ['file', 'partDuration'],
    ] as const)('longer than the segment duration from the %s: refused, naming %s', (layer, label) => {
      const layers: Record<'flags' | 'env' | 'file', ServerConfigLayer> = { flags: {}, env: {}, file: { segmentDuration: 1 } };
      layers[layer] = { ...layers[layer], partDuration: 1.5 };
      const error = thrown(() => resolveServerConfig(layers));
      expect(error.message).toBe(`option ${label} must be at most the segment duration (1 s) with LL-HLS on, got 1.5`);
      expect(error.details).toEqual({ option: label, value: '1.5' });
    });

    it('the layer that wins is the one named', () => {
      const error = thrown(() => resolveServerConfig({ env: { partDuration: 3 }, file: { partDuration: 0.2, segmentDuration: 2 } }));
      expect(error.message).toContain('option TIDECAST_PART_DURATION must be at most the segment duration (2 s)');
    });

    it('with LL-HLS off the part duration is not used, so not checked against the segments', () => {
      expect(resolveServerConfig({ flags: { lowLatency: false, segmentDuration: 1, partDuration: 2 } })).toMatchObject({ lowLatency: false, partDuration: 2 });
    });
  });

  describe('tlsCert and tlsKey: both or neither', () => {
    it.each([
      [{ flags: { tlsCert: 'c.pem' } }, 'tlsKey', 'tlsCert', '--tls-cert'],
      [{ env: { tlsCert: 'c.pem' } }, 'tlsKey', 'tlsCert', 'TIDECAST_TLS_CERT'],
      [{ file: { tlsKey: 'k.pem' } }, 'tlsCert', 'tlsKey', 'tlsKey'],
      [{ flags: { tlsKey: 'k.pem' } }, 'tlsCert', 'tlsKey', '--tls-key'],
    ] as const)('%j alone is refused, naming the missing %s', (layers, missing, present, presentLabel) => {
      const error = thrown(() => resolveServerConfig(layers));
      const field = SERVER_CONFIG_FIELDS[missing];
      expect(error.message).toBe(`option ${missing} (${field.flag}, ${field.env}) must be set with ${present} (given by ${presentLabel}): HTTPS needs both the certificate and its private key`);
      expect(error.details['option']).toBe(missing);
    });

    it('the two may come from different sources', () => {
      expect(resolveServerConfig({ file: { tlsCert: 'c.pem' }, env: { tlsKey: 'k.pem' } })).toMatchObject({ tlsCert: 'c.pem', tlsKey: 'k.pem' });
    });

    it('neither: no TLS settings at all', () => {
      const config = resolveServerConfig({});
      expect('tlsCert' in config || 'tlsKey' in config).toBe(false);
      expect(mediaServerOptions(config).http).toEqual({ port: 8080, host: '0.0.0.0', maxConnections: 10_000, maxConnectionsPerAddress: 1000 });
    });
  });

  describe('server options', () => {
    it('LL-HLS on passes the part target; off leaves the packager its own', () => {
      const on = resolveServerConfig({ flags: { partDuration: 0.4 } });
      expect(mediaServerOptions(on).hls).toStrictEqual({ segmentTargetSeconds: 2, windowSegments: 6, lowLatency: true, partTargetSeconds: 0.4 });
      const off = resolveServerConfig({ flags: { lowLatency: false, partDuration: 0.4 } });
      expect(mediaServerOptions(off).hls).toStrictEqual({ segmentTargetSeconds: 2, windowSegments: 6, lowLatency: false });
    });

    it('a DVR window sizes the playlists in time instead of windowSegments', () => {
      const dvr = resolveServerConfig({ flags: { dvrWindow: 7200 }, env: {} });
      expect(mediaServerOptions(dvr).hls).toStrictEqual({ segmentTargetSeconds: 2, dvrWindowSeconds: 7200, lowLatency: true, partTargetSeconds: 0.2 });
    });

    it('the PEM contents read by readTlsFiles go to http.tls; the paths do not', () => {
      const config = resolveServerConfig({ flags: { tlsCert: 'c.pem', tlsKey: 'k.pem', httpPort: 8443 } });
      const tls = { cert: Buffer.from('CERT'), key: Buffer.from('KEY') };
      expect(mediaServerOptions(config, tls).http).toStrictEqual({ port: 8443, host: '0.0.0.0', maxConnections: 10_000, maxConnectionsPerAddress: 1000, tls });
    });
  });

  it("the settings' defaults and ranges are the modules' own, not copies", () => {
    expect(SERVER_CONFIG_FIELDS.rtmpPort).toMatchObject({ range: RTMP_SERVER_OPTION_RANGES.port });
    expect(SERVER_CONFIG_FIELDS.rtmpMaxPendingBytes).toMatchObject({ range: RTMP_SERVER_OPTION_RANGES.chunk });
    expect(SERVER_CONFIG_FIELDS.endGraceMs).toMatchObject({ range: MEDIA_SERVER_OPTION_RANGES.endGraceMs });
    expect(DEFAULT_SERVER_CONFIG.windowSegments).toBe(DEFAULT_WINDOW_SEGMENTS);
    // Every number a setting accepts, the module it reaches accepts: no value passes the flag and fails at start.
    for (const key of SERVER_CONFIG_KEYS) {
      const field = SERVER_CONFIG_FIELDS[key];
      if (field.kind !== 'number') continue;
      for (const value of [field.range.min, field.range.max]) {
        if (key === 'partDuration' && value > DEFAULT_SERVER_CONFIG.segmentDuration) continue;
        const config = resolveServerConfig({ flags: { [key]: value } });
        const options = mediaServerOptions(config);
        expect(() => {
          resolveMediaServerOptions(options);
          resolveServerOptions(options.rtmp!);
          resolveConnectionLimits(options.http);
          new MemoryStore(options.memoryStore);
        }, `${key} ${value}`).not.toThrow();
      }
    }
  });

  it("README's options table says what the fields and defaults say", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^\| `(--[a-z-]+) <[^`]+>` \| (?:`(\w+)`)? *\| `(\w+)` \| ([^|]+) \|$/gm)];
    expect(rows.length).toBeGreaterThan(5);
    for (const [, flag, env, key, shown] of rows) {
      const field = SERVER_CONFIG_FIELDS[key as keyof typeof SERVER_CONFIG_FIELDS];
      expect(field, key).toBeDefined();
      expect([field.flag, field.env]).toEqual([flag, env]);
      const value = DEFAULT_SERVER_CONFIG[key as keyof typeof DEFAULT_SERVER_CONFIG];
      expect(shown!.trim(), key).toBe(value === undefined ? 'none' : typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value));
    }
  });

  it('the help text names every setting by its flag and its config key, and every variable', () => {
    for (const [key, field] of Object.entries(SERVER_CONFIG_FIELDS)) {
      expect(HELP).toContain(`${field.flag} <`);
      expect(HELP.replace(/\s+/g, ' ')).toContain(key);
      if (field.env !== undefined) expect(HELP).toContain(field.env);
    }
  });

  it('the help text is generated: each flag with its text, then its default (DEFAULT_SERVER_CONFIG), variable and key', () => {
    const lines = HELP.split('\n');
    for (const key of SERVER_CONFIG_KEYS) {
      const field = SERVER_CONFIG_FIELDS[key];
      const at = lines.findIndex((line) => line.startsWith(`  ${field.flag} ${field.value} `));
      expect(lines[at], key).toContain(field.help);
      const value = DEFAULT_SERVER_CONFIG[key];
      const shown = typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);
      const facts = lines[at + 1]!.trim();
      if (value !== undefined) expect(facts.startsWith(`(default ${shown}`), `${key}: ${facts}`).toBe(true);
      if (field.env !== undefined) expect(facts).toContain(`env ${field.env},`);
      expect(facts.endsWith(`key ${key})`), `${key}: ${facts}`).toBe(true);
    }
    expect(HELP).toContain(
      '  --rtmp-port <n>                          RTMP ingest port (0: a free one)\n                                           (default 1935, env TIDECAST_RTMP_PORT, key rtmpPort)\n',
    );
    expect(HELP).toContain('(default 4194304 = 4 MiB, env TIDECAST_RTMP_MAX_OUTGOING_BYTES, key rtmpMaxOutgoingBytes)');
    expect(HELP).toContain('       tidecast package <input.flv> <outdir> [--segment-duration 2]\n');
  });
});

describe('reading the TLS files (readTlsFiles)', () => {
  const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-tls-config-'));
    await writeFile(join(dir, 'not-pem.txt'), 'hello\n');
    if (hasOpenssl) {
      for (const name of ['a', 'b']) {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)], { stdio: 'ignore' });
      }
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('neither set: nothing read, undefined', async () => {
    expect(await readTlsFiles({})).toBeUndefined();
  });

  it('a missing file is ERR_CONFIG_INVALID naming the setting and the path', async () => {
    const missing = join(dir, 'missing.pem');
    await expect(readTlsFiles({ tlsCert: missing, tlsKey: join(dir, 'not-pem.txt') })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: `option tlsCert (--tls-cert): cannot read ${missing} (ENOENT)`,
      details: { option: 'tlsCert', value: missing },
    });
    await expect(readTlsFiles({ tlsCert: join(dir, 'not-pem.txt'), tlsKey: dir })).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', message: `option tlsKey (--tls-key): cannot read ${dir} (EISDIR)` });
  });

  it('files that are not PEM are ERR_CONFIG_INVALID naming both settings', async () => {
    const text = join(dir, 'not-pem.txt');
    await expect(readTlsFiles({ tlsCert: text, tlsKey: text })).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringContaining(`options tlsCert and tlsKey: ${text} and ${text} are not a PEM certificate and its private key`) });
  });

  it.skipIf(!hasOpenssl)('a certificate and its key: their bytes; a key of another certificate is refused', async () => {
    const tls = await readTlsFiles({ tlsCert: join(dir, 'a.crt'), tlsKey: join(dir, 'a.key') });
    expect(tls).toEqual({ cert: await readFile(join(dir, 'a.crt')), key: await readFile(join(dir, 'a.key')) });
    await expect(readTlsFiles({ tlsCert: join(dir, 'a.crt'), tlsKey: join(dir, 'b.key') })).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringMatching(/are not a PEM certificate and its private key \(.*key values mismatch/) });
  });
});
