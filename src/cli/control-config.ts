import { CLUSTER_SCHEMA, type ClusterConfig } from './cluster-config.js';
import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_API_FAILURE_LIMIT } from '../server/control-api-auth.js';
import { schemaNode, type SchemaNode } from './config-schema.js';
import { OBJECT_STORAGE_SCHEMA, type ObjectStorageConfig } from './storage-config.js';
import { RECORD_SCHEMA, type RecordConfig } from './record-config.js';

/**
 * The control plane's sections of the config file (issue 12): `auth`, `webhooks`, `api`,
 * `metrics`. Each is a TypeBox schema, the one description of its keys: it checks the file
 * (config-schema.ts), names the TIDECAST_* variables, gives the TypeScript types below, and writes
 * the shipped example (config-example.ts) with each key's text, default and example value.
 * control-options.ts turns a checked section into createMediaServer's options.
 *
 * The defaults shown are the library's own, which applies them: a key left out is not passed. Where
 * the library exports its constant it is used here (DEFAULT_API_FAILURE_LIMIT); the others are
 * inline numbers in src/server/authorization.ts, play-auth.ts, webhooks.ts and metrics.ts, copied.
 */

const integer = (minimum: number, maximum: number, defaultValue: number, description: string) =>
  Type.Optional(Type.Integer({ minimum, maximum, default: defaultValue, description }));

const ACTION = Type.Union([Type.Literal('publish'), Type.Literal('play'), Type.Literal('api')]);

/** A 16-character floor for the secrets the server signs or compares with: shorter ones are guessable. */
const SECRET_MIN_LENGTH = 16;

const EXAMPLE_SECRET = 'change-me-to-a-long-random-secret';

const STATIC_KEYS = Type.Object(
  {
    type: Type.Literal('static-keys'),
    keys: Type.Array(Type.String({ format: 'key', secret: true }), {
      minItems: 1,
      description: 'The stream keys allowed, as sha256:<hex> hashes (tidecast hash-key prints one) or plain keys, hashed at load; compared in constant time.',
    }),
    actions: Type.Optional(Type.Array(ACTION, { minItems: 1, default: ['publish'], description: 'The actions these keys judge (publish, play).' })),
  },
  { description: "Static keys: the stream key's SHA-256 must be one of these." },
);

const HMAC = Type.Object(
  {
    type: Type.Literal('hmac'),
    secret: Type.String({ minLength: SECRET_MIN_LENGTH, secret: true, examples: [EXAMPLE_SECRET], description: 'The shared HMAC-SHA256 secret that signs the tokens (signToken).' }),
  },
  { description: 'HMAC tokens: token=<expiry>.<signature> in the stream key or URL query, refused once expired.' },
);

const CALLBACK = Type.Object(
  {
    type: Type.Literal('callback'),
    url: Type.String({ format: 'url', examples: ['https://auth.example.com/tidecast'], description: 'Your endpoint: it gets each request as JSON and answers {"allow": true|false, "name"?, "lifetimeSeconds"?, "record"?, "reason"?}.' }),
    timeoutMs: integer(100, 60_000, 3000, 'How long to wait for its answer, ms.'),
    failMode: Type.Optional(Type.Union([Type.Literal('deny'), Type.Literal('allow')], { default: 'deny', description: 'What a callback that is down, slow or answers nonsense decides.' })),
  },
  { description: 'An HTTP callback decides; it may publish a secret key under a public name and end the session after a lifetime.' },
);

const JWT = Type.Object(
  {
    type: Type.Literal('jwt'),
    jwks: Type.String({ format: 'url', examples: ['https://idp.example.com/.well-known/jwks.json'], description: 'The JWKS URL the tokens are verified against (fetched and cached).' }),
    issuer: Type.Optional(Type.String({ examples: ['https://idp.example.com'], description: 'The `iss` the tokens must carry. Default: not checked.' })),
    audience: Type.Optional(Type.String({ examples: ['tidecast'], description: 'The `aud` the tokens must carry. Default: not checked.' })),
  },
  { description: 'JWT in token= (or a bearer token), whose `tidecast` claim lists the {action, app?, key?} it allows.' },
);

const APP_POLICY = Type.Object({
  strategies: Type.Array(Type.Union([STATIC_KEYS, HMAC, CALLBACK, JWT], { title: 'strategy' }), { minItems: 1, description: 'Who may publish or play, asked in order.' }),
  combine: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('all')], { default: 'any', description: 'any: the first strategy that allows wins; all: every strategy that judges must allow.' })),
  open: Type.Optional(Type.Array(ACTION, { default: [], description: 'Actions nobody is asked about, e.g. [play] for public playback.' })),
});

const EXAMPLE_KEY_HASH = 'sha256:bbde8e839ba7890be663ffa4fda5e0a322c30c4c407d11dbddf70542aff62607';

export const AUTH_SCHEMA = Type.Object(
  {
    apps: Type.Record(Type.String(), APP_POLICY, {
      names: 'app',
      description: 'The policy of each app (the first part of rtmp://host/<app>/<key>); * for every other app. An app without one is refused.',
      examples: [
        {
          live: { strategies: [{ type: 'static-keys', keys: [EXAMPLE_KEY_HASH, 'another-obs-key'] }], open: ['play'] },
          events: { strategies: [{ type: 'hmac', secret: EXAMPLE_SECRET }] },
          partners: { strategies: [{ type: 'callback', url: 'https://auth.example.com/tidecast' }] },
          '*': { strategies: [{ type: 'jwt', jwks: 'https://idp.example.com/.well-known/jwks.json', issuer: 'https://idp.example.com', audience: 'tidecast' }] },
        },
      ],
    }),
    allowCacheMs: integer(0, 3_600_000, 10_000, 'How long an allow decision is reused, ms.'),
    denyCacheMs: integer(0, 3_600_000, 2000, 'How long a deny decision is reused, ms.'),
    sessions: Type.Optional(
      Type.Object(
        {
          secret: Type.Optional(
            Type.String({ minLength: SECRET_MIN_LENGTH, secret: true, examples: [EXAMPLE_SECRET], description: 'The HMAC secret of HLS/DASH viewer session tokens; the same on every origin. Default: random per process.' }),
          ),
          lifetimeSeconds: integer(1, 2_592_000, 43_200, "A viewer session's lifetime, s; a token's own expiry shortens it."),
          edgeSecret: Type.Optional(
            Type.String({ minLength: SECRET_MIN_LENGTH, secret: true, examples: ['another-long-random-secret'], description: 'A CDN in front that authorizes viewers itself sends this in x-tidecast-edge. Default: none.' }),
          ),
        },
        { description: 'Play authorization over HTTP: a viewer allowed once gets a session token written into every playlist URI.' },
      ),
    ),
  },
  { title: 'publish and play authorization per app: static keys, HMAC tokens, an HTTP callback, JWT (docs/auth.md)', description: 'Publish and play authorization (docs/auth.md). Default: none, every publish and play is allowed.' },
);

export const WEBHOOKS_SCHEMA = Type.Object(
  {
    endpoints: Type.Optional(
      Type.Array(
        Type.Object({
          url: Type.String({ format: 'url', description: 'Where the events are POSTed.' }),
          secret: Type.String({ secret: true, description: 'The signing secret: whsec_<base64> (Standard Webhooks), or any other string used as its bytes.' }),
          events: Type.Optional(Type.Array(Type.String({ format: 'event' }), { minItems: 1, examples: [['stream.*', 'session.opened']], description: 'The event types it receives; a * suffix matches a prefix. Default: every type.' })),
        }),
        {
          default: [],
          examples: [[{ url: 'https://hooks.example.com/tidecast', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', events: ['stream.*', 'session.opened'] }]],
          description: 'The receivers.',
        },
      ),
    ),
    maxAttempts: integer(1, 100, 12, 'Attempts per event and endpoint before it is given up.'),
    retryBaseMs: integer(1, 3_600_000, 500, 'The first retry delay, ms, doubled at each retry (with full jitter).'),
    retryMaxMs: integer(1, 86_400_000, 60_000, 'The cap of the retry delay, ms.'),
    timeoutMs: integer(100, 300_000, 5000, "A delivery's timeout, ms."),
    maxQueued: integer(1, 10_000_000, 10_000, 'Events waiting per endpoint; past it new ones are dropped (counted).'),
  },
  { title: 'signed webhooks of stream, session and health events, retried with backoff (docs/webhooks.md)', description: 'Signed webhooks (docs/webhooks.md). Default: none (events stay in process).' },
);

export const API_SCHEMA = Type.Object(
  {
    tokens: Type.Optional(
      Type.Array(Type.String({ format: 'token', minLength: SECRET_MIN_LENGTH, secret: true }), {
        minItems: 1,
        examples: [[EXAMPLE_SECRET]],
        description: 'Bearer tokens of the control API and dashboard, as sha256:<hex> hashes or plain tokens. Default: none, the API answers loopback clients only.',
      }),
    ),
    failureLimit: Type.Optional(
      Type.Object(
        {
          max: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Failed attempts allowed per client IP in the window; past it, 429 with Retry-After.' }),
          windowMs: Type.Integer({ minimum: 1000, maximum: 86_400_000, description: 'The window, ms.' }),
        },
        { default: DEFAULT_API_FAILURE_LIMIT, description: 'The rate limit on failed token checks: at most max per client IP in windowMs.' },
      ),
    ),
  },
  { title: 'the control API and dashboard: bearer tokens, failure rate limit (docs/api.md)', description: 'The control API and dashboard (docs/api.md). Default: loopback clients only, no token.' },
);

export const METRICS_SCHEMA = Type.Object(
  {
    maxStreams: integer(0, 100_000, 100, 'Live streams given per-stream series; the others are counted in tidecast_streams_over_cap.'),
  },
  { default: {}, title: 'Prometheus /metrics: the cap on per-stream series (docs/metrics.md)', description: 'Prometheus /metrics (docs/metrics.md).' },
);

export type AuthConfig = Static<typeof AUTH_SCHEMA>;
export type AppPolicyConfig = Static<typeof APP_POLICY>;
export type StrategyConfig = AppPolicyConfig['strategies'][number];
export type WebhooksConfig = Static<typeof WEBHOOKS_SCHEMA>;
export type ApiConfig = Static<typeof API_SCHEMA>;
export type MetricsConfig = Static<typeof METRICS_SCHEMA>;

/** The sections of the config file besides the flat settings, in the order the example lists them. */
export interface ConfigSections {
  /** Publish and play authorization. Default none: open. */
  auth?: AuthConfig;
  /** Signed webhooks. Default none. */
  webhooks?: WebhooksConfig;
  /** Control API tokens and failure limit. Default none: loopback only. */
  api?: ApiConfig;
  /** Prometheus metrics. */
  metrics?: MetricsConfig;
  /** Live HLS uploaded to an S3-compatible bucket (storage-config.ts). Default none. */
  objectStorage?: ObjectStorageConfig;
  /** Recording to disk (record-config.ts). Default none. */
  record?: RecordConfig;
  /** One origin of several with a Redis registry (cluster-config.ts). Default none. */
  cluster?: ClusterConfig;
}

export type ConfigSectionName = keyof ConfigSections;

export const CONFIG_SECTIONS: Readonly<Record<ConfigSectionName, SchemaNode>> = {
  auth: schemaNode(AUTH_SCHEMA),
  webhooks: schemaNode(WEBHOOKS_SCHEMA),
  api: schemaNode(API_SCHEMA),
  metrics: schemaNode(METRICS_SCHEMA),
  objectStorage: schemaNode(OBJECT_STORAGE_SCHEMA),
  record: schemaNode(RECORD_SCHEMA),
  cluster: schemaNode(CLUSTER_SCHEMA),
};

export const CONFIG_SECTION_NAMES = Object.keys(CONFIG_SECTIONS) as ConfigSectionName[];

export function isConfigSection(key: string): key is ConfigSectionName {
  return Object.hasOwn(CONFIG_SECTIONS, key);
}
