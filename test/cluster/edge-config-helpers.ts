import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOCKING_PLAYLIST_CACHE_CONTROL, cacheControlFor, GONE_CACHE_CONTROL, NO_STORE_CACHE_CONTROL } from '../../src/http/index.js';
import { delay, findOnPath } from '../helpers/process.js';

/**
 * For the edge configuration tests: the engines' binaries (Debian puts them in /usr/sbin), temporary
 * directories, daemons started and stopped by PID, a plain HTTP GET, and a small origin that
 * answers with the origin's Cache-Control per object kind and parks blocking reloads.
 */

const sbin = (name: string): string | undefined => findOnPath(name) ?? (existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : undefined);
export const varnishdPath = sbin('varnishd');
export const nginxPath = sbin('nginx');
export const haproxyPath = sbin('haproxy');
export const skipReason = (name: string, path: string | undefined): string => (path === undefined ? ` (skipped: no ${name}; .ci/run installs it)` : '');

const temps: string[] = [];

/** A temporary directory any user can enter (nginx's workers run as nobody when the test runs as root). */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tidecast-edge-'));
  await chmod(dir, 0o755);
  temps.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
}

export interface Daemon {
  readonly pid: number;
  /** The last 16 KiB of its stderr and stdout, for a failure's message. */
  output(): string;
  exited(): boolean;
  /** SIGTERM to its PID, SIGKILL after 3 s, and waits for it to be gone. */
  stop(): Promise<void>;
}

/** Starts `path args` in the foreground (the caller's args say so); ended only through stop(). */
export function startDaemon(path: string, args: readonly string[]): Daemon {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-16_384);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('error', (err) => keep(Buffer.from(String(err))));
  const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
  if (child.pid === undefined) throw new Error(`${path} did not start`);
  const pid = child.pid;
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const stop = async (): Promise<void> => {
    if (exited()) return;
    process.kill(pid, 'SIGTERM');
    const ended = await Promise.race([gone.then(() => true), delay(3000).then(() => false)]);
    if (!ended && !exited()) {
      process.kill(pid, 'SIGKILL');
      await gone;
    }
  };
  return { pid, output: () => output, exited, stop };
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Milliseconds from the request to the first byte of the body (-1: no body). */
  readonly firstByteMs: number;
}

/** GET on a fresh connection (no agent: N calls are N connections, as N viewers are). */
export function get(url: string, timeoutMs = 10_000): Promise<Answer> {
  const sent = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      let firstByteMs = -1;
      res.setEncoding('utf8').on('data', (text: string) => {
        if (firstByteMs < 0) firstByteMs = Date.now() - sent;
        body += text;
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, firstByteMs }));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}

/** Polls `check` every 50 ms until it holds or `ms` pass; the failure names `what`. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await delay(50);
  }
}

export interface MockOrigin {
  readonly id: string;
  readonly port: number;
  /** Every request's URL as the origin received it, in order. */
  readonly urls: string[];
  close(): Promise<void>;
}

/** How long the mock takes to answer a playlist without directives (so concurrent requests overlap at the edge). */
export const MOCK_PLAIN_DELAY_MS = 30;
/** A part of the `soon` stream: 404 no-store until this long after its first request, then 200. */
export const MOCK_SOON_MS = 200;
/** The `chunked` stream's segments: written in MOCK_CHUNKS chunks, one every MOCK_CHUNK_MS. */
export const MOCK_CHUNKS = 5;
export const MOCK_CHUNK_MS = 400;

/**
 * An origin with tidecast's headers for the paths the edges see (src/http/cache-control.ts): a
 * media playlist with `_HLS_msn` answers after `blockingDelayMs` (a blocking reload waiting for its
 * part) with `public, max-age=1`; without, after MOCK_PLAIN_DELAY_MS with `public, max-age=0`;
 * parts, segments and init immutable; `/time` for the probes. Every body starts with the time the
 * origin answered (`Date.now()`) and names the origin and the request's number. Streams named to
 * misbehave: `gone` answers 404 no-store (a part that may yet appear), `gone-ttl` 404
 * `max-age=1` (a part that never will), `soon` 404 no-store until MOCK_SOON_MS after a path's
 * first request and 200 after (a part ahead of the live edge appearing), `chunked` a DASH segment
 * being written (immutable, unbuffered, MOCK_CHUNKS chunks MOCK_CHUNK_MS apart), `broken` 503 with a max-age
 * (an origin that should not, to show the edge never caches a 5xx).
 */
export async function startMockOrigin(id: string, blockingDelayMs: number): Promise<MockOrigin> {
  const soon = new Map<string, number>();
  const urls: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    urls.push(url);
    const path = url.replace(/\?.*$/, '');
    const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    const send = (status: number, cacheControl: string, body: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain', 'cache-control': cacheControl, 'content-length': Buffer.byteLength(body), 'access-control-allow-origin': '*' });
      res.end(body);
    };
    const stream = path.split('/')[2];
    if (path === '/time') return send(200, NO_STORE_CACHE_CONTROL, new Date().toISOString());
    if (stream === 'gone') return send(404, NO_STORE_CACHE_CONTROL, 'not found');
    if (stream === 'gone-ttl') return send(404, GONE_CACHE_CONTROL, 'not found');
    if (stream === 'broken') return send(503, 'public, max-age=5', 'unavailable');
    if (stream === 'chunked') {
      // A DASH segment being written, with the origin's headers for it (src/http/dash-delivery.ts).
      res.writeHead(200, { 'content-type': 'video/mp4', 'cache-control': cacheControlFor(path), 'x-accel-buffering': 'no' });
      let sent = 0;
      const timer = setInterval(() => {
        res.write(Buffer.alloc(1000, sent));
        if (++sent === MOCK_CHUNKS) {
          clearInterval(timer);
          res.end();
        }
      }, MOCK_CHUNK_MS);
      return;
    }
    if (stream === 'soon') {
      if (!soon.has(path)) soon.set(path, Date.now() + MOCK_SOON_MS);
      if (Date.now() < soon.get(path)!) return send(404, NO_STORE_CACHE_CONTROL, 'not yet');
    }
    const number = urls.length;
    const body = (): string => `${Date.now()} origin ${id} answered ${url} (#${number})\n`;
    if (!path.endsWith('.m3u8')) return send(200, cacheControlFor(path), body());
    if (query.get('_HLS_msn') === null) return void setTimeout(() => send(200, cacheControlFor(path), body()), MOCK_PLAIN_DELAY_MS);
    setTimeout(() => send(200, BLOCKING_PLAYLIST_CACHE_CONTROL, body()), blockingDelayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    id,
    port: address.port,
    urls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
