import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';

/**
 * Authorization (docs/auth.md, issue 12): one decision, `authorize(request)`, for publishing,
 * playing and the API, made by strategies combined per app, fail-closed. Strategies:
 *
 * - static keys: per app, the stream keys allowed to publish, kept as SHA-256 hashes and compared
 *   in constant time;
 * - HMAC tokens: `token=<expiry>.<signature>` in the stream key's or URL's query, the signature an
 *   HMAC-SHA256 of `<action>:<app>/<key>:<expiry>` under a shared secret, refused once expired;
 * - an HTTP callback: the request as JSON, `{ "allow": true|false, "name"?, "lifetimeSeconds"?,
 *   "record"?, "reason"? }` back within a timeout; down, slow or wrong, it denies unless `failMode: 'allow'`;
 * - JWT: `token=` (or a bearer credential) verified against a JWKS (jose), its `tidecast` claim
 *   listing what it allows.
 *
 * Decisions are cached briefly, allows and denies apart.
 */

export type AuthAction = 'publish' | 'play' | 'api';

export interface AuthRequest {
  readonly action: AuthAction;
  readonly app: string;
  readonly key: string;
  readonly protocol: 'rtmp' | 'hls' | 'dash' | 'http';
  readonly ip: string;
  /** The stream key's (RTMP) or URL's query, as `a=b&c=d`. */
  readonly query: string;
  /** A bearer token (HTTP `Authorization`), when there is one. */
  readonly bearer?: string;
}

export type AuthDecision =
  | {
      readonly allow: true;
      /** The strategy that decided. */
      readonly by: string;
      /** A callback may publish a secret key under a public name. */
      readonly name?: string;
      /** The session ends after this long (a callback's `lifetimeSeconds`, a token's expiry). */
      readonly lifetimeMs?: number;
      /** A publish is recorded (a callback's `record: true`; docs/recording.md), whatever the `record` option chooses. */
      readonly record?: boolean;
    }
  | { readonly allow: false; readonly by: string; readonly reason: string };

/** A strategy's verdict: a decision, or undefined when the request is not its to judge (no token of its kind). */
export interface AuthStrategy {
  readonly name: string;
  decide(request: AuthRequest, nowMs: number): Promise<AuthDecision | undefined>;
}

/** Per app (`*` for any other), the strategies and how they combine: `any` (the first that allows) or `all` (each that judges must allow). */
export interface AppAuthPolicy {
  readonly strategies: readonly AuthStrategy[];
  readonly combine?: 'any' | 'all';
  /** Actions left open (no strategy asked): e.g. ['play'] for public playback. */
  readonly open?: readonly AuthAction[];
}

export interface AuthorizerOptions {
  readonly apps: Readonly<Record<string, AppAuthPolicy>>;
  /** How long a decision is reused, ms: allows (default 10 000) and denies (default 2000) apart. */
  readonly allowCacheMs?: number;
  readonly denyCacheMs?: number;
  readonly now?: () => number;
}

/** At most this many cached decisions: the oldest go first. */
const CACHE_ENTRIES = 10_000;

export class Authorizer {
  readonly #options: AuthorizerOptions;
  readonly #cache = new Map<string, { decision: AuthDecision; untilMs: number }>();
  readonly #now: () => number;

  constructor(options: AuthorizerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Whether `action` on `app` is left open by its policy (no strategy asked): what HTTP play checks per request without a promise. */
  isOpen(action: AuthAction, app: string): boolean {
    const policy = this.#options.apps[app] ?? this.#options.apps['*'];
    return policy?.open?.includes(action) === true;
  }

  async authorize(request: AuthRequest): Promise<AuthDecision> {
    const nowMs = this.#now();
    const key = JSON.stringify([request.action, request.app, request.key, request.protocol, request.ip, request.query, request.bearer ?? '']);
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.untilMs > nowMs) return cached.decision;
    const decision = await this.#decide(request, nowMs);
    if (this.#cache.size >= CACHE_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, { decision, untilMs: nowMs + (decision.allow ? (this.#options.allowCacheMs ?? 10_000) : (this.#options.denyCacheMs ?? 2000)) });
    return decision;
  }

  async #decide(request: AuthRequest, nowMs: number): Promise<AuthDecision> {
    const policy = this.#options.apps[request.app] ?? this.#options.apps['*'];
    if (policy === undefined) return { allow: false, by: 'policy', reason: `no authorization policy for app ${request.app}` };
    if (policy.open?.includes(request.action) === true) return { allow: true, by: 'open' };
    const verdicts: AuthDecision[] = [];
    for (const strategy of policy.strategies) {
      let verdict: AuthDecision | undefined;
      try {
        verdict = await strategy.decide(request, nowMs);
      } catch (error) {
        verdict = { allow: false, by: strategy.name, reason: `${strategy.name} failed: ${(error as Error).message}` };
      }
      if (verdict === undefined) continue;
      if ((policy.combine ?? 'any') === 'any' && verdict.allow) return verdict;
      if (policy.combine === 'all' && !verdict.allow) return verdict;
      verdicts.push(verdict);
    }
    if (policy.combine === 'all' && verdicts.length > 0) return verdicts.find((v) => v.allow) ?? verdicts[0]!;
    const denied = verdicts.find((v): v is Extract<AuthDecision, { allow: false }> => !v.allow);
    return denied ?? { allow: false, by: 'policy', reason: `no credentials for ${request.action} of ${request.app}/${request.key}` };
  }
}

/** `sha256:<hex>` of a secret, as static keys are configured (`tidecast hash-key` prints it). */
export function hashKey(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

/** Static keys: a publish (or play) is allowed when its stream key hashes to one configured for the app. */
export function staticKeys(hashes: readonly string[], actions: readonly AuthAction[] = ['publish']): AuthStrategy {
  const wanted = hashes.map((h) => Buffer.from(h.replace(/^sha256:/, ''), 'hex'));
  return {
    name: 'static-keys',
    async decide(request) {
      if (!actions.includes(request.action)) return undefined;
      const given = createHash('sha256').update(request.key, 'utf8').digest();
      // Every configured hash is compared, in constant time each: no early exit tells which one was near.
      let match = false;
      for (const w of wanted) if (w.length === given.length && timingSafeEqual(w, given)) match = true;
      return match ? { allow: true, by: 'static-keys' } : { allow: false, by: 'static-keys', reason: `stream key not recognised for ${request.app}` };
    },
  };
}

/** The token for `action` of `app/key` until `expirySeconds` (Unix), under `secret`: what `token=` carries. */
export function signToken(secret: string, action: AuthAction, app: string, key: string, expirySeconds: number): string {
  return `${expirySeconds}.${createHmac('sha256', secret).update(`${action}:${app}/${key}:${expirySeconds}`).digest('base64url')}`;
}

/** HMAC tokens: `token=<expiry>.<signature>` (signToken), valid until its expiry. */
export function hmacTokens(secret: string): AuthStrategy {
  return {
    name: 'hmac-token',
    async decide(request, nowMs) {
      const token = new URLSearchParams(request.query).get('token');
      if (token === null || !/^\d+\.[\w-]+$/.test(token)) return undefined;
      const expiry = Number(token.slice(0, token.indexOf('.')));
      const expected = Buffer.from(signToken(secret, request.action, request.app, request.key, expiry));
      const given = Buffer.from(token);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { allow: false, by: 'hmac-token', reason: 'token signature does not match' };
      const leftMs = expiry * 1000 - nowMs;
      if (leftMs <= 0) return { allow: false, by: 'hmac-token', reason: `token expired ${Math.round(-leftMs / 1000)} s ago` };
      return { allow: true, by: 'hmac-token', lifetimeMs: leftMs };
    },
  };
}

export interface CallbackOptions {
  readonly url: string;
  /** Default 3000 ms. */
  readonly timeoutMs?: number;
  /** What a callback that is down, slow or answers nonsense decides. Default 'deny'. */
  readonly failMode?: 'deny' | 'allow';
}

/** An HTTP callback: POSTs the request as JSON; `{ allow, name?, lifetimeSeconds?, record?, reason? }` back (`record: true` records the publish). */
export function httpCallback(options: CallbackOptions): AuthStrategy {
  const failed = (why: string): AuthDecision => (options.failMode === 'allow' ? { allow: true, by: 'callback' } : { allow: false, by: 'callback', reason: `callback ${why} (fail mode deny)` });
  return {
    name: 'callback',
    async decide(request) {
      let res: Response;
      try {
        res = await fetch(options.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request), signal: AbortSignal.timeout(options.timeoutMs ?? 3000) });
      } catch (error) {
        return failed(`unreachable: ${(error as Error).name === 'TimeoutError' ? `no answer in ${options.timeoutMs ?? 3000} ms` : (error as Error).message}`);
      }
      if (!res.ok) return failed(`answered HTTP ${res.status}`);
      const body = (await res.json().catch(() => undefined)) as { allow?: unknown; name?: unknown; lifetimeSeconds?: unknown; record?: unknown; reason?: unknown } | undefined;
      if (body === undefined || typeof body.allow !== 'boolean') return failed('answered without a boolean "allow"');
      if (!body.allow) return { allow: false, by: 'callback', reason: typeof body.reason === 'string' ? body.reason : 'denied by the callback' };
      return {
        allow: true,
        by: 'callback',
        ...(typeof body.name === 'string' && body.name.length > 0 ? { name: body.name } : {}),
        ...(typeof body.lifetimeSeconds === 'number' && body.lifetimeSeconds > 0 ? { lifetimeMs: body.lifetimeSeconds * 1000 } : {}),
        ...(typeof body.record === 'boolean' ? { record: body.record } : {}),
      };
    },
  };
}

export interface JwtOptions {
  /** The JWKS URL (fetched and cached by jose), or a key resolver. */
  readonly jwks: string | JWTVerifyGetKey;
  readonly issuer?: string;
  readonly audience?: string;
}

/**
 * JWT: `token=` in the query (or the bearer credential), verified against the JWKS; its `tidecast`
 * claim is a list of `{ action, app?, key? }` (absent app or key: any) that must cover the request.
 */
export function jwtStrategy(options: JwtOptions): AuthStrategy {
  const keys = typeof options.jwks === 'string' ? createRemoteJWKSet(new URL(options.jwks)) : options.jwks;
  return {
    name: 'jwt',
    async decide(request, nowMs) {
      const token = request.bearer ?? new URLSearchParams(request.query).get('token') ?? undefined;
      if (token === undefined || token.split('.').length !== 3) return undefined;
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, keys, { ...(options.issuer === undefined ? {} : { issuer: options.issuer }), ...(options.audience === undefined ? {} : { audience: options.audience }), currentDate: new Date(nowMs) }));
      } catch (error) {
        return { allow: false, by: 'jwt', reason: `token rejected: ${(error as Error).message}` };
      }
      const grants = Array.isArray(payload['tidecast']) ? (payload['tidecast'] as Array<Record<string, unknown>>) : [];
      const covered = grants.some((g) => g['action'] === request.action && (g['app'] === undefined || g['app'] === request.app) && (g['key'] === undefined || g['key'] === request.key));
      if (!covered) return { allow: false, by: 'jwt', reason: `token does not grant ${request.action} of ${request.app}/${request.key}` };
      const exp = typeof payload['exp'] === 'number' ? payload['exp'] * 1000 - nowMs : undefined;
      return { allow: true, by: 'jwt', ...(exp === undefined ? {} : { lifetimeMs: exp }) };
    },
  };
}
