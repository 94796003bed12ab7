import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpPool } from '../../src/cli/loadgen-http.js';
import { LoadRecorder } from '../../src/cli/loadgen-stats.js';
import { runViewer } from '../../src/cli/loadgen-viewer.js';

/**
 * One virtual viewer against a scripted origin (node:http on a loopback port 0): the exact requests
 * it makes (a plain load, the blocking reload with `_HLS_msn` before `_HLS_part` and the hinted part
 * beside it, the listed parts it lacks), the cache verdicts it reads, and the continuity errors it
 * must report when an origin goes back.
 */

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const HEAD = '#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:1\n#EXT-X-PART-INF:PART-TARGET=0.2\n#EXT-X-MAP:URI="init.mp4"\n';
const part = (msn: number, i: number): string => `#EXT-X-PART:DURATION=0.2,URI="${msn}.${i}.m4s"${i === 0 ? ',INDEPENDENT=YES' : ''}\n`;
const segment = (msn: number, parts: number): string => `${Array.from({ length: parts }, (_, i) => part(msn, i)).join('')}#EXTINF:${parts * 0.2},\n${msn}.m4s\n`;

/** Serves `playlists` (request line → body), any .m4s / .mp4 with `X-Cache: HIT`, everything else 404; logs each request line. */
async function origin(playlists: Record<string, string>): Promise<{ url: string; log: string[] }> {
  const log: string[] = [];
  const server = createServer((req, res) => {
    log.push(req.url!);
    const path = req.url!.replace(/^\/s\//, '');
    if (playlists[path] !== undefined) res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(playlists[path]);
    else if (/\.(m4s|mp4)$/.test(path)) res.writeHead(200, { 'x-cache': 'HIT' }).end(Buffer.alloc(1000));
    else res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/s/index.m3u8`, log };
}

async function view(url: string): Promise<LoadRecorder> {
  const recorder = new LoadRecorder();
  const pool = new HttpPool();
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 5000);
  try {
    await runViewer({ url, recorder, pool, signal: stop.signal, requestTimeoutMs: 2000 });
  } finally {
    clearTimeout(timer);
    pool.destroy();
  }
  return recorder;
}

describe('a virtual LL-HLS viewer', () => {
  it('asks as hls.js does, in canonical directive order, and sees nothing wrong in a well-behaved origin', async () => {
    const { url, log } = await origin({
      'index.m3u8': `${HEAD}#EXT-X-MEDIA-SEQUENCE:5\n${segment(5, 2)}${part(6, 0)}#EXT-X-PRELOAD-HINT:TYPE=PART,URI="6.1.m4s"\n`,
      'index.m3u8?_HLS_msn=6&_HLS_part=1': `${HEAD}#EXT-X-MEDIA-SEQUENCE:5\n${segment(5, 2)}${part(6, 0)}${part(6, 1)}#EXT-X-PRELOAD-HINT:TYPE=PART,URI="6.2.m4s"\n`,
      'index.m3u8?_HLS_msn=6&_HLS_part=2': `${HEAD}#EXT-X-MEDIA-SEQUENCE:5\n${segment(5, 2)}${segment(6, 3)}#EXT-X-ENDLIST\n`,
    });
    const recorder = await view(url);
    // The plain load, the EXT-X-MAP, the start part; then two blocking reloads, each with its hinted part beside it.
    expect(log.slice(0, 3)).toEqual(['/s/index.m3u8', '/s/init.mp4', '/s/6.0.m4s']);
    expect([...log].sort()).toEqual(['/s/6.0.m4s', '/s/6.1.m4s', '/s/6.2.m4s', '/s/index.m3u8', '/s/index.m3u8?_HLS_msn=6&_HLS_part=1', '/s/index.m3u8?_HLS_msn=6&_HLS_part=2', '/s/init.mp4']);
    const s = recorder.summary({ url, durationSeconds: 1, viewers: 1 });
    expect(Object.fromEntries(Object.entries(s.kinds).map(([k, v]) => [k, v.count]))).toEqual({ playlist: 1, blocking: 2, 'hinted-part': 2, part: 1, init: 1 });
    expect(s.kinds['hinted-part']!.cache).toEqual({ hits: 2, misses: 0, unknown: 0 });
    expect(s.kinds.blocking!.cache.unknown).toBe(2);
    expect(s.continuity.errors).toBe(0);
    expect(s.viewers.joined).toBe(1);
  });

  it('reports a media sequence going back and a blocking answer without the part it was asked for', async () => {
    const { url } = await origin({
      'index.m3u8': `${HEAD}#EXT-X-MEDIA-SEQUENCE:5\n${segment(5, 2)}${part(6, 0)}#EXT-X-PRELOAD-HINT:TYPE=PART,URI="6.1.m4s"\n`,
      // Another origin that went back: media sequence 3, and only up to part 6.0.
      'index.m3u8?_HLS_msn=6&_HLS_part=1': `${HEAD}#EXT-X-MEDIA-SEQUENCE:3\n${segment(3, 2)}${segment(4, 2)}${segment(5, 2)}${part(6, 0)}#EXT-X-ENDLIST\n`,
    });
    const s = (await view(url)).summary({ url, durationSeconds: 1, viewers: 1 });
    expect(s.continuity.errors).toBe(2);
    expect(s.continuity.first.join('\n')).toContain('blocking reload for 6.1 answered with the last part 6.0');
    expect(s.continuity.first.join('\n')).toContain('EXT-X-MEDIA-SEQUENCE went back from 5 to 3');
  });

  it('reports parts that left the playlist before the viewer got them, but not across a discontinuity', async () => {
    const gap = await origin({
      'index.m3u8': `${HEAD}#EXT-X-MEDIA-SEQUENCE:5\n${segment(5, 2)}${part(6, 0)}#EXT-X-PRELOAD-HINT:TYPE=PART,URI="6.1.m4s"\n`,
      'index.m3u8?_HLS_msn=6&_HLS_part=1': `${HEAD}#EXT-X-MEDIA-SEQUENCE:9\n${segment(9, 2)}#EXT-X-ENDLIST\n`,
    });
    const withGap = (await view(gap.url)).summary({ url: gap.url, durationSeconds: 1, viewers: 1 });
    expect(withGap.continuity.first).toEqual([`${gap.url}: part 6.2 left the playlist before the viewer got it (first listed 9)`]);
    const moved = await origin({
      'index.m3u8': `${HEAD}#EXT-X-MEDIA-SEQUENCE:5\n${segment(5, 2)}${part(6, 0)}#EXT-X-PRELOAD-HINT:TYPE=PART,URI="6.1.m4s"\n`,
      'index.m3u8?_HLS_msn=6&_HLS_part=1': `${HEAD}#EXT-X-MEDIA-SEQUENCE:9\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXT-X-DISCONTINUITY\n${segment(9, 2)}#EXT-X-ENDLIST\n`,
    });
    expect((await view(moved.url)).summary({ url: moved.url, durationSeconds: 1, viewers: 1 }).continuity.errors).toBe(0);
  });
});
