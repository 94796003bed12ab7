import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { checkIntegerOption, invalidOption } from '../config/index.js';

/**
 * Who may use the control API (docs/api.md "Authentication"). Without tokens, only this machine
 * (loopback): the API kicks publishers and starts ffmpeg jobs, and `npm start` must not open that
 * to the network. With tokens, every client shows one: `Authorization: Bearer <token>`, or
 * `?access_token=<token>` for EventSource, which cannot set headers. Tokens are configured as
 * `sha256:<hex>` (hashKey) or as they are; each is compared as a SHA-256 in constant time, all of
 * them every time, so neither the length nor the nearest token shows in the timing. An address
 * that fails too often is refused (429) until its window ends.
 */

export interface ApiOptions {
  /** Bearer tokens: `sha256:<hex>` (hashKey in authorization.ts) or the token itself. Default none: loopback clients only. */
  readonly tokens?: readonly string[];
  /** Failed attempts (401) an address may make per window before it is answered 429. Default 10 per 60 000 ms. */
  readonly failureLimit?: { readonly max: number; readonly windowMs: number };
}

/** 10 failures a minute: a person mistyping a token is not stopped, a guesser gets 14 400 tries a day. */
export const DEFAULT_API_FAILURE_LIMIT = { max: 10, windowMs: 60_000 } as const;

/**
 * Addresses whose failures are counted at once. Past it the oldest window is forgotten: an
 * attacker needs this many addresses to reset one, and memory stays bounded (about 100 bytes each).
 */
const MAX_TRACKED_ADDRESSES = 10_000;

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** The tokens' SHA-256 digests; ERR_CONFIG_INVALID for an empty token or a malformed hash. */
function tokenDigests(tokens: readonly string[]): Buffer[] {
  return tokens.map((token, i) => {
    if (typeof token !== 'string' || token === '') throw invalidOption(`api.tokens[${i}]`, 'a non-empty string', JSON.stringify(token));
    if (!token.startsWith('sha256:')) return sha256(token);
    if (!/^sha256:[0-9a-f]{64}$/i.test(token)) throw invalidOption(`api.tokens[${i}]`, 'sha256: and 64 hex digits (hashKey), or a plain token', `${token.slice(0, 12)}…`);
    return Buffer.from(token.slice(7), 'hex');
  });
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Failures per address in fixed windows: the window starts at an address's first failure. */
export class FailureLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #windows = new Map<string, { startMs: number; failures: number }>();

  constructor(limit: { max: number; windowMs: number }) {
    this.#max = checkIntegerOption('api.failureLimit.max', limit.max, 1, 1_000_000);
    this.#windowMs = checkIntegerOption('api.failureLimit.windowMs', limit.windowMs, 1000, 86_400_000);
  }

  /** Seconds until `address` may try again, or 0 when it may now. */
  retryAfterSeconds(address: string, nowMs: number): number {
    const window = this.#windows.get(address);
    if (window === undefined) return 0;
    const leftMs = window.startMs + this.#windowMs - nowMs;
    if (leftMs <= 0) {
      this.#windows.delete(address);
      return 0;
    }
    return window.failures >= this.#max ? Math.ceil(leftMs / 1000) : 0;
  }

  fail(address: string, nowMs: number): void {
    const window = this.#windows.get(address);
    if (window !== undefined && nowMs - window.startMs < this.#windowMs) {
      window.failures += 1;
      return;
    }
    this.#windows.delete(address);
    if (this.#windows.size >= MAX_TRACKED_ADDRESSES) this.#windows.delete(this.#windows.keys().next().value!);
    this.#windows.set(address, { startMs: nowMs, failures: 1 });
  }

  /** Addresses tracked now (tests check the bound). */
  get size(): number {
    return this.#windows.size;
  }
}

/** The API's onRequest check: answers 401, 403 or 429 itself, or lets the request through. */
export class ApiAuth {
  readonly #digests: Buffer[];
  readonly limiter: FailureLimiter;
  readonly #now: () => number;

  constructor(options: ApiOptions, now: () => number) {
    this.#digests = tokenDigests(options.tokens ?? []);
    this.limiter = new FailureLimiter(options.failureLimit ?? DEFAULT_API_FAILURE_LIMIT);
    this.#now = now;
  }

  /** Whether tokens are configured (else loopback only). */
  get tokens(): boolean {
    return this.#digests.length > 0;
  }

  /**
   * The reply is returned when the hook answers: the request goes no further once it is sent
   * (fastify's Hooks, "Respond to a request from a hook"; the onSend hooks make sending async).
   */
  readonly check = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const address = request.socket.remoteAddress ?? '';
    if (!this.tokens) {
      const refused = notLocal(request, address);
      if (refused === undefined) return undefined;
      return reply.code(403).send({ error: 'forbidden', message: `no API tokens are configured: the API answers clients on this machine (loopback) only; ${refused}` });
    }
    const nowMs = this.#now();
    const retryAfter = this.limiter.retryAfterSeconds(address, nowMs);
    if (retryAfter > 0) return reply.code(429).header('retry-after', String(retryAfter)).send({ error: 'too many failed attempts', message: `try again in ${retryAfter} s` });
    const given = presentedToken(request);
    if (given !== undefined && this.#matches(given)) return undefined;
    this.limiter.fail(address, nowMs);
    return reply
      .code(401)
      .header('www-authenticate', given === undefined ? 'Bearer realm="tidecast"' : 'Bearer realm="tidecast", error="invalid_token"')
      .send({ error: 'unauthorized', message: given === undefined ? 'an API token is needed: Authorization: Bearer <token>' : 'the API token is not valid' });
  };

  #matches(token: string): boolean {
    const given = sha256(token);
    let match = false;
    for (const digest of this.#digests) if (timingSafeEqual(digest, given)) match = true;
    return match;
  }
}

/**
 * Why a request is not from a program on this machine, or undefined when it is. A loopback socket
 * is not enough: a reverse proxy on the same host forwards the world's requests from 127.0.0.1
 * (it says so in X-Forwarded-For, Forwarded or X-Real-IP); a web page in a local browser can send
 * requests here (its Origin names another site), or reach us under its own name by DNS rebinding
 * (its Host is not a loopback name).
 */
function notLocal(request: FastifyRequest, address: string): string | undefined {
  if (!isLoopback(address)) return `${address || 'the client'} is not on loopback`;
  const headers = request.headers;
  if (headers['x-forwarded-for'] !== undefined || headers['forwarded'] !== undefined || headers['x-real-ip'] !== undefined) return 'this request came through a proxy';
  const host = hostName(headers.host);
  if (host === undefined || !LOOPBACK_NAMES.test(host)) return `Host ${JSON.stringify(headers.host ?? '')} is not a loopback name`;
  const origin = headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).hostname;
    } catch {
      originHost = undefined;
    }
    if (originHost === undefined || !LOOPBACK_NAMES.test(originHost.replace(/^\[|\]$/g, ''))) return `a page of ${JSON.stringify(origin)} may not call it`;
  }
  return undefined;
}

const LOOPBACK_NAMES = /^(?:localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/i;

/** The name of a Host header, without its port or IPv6 brackets. */
function hostName(host: string | undefined): string | undefined {
  if (host === undefined || host === '') return undefined;
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']') < 0 ? undefined : host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

/** The bearer token of `Authorization`, else `?access_token=` (RFC 6750 2.1 and 2.3). */
function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^bearer /i.test(header)) return header.slice(7).trim();
  const query = request.query as Record<string, unknown> | undefined;
  const token = query?.['access_token'];
  return typeof token === 'string' && token !== '' ? token : undefined;
}
