import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LivePartEvent } from '../../src/hls/index.js';
import { ffmpegPath } from '../helpers/ffmpeg.js';
import { getText, startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';

/*
 * LL-HLS end to end: ffmpeg publishes the fixture with -re (looped, 16 s); a client issues blocking
 * playlist reloads for the next part and requests the preload-hinted part before it exists. The
 * server's own 'part' events timestamp each part's publication; the test timestamps each answer's
 * arrival on the same clock (performance.now, same process) — the difference is the release latency.
 *
 * With TIDECAST_LL_STRICT=1 the median must be within the 5 ms: the CI runs this file so,
 * alone (.ci/run), so that no other test file shares the two cores while it measures. In the
 * default `npm test` (files in parallel) the bound is 50 ms; the figures are printed either way.
 */

const ffmpeg = await ffmpegPath();
const STRICT = process.env.TIDECAST_LL_STRICT === '1';
const RELEASE_BUDGET_MS = STRICT ? 5 : 50;
const ROUNDS = 20;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  /** performance.now() when the last byte arrived. */
  readonly at: number;
}

/** A bare GET over a fresh connection, timed when the body has fully arrived. */
function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), at: performance.now() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The PRELOAD-HINT of a playlist: the next part, `<msn>.<index>.m4s`. */
function hint(text: string): { msn: number; index: number; uri: string } {
  const match = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="((\d+)\.(\d+)\.m4s)"/.exec(text);
  if (match === null) throw new Error(`no preload hint in\n${text}`);
  return { uri: match[1]!, msn: Number(match[2]), index: Number(match[3]) };
}

describe.skipIf(ffmpeg === undefined)('LL-HLS end to end: ffmpeg publishes, blocking reloads and hinted parts are released as parts appear', () => {
  let live: LiveServer;
  const parts: Array<LivePartEvent & { at: number }> = [];

  beforeAll(async () => {
    live = await startLiveServer({ endGraceMs: 500, hls: { windowSegments: 10 } });
    live.server.on('part', (_s, e) => parts.push({ ...e, at: performance.now() }));
    await live.publish('ll', { seconds: 16, loop: true, timeoutMs: 40_000 });
    await waitUntil(async () => (await getText(live.httpUrl('live/ll/video/index.m3u8'))) !== undefined, 8000, 'video playlist');
  }, 20_000);

  afterAll(async () => {
    await live?.close();
  });

  const partEvent = (msn: number, index: number): (LivePartEvent & { at: number }) | undefined => parts.find((p) => p.track === 'video' && p.msn === msn && p.index === index);

  it('a blocking reload for the next part is answered when the part appears, with that part listed', async () => {
    const delays: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const text = (await get(live.httpUrl('live/ll/video/index.m3u8'))).body.toString();
      const next = hint(text);
      const answer = await get(live.httpUrl(`live/ll/video/index.m3u8?_HLS_msn=${next.msn}&_HLS_part=${next.index}`));
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/vnd.apple.mpegurl');
      expect(answer.headers['cache-control']).toBe('public, max-age=1');
      expect(answer.headers['access-control-allow-origin']).toBe('*');
      const body = answer.body.toString();
      // The answer lists the part it waited for (or the next segment's, when the segment closed first).
      const event = partEvent(next.msn, next.index) ?? partEvent(next.msn + 1, 0);
      expect(event, `part ${next.uri}`).toBeDefined();
      expect(body).toContain(`URI="${event!.msn}.${event!.index}.m4s"`);
      expect(answer.at).toBeGreaterThanOrEqual(event!.at);
      delays.push(answer.at - event!.at);
    }
    const m = median(delays);
    console.log(`blocking reload release: median ${m.toFixed(2)} ms, max ${Math.max(...delays).toFixed(2)} ms over ${ROUNDS} parts`);
    expect(m).toBeLessThanOrEqual(RELEASE_BUDGET_MS);
  }, 30_000);

  it('the preload-hinted part, requested before it exists, is answered with its bytes when it appears', async () => {
    const delays: number[] = [];
    for (let round = 0; round < 10; round++) {
      const next = hint((await get(live.httpUrl('live/ll/video/index.m3u8'))).body.toString());
      const answer = await get(live.httpUrl(`live/ll/video/${next.uri}`));
      const event = partEvent(next.msn, next.index);
      if (answer.status === 404) {
        // The segment closed before reaching that index: the part never exists.
        expect(event).toBeUndefined();
        continue;
      }
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('video/mp4');
      expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(answer.body.byteLength).toBe(event!.byteLength);
      expect(answer.body.subarray(4, 8).toString('latin1')).toBe(next.index === 0 ? 'styp' : 'moof');
      delays.push(answer.at - event!.at);
    }
    expect(delays.length).toBeGreaterThan(5);
    console.log(`hinted part release: median ${median(delays).toFixed(2)} ms, max ${Math.max(...delays).toFixed(2)} ms`);
    expect(median(delays)).toBeLessThanOrEqual(RELEASE_BUDGET_MS);
  }, 30_000);

  it('a request too far ahead gets 400, a malformed one 400; playlists without a query are not cached', async () => {
    const text = (await get(live.httpUrl('live/ll/video/index.m3u8'))).body.toString();
    const next = hint(text);
    expect((await get(live.httpUrl(`live/ll/video/index.m3u8?_HLS_msn=${next.msn + 3}`))).status).toBe(400);
    expect((await get(live.httpUrl(`live/ll/video/index.m3u8?_HLS_msn=${next.msn}&_HLS_part=${next.index + 40}`))).status).toBe(400);
    expect((await get(live.httpUrl('live/ll/video/index.m3u8?_HLS_part=1'))).status).toBe(400);
    expect((await get(live.httpUrl('live/ll/video/index.m3u8?_HLS_msn=x'))).status).toBe(400);
    expect((await get(live.httpUrl('live/ll/video/index.m3u8?_HLS_skip=NO'))).status).toBe(400);
    const plain = await get(live.httpUrl('live/ll/video/index.m3u8'));
    expect(plain.headers['cache-control']).toBe('public, max-age=0');
    expect(plain.body.toString()).toMatch(/#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12,HOLD-BACK=6,PART-HOLD-BACK=0\.603\n#EXT-X-PART-INF:PART-TARGET=0\.201\n/);
    expect(plain.body.toString()).toMatch(/#EXT-X-RENDITION-REPORT:URI="\.\.\/audio\/index\.m3u8",LAST-MSN=\d+,LAST-PART=\d+\n$/);
  });

  it('a delta update (_HLS_skip=YES and v2) replaces the oldest segments with EXT-X-SKIP', async () => {
    // CAN-SKIP-UNTIL is 12 s: a segment is skipped once more than 12 s of playlist follow its start.
    await waitUntil(async () => /SKIPPED-SEGMENTS=[1-9]/.test((await get(live.httpUrl('live/ll/video/index.m3u8?_HLS_skip=YES'))).body.toString()), 15_000, 'a delta update', 250);
    const full = (await get(live.httpUrl('live/ll/video/index.m3u8'))).body.toString();
    for (const skip of ['YES', 'v2']) {
      const delta = (await get(live.httpUrl(`live/ll/video/index.m3u8?_HLS_skip=${skip}`))).body.toString();
      const skipped = Number(/#EXT-X-SKIP:SKIPPED-SEGMENTS=(\d+)\n/.exec(delta)?.[1]);
      expect(skipped).toBeGreaterThan(0);
      expect(delta).toContain('#EXT-X-VERSION:9\n');
      const sequence = (t: string): number => Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(t)![1]);
      const uris = (t: string): string[] => t.split('\n').filter((l) => /^\d+\.m4s$/.test(l));
      // Same window (or one later): the delta's first listed segment is the full playlist's (skipped)th.
      if (sequence(delta) === sequence(full)) expect(uris(delta)[0]).toBe(uris(full)[skipped]);
    }
    // Blocking and skipping together.
    const next = hint(full);
    const both = await get(live.httpUrl(`live/ll/video/index.m3u8?_HLS_msn=${next.msn}&_HLS_part=${next.index}&_HLS_skip=YES`));
    expect(both.status).toBe(200);
    expect(both.body.toString()).toContain('#EXT-X-SKIP:SKIPPED-SEGMENTS=');
  }, 30_000);
});
