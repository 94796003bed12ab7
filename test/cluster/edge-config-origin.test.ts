import { writeFile } from 'node:fs/promises';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { varnishdArgs, varnishVcl } from '../../src/cluster/edge-config/index.js';
import { ffmpegPath } from '../helpers/ffmpeg.js';
import { startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';
import { freePort } from '../helpers/process.js';
import { get, removeTempDirs, startDaemon, tempDir, varnishdPath, waitFor, type Answer, type Daemon } from './edge-config-helpers.js';

/**
 * The origin's contract with caches, end to end: a real tidecast origin (ffmpeg publishing the
 * fixture in real time, LL-HLS at the defaults: 2 s segments, 0.2 s parts) behind varnishd on the
 * generated VCL, and VIEWERS virtual LL-HLS players through the edge doing what hls.js does in
 * low-latency mode: a blocking reload for the hinted part and the hinted part itself, at once, again
 * and again. A counting hop between Varnish and the origin sees every origin request. Asserted:
 * every answer 200 (a hinted part its segment closed without: 404), positions never go back, each
 * part and each blocking reload cost the origin at most 2 requests (Done-when 1's figure), and
 * VIEWERS tune-ins at once cost at most 2 playlist requests.
 * TIDECAST_CLUSTER=1 npx vitest run test/cluster/edge-config-origin.test.ts (about 15 s; .ci/run).
 */

const ffmpeg = await ffmpegPath();
const skip = process.env['TIDECAST_CLUSTER'] !== '1' ? 'TIDECAST_CLUSTER=1 runs it' : ffmpeg === undefined ? 'no ffmpeg' : varnishdPath === undefined ? 'no varnishd' : undefined;
const VIEWERS = 20;
const RUN_MS = 6000;
const STREAM = 'live/edge';

let live: LiveServer;
let hop: { server: Server; port: number; urls: string[] };
let varnish: Daemon;
let base: string;

beforeAll(async () => {
  if (skip !== undefined) return;
  live = await startLiveServer({ endGraceMs: 500 });
  await live.publish('edge', { seconds: 30, loop: true, timeoutMs: 60_000 });
  await waitUntil(async () => (await get(live.httpUrl(`${STREAM}/video/index.m3u8`)).catch(() => undefined))?.status === 200, 10_000, 'the video playlist');
  hop = await countingHop(Number(new URL(live.httpUrl('')).port));
  const dir = await tempDir();
  const port = await freePort();
  const description = { origins: [{ host: '127.0.0.1', port: hop.port }], rtmpOrigins: [], listen: { host: '127.0.0.1', port }, cacheDir: join(dir, 'cache'), cacheSizeMiB: 64, runDir: dir, segmentTargetSeconds: 2, partTargetSeconds: 0.2 };
  const file = join(dir, 'edge.vcl');
  await writeFile(file, varnishVcl(description));
  varnish = startDaemon(varnishdPath!, varnishdArgs(description, file, { noJail: true }));
  base = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (varnish.exited()) throw new Error(`varnishd exited: ${varnish.output()}`);
      return (await get(`${base}/time`, 1000).catch(() => undefined))?.status === 200;
    },
    30_000,
    'varnishd answering',
  );
}, 60_000);

afterAll(async () => {
  await varnish?.stop();
  if (hop !== undefined) await new Promise<void>((resolve) => hop.server.close(() => resolve()));
  await live?.close();
  await removeTempDirs();
});

/** An HTTP hop that forwards each request to the origin (piped, keep-alive) and records its URL. */
async function countingHop(originPort: number): Promise<{ server: Server; port: number; urls: string[] }> {
  const urls: string[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((req, res) => {
    urls.push(req.url ?? '/');
    const upstream = httpRequest({ host: '127.0.0.1', port: originPort, path: req.url, method: req.method, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.once('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.keepAliveTimeout = 60_000;
  return { server, port: (server.address() as { port: number }).port, urls };
}

/** The PRELOAD-HINT of a playlist, `<msn>.<index>.m4s`. */
function hint(text: string): { msn: number; index: number; uri: string } {
  const match = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="((\d+)\.(\d+)\.m4s)"/.exec(text);
  if (match === null) throw new Error(`no preload hint in\n${text}`);
  return { uri: match[1]!, msn: Number(match[2]), index: Number(match[3]) };
}

interface Viewer {
  readonly statuses: Map<string, number>;
  readonly backwards: string[];
  reloads: number;
  parts: number;
}

/** One hls.js-like LL viewer for `untilMs`: blocking reload for the hinted part and the part, in parallel. */
async function watch(first: string, untilMs: number): Promise<Viewer> {
  const viewer: Viewer = { statuses: new Map(), backwards: [], reloads: 0, parts: 0 };
  const count = (key: string): void => void viewer.statuses.set(key, (viewer.statuses.get(key) ?? 0) + 1);
  let text = first;
  let last = { msn: -1, index: -1 };
  while (Date.now() < untilMs) {
    const next = hint(text);
    if (next.msn < last.msn || (next.msn === last.msn && next.index <= last.index)) viewer.backwards.push(`${last.msn}.${last.index} then ${next.uri}`);
    last = next;
    const [reload, part]: [Answer, Answer] = await Promise.all([get(`${base}/${STREAM}/video/index.m3u8?_HLS_msn=${next.msn}&_HLS_part=${next.index}`), get(`${base}/${STREAM}/video/${next.uri}`)]);
    count(`playlist ${reload.status}`);
    count(`part ${part.status}`);
    viewer.reloads += 1;
    viewer.parts += part.status === 200 ? 1 : 0;
    if (reload.status !== 200) break;
    text = reload.body;
  }
  return viewer;
}

describe.skipIf(skip !== undefined)(`a tidecast origin behind the generated Varnish edge${skip === undefined ? '' : ` (skipped: ${skip})`}`, () => {
  it(`${VIEWERS} LL-HLS viewers: every part and blocking reload at most twice at the origin, tune-ins coalesced`, async () => {
    const tuneIn = await Promise.all(Array.from({ length: VIEWERS }, () => get(`${base}/${STREAM}/video/index.m3u8`)));
    expect(tuneIn.map((a) => a.status)).toEqual(Array(VIEWERS).fill(200));
    const tuneInRequests = hop.urls.filter((u) => u === `/${STREAM}/video/index.m3u8`).length;
    expect(tuneInRequests, `origin requests for ${VIEWERS} tune-ins at once`).toBeLessThanOrEqual(2);

    const until = Date.now() + RUN_MS;
    const viewers = await Promise.all(tuneIn.map((a) => watch(a.body, until)));
    const statuses = new Map<string, number>();
    for (const v of viewers) for (const [k, n] of v.statuses) statuses.set(k, (statuses.get(k) ?? 0) + n);
    const perUrl = new Map<string, number>();
    for (const url of hop.urls) perUrl.set(url, (perUrl.get(url) ?? 0) + 1);
    const partUrls = [...perUrl].filter(([u]) => /\/video\/\d+\.\d+\.m4s$/.test(u));
    const reloadUrls = [...perUrl].filter(([u]) => u.includes('_HLS_msn='));
    const reloads = viewers.reduce((n, v) => n + v.reloads, 0);
    console.log(
      `${VIEWERS} viewers, ${RUN_MS} ms: ${reloads} blocking reloads and ${viewers.reduce((n, v) => n + v.parts, 0)} parts through Varnish; ` +
        `origin: ${reloadUrls.reduce((n, [, c]) => n + c, 0)} reload requests for ${reloadUrls.length} URLs, ${partUrls.reduce((n, [, c]) => n + c, 0)} part requests for ${partUrls.length} parts; ` +
        `tune-ins ${tuneInRequests}; answers ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(viewers.flatMap((v) => v.backwards), 'positions going back').toEqual([]);
    expect(statuses.get('playlist 200'), 'blocking reloads answered').toBe(reloads);
    // A hinted part its segment closed without is a 404 (the next reload hints the next segment's).
    expect((statuses.get('part 404') ?? 0) + (statuses.get('part 200') ?? 0), 'parts answered 200 or 404').toBe(reloads);
    expect(statuses.get('part 200') ?? 0).toBeGreaterThan(reloads * 0.8);
    expect(partUrls.length, 'parts fetched').toBeGreaterThan((RUN_MS / 201) * 0.6);
    expect(partUrls.filter(([, n]) => n > 2), 'parts asked of the origin more than twice').toEqual([]);
    expect(reloadUrls.filter(([, n]) => n > 2), 'blocking reloads asked of the origin more than twice').toEqual([]);
  }, 30_000);
});
