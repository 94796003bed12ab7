import { Agent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A reverse proxy in front of one origin that collapses identical requests for delivery objects:
 * every GET (or HEAD) of the same path and query that arrives while one is on its way to the
 * upstream waits for that one, and its answer — status, headers, body — is written to all of them.
 * It is what a caching edge does for LL-HLS blocking reloads (`_HLS_msn`/`_HLS_part`, thousands of
 * viewers asking the same URL for the same part), without the cache: nothing outlives the request
 * in flight. `tidecast serve --http-workers N` runs one in each of N worker processes sharing the
 * public port (src/server/http-workers.ts), so that the answers to a crowd of parked requests are
 * written by several processes at once (docs/benchmarks.md "LL-HLS").
 *
 * What is collapsed (`collapseKey`): GET and HEAD of a media object — playlists (any query: the key
 * is the method, the path and the whole query as sent, and the Range header if any), parts,
 * segments, init sections, MPDs — without Authorization or Cookie and without a conditional
 * header. Everything else (the API, /metrics, the page, other methods, credentials) passes through
 * uncollapsed on its own upstream request, its body piped both ways.
 *
 * An answer with a Content-Length up to `maxBufferBytes` (8 MiB) is read whole, then written to
 * every waiter with one writeHead and one end. Anything longer, or without a length (a DASH chunked
 * segment being written), is streamed: headers at once, then each chunk to every waiter; a waiter
 * joining late gets what came so far, as long as that is within `maxBufferBytes` — past it the
 * request takes no new waiters (the next asker starts its own). Hop-by-hop headers are dropped both
 * ways, X-Forwarded-For and X-Forwarded-Proto added. A collapsed request whose kept-alive upstream
 * connection is reset before any answer is sent once more on a new one; an upstream that fails
 * before answering gives every waiter a 502 with `cache-control: no-store`; after (mid-body) their
 * connections are destroyed. A waiter that leaves is dropped; when none remain the upstream request
 * is aborted.
 *
 * Deliberate difference from "stream a long answer to its one requester uncollapsed": the length
 * is known only once the answer comes, when the waiters are already collapsed on it, so a long
 * answer is streamed to all of them (the upstream paused while one's socket is full) rather than
 * asked for again per waiter.
 */

/** Whole answers up to this are buffered and collapsed; longer ones are streamed (8 MiB). */
export const DEFAULT_MAX_BUFFER_BYTES = 8 * 1024 * 1024;

/** RFC 9110 7.6.1, and the old `keep-alive` / `proxy-connection` ones. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade']);

/** Path endings of the objects delivery serves: HLS and DASH manifests, CMAF and TS media, subtitles. */
const MEDIA_OBJECT = /\.(?:m3u8|mpd|m4s|mp4|m4a|m4v|cmfv|cmfa|cmft|ts|aac|vtt|webvtt)$/i;

/** Headers that make an answer the requester's own (credentials) or conditional on what it holds. */
const PRIVATE_OR_CONDITIONAL = ['authorization', 'cookie', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range'] as const;

export interface CoalescingProxyOptions {
  /** The origin: `http://127.0.0.1:<port>` (a path in it is ignored: the request's own path is used). */
  upstream: string | URL;
  /** Bodies up to this are buffered and written whole to every waiter. Default 8 MiB. */
  maxBufferBytes?: number;
  /** Upstream connections; default a keep-alive Agent of this proxy's own (closed by close()). */
  agent?: Agent;
  /** X-Forwarded-Proto when the request has none. Default 'http'. */
  proto?: string;
  /**
   * Whether a request from `address` gets X-Forwarded-For. Default: always. A proxy that is part
   * of the server itself may leave it off for a loopback client with no such header of its own,
   * so that the origin sees a local program as local (its control API's local access).
   */
  forwardedFor?: (address: string, headers: IncomingHttpHeaders) => boolean;
}

/** What the proxy has done and holds. */
export interface CoalescingProxyStats {
  /** Requests waiting for a collapsed upstream answer now. */
  waiting: number;
  /** Collapsed upstream requests in flight now. */
  inFlight: number;
  /** Upstream requests made for collapsible requests, and the requests they answered in all. */
  upstreamRequests: number;
  collapsedRequests: number;
  /** Requests passed through uncollapsed. */
  passedThrough: number;
  /** Upstream failures answered 502. */
  upstreamErrors: number;
}

/** Writes of collapsed answers since the last takeWrites(): how many, and when the first and the last release began and ended (epoch ms). */
export interface CollapsedWrites {
  count: number;
  first: number;
  last: number;
}

interface Waiter {
  readonly res: ServerResponse;
  readonly onClose: () => void;
}

interface InFlight {
  readonly key: string;
  readonly head: boolean;
  readonly waiters: Set<Waiter>;
  upstream: ClientRequest;
  /** Streaming: headers written to the waiters; late joiners get `head` + `chunks`. */
  streaming?: { status: number; headers: OutgoingHttpHeaders; chunks: Buffer[]; bytes: number; paused: boolean; resume: () => void };
  /** Taking no new waiters (answered, failed, or too long to replay to a joiner). */
  closed: boolean;
}

const epochMs = (): number => performance.timeOrigin + performance.now();

/**
 * The collapsing key of a request, or undefined when it passes through uncollapsed: `METHOD url`
 * (the path and the full query as sent) and the Range header when there is one.
 */
export function collapseKey(method: string | undefined, url: string | undefined, headers: IncomingHttpHeaders): string | undefined {
  if ((method !== 'GET' && method !== 'HEAD') || url === undefined) return undefined;
  for (const name of PRIVATE_OR_CONDITIONAL) if (headers[name] !== undefined) return undefined;
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (!path.startsWith('/') || path.startsWith('/api/') || path === '/api' || path === '/metrics' || !MEDIA_OBJECT.test(path)) return undefined;
  const range = headers.range;
  return range === undefined ? `${method} ${url}` : `${method} ${url}\nrange: ${range}`;
}

/** Request or answer headers without the hop-by-hop ones (and those the Connection header names). */
function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = typeof headers.connection === 'string' ? headers.connection.toLowerCase().split(',').map((s) => s.trim()) : [];
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name) && !named.includes(name)) out[name] = value;
  return out;
}

export class CoalescingProxy {
  readonly #host: string;
  readonly #port: number;
  readonly #agent: Agent;
  readonly #ownAgent: boolean;
  readonly #maxBuffer: number;
  readonly #proto: string;
  readonly #forwardedFor: (address: string, headers: IncomingHttpHeaders) => boolean;
  readonly #inFlight = new Map<string, InFlight>();
  #waiting = 0;
  #upstreamRequests = 0;
  #collapsedRequests = 0;
  #passedThrough = 0;
  #upstreamErrors = 0;
  #writes: CollapsedWrites = { count: 0, first: Infinity, last: -Infinity };

  constructor(options: CoalescingProxyOptions) {
    const upstream = new URL(options.upstream);
    if (upstream.protocol !== 'http:') throw new TypeError(`CoalescingProxy: upstream must be an http: URL, got ${upstream.href}`);
    this.#host = upstream.hostname.replace(/^\[|\]$/g, '');
    this.#port = Number(upstream.port === '' ? 80 : upstream.port);
    this.#ownAgent = options.agent === undefined;
    this.#agent = options.agent ?? new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo' });
    this.#maxBuffer = options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
    this.#proto = options.proto ?? 'http';
    this.#forwardedFor = options.forwardedFor ?? (() => true);
  }

  get stats(): CoalescingProxyStats {
    return {
      waiting: this.#waiting,
      inFlight: this.#inFlight.size,
      upstreamRequests: this.#upstreamRequests,
      collapsedRequests: this.#collapsedRequests,
      passedThrough: this.#passedThrough,
      upstreamErrors: this.#upstreamErrors,
    };
  }

  /** Collapsed answers written since the last call (for measurements: bench/ll-hls.bench.ts). */
  takeWrites(): CollapsedWrites {
    const writes = this.#writes;
    this.#writes = { count: 0, first: Infinity, last: -Infinity };
    return writes;
  }

  /** A node:http request handler. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const key = collapseKey(req.method, req.url, req.headers);
    if (key === undefined) return this.#passThrough(req, res);
    this.#collapsedRequests++;
    let entry = this.#inFlight.get(key);
    if (entry === undefined || entry.closed) {
      entry = this.#start(key, req);
      this.#inFlight.set(key, entry);
    }
    this.#join(entry, res);
    // A GET's body is not read (there is none to forward): let it go.
    req.resume();
  };

  /** Destroys the proxy's own upstream connections (an injected agent is the caller's). */
  close(): void {
    for (const entry of this.#inFlight.values()) entry.upstream.destroy();
    if (this.#ownAgent) this.#agent.destroy();
  }

  #headers(req: IncomingMessage): OutgoingHttpHeaders {
    const headers = endToEnd(req.headers);
    const address = req.socket.remoteAddress ?? '';
    if (this.#forwardedFor(address, req.headers)) {
      const before = req.headers['x-forwarded-for'];
      headers['x-forwarded-for'] = before === undefined || before === '' ? address : `${before}, ${address}`;
    }
    headers['x-forwarded-proto'] ??= this.#proto;
    return headers;
  }

  #start(key: string, req: IncomingMessage): InFlight {
    this.#upstreamRequests++;
    const options = { host: this.#host, port: this.#port, method: req.method, path: req.url, headers: this.#headers(req), agent: this.#agent };
    const entry: InFlight = { key, head: req.method === 'HEAD', waiters: new Set(), upstream: undefined as unknown as ClientRequest, closed: false };
    const send = (retry: boolean): ClientRequest => {
      const upstream = httpRequest(options);
      let answered = false;
      upstream.on('response', (answer) => {
        answered = true;
        this.#answered(entry, answer);
      });
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive connection the origin closed as this request went out (Node's documented
        // race, request.reusedSocket): a GET or HEAD is sent once more, on a new connection.
        if (retry && !answered && upstream.reusedSocket && error.code === 'ECONNRESET' && entry.waiters.size > 0) entry.upstream = send(false);
        else this.#failed(entry);
      });
      upstream.end();
      return upstream;
    };
    entry.upstream = send(true);
    return entry;
  }

  #join(entry: InFlight, res: ServerResponse): void {
    const waiter: Waiter = { res, onClose: () => this.#left(entry, waiter) };
    entry.waiters.add(waiter);
    this.#waiting++;
    res.once('close', waiter.onClose);
    const s = entry.streaming;
    if (s !== undefined) {
      res.writeHead(s.status, s.headers);
      for (const chunk of s.chunks) res.write(chunk);
    }
  }

  /** A waiter's connection closed before its answer was complete (or after: then it is no longer a waiter). */
  #left(entry: InFlight, waiter: Waiter): void {
    if (!entry.waiters.delete(waiter)) return;
    this.#waiting--;
    if (entry.waiters.size > 0) {
      // A waiter that leaves while the stream is paused on it must not hold the others.
      entry.streaming?.resume();
      return;
    }
    this.#finish(entry);
    entry.upstream.destroy();
  }

  /** No more waiters for this request: it leaves the map (if it is still the one there). */
  #finish(entry: InFlight): void {
    entry.closed = true;
    if (this.#inFlight.get(entry.key) === entry) this.#inFlight.delete(entry.key);
  }

  #release(entry: InFlight): Waiter[] {
    this.#finish(entry);
    const waiters = [...entry.waiters];
    for (const w of waiters) w.res.off('close', w.onClose);
    this.#waiting -= waiters.length;
    entry.waiters.clear();
    return waiters;
  }

  #answered(entry: InFlight, answer: IncomingMessage): void {
    const status = answer.statusCode ?? 502;
    const headers = endToEnd(answer.headers);
    const length = answer.headers['content-length'] === undefined ? undefined : Number(answer.headers['content-length']);
    const bodiless = entry.head || status === 204 || status === 304 || (status >= 100 && status < 200);
    if (bodiless || (length !== undefined && Number.isFinite(length) && length <= this.#maxBuffer)) {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        if (!entry.head && !bodiless) headers['content-length'] = body.length;
        this.#writeAll(this.#release(entry), status, headers, bodiless ? undefined : body);
      });
      answer.on('error', () => this.#failed(entry));
      return;
    }
    // Streamed: headers now, chunks as they come; joiners replay what came while it fits the buffer.
    // The upstream is paused while a waiter's socket is full (the slowest sets the pace).
    const s: NonNullable<InFlight['streaming']> = { status, headers, chunks: [], bytes: 0, paused: false, resume: () => undefined };
    s.resume = (): void => {
      if (!s.paused) return;
      for (const w of entry.waiters) if (w.res.writableNeedDrain) return;
      s.paused = false;
      answer.resume();
    };
    entry.streaming = s;
    for (const w of entry.waiters) w.res.writeHead(status, headers);
    answer.on('data', (chunk: Buffer) => {
      if (!entry.closed) {
        s.bytes += chunk.length;
        if (s.bytes <= this.#maxBuffer) s.chunks.push(chunk);
        else {
          s.chunks = [];
          this.#finish(entry);
        }
      }
      for (const w of entry.waiters) {
        if (w.res.write(chunk)) continue;
        w.res.once('drain', s.resume);
        if (!s.paused) {
          s.paused = true;
          answer.pause();
        }
      }
    });
    answer.on('end', () => {
      for (const w of this.#release(entry)) w.res.end();
    });
    answer.on('error', () => this.#failed(entry));
  }

  #writeAll(waiters: Waiter[], status: number, headers: OutgoingHttpHeaders, body: Buffer | undefined): void {
    if (waiters.length === 0) return;
    // Node sends the header block and a string body in one write: small bodies go as latin1 text
    // (byte for byte), larger ones as the one Buffer (no copy per waiter).
    const payload = body === undefined ? undefined : body.length <= 64 * 1024 ? body.toString('latin1') : body;
    const flat = Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value.map((v) => [name, v]) : [[name, String(value)]])).flat();
    const first = epochMs();
    for (const w of waiters) {
      if (w.res.destroyed) continue;
      w.res.writeHead(status, flat);
      if (payload === undefined) w.res.end();
      else if (typeof payload === 'string') w.res.end(payload, 'latin1');
      else w.res.end(payload);
    }
    const last = epochMs();
    this.#writes.count += waiters.length;
    this.#writes.first = Math.min(this.#writes.first, first);
    this.#writes.last = Math.max(this.#writes.last, last);
  }

  #failed(entry: InFlight): void {
    if (entry.waiters.size === 0 && entry.closed) return;
    this.#upstreamErrors++;
    for (const w of this.#release(entry)) badGateway(w.res);
  }

  #passThrough(req: IncomingMessage, res: ServerResponse): void {
    this.#passedThrough++;
    const upstream = httpRequest({ host: this.#host, port: this.#port, method: req.method, path: req.url, headers: this.#headers(req), agent: this.#agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => {
      this.#upstreamErrors++;
      badGateway(res);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }
}

/** 502 that no cache keeps, or, once the answer has begun, the connection cut (so the client sees it incomplete). */
function badGateway(res: ServerResponse): void {
  if (res.destroyed) return;
  if (res.headersSent) return void res.destroy();
  res.writeHead(502, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify({ error: 'the origin did not answer' }));
}
