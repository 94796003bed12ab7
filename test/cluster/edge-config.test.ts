import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEdgeConfigArgs, renderEdgeConfig, runEdgeConfig, type EdgeConfigRequest } from '../../src/cli/edge-config-command.js';
import { checkEdgeDescription, edgeTimings, haproxyCfg, nginxConf, parseHostPort, varnishVcl, type EdgeDescription, type EdgeEngine } from '../../src/cluster/edge-config/index.js';
import { isTidecastError } from '../../src/errors/index.js';
import { haproxyPath, nginxPath, removeTempDirs, skipReason, tempDir, varnishdPath } from './edge-config-helpers.js';

/**
 * The edge configuration generators (src/cluster/edge-config): golden files, the engines' own
 * checkers on the output (`varnishd -C`, `nginx -t`, `haproxy -c`), the CLI. The daemons serving
 * real traffic on these configurations: edge-config-live.test.ts.
 * Regenerate the golden files and docs/cluster.md's copies: TIDECAST_WRITE_GOLDEN=1 npx vitest run test/cluster/edge-config.test.ts
 */

const root = new URL('../../', import.meta.url).pathname;
const WRITE = process.env['TIDECAST_WRITE_GOLDEN'] === '1';

/** The cluster the golden files describe: two origins, the defaults of the CLI. */
const GOLDEN_ARGS = ['--origin', '10.0.0.11:8081', '--origin', '10.0.0.12:8081', '--rtmp-origin', '10.0.0.11:1935', '--rtmp-origin', '10.0.0.12:1935', '--run-dir', '/run/tidecast-edge', '--cache-dir', '/var/cache/tidecast-edge'];
const GOLDEN: Record<EdgeEngine, { file: string; fence: string }> = {
  varnish: { file: 'edge.vcl', fence: 'vcl' },
  nginx: { file: 'edge-nginx.conf', fence: 'nginx' },
  haproxy: { file: 'edge-haproxy.cfg', fence: 'haproxy' },
};
const ENGINES = Object.keys(GOLDEN) as EdgeEngine[];

function request(args: string[], cwd = '/'): EdgeConfigRequest {
  const parsed = parseEdgeConfigArgs(args, cwd);
  if (parsed === 'help') throw new Error('help, not a request');
  return parsed;
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(isTidecastError(err), String(err)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

afterAll(removeTempDirs);

describe('golden files', () => {
  const doc = existsSync(join(root, 'docs/cluster.md')) ? readFileSync(join(root, 'docs/cluster.md'), 'utf8') : '';
  for (const engine of ENGINES) {
    it(`${engine}: the generated file is test/cluster/golden/${GOLDEN[engine].file}, and docs/cluster.md shows it`, () => {
      const text = renderEdgeConfig(request([engine, ...GOLDEN_ARGS]));
      const path = join(root, 'test/cluster/golden', GOLDEN[engine].file);
      const start = `<!-- edge-config:${engine} -->\n`;
      const end = `<!-- /edge-config:${engine} -->`;
      const block = `${start}\`\`\`${GOLDEN[engine].fence}\n${text}\`\`\`\n${end}`;
      if (WRITE) {
        writeFileSync(path, text);
        const current = readFileSync(join(root, 'docs/cluster.md'), 'utf8');
        const from = current.indexOf(start);
        const to = current.indexOf(end);
        expect(from >= 0 && to > from, `docs/cluster.md has no ${start.trim()} … ${end} block`).toBe(true);
        writeFileSync(join(root, 'docs/cluster.md'), current.slice(0, from) + block + current.slice(to + end.length));
        return;
      }
      expect(text).toBe(readFileSync(path, 'utf8'));
      expect(doc.includes(block), `docs/cluster.md's ${engine} block differs from the generator's (TIDECAST_WRITE_GOLDEN=1 rewrites it)`).toBe(true);
    });
  }
});

describe('the engines accept the generated files', () => {
  /** A description whose paths are in a temporary directory, listening on loopback. */
  async function local(engine: EdgeEngine): Promise<{ dir: string; file: string; description: EdgeDescription }> {
    const dir = await tempDir();
    const { description } = request([engine, ...GOLDEN_ARGS.slice(0, 8), '--listen', '127.0.0.1:18090', '--run-dir', dir]);
    const file = join(dir, GOLDEN[engine].file);
    await writeFile(file, renderEdgeConfig({ engine, description }));
    return { dir, file, description };
  }

  it.skipIf(varnishdPath === undefined)(`varnishd -C compiles the VCL${skipReason('varnishd', varnishdPath)}`, async () => {
    const { dir, file } = await local('varnish');
    const result = spawnSync(varnishdPath!, ['-C', '-f', file, '-n', join(dir, 'varnish')], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status, result.stderr.slice(-2000)).toBe(0);
  });

  it.skipIf(nginxPath === undefined)(`nginx -t accepts the configuration${skipReason('nginx', nginxPath)}`, async () => {
    const { dir, file } = await local('nginx');
    const result = spawnSync(nginxPath!, ['-t', '-p', dir, '-c', file, '-e', 'stderr'], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('test is successful');
    expect(result.stderr).not.toMatch(/\[(warn|emerg|alert)\]/);
  });

  it.skipIf(haproxyPath === undefined)(`haproxy -c accepts the configuration${skipReason('haproxy', haproxyPath)}`, async () => {
    const { file } = await local('haproxy');
    const result = spawnSync(haproxyPath!, ['-c', '-f', file], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/\[WARNING\]/);
  });
});

describe('the description', () => {
  const base = request(['varnish', ...GOLDEN_ARGS]).description;

  it('derives the timings from the targets: 3 × target duration held at the origin, the edge waits longer', () => {
    expect(edgeTimings(base)).toEqual({ targetDurationSeconds: 2, blockingHoldSeconds: 6, cacheLockSeconds: 7, upstreamTimeoutSeconds: 8, livePlaylistSeconds: 0.1 });
    expect(edgeTimings({ ...base, segmentTargetSeconds: 2.5, partTargetSeconds: 0.333 })).toMatchObject({ targetDurationSeconds: 3, cacheLockSeconds: 10, livePlaylistSeconds: 0.166 });
    expect(varnishVcl({ ...base, segmentTargetSeconds: 4 })).toContain('.first_byte_timeout = 14s;');
    expect(nginxConf({ ...base, segmentTargetSeconds: 4 })).toContain('proxy_cache_lock_timeout 13s;');
  });

  it('reads host:port, [v6]:port and a bare port where a default host applies', () => {
    expect(parseHostPort('--origin', 'origin-a.example:8081')).toEqual({ host: 'origin-a.example', port: 8081 });
    expect(parseHostPort('--origin', '[::1]:8081')).toEqual({ host: '::1', port: 8081 });
    expect(parseHostPort('--listen', '8090', '0.0.0.0')).toEqual({ host: '0.0.0.0', port: 8090 });
    expect(varnishVcl({ ...base, origins: [{ host: '::1', port: 8081 }] })).toContain('.host = "::1";');
    expect(nginxConf({ ...base, origins: [{ host: '::1', port: 8081 }] })).toContain('server [::1]:8081 ');
  });

  it.each([
    [() => parseHostPort('--origin', '8081'), 'option --origin must be host:port, got 8081'],
    [() => parseHostPort('--origin', 'a";b:80'), 'option --origin must be a host name or an IP address, got a";b:80'],
    [() => parseHostPort('--origin', 'a:0'), 'option --origin must be a port from 1 to 65535, got a:0'],
    [() => parseHostPort('--origin', 'a:70000'), 'option --origin must be a port from 1 to 65535, got a:70000'],
    [() => varnishVcl({ ...base, origins: [] }), 'option origins must be at least one host:port, got none'],
    [() => haproxyCfg({ ...base, rtmpOrigins: [] }), 'option rtmpOrigins must be at least one host:port, got none'],
    [() => nginxConf({ ...base, runDir: 'relative/dir' }), 'option runDir must be an absolute path'],
    [() => nginxConf({ ...base, cacheDir: '/tmp/x; evil' }), 'option cacheDir must be an absolute path'],
    [() => nginxConf({ ...base, cacheDir: '/tmp/../etc' }), 'option cacheDir must be an absolute path'],
    [() => varnishVcl({ ...base, segmentTargetSeconds: 0 }), 'option segmentTargetSeconds must be a number from 0.5 to 30, got 0'],
    [() => varnishVcl({ ...base, partTargetSeconds: 3 }), 'option partTargetSeconds must be at most the segment target (2), got 3'],
    [() => nginxConf({ ...base, cacheSizeMiB: 1 }), 'option cacheSizeMiB must be an integer from 16 to 1048576, got 1'],
    [() => checkEdgeDescription({ ...base, listen: { host: 'x\ny', port: 80 } }, 'nginx'), 'option listen must be a host name or an IP address'],
  ])('refuses what a config would misread: %#', (run, message) => {
    expect(refusal(run)).toContain(message);
  });
});

describe('tidecast edge-config', () => {
  it('fills the defaults: listen per engine on 0.0.0.0, run and cache directories, the origin targets', () => {
    const { description } = request(['nginx', '--origin', '127.0.0.1:8081']);
    expect(description).toEqual({
      origins: [{ host: '127.0.0.1', port: 8081 }],
      rtmpOrigins: [],
      listen: { host: '0.0.0.0', port: 8091 },
      cacheDir: '/tmp/tidecast-edge/cache',
      cacheSizeMiB: 256,
      runDir: '/tmp/tidecast-edge',
      segmentTargetSeconds: 2,
      partTargetSeconds: 0.2,
    });
    expect(request(['varnish', '--origin', 'a:1']).description.listen.port).toBe(8090);
    expect(request(['haproxy', '--rtmp-origin', 'a:1']).description.listen.port).toBe(1935);
    expect(request(['haproxy', '--rtmp-origin', 'a:1', '--run-dir', 'edge'], '/srv').description).toMatchObject({ runDir: '/srv/edge', cacheDir: '/srv/edge/cache' });
  });

  it.each([
    [['squid', '--origin', 'a:1'], 'option engine must be varnish, nginx or haproxy, got squid'],
    [['--origin', 'a:1'], 'option engine must be varnish, nginx or haproxy, got none'],
    [['nginx', '--origin', 'a:1', '--bogus'], "option arguments must be tidecast edge-config"],
    [['nginx', '--origin', 'a:1', '--segment-target', 'two'], 'option --segment-target must be a decimal number, got two'],
  ])('refuses %j', (args, message) => {
    expect(refusal(() => parseEdgeConfigArgs(args, '/'))).toContain(message);
  });

  it('writes --out (whole, by rename), and prints to stdout through the tidecast command', async () => {
    const dir = await tempDir();
    await runEdgeConfig(['haproxy', '--rtmp-origin', '127.0.0.1:19350', '--out', 'rtmp.cfg', '--run-dir', dir], dir);
    const expected = haproxyCfg(request(['haproxy', '--rtmp-origin', '127.0.0.1:19350', '--run-dir', dir]).description);
    expect(await readFile(join(dir, 'rtmp.cfg'), 'utf8')).toBe(expected);
    const cli = spawnSync(process.execPath, ['--import=tsx', 'src/cli/main.ts', 'edge-config', 'haproxy', '--rtmp-origin', '127.0.0.1:19350', '--run-dir', dir], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toBe(expected);
    const bad = spawnSync(process.execPath, ['--import=tsx', 'src/cli/main.ts', 'edge-config', 'nginx'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('tidecast: option origins must be at least one host:port, got none');
  });
});
