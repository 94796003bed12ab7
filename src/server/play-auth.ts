import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { deliveryPath } from '../http/index.js';
import type { AuthAction, AuthDecision, AuthRequest } from './authorization.js';

/**
 * Play authorization for HTTP delivery (HLS, LL-HLS, DASH, MPEG-TS; docs/auth.md). A viewer asks
 * once with a credential (`?token=` in the playlist or MPD URL, or a bearer token); once the
 * Authorizer allows it, the answer is a redirect to the same path under `/t/<session>/`, a signed
 * session token. Every URI in the playlists and MPDs is relative, so each later request the player
 * makes (media playlists, parts, preload hints, rendition reports, segments) carries the session in
 * its path with no query string for the player to keep: the shared, pre-rendered playlists stay
 * shared. The session token is stateless (an HMAC under `sessions.secret`), so every origin with the
 * same secret accepts it; an edge that authorizes by itself proves it with `edgeSecret` instead.
 */

export interface PlaySessionOptions {
  /** The HMAC secret of session tokens. Default: random per process (set one for several origins). */
  readonly secret?: string;
  /** A session's lifetime, seconds; a credential's own lifetime (a token's expiry) shortens it. Default 43 200 (12 h). */
  readonly lifetimeSeconds?: number;
  /** A CDN in front that authorizes viewers itself sends this in `x-tidecast-edge`: such requests are not checked. */
  readonly edgeSecret?: string;
}

export interface PlayAuthHooks {
  readonly authorize: (request: AuthRequest) => Promise<AuthDecision>;
  readonly isOpen: (action: AuthAction, app: string) => boolean;
  readonly denied: (denial: { action: AuthAction; app: string; key: string; ip: string; reason: string }) => void;
  readonly now: () => number;
  /** A viewer session's first request, and its end once idle (HLS viewers as sessions). */
  readonly session?: (event: 'opened' | 'closed', session: ViewerSession) => void;
}

/** An HTTP viewer, known by its session token. */
export interface ViewerSession {
  readonly id: string;
  readonly app: string;
  readonly streamKey: string;
  readonly protocol: 'hls' | 'dash';
  readonly remoteAddress: string;
  readonly startedAtMs: number;
  lastSeenMs: number;
  requests: number;
}

/** What to do with a request: answer it (with `url` as the path the routes know), redirect it, or refuse it. */
export type PlayVerdict =
  | { readonly kind: 'pass'; readonly url: string }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'deny'; readonly status: 401 | 403; readonly reason: string };

export const EDGE_HEADER = 'x-tidecast-edge';
export const SESSION_PREFIX = '/t/';
const DEFAULT_LIFETIME_SECONDS = 43_200;
/** First path segments that are never a stream's: the API, assets, the dashboard, recordings (judged by `judge`). */
const NOT_STREAMS = new Set(['api', 'assets', 'dashboard', 'metrics', 'time', 'recordings']);
/** A recording's files under a session (`/t/<session>/recordings/…`): the recordings route checks the token (`judge`). */
const RECORDINGS_PREFIX = '/recordings/';
/** A viewer not seen for this long has left (a player reloads its playlist at least every target duration). */
const VIEWER_IDLE_MS = 30_000;
/** Viewer sessions tracked at once; beyond it the oldest are forgotten (the tokens stay valid). */
const MAX_VIEWERS = 100_000;

export class PlayAuth {
  readonly #hooks: PlayAuthHooks;
  readonly #secret: Buffer;
  readonly #lifetimeMs: number;
  readonly #edgeSecret: Buffer | undefined;
  readonly #viewers = new Map<string, ViewerSession>();
  /** Viewers per `app/key` and protocol, kept with #viewers: what the metrics read per scrape. */
  readonly #counts = new Map<string, { hls: number; dash: number }>();
  readonly #timer: NodeJS.Timeout;

  constructor(hooks: PlayAuthHooks, options: PlaySessionOptions = {}) {
    this.#hooks = hooks;
    this.#secret = options.secret === undefined ? randomBytes(32) : Buffer.from(options.secret, 'utf8');
    this.#lifetimeMs = (options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS) * 1000;
    this.#edgeSecret = options.edgeSecret === undefined ? undefined : Buffer.from(options.edgeSecret, 'utf8');
    this.#timer = setInterval(() => this.#sweep(), VIEWER_IDLE_MS / 3);
    this.#timer.unref();
  }

  /** The HTTP viewers seen in the last 30 s, per session token. */
  viewers(): ViewerSession[] {
    return [...this.#viewers.values()];
  }

  /** The viewers of `app/key` now, by protocol. */
  viewerCount(app: string, key: string): { hls: number; dash: number } {
    return { ...(this.#counts.get(`${app}/${key}`) ?? { hls: 0, dash: 0 }) };
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #count(viewer: ViewerSession, by: 1 | -1): void {
    const name = `${viewer.app}/${viewer.streamKey}`;
    const counts = this.#counts.get(name) ?? { hls: 0, dash: 0 };
    counts[viewer.protocol] += by;
    if (counts.hls + counts.dash === 0) this.#counts.delete(name);
    else this.#counts.set(name, counts);
  }

  #forget(sid: string, viewer: ViewerSession): void {
    this.#viewers.delete(sid);
    this.#count(viewer, -1);
    try {
      this.#hooks.session?.('closed', viewer);
    } catch {
      // A listener's failure must not stop the sweep (or reach the timer).
    }
  }

  /**
   * The synchronous part, on every request: a path under `/t/<session>/` whose token is valid
   * passes, rewritten to the plain path; a request that is not for a stream, an open app's or an
   * edge's passes as it is. Undefined: a credential must be checked (`decide`).
   */
  quick(url: string, headers: IncomingHttpHeaders, ip: string): PlayVerdict | undefined {
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname.startsWith(SESSION_PREFIX)) {
      const end = pathname.indexOf('/', SESSION_PREFIX.length);
      if (end < 0) return { kind: 'deny', status: 403, reason: 'session token without a path' };
      const rest = pathname.slice(end);
      if (rest.startsWith(RECORDINGS_PREFIX)) return { kind: 'pass', url };
      const target = streamOf(rest);
      if (target === undefined) return { kind: 'deny', status: 403, reason: 'not a stream path' };
      const checked = this.#verify(pathname.slice(SESSION_PREFIX.length, end), target);
      if (typeof checked === 'string') return { kind: 'deny', status: 403, reason: checked };
      this.#seen(checked.sid, target, ip);
      return { kind: 'pass', url: rest + (q < 0 ? '' : url.slice(q)) };
    }
    // Decoded as the router will decode it: `/live/%63am/…` is live/cam's, not a path to let by.
    const decoded = pathname.includes('%') ? safeDecode(pathname) : pathname;
    if (decoded === undefined) return { kind: 'deny', status: 403, reason: 'malformed path' };
    const target = streamOf(decoded);
    if (target === undefined || this.#hooks.isOpen('play', target.app) || this.#fromEdge(headers)) return { kind: 'pass', url };
    return undefined;
  }

  /** The Authorizer's decision on a stream path asked without a session: a redirect under a new session, or a refusal. */
  async decide(url: string, headers: IncomingHttpHeaders, ip: string): Promise<PlayVerdict> {
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const target = streamOf(safeDecode(pathname) ?? pathname)!;
    const decided = await this.#authorize(target, query, headers, ip);
    if (decided.kind === 'deny') return decided;
    const token = decided.token;
    const kept = new URLSearchParams(query);
    kept.delete('token');
    const left = kept.toString();
    return { kind: 'redirect', location: `${SESSION_PREFIX}${token}${pathname}${left === '' ? '' : `?${left}`}` };
  }

  /**
   * The same judgement for a path that names its stream otherwise: a recording's files
   * (recordings-files.ts), whose app and key are the recording's. A valid session token for that
   * stream, an open app or the edge passes; else the Authorizer decides on the credentials
   * (`?token=` in `query`, a bearer token): a new session token to redirect under, or a refusal.
   */
  async judge(stream: { app: string; key: string; session?: string }, query: string, headers: IncomingHttpHeaders, ip: string): Promise<{ kind: 'pass' } | { kind: 'session'; token: string } | Extract<PlayVerdict, { kind: 'deny' }>> {
    const target: StreamTarget = { app: stream.app, key: stream.key, rest: 'index.m3u8' };
    if (stream.session !== undefined) {
      const checked = this.#verify(stream.session, target);
      if (typeof checked === 'string') return { kind: 'deny', status: 403, reason: checked };
      this.#seen(checked.sid, target, ip);
      return { kind: 'pass' };
    }
    if (this.#hooks.isOpen('play', stream.app) || this.#fromEdge(headers)) return { kind: 'pass' };
    return this.#authorize(target, query, headers, ip);
  }

  /** The Authorizer's decision on `target` with the request's credentials: a new session token, or a refusal (reported as a denial). */
  async #authorize(target: StreamTarget, query: string, headers: IncomingHttpHeaders, ip: string): Promise<{ kind: 'session'; token: string } | Extract<PlayVerdict, { kind: 'deny' }>> {
    const authorization = headers.authorization;
    const bearer = typeof authorization === 'string' && /^bearer /i.test(authorization) ? authorization.slice(7).trim() : undefined;
    const protocol = target.rest.endsWith('.mpd') ? 'dash' : 'hls';
    const decision = await this.#hooks.authorize({ action: 'play', app: target.app, key: target.key, protocol, ip, query, ...(bearer === undefined ? {} : { bearer }) });
    if (!decision.allow) {
      const credentials = bearer !== undefined || new URLSearchParams(query).has('token');
      this.#hooks.denied({ action: 'play', app: target.app, key: target.key, ip, reason: decision.reason });
      return { kind: 'deny', status: credentials ? 403 : 401, reason: decision.reason };
    }
    const lifetimeMs = Math.min(this.#lifetimeMs, decision.lifetimeMs ?? Infinity);
    return { kind: 'session', token: this.sign(target.app, target.key, this.#hooks.now() + lifetimeMs) };
  }

  /** A session token for `app/key` until `expiresAtMs`: `<payload>.<signature>`, both base64url. */
  sign(app: string, key: string, expiresAtMs: number): string {
    const payload = Buffer.from(JSON.stringify({ a: app, k: key, e: Math.floor(expiresAtMs / 1000), s: randomBytes(9).toString('base64url') })).toString('base64url');
    return `${payload}.${this.#mac(payload)}`;
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }

  #verify(token: string, target: StreamTarget): { sid: string } | string {
    const dot = token.indexOf('.');
    if (dot < 0) return 'malformed session token';
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.#mac(payload));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'session token signature does not match';
    let claims: { a?: unknown; k?: unknown; e?: unknown; s?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return 'malformed session token';
    }
    if (claims.a !== target.app || claims.k !== target.key) return 'session token is for another stream';
    if (typeof claims.e !== 'number' || claims.e * 1000 <= this.#hooks.now()) return 'session expired';
    return { sid: typeof claims.s === 'string' ? claims.s : payload };
  }

  #fromEdge(headers: IncomingHttpHeaders): boolean {
    const given = headers[EDGE_HEADER];
    if (this.#edgeSecret === undefined || typeof given !== 'string') return false;
    const bytes = Buffer.from(given, 'utf8');
    return bytes.length === this.#edgeSecret.length && timingSafeEqual(bytes, this.#edgeSecret);
  }

  #seen(sid: string, target: StreamTarget, ip: string): void {
    const nowMs = this.#hooks.now();
    const known = this.#viewers.get(sid);
    if (known !== undefined) {
      known.lastSeenMs = nowMs;
      known.requests += 1;
      return;
    }
    if (this.#viewers.size >= MAX_VIEWERS) {
      const [oldest, old] = this.#viewers.entries().next().value!;
      this.#forget(oldest, old);
    }
    const viewer: ViewerSession = { id: sid, app: target.app, streamKey: target.key, protocol: target.rest.endsWith('.mpd') ? 'dash' : 'hls', remoteAddress: ip, startedAtMs: nowMs, lastSeenMs: nowMs, requests: 1 };
    this.#viewers.set(sid, viewer);
    this.#count(viewer, 1);
    this.#hooks.session?.('opened', viewer);
  }

  #sweep(): void {
    const before = this.#hooks.now() - VIEWER_IDLE_MS;
    for (const [sid, viewer] of this.#viewers) {
      if (viewer.lastSeenMs < before) this.#forget(sid, viewer);
    }
  }
}

interface StreamTarget {
  readonly app: string;
  readonly key: string;
  readonly rest: string;
}

/** `/<app>/<key>/<rest>` when it names a stream's file (path-rules.ts), else undefined. */
function streamOf(pathname: string): StreamTarget | undefined {
  const parts = pathname.split('/');
  if (parts.length < 4 || parts[0] !== '' || NOT_STREAMS.has(parts[1]!)) return undefined;
  const rest = parts.slice(3).join('/');
  if (deliveryPath(parts[1]!, parts[2]!, rest) === undefined) return undefined;
  return { app: parts[1]!, key: parts[2]!, rest };
}

function safeDecode(pathname: string): string | undefined {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
}
