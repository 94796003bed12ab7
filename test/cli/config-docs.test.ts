import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configVariables } from '../../src/cli/config-env.js';
import { ROOT_PATH, propertyPath } from '../../src/cli/config-schema.js';
import { CONFIG_SECTIONS, CONFIG_SECTION_NAMES } from '../../src/cli/control-config.js';
import { serveConfig } from '../../src/cli/serve.js';
import { RtmpClient } from '../../src/rtmp/index.js';
import { signToken } from '../../src/server/index.js';
import { codeBlocks, firstCodeBlock, markdownSection, markdownTable, readDoc, repoRoot } from '../helpers/docs-examples.js';
import { killByPid } from '../helpers/process.js';

/**
 * docs/config.md: the production example (its YAML file and its environment file) is loaded,
 * checked and served by `tidecast serve` itself, with real clients: RTMP publishes, HTTP plays,
 * the API, and a webhook receiver that verifies the signatures with the Standard Webhooks library.
 */

const page = readDoc('config.md');
const production = markdownSection(page, 'Production example');
const yaml = firstCodeBlock(production, 'yaml');
const envFile = Object.fromEntries(
  firstCodeBlock(production, 'sh')
    .split('\n')
    .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => [m[1]!, m[2]!]),
);
const STUDIO_KEY = 'studio-a-4c1d9e2f7b';

let dir = '';
let file = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-config-docs-'));
  file = join(dir, 'tidecast.yaml');
  await writeFile(file, yaml);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('docs/config.md', () => {
  it('the production example checks, with the secrets from its environment file only', async () => {
    expect(Object.keys(envFile)).toEqual(['TIDECAST_AUTH_APPS_LIVE_STRATEGIES_1_SECRET', 'TIDECAST_AUTH_SESSIONS_SECRET', 'TIDECAST_WEBHOOKS_ENDPOINTS_0_SECRET', 'TIDECAST_API_TOKENS']);
    for (const secret of Object.values(envFile)) expect(yaml).not.toContain(secret);
    const { config } = await serveConfig(['--config', file], envFile);
    expect(config.auth?.apps['live']?.strategies.map((s) => s.type)).toEqual(['static-keys', 'hmac']);
    expect(config.auth?.apps['live']?.open).toBeUndefined();
    expect(config.auth?.sessions).toEqual({ lifetimeSeconds: 14_400, secret: envFile['TIDECAST_AUTH_SESSIONS_SECRET'] });
    expect(config.api?.tokens).toEqual([envFile['TIDECAST_API_TOKENS']]);
    expect(config.webhooks?.endpoints?.[0]?.secret).toBe(envFile['TIDECAST_WEBHOOKS_ENDPOINTS_0_SECRET']);
    // Without the environment file the strategy has no secret: refused, naming the variable.
    await expect(serveConfig(['--config', file], {})).rejects.toThrow('option auth.apps.live.strategies[1].secret must be set (in the config file or by TIDECAST_AUTH_APPS_LIVE_STRATEGIES_1_SECRET)');
  });

  it("lists every section's variable with its key", () => {
    const rows = markdownTable(markdownSection(page, 'Environment variables'), 'variable').map((r) => [r['variable']!.replaceAll('`', ''), r['key']!.replace(/`/g, '')]);
    const expected = CONFIG_SECTION_NAMES.flatMap((name) => configVariables(CONFIG_SECTIONS[name], propertyPath(ROOT_PATH, name))).map((v) => [v.variable, `${v.key}${v.list ? ' (a comma list)' : ''}`]);
    expect(rows).toEqual(expected);
  });

  it('its error messages are the ones the checks give', async () => {
    const messages = codeBlocks(markdownSection(page, 'Precedence'), 'text')[0]!.trim().split('\n');
    const cases: Array<[string, Record<string, string>]> = [
      ['segmentDuration: 0\n', {}],
      ['auth:\n  apps:\n    live:\n      strategies:\n        - { type: static-keys, kyes: [a] }\n', {}],
      ['auth:\n  apps:\n    live:\n      strategies:\n        - { type: static-keys, keys: [a] }\n        - { type: hmac, secret: short }\n', {}],
      ['auth:\n  apps:\n    live:\n      strategies:\n        - { type: static-keys, keys: [a] }\n        - { type: hmac }\n', {}],
      ['', { TIDECAST_METRICS_MAX_STREAMS: 'many' }],
    ];
    const got: string[] = [];
    const path = join(dir, 'errors.yaml');
    for (const [text, env] of cases) {
      await writeFile(path, text);
      const error = await serveConfig(['--config', path], env).then(() => new Error('accepted'), (e: unknown) => e as Error);
      got.push(`tidecast: ${error.message}`.replaceAll(path, 'tidecast.yaml'));
    }
    expect(got).toEqual(messages);
  });
});

describe('docs/config.md production example, served', () => {
  let child: ChildProcess | undefined;
  let receiver: Server | undefined;
  const deliveries: Array<{ type: string; data: Record<string, unknown> }> = [];
  let out = '';

  afterAll(async () => {
    if (child !== undefined) killByPid(child);
    await new Promise<void>((resolve) => (receiver === undefined ? resolve() : receiver.close(() => resolve())));
  });

  it('refuses a wrong key, publishes the studio key, gates play and the API, signs the webhooks', async () => {
    const verifier = new Webhook(envFile['TIDECAST_WEBHOOKS_ENDPOINTS_0_SECRET']!);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const headers = { 'webhook-id': String(req.headers['webhook-id']), 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']) };
        deliveries.push(verifier.verify(body, headers) as { type: string; data: Record<string, unknown> });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/tidecast`;

    const env = { ...process.env, ...envFile, TIDECAST_WEBHOOKS_ENDPOINTS_0_URL: hook };
    child = spawn(process.execPath, ['--import=tsx', 'src/cli/main.ts', '--config', file, '--rtmp-port', '0', '--http-port', '0', '--host', '127.0.0.1'], { cwd: repoRoot, env });
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    await expect.poll(() => out.includes('"msg":"listening"'), { timeout: 30_000 }).toBe(true);
    expect(out).toContain('\nAuth:           on, per app: live: static-keys or hmac\n');
    for (const secret of Object.values(envFile)) expect(out).not.toContain(secret);
    const rtmpPort = Number(/RTMP ingest listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const http = `http://127.0.0.1:${/HTTP listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]}`;

    const intruder = await RtmpClient.connect(`rtmp://127.0.0.1:${rtmpPort}/live`);
    await expect(intruder.publish('guessed-key')).rejects.toThrow('not authorized: stream key not recognised for live');
    await intruder.close();
    const studio = await RtmpClient.connect(`rtmp://127.0.0.1:${rtmpPort}/live`);
    await studio.publish(STUDIO_KEY);

    const playlist = `/live/${STUDIO_KEY}/index.m3u8`;
    expect((await fetch(`${http}${playlist}`, { redirect: 'manual' })).status).toBe(401);
    const token = signToken(envFile['TIDECAST_AUTH_APPS_LIVE_STRATEGIES_1_SECRET']!, 'play', 'live', STUDIO_KEY, Math.floor(Date.now() / 1000) + 600);
    const tokened = await fetch(`${http}${playlist}?token=${token}`, { redirect: 'manual' });
    expect(tokened.status).toBe(302);
    expect(tokened.headers.get('location')).toMatch(new RegExp(`^/t/[\\w-]+\\.[\\w-]+${playlist.replaceAll('.', '\\.')}$`));

    expect((await fetch(`${http}/api/streams`)).status).toBe(401);
    const api = await fetch(`${http}/api/streams`, { headers: { authorization: `Bearer ${envFile['TIDECAST_API_TOKENS']}` } });
    expect(api.status).toBe(200);

    await expect.poll(() => deliveries.find((d) => d.type === 'stream.started'), { timeout: 10_000 }).toMatchObject({ data: { app: 'live', streamKey: STUDIO_KEY } });
    await studio.close();
  });
});
