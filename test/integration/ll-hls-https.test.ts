import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, constants as h2, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LivePartEvent } from '../../src/hls/index.js';
import { createMediaServer, type MediaServer } from '../../src/server/index.js';
import { ffmpegPath, fixturePath, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import { nextPublish, waitUntil } from '../helpers/live.js';
import { killByPid, withTimeout } from '../helpers/process.js';

/*
 * LL-HLS over HTTPS: the server with `http.tls` (a self-signed certificate made by openssl for
 * 127.0.0.1) speaks HTTP/2 to clients that negotiate it by ALPN and HTTP/1.1 to the others, on one
 * TLS port. ffmpeg publishes the fixture in real time (looped); the checks:
 *
 *  (a) HTTP/2: a blocking playlist reload for the preload-hinted part and the hinted part itself,
 *      both requested at once on one h2 session (what an LL-HLS player does), are both answered
 *      200 once the server's 'part' event for that part fired;
 *  (b) HTTPS over HTTP/1.1 (ALPN http/1.1): the same blocking reload works;
 *  (c) plain http:// to the TLS port gets no HTTP answer.
 *
 * The certificate carries subjectAltName IP:127.0.0.1, so clients verify it (ca = the certificate)
 * rather than turning verification off. Skipped, saying why, without openssl or ffmpeg.
 */

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const ffmpeg = await ffmpegPath();
const skipReason = !hasOpenssl ? 'openssl not found on PATH' : ffmpeg === undefined ? 'ffmpeg not found' : undefined;
if (skipReason !== undefined) console.warn(`ll-hls-https: skipped (${skipReason})`);

const KEY = 'tls';
const PLAYLIST = `/live/${KEY}/video/index.m3u8`;
/** Bound on every single request: a blocking reload waits at most three target durations (6 s) for the server's 503. */
const REQUEST_TIMEOUT_MS = 10_000;

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** performance.now() when the last byte arrived. */
  readonly at: number;
}

interface Hint {
  readonly msn: number;
  readonly index: number;
  readonly uri: string;
}

/** The PRELOAD-HINT of a media playlist: the next part, `<msn>.<index>.m4s`. */
function hint(text: string): Hint {
  const match = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="((\d+)\.(\d+)\.m4s)"/.exec(text);
  if (match === null) throw new Error(`no preload hint in\n${text}`);
  return { uri: match[1]!, msn: Number(match[2]), index: Number(match[3]) };
}

/** GET `path` as one stream of an HTTP/2 session. */
function h2Get(session: ClientHttp2Session, path: string): Promise<Answer> {
  return withTimeout(
    new Promise<Answer>((resolve, reject) => {
      const stream = session.request({ [h2.HTTP2_HEADER_PATH]: path });
      const chunks: Buffer[] = [];
      let headers: IncomingHttpHeaders = {};
      stream.on('response', (h) => (headers = h));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve({ status: Number(headers[h2.HTTP2_HEADER_STATUS]), headers, body: Buffer.concat(chunks), at: performance.now() }));
      stream.on('error', reject);
      stream.end();
    }),
    REQUEST_TIMEOUT_MS,
    `h2 GET ${path}`,
  );
}

/** GET over HTTPS with ALPN offering only http/1.1, on a fresh connection. */
function https1Get(origin: string, path: string, ca: Buffer): Promise<Answer & { httpVersion: string; alpn: string | false | null }> {
  return withTimeout(
    new Promise((resolve, reject) => {
      // ALPNProtocols is a TLS connect option that https.request passes on (not in its RequestOptions type).
      const options: RequestOptions & ConnectionOptions = { ca, ALPNProtocols: ['http/1.1'], agent: false };
      const req = httpsRequest(`${origin}${path}`, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), at: performance.now(), httpVersion: res.httpVersion, alpn: (res.socket as TLSSocket).alpnProtocol }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    }),
    REQUEST_TIMEOUT_MS,
    `https GET ${path}`,
  );
}

describe.skipIf(skipReason !== undefined)('LL-HLS over HTTPS: HTTP/2 and HTTP/1.1 on one TLS port', () => {
  let dir = '';
  let cert = Buffer.alloc(0);
  let server: MediaServer;
  let origin = '';
  let httpPort = 0;
  let publisher: FfmpegRun | undefined;
  const sessions: ClientHttp2Session[] = [];
  const parts: Array<LivePartEvent & { at: number; parked: number }> = [];
  let tlsConnections = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tidecast-ll-https-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore', timeout: 20_000 },
    );
    cert = readFileSync(join(dir, 'cert.pem'));
    server = createMediaServer({
      rtmp: { port: 0, host: '127.0.0.1' },
      http: { port: 0, host: '127.0.0.1', tls: { cert, key: readFileSync(join(dir, 'key.pem')) } },
      hls: { windowSegments: 10 },
      endGraceMs: 500,
    });
    // When a part is published, the requests still parked for it (released right after the event).
    server.on('part', (_s, e) => parts.push({ ...e, at: performance.now(), parked: server.liveDelivery.parked }));
    const { rtmp, http } = await server.listen();
    httpPort = http.port;
    origin = `https://127.0.0.1:${http.port}`;
    server.http.server.on('secureConnection', () => (tlsConnections += 1));

    const accepted = nextPublish(server, KEY);
    publisher = await spawnFfmpeg(
      ['-v', 'error', '-re', '-stream_loop', '-1', '-i', fixturePath('media/h264-aac.flv'), '-t', '40', '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmp.port}/live/${KEY}`],
      { timeoutMs: 60_000 },
    );
    const ended = publisher.done.then((r) => Promise.reject(new Error(`ffmpeg ended before publishing: ${r.stderr}`)));
    await withTimeout(Promise.race([accepted, ended]), 10_000, `publish of live/${KEY}`);
    await waitUntil(() => parts.some((p) => p.track === 'video' && p.msn >= 1), 10_000, 'the first video parts of segment 1');
  }, 40_000);

  afterAll(async () => {
    for (const s of sessions) s.destroy();
    if (publisher !== undefined) {
      killByPid(publisher.child);
      await publisher.done.catch(() => undefined);
    }
    if (server !== undefined) await withTimeout(server.close(), 10_000, 'server.close');
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  const partEvent = (msn: number, index: number): (LivePartEvent & { at: number; parked: number }) | undefined =>
    parts.find((p) => p.track === 'video' && p.msn === msn && p.index === index);

  it('HTTP/2: a blocking reload and the hinted part, requested at once on one session, are both answered 200 once the part is published', async () => {
    const session = connect(origin, { ca: cert });
    sessions.push(session);
    const connectionsBefore = tlsConnections;
    let complete = 0;
    let bothParked = 0;
    for (let round = 0; round < 8 && complete < 4; round++) {
      const playlist = await h2Get(session, PLAYLIST);
      expect(playlist.status).toBe(200);
      const text = playlist.body.toString();
      const next = hint(text);
      const [blocking, part] = await Promise.all([h2Get(session, `${PLAYLIST}?_HLS_msn=${next.msn}&_HLS_part=${next.index}`), h2Get(session, `/live/${KEY}/video/${next.uri}`)]);
      const event = partEvent(next.msn, next.index);

      // The blocking reload: answered with a playlist listing the part it waited for (or, when the
      // segment closed before reaching that index, the next segment's first part).
      expect(blocking.status).toBe(200);
      expect(blocking.headers['content-type']).toBe('application/vnd.apple.mpegurl');
      expect(blocking.headers['cache-control']).toBe('public, max-age=1');
      expect(Number(blocking.headers['content-length'])).toBe(blocking.body.byteLength);
      const listed = event ?? partEvent(next.msn + 1, 0);
      expect(listed, `a part event for ${next.uri} or ${next.msn + 1}.0`).toBeDefined();
      expect(blocking.body.toString()).toContain(`URI="${listed!.msn}.${listed!.index}.m4s"`);
      expect(blocking.at).toBeGreaterThanOrEqual(listed!.at);

      if (event === undefined) {
        // The hinted part never came to be: 404, not a hang.
        expect(part.status).toBe(404);
        continue;
      }
      expect(part.status).toBe(200);
      expect(part.headers['content-type']).toBe('video/mp4');
      expect(part.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(part.body.byteLength).toBe(event.byteLength);
      expect(Number(part.headers['content-length'])).toBe(event.byteLength);
      expect(part.body.subarray(4, 8).toString('latin1')).toBe(next.index === 0 ? 'styp' : 'moof');
      expect(part.at).toBeGreaterThanOrEqual(event.at);
      // No HTTP/1.1 connection-specific headers on an h2 answer (RFC 9113 8.2.2).
      for (const answer of [blocking, part]) for (const name of ['connection', 'keep-alive', 'transfer-encoding']) expect(answer.headers[name]).toBeUndefined();
      complete += 1;
      // Both were waiting on the server at once (on one connection: HTTP/2 multiplexing) when the part appeared.
      if (event.parked >= 2) bothParked += 1;
    }
    console.log(`ll-hls-https: h2 rounds with both answers 200: ${complete}, of which both requests were parked together: ${bothParked}`);
    expect(complete).toBeGreaterThanOrEqual(4);
    expect(bothParked, 'rounds in which both requests were parked together when the part was published').toBeGreaterThanOrEqual(1);
    expect(session.alpnProtocol).toBe('h2');
    expect(tlsConnections - connectionsBefore).toBe(1);
  }, 60_000);

  it('HTTP/2: a parked blocking reload the client cancels (RST_STREAM) is forgotten at once; the session goes on', async () => {
    const session = connect(origin, { ca: cert });
    sessions.push(session);
    const next = hint((await h2Get(session, PLAYLIST)).body.toString());
    // The whole next segment: about a segment duration away, so it is parked.
    const stream = session.request({ [h2.HTTP2_HEADER_PATH]: `${PLAYLIST}?_HLS_msn=${next.msn + 1}` });
    stream.on('error', () => undefined);
    stream.end();
    await waitUntil(() => server.liveDelivery.parked >= 1, 2_000, 'the blocking reload parked');
    stream.close(h2.NGHTTP2_CANCEL);
    await waitUntil(() => server.liveDelivery.parked === 0, 2_000, 'the cancelled request unparked');
    expect((await h2Get(session, PLAYLIST)).status).toBe(200);
    expect(session.closed).toBe(false);
  }, 20_000);

  it('HTTPS with HTTP/1.1 (ALPN http/1.1): the blocking reload works too', async () => {
    const playlist = await https1Get(origin, PLAYLIST, cert);
    expect(playlist.alpn).toBe('http/1.1');
    expect(playlist.httpVersion).toBe('1.1');
    expect(playlist.status).toBe(200);
    expect(playlist.headers['cache-control']).toBe('public, max-age=0');
    const text = playlist.body.toString();
    const next = hint(text);
    const blocking = await https1Get(origin, `${PLAYLIST}?_HLS_msn=${next.msn}&_HLS_part=${next.index}`, cert);
    expect(blocking.httpVersion).toBe('1.1');
    expect(blocking.status).toBe(200);
    expect(blocking.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(blocking.headers['cache-control']).toBe('public, max-age=1');
    const listed = partEvent(next.msn, next.index) ?? partEvent(next.msn + 1, 0);
    expect(listed).toBeDefined();
    expect(blocking.body.toString()).toContain(`URI="${listed!.msn}.${listed!.index}.m4s"`);
    expect(blocking.at).toBeGreaterThanOrEqual(listed!.at);
  }, 30_000);

  it('plain http:// to the TLS port gets no HTTP answer', async () => {
    const outcome = await withTimeout(
      new Promise<string>((resolve) => {
        const req = httpRequest(`http://127.0.0.1:${httpPort}${PLAYLIST}`, { agent: false }, (res) => {
          res.resume();
          resolve(`answered ${res.statusCode}`);
        });
        req.on('error', (err: NodeJS.ErrnoException) => resolve(`failed: ${err.code ?? err.message}`));
        req.end();
      }),
      REQUEST_TIMEOUT_MS,
      'plain http request to the TLS port',
    );
    expect(outcome).toMatch(/^failed: /);
  }, 20_000);
});
