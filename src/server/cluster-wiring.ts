import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { StreamRegistry, StreamPosition } from '../cluster/index.js';
import { MediaError, type TidecastError } from '../errors/index.js';
import type { LiveContinuation, LivePackagerOptions } from '../hls/index.js';
import type { FrontHandler } from '../http/index.js';
import type { HttpFront } from './http-server.js';

/**
 * The `cluster` option (docs/cluster.md "Origins"): this server as one origin of several sharing a
 * stream registry (src/cluster). What it does with the registry:
 *
 * - **Claims before packaging.** An allowed publish claims its stream (a takeover with a new epoch)
 *   before it is admitted (rtmp-ingest.ts `claim`); when another origin held it, the new packager
 *   continues that origin's playlists (`continueFrom`): the media sequence one past the number the
 *   registry last heard (a segment the old owner made after its last report is never renumbered),
 *   the discontinuity sequence, and EXT-X-DISCONTINUITY on the first segment. Every packager here
 *   names its objects with the claim's epoch (`epoch`: `e<epoch>-12.m4s`, hls/live-names.ts), so
 *   no cache mixes two origins' objects, nor a stale owner's with the new one's.
 * - **Reports after each segment** (the registry's heartbeat with the playlists' position), and
 *   releases the claim with its position when the publisher leaves.
 * - **Steps back when fenced**: on 'lost' (a newer claim elsewhere) the publish here is ended
 *   (ERR_MEDIA_TAKEN_OVER) and from then on the stream's requests are forwarded.
 * - **Waits when suspect**: after a pause longer than a lease (SIGSTOP, a blocked event loop) a
 *   request for a stream this origin claims waits for the registry's next round (holds()), which
 *   either confirms the claim or fences it, before it is served here or forwarded.
 * - **Forwards** a request for a stream another origin owns to that origin (from the registry's
 *   local map: no lookup in the shared store per request), so an edge may send any request to any
 *   origin. A forwarded request carries `x-tidecast-forwarded`, and is never forwarded again.
 */
export interface ClusterOptions {
  /**
   * The registry (a RedisStreamRegistry for several origins), or a function making it once the HTTP
   * port is bound, from this origin's base URL (`http://<host>:<port>`; port 0 picks a free one).
   */
  readonly registry: StreamRegistry | ((baseUrl: string) => StreamRegistry);
  /** This origin's base URL as other origins reach it, for the function form. Default: the bound HTTP address. */
  readonly baseUrl?: string;
}

/** The header a forwarded request carries: the forwarding origin's id. */
export const FORWARDED_HEADER = 'x-tidecast-forwarded';

/** How long requests for a stream another origin released keep going to it: the default end grace (its playlists stay until then). */
const RELEASED_FORWARD_MS = 10_000;

/** How long a request for a suspect claim's stream waits for the registry's round before it is decided anyway. */
const SUSPECT_WAIT_MS = 3000;

/** Hop-by-hop headers (RFC 9110 7.6.1) a proxy does not pass on. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

export interface ClusterHooks {
  /** Ends the live RTMP publish of a stream, if any. */
  readonly kick: (app: string, streamKey: string, error: TidecastError) => boolean;
  /** Answers the stream's parked blocking requests now (503): it moved to another origin. */
  readonly unpark: (group: string) => void;
  /** The stream's packager's position, if it has one here. */
  readonly position: (app: string, streamKey: string) => LiveContinuation | undefined;
}

export class ClusterMembership {
  readonly #options: ClusterOptions;
  readonly #hooks: ClusterHooks;
  readonly #http: FastifyInstance;
  #registry: StreamRegistry | undefined;
  /** What a claim gave the stream's next packager (its epoch, the continuation it found), taken once. */
  readonly #claimed = new Map<string, Pick<LivePackagerOptions, 'continueFrom' | 'epoch'>>();
  /** Streams another origin released lately: its base URL, forwarded to until `untilMs`. */
  readonly #released = new Map<string, { baseUrl: string; untilMs: number }>();
  /** Streams this origin was fenced from (until it claims them again): never served from the stale copy. */
  readonly #fenced = new Set<string>();
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(options: ClusterOptions, hooks: ClusterHooks, http: FastifyInstance) {
    this.#options = options;
    this.#hooks = hooks;
    this.#http = http;
    if (typeof options.registry !== 'function') this.#watch(options.registry);
    // Once the port is bound (the function form needs it), the registry connects: before the first publish can claim.
    http.addHook('onListen', async () => {
      await this.registry.start?.();
    });
  }

  /** The registry: made on first use in the function form (the HTTP port is bound by then). */
  get registry(): StreamRegistry {
    if (this.#registry !== undefined) return this.#registry;
    const make = this.#options.registry as (baseUrl: string) => StreamRegistry;
    const address = this.#http.server.address() as AddressInfo | null;
    const host = address === null ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return this.#watch(make(this.#options.baseUrl ?? `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address?.port ?? 0}`));
  }

  #watch(registry: StreamRegistry): StreamRegistry {
    this.#registry = registry;
    registry.on('change', ({ key, route, previous }) => {
      const me = registry.originId;
      // Another origin has it now (taken from here, or claimed after our publisher left): what is
      // parked here would wait out the hold for parts made elsewhere.
      if (route !== undefined && route.owner !== me) this.#hooks.unpark(key);
      // Released by another origin: for the end grace its last playlists are still there (and a
      // reconnect is likely), so requests keep going to it instead of a 404 here.
      if (route === undefined && previous !== undefined && previous.owner !== me && previous.baseUrl !== '') this.#released.set(key, { baseUrl: previous.baseUrl, untilMs: Date.now() + RELEASED_FORWARD_MS });
      else this.#released.delete(key);
    });
    registry.on('lost', (lost) => {
      this.#fenced.add(lost.key);
      this.#hooks.unpark(lost.key);
      const [app, streamKey] = splitName(lost.key);
      if (app === undefined) return;
      this.#hooks.kick(app, streamKey, new MediaError('ERR_MEDIA_TAKEN_OVER', `${lost.key} was taken over by ${lost.owner ?? 'another origin'} (epoch ${lost.newerEpoch ?? '?'} after ${lost.epoch})`, { app, streamKey }));
    });
    return registry;
  }

  /** The publish gate (rtmp-ingest.ts): claims the stream, keeping where the previous owner left it. */
  async claim(app: string, streamKey: string): Promise<void> {
    const name = `${app}/${streamKey}`;
    const claim = await this.registry.claim(name);
    this.#fenced.delete(name);
    const from = claim.continuation;
    const fresh = from === undefined || (from.msn === 0 && from.dseq === 0);
    this.#claimed.set(name, { epoch: claim.epoch, ...(fresh ? {} : { continueFrom: { mediaSequence: from.msn + 1, discontinuitySequence: from.dseq } }) });
  }

  /**
   * The packager options of a stream's new HLS egress: the claim's `epoch` (the first claim's too),
   * and `continueFrom` when the claim found one. Without a claim kept here, the registry's claim
   * of the stream still gives the epoch.
   */
  packagerOptions(app: string, streamKey: string): Pick<LivePackagerOptions, 'continueFrom' | 'epoch'> {
    const name = `${app}/${streamKey}`;
    const claimed = this.#claimed.get(name);
    this.#claimed.delete(name);
    if (claimed !== undefined) return claimed;
    const epoch = this.registry.claims().get(name)?.epoch;
    return epoch === undefined ? {} : { epoch };
  }

  /** After each segment: the claim's heartbeat with the playlists' position. */
  segment(app: string, streamKey: string): void {
    const position = this.#position(app, streamKey);
    if (position !== undefined && this.registry.claims().has(`${app}/${streamKey}`)) void this.registry.refresh(`${app}/${streamKey}`, position).catch(() => undefined);
  }

  /** The publisher left: the claim goes, its position kept for whoever publishes next. */
  unpublish(app: string, streamKey: string): void {
    const name = `${app}/${streamKey}`;
    this.#claimed.delete(name);
    if (this.registry.claims().has(name)) void this.registry.release(name, this.#position(app, streamKey)).catch(() => undefined);
  }

  #position(app: string, streamKey: string): StreamPosition | undefined {
    const position = this.#hooks.position(app, streamKey);
    return position === undefined ? undefined : { msn: position.mediaSequence, dseq: position.discontinuitySequence };
  }

  /**
   * Where a request for `url` goes: the owner's base URL when another origin owns its stream;
   * 'unavailable' when this origin was fenced from the stream and does not know the new owner
   * (its own copy is stale: an edge should ask again, elsewhere); else undefined (served here).
   */
  ownerOf(url: string, headers: IncomingMessage['headers']): string | 'unavailable' | undefined {
    if (headers[FORWARDED_HEADER] !== undefined) return undefined;
    const name = streamOfPath(url);
    if (name === undefined) return undefined;
    const route = this.registry.lookup(name);
    if (route === undefined) {
      const released = this.#released.get(name);
      if (released !== undefined && Date.now() < released.untilMs && !this.registry.claims().has(name)) return released.baseUrl;
      if (released !== undefined) this.#released.delete(name);
      return this.#fenced.has(name) ? 'unavailable' : undefined;
    }
    if (route.owner === this.registry.originId || route.baseUrl === '') return undefined;
    return route.baseUrl;
  }

  /** Forwards to `owner`, or answers 503 (not cached, retry in a second) when the owner is not known. */
  #pass(owner: string, request: IncomingMessage, response: ServerResponse): void {
    if (owner !== 'unavailable') return this.forward(owner, request, response);
    response.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '1' }).end(JSON.stringify({ error: 'this origin no longer owns the stream and does not know the new owner yet' }));
  }

  /**
   * Forwards the request to `baseUrl` + its URL and pipes the answer back (a blocking reload
   * included: nothing is buffered). An unreachable owner is a 502 that caches must not keep.
   */
  forward(baseUrl: string, request: IncomingMessage, response: ServerResponse): void {
    const headers: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(request.headers)) if (value !== undefined && !HOP_BY_HOP.has(key)) headers[key] = value;
    headers[FORWARDED_HEADER] = this.registry.originId;
    const upstream = httpRequest(new URL(request.url ?? '/', baseUrl), { method: request.method, headers, agent: this.#agent }, (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [key, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(key)) out[key] = value;
      response.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(response);
    });
    upstream.on('error', () => {
      if (response.headersSent) return void response.destroy();
      response.writeHead(502, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify({ error: 'the owner of this stream did not answer' }));
    });
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  }

  /**
   * Whether a request for `url` must wait before it is decided: this origin holds the stream's
   * claim but the claim is suspect (a pause longer than a lease: the registry's holds()), so
   * another origin may own the stream now. The answer comes after the registry's next round.
   */
  #suspect(url: string, headers: IncomingMessage['headers']): boolean {
    if (headers[FORWARDED_HEADER] !== undefined) return false;
    const name = streamOfPath(url);
    return name !== undefined && this.registry.claims().has(name) && !this.registry.holds(name);
  }

  /** Resolves once the registry has asked the store (at most SUSPECT_WAIT_MS). */
  #settled(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => (timer = setTimeout(resolve, SUSPECT_WAIT_MS)));
    return Promise.race([this.registry.settled(), cap]).finally(() => clearTimeout(timer));
  }

  /** Puts forwarding in front of HTTP delivery: the HTTP/1.1 front (stored files) and fastify's routes (HTTP/2, blocking reloads). */
  guard(front: HttpFront): void {
    const delivery = front.handler;
    if (delivery !== undefined) {
      const decide: FrontHandler = (request, response, next) => {
        const owner = this.ownerOf(request.url ?? '/', request.headers);
        if (owner !== undefined) return this.#pass(owner, request, response);
        delivery(request, response, next);
      };
      front.handler = (request, response, next) => {
        if (!this.#suspect(request.url ?? '/', request.headers)) return decide(request, response, next);
        void this.#settled().then(() => decide(request, response, next));
      };
    }
    this.#http.addHook('onRequest', async (request, reply) => {
      const url = request.raw.url ?? request.url;
      if (this.#suspect(url, request.headers)) await this.#settled();
      const owner = this.ownerOf(url, request.headers);
      if (owner === undefined) return;
      reply.hijack();
      this.#pass(owner, request.raw as IncomingMessage, reply.raw as ServerResponse);
    });
  }

  async close(): Promise<void> {
    this.#agent.destroy();
    await this.#registry?.close();
  }
}

/** `app/key` of a stream path `/<app>/<key>/…`, after a play session's `/t/<session>/` prefix; undefined for other paths. */
export function streamOfPath(url: string): string | undefined {
  const path = url.split('?', 1)[0]!;
  const parts = path.split('/');
  const from = parts[1] === 't' && parts.length > 4 ? 3 : 1;
  const app = parts[from];
  const key = parts[from + 1];
  if (app === undefined || key === undefined || app === '' || key === '' || parts.length < from + 3) return undefined;
  try {
    return `${decodeURIComponent(app)}/${decodeURIComponent(key)}`;
  } catch {
    return undefined;
  }
}

function splitName(name: string): [string, string] | [undefined, string] {
  const slash = name.indexOf('/');
  return slash <= 0 ? [undefined, name] : [name.slice(0, slash), name.slice(slash + 1)];
}

/** What the wiring reads of the server (media-server.ts). */
export interface ClusterServer {
  readonly http: FastifyInstance;
  on(event: 'segment', listener: (stream: { app: string; streamKey: string }, segment: { msn: number }) => void): unknown;
  on(event: 'unpublish', listener: (stream: { app: string; streamKey: string }) => void): unknown;
}

/**
 * The `cluster` option, wired (one line in media-server.ts): forwarding in front of delivery, a
 * heartbeat with the position after each segment (once per segment number, not per rendition), a
 * release when the publisher leaves. Undefined without the option.
 */
export function wireCluster(server: ClusterServer, options: ClusterOptions | undefined, front: HttpFront, hooks: ClusterHooks): ClusterMembership | undefined {
  if (options === undefined) return undefined;
  const membership = new ClusterMembership(options, hooks, server.http);
  membership.guard(front);
  const reported = new Map<string, number>();
  server.on('segment', (stream, segment) => {
    const name = `${stream.app}/${stream.streamKey}`;
    if (reported.get(name) === segment.msn) return;
    reported.set(name, segment.msn);
    membership.segment(stream.app, stream.streamKey);
  });
  server.on('unpublish', (stream) => {
    reported.delete(`${stream.app}/${stream.streamKey}`);
    membership.unpublish(stream.app, stream.streamKey);
  });
  return membership;
}
