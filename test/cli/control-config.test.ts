import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/cli/config-file.js';
import { configVariables } from '../../src/cli/config-env.js';
import { ROOT_PATH, propertyPath } from '../../src/cli/config-schema.js';
import { CONFIG_SECTIONS, CONFIG_SECTION_NAMES } from '../../src/cli/control-config.js';
import { controlPlaneOptions, describeAuth } from '../../src/cli/control-options.js';
import { mediaServerOptions } from '../../src/cli/serve.js';
import { settingsBlock } from '../../src/cli/serve-output.js';
import { DEFAULT_SERVER_CONFIG, SERVER_CONFIG_FIELDS, configLayerFromEnv, resolveServerConfig, type ServerConfig } from '../../src/cli/server-config.js';
import { ConfigError } from '../../src/errors/index.js';
import { Authorizer, hashKey, signToken, type AuthRequest } from '../../src/server/index.js';

/** A file's text → the settings, with `env` over it, as `tidecast serve --config` resolves them. */
function load(text: string, env: Record<string, string> = {}): ServerConfig {
  const file = parseConfigText(text, 't.yaml');
  return resolveServerConfig({ env: configLayerFromEnv(env, file), file });
}

function refusal(text: string, env: Record<string, string> = {}): ConfigError {
  try {
    load(text, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ERR_CONFIG_INVALID');
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const HASH = hashKey('studio-a-key');
const SECRET = 'a-long-enough-hmac-secret';

const AUTH = `auth:
  apps:
    live:
      strategies:
        - type: static-keys
          keys: [${HASH}, plain-key-b]
        - type: hmac
          secret: ${SECRET}
      open: [play]
    '*':
      strategies:
        - type: callback
          url: http://127.0.0.1:9/auth
          timeoutMs: 500
          failMode: allow
        - type: jwt
          jwks: https://idp.example.com/jwks.json
          issuer: https://idp.example.com
      combine: all
  allowCacheMs: 0
  sessions:
    secret: a-session-secret-for-origins
    lifetimeSeconds: 600
`;

function request(app: string, key: string, query = ''): AuthRequest {
  return { action: 'publish', app, key, protocol: 'rtmp', ip: '127.0.0.1', query };
}

describe('the control-plane sections of the config file', () => {
  it('reads auth, webhooks, api and metrics, from YAML and JSON alike', () => {
    const text = `${AUTH}webhooks:
  endpoints:
    - url: https://hooks.example.com/tidecast
      secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
      events: [stream.*, session.opened, job.finished]
  maxAttempts: 3
api:
  tokens: [${hashKey('an-api-token-of-some-length')}, another-api-token-16+]
  failureLimit: { max: 5, windowMs: 10000 }
metrics:
  maxStreams: 20
`;
    const config = load(text);
    expect(config.auth?.apps['live']?.strategies).toHaveLength(2);
    expect(config.auth?.sessions).toEqual({ secret: 'a-session-secret-for-origins', lifetimeSeconds: 600 });
    expect(config.webhooks).toEqual({ endpoints: [{ url: 'https://hooks.example.com/tidecast', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['stream.*', 'session.opened', 'job.finished'] }], maxAttempts: 3 });
    expect(config.api).toEqual({ tokens: [hashKey('an-api-token-of-some-length'), 'another-api-token-16+'], failureLimit: { max: 5, windowMs: 10_000 } });
    expect(config.metrics).toEqual({ maxStreams: 20 });
    const json = parseConfigText(JSON.stringify({ auth: config.auth, webhooks: config.webhooks, api: config.api, metrics: config.metrics }), 't.json');
    expect(json).toEqual(parseConfigText(text, 't.yaml'));
  });

  it('without them the settings and the server options are as before: auth off, no webhooks, no API tokens', () => {
    expect(load('httpPort: 8081\n')).toStrictEqual({ ...DEFAULT_SERVER_CONFIG, httpPort: 8081 });
    const options = mediaServerOptions(load(''));
    for (const key of ['auth', 'webhooks', 'api', 'metrics']) expect(options).not.toHaveProperty(key);
  });

  it.each([
    // [file text, message]
    ['auth:\n  allowCacheMs: 5\n', 'option auth.apps must be set (in the config file): a mapping, got nothing'],
    ['auth:\n  apps: []\n', 'option auth.apps in t.yaml must be a mapping, got a list'],
    ['auth:\n  apps:\n    live: { strategies: [] }\n', 'option auth.apps.live.strategies in t.yaml must be a list of at least 1'],
    ['auth:\n  apps:\n    live:\n      strategies:\n        - type: static-keys\n          keys: []\n', 'option auth.apps.live.strategies[0].keys in t.yaml must be a list of at least 1 (a sha256:<64 hex digits> hash or a plain stream key'],
    ['auth:\n  apps:\n    live:\n      strategies:\n        - type: static-keys\n          keys: [ok-key, sha256:abc]\n', 'option auth.apps.live.strategies[0].keys[1] in t.yaml must be a sha256:<64 hex digits> hash or a plain stream key ([A-Za-z0-9._-], not starting with .), got a secret of 10 characters (not shown)'],
    ['auth:\n  apps:\n    live:\n      strategies:\n        - type: static-keys\n          keys: ["my key"]\n', 'option auth.apps.live.strategies[0].keys[0] in t.yaml must be a sha256:<64 hex digits> hash or a plain stream key'],
    ['auth:\n  apps:\n    live:\n      strategies:\n        - type: static-keys\n          kyes: [a]\n', 'unknown option auth.apps.live.strategies[0].kyes in t.yaml; known options of a static-keys strategy: type, keys, actions'],
    ['auth:\n  apps:\n    live:\n      strategies:\n        - type: oauth\n', 'option auth.apps.live.strategies[0].type in t.yaml must be one of static-keys, hmac, callback, jwt, got "oauth"'],
    ['auth:\n  apps:\n    live:\n      strategies:\n        - type: hmac\n', 'option auth.apps.live.strategies[0].secret must be set (in the config file or by TIDECAST_AUTH_APPS_LIVE_STRATEGIES_0_SECRET): a string of at least 16 characters, got nothing'],
    ['auth:\n  apps:\n    live:\n      strategies:\n        - type: hmac\n          secret: short\n', 'option auth.apps.live.strategies[0].secret in t.yaml must be a string of at least 16 characters, got a secret of 5 characters (not shown)'],
    ['auth:\n  apps:\n    live:\n      strategies:\n        - type: callback\n          url: ftp://example.com/\n', 'option auth.apps.live.strategies[0].url in t.yaml must be an http:// or https:// URL, got "ftp://example.com/"'],
    ['auth:\n  apps:\n    live:\n      strategies:\n        - { type: callback, url: "http://a/", failMode: maybe }\n', 'option auth.apps.live.strategies[0].failMode in t.yaml must be deny or allow, got "maybe"'],
    ['auth:\n  apps:\n    live:\n      strategies:\n        - { type: callback, url: "http://a/", timeoutMs: 10 }\n', 'option auth.apps.live.strategies[0].timeoutMs in t.yaml must be an integer from 100 to 60000, got 10'],
    ['auth:\n  apps:\n    live:\n      strategies: [{ type: jwt, jwks: "https://a/" }]\n      combine: most\n', 'option auth.apps.live.combine in t.yaml must be any or all, got "most"'],
    ['auth:\n  apps:\n    live:\n      strategies: [{ type: jwt, jwks: "https://a/" }]\n      open: [watch]\n', 'option auth.apps.live.open[0] in t.yaml must be one of publish, play, api, got "watch"'],
    ['auth:\n  apps:\n    "my app":\n      strategies: [{ type: jwt, jwks: "https://a/" }]\n', 'option auth.apps["my app"] in t.yaml must be named by an app name ([A-Za-z0-9._-], not starting with .) or *, got "my app"'],
    ['auth:\n  apps: { live: { strategies: [{ type: jwt, jwks: "https://a/" }] } }\n  sessions: { secret: tiny }\n', 'option auth.sessions.secret in t.yaml must be a string of at least 16 characters, got a secret of 4 characters (not shown)'],
    ['webhooks:\n  endpoints:\n    - url: https://a/\n', 'option webhooks.endpoints[0].secret must be set (in the config file or by TIDECAST_WEBHOOKS_ENDPOINTS_0_SECRET)'],
    ['webhooks:\n  endpoints:\n    - { url: "https://a/", secret: s, events: [stream.start] }\n', 'option webhooks.endpoints[0].events[0] in t.yaml must be a webhook event type (stream.started, stream.ended, stream.health_changed, session.opened, session.closed, upload.completed, upload.failed, job.<name>, recording.<name>) or a prefix ending in *, got "stream.start"'],
    ['webhooks:\n  maxAttempts: 0\n', 'option webhooks.maxAttempts in t.yaml must be an integer from 1 to 100, got 0'],
    ['api:\n  tokens: [short-token]\n', 'option api.tokens[0] in t.yaml must be a sha256:<64 hex digits> hash or a plain token of at least 16 characters, got a secret of 11 characters (not shown)'],
    ['api:\n  tokens: a-single-token-not-a-list\n', 'option api.tokens in t.yaml must be a list of at least 1'],
    ['api:\n  failureLimit: { max: 5 }\n', 'option api.failureLimit.windowMs must be set (in the config file or by TIDECAST_API_FAILURE_LIMIT_WINDOW_MS): an integer from 1000 to 86400000, got nothing'],
    ['metrics:\n  maxStreams: -1\n', 'option metrics.maxStreams in t.yaml must be an integer from 0 to 100000, got -1'],
    ['metrics:\n  maxSeries: 5\n', 'unknown option metrics.maxSeries in t.yaml; known options: maxStreams'],
    ['metrics: 100\n', 'option metrics in t.yaml must be a mapping, got 100'],
    ['tokens: [a]\n', 'unknown option tokens in t.yaml; known options: rtmpPort, httpPort'],
  ])('refuses %j, naming the key path', (text, message) => {
    expect(refusal(text).message).toContain(message);
  });

  it('never puts a secret in a message or its details', () => {
    for (const [text, secret] of [
      ['auth:\n  apps:\n    live:\n      strategies:\n        - { type: hmac, secret: not-long-secret }\n', 'not-long-secret'],
      ['api:\n  tokens: [tooshort-token]\n', 'tooshort-token'],
      ['auth:\n  apps:\n    live:\n      strategies:\n        - { type: static-keys, keys: ["sha256:deadbeef"] }\n', 'deadbeef'],
    ] as const) {
      const error = refusal(text);
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify(error.details)).not.toContain(secret);
    }
    const error = refusal('api:\n  tokens: [a-long-enough-token-0]\n', { TIDECAST_API_TOKENS: 'a-long-enough-token-1,tiny' });
    expect(error.message).toBe('option TIDECAST_API_TOKENS must be a list of at least 1 (a sha256:<64 hex digits> hash or a plain token of at least 16 characters each), got a secret of 26 characters (not shown)');
  });
});

describe('TIDECAST_* variables for the sections', () => {
  it('are TIDECAST_ and the key path in capitals; every one is distinct', () => {
    const variables = CONFIG_SECTION_NAMES.flatMap((name) => configVariables(CONFIG_SECTIONS[name], propertyPath(ROOT_PATH, name)));
    expect(variables.map((v) => v.variable)).toEqual(expect.arrayContaining(['TIDECAST_API_TOKENS', 'TIDECAST_AUTH_SESSIONS_SECRET', 'TIDECAST_AUTH_SESSIONS_EDGE_SECRET', 'TIDECAST_AUTH_ALLOW_CACHE_MS', 'TIDECAST_METRICS_MAX_STREAMS', 'TIDECAST_WEBHOOKS_MAX_ATTEMPTS', 'TIDECAST_AUTH_APPS_<APP>_STRATEGIES_<N>_SECRET']));
    const flat = Object.values(SERVER_CONFIG_FIELDS).map((f) => f.env);
    const all = [...flat, ...variables.map((v) => v.variable)];
    expect(new Set(all).size).toBe(all.length);
    for (const name of all) expect(name).toMatch(/^TIDECAST_[A-Z0-9_<>]+$/);
  });

  it('keep the historic names of the flat settings, and give every setting one', () => {
    const historic = {
      rtmpPort: 'TIDECAST_RTMP_PORT', httpPort: 'TIDECAST_HTTP_PORT', host: 'TIDECAST_HOST', segmentDuration: 'TIDECAST_SEGMENT_DURATION',
      lowLatency: 'TIDECAST_LOW_LATENCY', partDuration: 'TIDECAST_PART_DURATION', tlsCert: 'TIDECAST_TLS_CERT', tlsKey: 'TIDECAST_TLS_KEY',
      rtmpMaxConnections: 'TIDECAST_RTMP_MAX_CONNECTIONS', httpMaxConnections: 'TIDECAST_HTTP_MAX_CONNECTIONS', ladder: 'TIDECAST_LADDER',
      jobsFile: 'TIDECAST_JOBS_FILE', redis: 'TIDECAST_REDIS',
    } as const;
    for (const [key, variable] of Object.entries(historic)) expect(SERVER_CONFIG_FIELDS[key as keyof typeof historic].env).toBe(variable);
    expect(load('', { TIDECAST_WINDOW_SEGMENTS: '9', TIDECAST_RTMP_MAX_CONNECTIONS_PER_ADDRESS: '4' })).toMatchObject({ windowSegments: 9, rtmpMaxConnectionsPerAddress: 4 });
  });

  it('set fixed keys with or without the file; lists are comma lists; the variable beats the file', () => {
    const token = 'an-api-token-given-by-env';
    expect(load('', { TIDECAST_API_TOKENS: ` ${token} , ${hashKey('x')},` }).api).toEqual({ tokens: [token, hashKey('x')] });
    expect(load('', { TIDECAST_METRICS_MAX_STREAMS: '7' }).metrics).toEqual({ maxStreams: 7 });
    const config = load(`${AUTH}metrics: { maxStreams: 3 }\n`, { TIDECAST_AUTH_SESSIONS_SECRET: 'session-secret-from-env', TIDECAST_AUTH_ALLOW_CACHE_MS: '250', TIDECAST_METRICS_MAX_STREAMS: '' });
    expect(config.auth).toMatchObject({ allowCacheMs: 250, sessions: { secret: 'session-secret-from-env', lifetimeSeconds: 600 } });
    expect(config.auth?.apps['live']?.open).toEqual(['play']);
    expect(config.metrics).toEqual({ maxStreams: 3 });
  });

  it("set a record's entries and a list's items where the file has them, not beyond", () => {
    const config = load(AUTH, {
      TIDECAST_AUTH_APPS_LIVE_STRATEGIES_1_SECRET: 'hmac-secret-from-the-environment',
      TIDECAST_AUTH_APPS_LIVE_STRATEGIES_0_KEYS: 'env-key-1,env-key-2',
      TIDECAST_AUTH_APPS_ANY_STRATEGIES_0_FAIL_MODE: 'deny',
      TIDECAST_AUTH_APPS_ANY_COMBINE: 'any',
      TIDECAST_AUTH_APPS_LIVE_STRATEGIES_2_SECRET: 'no-third-strategy-in-the-file',
      TIDECAST_AUTH_APPS_EVENTS_COMBINE: 'all',
    });
    expect(config.auth?.apps['live']?.strategies).toEqual([
      { type: 'static-keys', keys: ['env-key-1', 'env-key-2'] },
      { type: 'hmac', secret: 'hmac-secret-from-the-environment' },
    ]);
    expect(config.auth?.apps['*']).toMatchObject({ combine: 'any', strategies: [{ type: 'callback', failMode: 'deny' }, { type: 'jwt' }] });
    expect(Object.keys(config.auth?.apps ?? {})).toEqual(['live', '*']);
  });

  it('may give a required secret alone: the file names the strategy, the variable its secret', () => {
    const file = 'auth:\n  apps:\n    live:\n      strategies:\n        - type: hmac\n';
    expect(load(file, { TIDECAST_AUTH_APPS_LIVE_STRATEGIES_0_SECRET: SECRET }).auth?.apps['live']?.strategies).toEqual([{ type: 'hmac', secret: SECRET }]);
    const webhook = 'webhooks:\n  endpoints:\n    - url: https://hooks.example.com/\n';
    expect(load(webhook, { TIDECAST_WEBHOOKS_ENDPOINTS_0_SECRET: 'whsec_abc' }).webhooks?.endpoints?.[0]?.secret).toBe('whsec_abc');
  });

  it('refuse bad values naming the variable, and a section they cannot complete', () => {
    expect(refusal('', { TIDECAST_METRICS_MAX_STREAMS: 'many' }).message).toBe('option TIDECAST_METRICS_MAX_STREAMS must be an integer from 0 to 100000, got many');
    expect(refusal(AUTH, { TIDECAST_AUTH_APPS_LIVE_COMBINE: 'most' }).message).toBe('option TIDECAST_AUTH_APPS_LIVE_COMBINE must be any or all, got most');
    expect(refusal(AUTH, { TIDECAST_AUTH_APPS_LIVE_STRATEGIES_1_SECRET: 'short' }).message).toBe('option TIDECAST_AUTH_APPS_LIVE_STRATEGIES_1_SECRET must be a string of at least 16 characters, got a secret of 5 characters (not shown)');
    // A session secret alone would turn auth on with no policy: every publish and play refused.
    expect(refusal('', { TIDECAST_AUTH_SESSIONS_SECRET: 'session-secret-from-env' }).message).toBe('option auth.apps must be set (in the config file): a mapping, got nothing');
  });

  it('refuse two entries that share variables when one of those is set', () => {
    const file = 'auth:\n  apps:\n    my-app: { strategies: [{ type: jwt, jwks: "https://a/" }] }\n    my_app: { strategies: [{ type: jwt, jwks: "https://b/" }] }\n';
    expect(load(file).auth?.apps).toHaveProperty('my_app');
    expect(refusal(file, { TIDECAST_AUTH_APPS_MY_APP_COMBINE: 'all' }).message).toBe(
      'option auth.apps: the entries "my-app" and "my_app" share the variables TIDECAST_AUTH_APPS_MY_APP_*; rename one to set either from the environment',
    );
  });
});

describe('sections → server options', () => {
  it('auth: strategies built from the file, plain keys hashed at load, cache and sessions passed', async () => {
    const options = controlPlaneOptions(load(AUTH));
    expect(options.auth).toMatchObject({ allowCacheMs: 0, sessions: { secret: 'a-session-secret-for-origins', lifetimeSeconds: 600 } });
    expect(options.auth?.apps['live']).toMatchObject({ open: ['play'], strategies: [{ name: 'static-keys' }, { name: 'hmac-token' }] });
    expect(options.auth?.apps['live']).not.toHaveProperty('combine');
    expect(options.auth?.apps['*']).toMatchObject({ combine: 'all', strategies: [{ name: 'callback' }, { name: 'jwt' }] });
    expect(JSON.stringify(options.auth)).not.toContain('plain-key-b');

    const authorizer = new Authorizer({ ...options.auth!, now: () => 1_700_000_000_000 });
    expect(await authorizer.authorize(request('live', 'studio-a-key'))).toMatchObject({ allow: true, by: 'static-keys' });
    expect(await authorizer.authorize(request('live', 'plain-key-b'))).toMatchObject({ allow: true, by: 'static-keys' });
    expect(await authorizer.authorize(request('live', 'guess'))).toMatchObject({ allow: false, reason: 'stream key not recognised for live' });
    const token = signToken(SECRET, 'publish', 'live', 'cam', 1_700_000_600);
    expect(await authorizer.authorize(request('live', 'cam', `token=${token}`))).toMatchObject({ allow: true, by: 'hmac-token' });
    expect(await authorizer.authorize({ ...request('live', 'any'), action: 'play' })).toMatchObject({ allow: true, by: 'open' });
    // combine all, the callback down with failMode allow, no JWT given: the callback's allow stands.
    expect(await authorizer.authorize(request('other', 'k'))).toMatchObject({ allow: true, by: 'callback' });
  });

  it('a hash written in capitals is the same key', async () => {
    const options = controlPlaneOptions(load(`auth:\n  apps:\n    live: { strategies: [{ type: static-keys, keys: ["${HASH.toUpperCase().replace('SHA256:', 'sha256:')}"] }] }\n`));
    expect(await new Authorizer(options.auth!).authorize(request('live', 'studio-a-key'))).toMatchObject({ allow: true });
  });

  it('webhooks, api and metrics pass through; webhooks without endpoints have none', () => {
    expect(controlPlaneOptions(load('webhooks:\n  maxAttempts: 2\n'))).toStrictEqual({ webhooks: { maxAttempts: 2, endpoints: [] } });
    const options = mediaServerOptions(load('api:\n  tokens: [a-long-enough-token-0]\nmetrics:\n  maxStreams: 5\n'));
    expect(options).toMatchObject({ api: { tokens: ['a-long-enough-token-0'] }, metrics: { maxStreams: 5 } });
  });
});

describe('the start banner says whether keys are on, never a secret', () => {
  const bound = { host: '0.0.0.0', rtmpPort: 1935, httpPort: 8080 };
  it('off: one line on how to turn keys on', () => {
    const text = settingsBlock(bound, '192.0.2.7');
    expect(text).toContain('\nAuth:           off: any stream key publishes, anyone plays. To require keys: the auth section of the config file (docs/config.md, docs/auth.md)\n');
    expect(text).toContain('  Stream Key: any name, e.g. mystream\n');
  });

  it('on: the strategies per app, and no key, hash or secret', () => {
    const config = load(AUTH);
    const auth = describeAuth(config.auth)!;
    expect(auth).toBe('live: static-keys or hmac, play open; *: callback and jwt');
    const text = settingsBlock(bound, '192.0.2.7', { tls: false, lowLatency: true, auth });
    expect(text).toContain('\nAuth:           on, per app: live: static-keys or hmac, play open; *: callback and jwt\n');
    expect(text).toContain('  Stream Key: one your auth policy allows (docs/auth.md)\n');
    for (const secret of [HASH, HASH.slice(7), 'plain-key-b', SECRET, 'a-session-secret-for-origins']) expect(text).not.toContain(secret);
  });
});
