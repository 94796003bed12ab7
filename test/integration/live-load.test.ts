import { afterAll, describe, expect, it } from 'vitest';
import type { LiveSegmentEvent } from '../../src/hls/index.js';
import { ffmpegPath, ffprobePath } from '../helpers/ffmpeg.js';
import { delay, withTimeout } from '../helpers/process.js';
import { LIVE_INPUT, decodeToNull, dtsFallbacks, getText, ofKind, probeLive, readMediaPlaylist, startLiveServer, type LiveServer } from '../helpers/live.js';

/*
 * Several publishers at once, each with an HLS viewer: ffmpeg publishes the looped fixture in real
 * time on PUBLISHERS keys for SECONDS; each viewer polls its stream's playlists like a player and
 * downloads every segment as soon as it is listed. At the end every segment the server announced
 * ('segment' events) must have been listed and downloaded whole (200, the announced byte length),
 * and each stream's final window must decode.
 *
 * Not in npm test. The full load, 10 publishers × 60 s, runs with TIDECAST_LOAD=1 (.ci/run);
 * TIDECAST_LOAD_PUBLISHERS and TIDECAST_LOAD_SECONDS run it at other sizes (4 × 12 s when only one is given).
 */

const ffmpeg = await ffmpegPath();
const ffprobe = await ffprobePath();

const FULL = process.env['TIDECAST_LOAD'] === '1';
const PUBLISHERS = Number(process.env['TIDECAST_LOAD_PUBLISHERS'] ?? (FULL ? 10 : 4));
const SECONDS = Number(process.env['TIDECAST_LOAD_SECONDS'] ?? (FULL ? 60 : 12));
const END_GRACE_MS = 500;
/** A viewer reloads its playlists this often: a quarter of the 2 s segment target, as players do. */
const POLL_MS = 500;
/** Slack over SECONDS: ffmpeg startup, the end grace, probing every stream at the end. */
const SLACK_MS = 30_000 + PUBLISHERS * 3000;

interface Download {
  status: number;
  byteLength: number;
  contentLength: number;
}

/** A player's view of one stream: every URI it saw listed, every file it fetched. */
class HlsViewer {
  readonly listed = new Set<string>();
  readonly downloads = new Map<string, Download>();
  reloads = 0;
  ended = false;

  constructor(private readonly base: string) {}

  /** Polls until every media playlist has EXT-X-ENDLIST or `deadlineMs` (performance.now()). */
  async run(deadlineMs: number): Promise<void> {
    while (!this.ended && performance.now() < deadlineMs) {
      await this.reload();
      if (!this.ended) await delay(POLL_MS);
    }
  }

  private async reload(): Promise<void> {
    this.reloads += 1;
    const multivariant = await getText(`${this.base}/index.m3u8`);
    if (multivariant === undefined) return;
    const playlists = [
      ...multivariant.split('\n').filter((l) => l.endsWith('.m3u8') && !l.startsWith('#')),
      ...[...multivariant.matchAll(/URI="([^"]+\.m3u8)"/g)].map((m) => m[1]!),
    ];
    let allEnded = playlists.length > 0;
    for (const uri of playlists) {
      const text = await getText(`${this.base}/${uri}`);
      if (text === undefined) {
        allEnded = false;
        continue;
      }
      const folder = uri.slice(0, uri.lastIndexOf('/') + 1);
      const media = readMediaPlaylist(text);
      const files = [...media.segments.map((s) => s.uri), ...[...text.matchAll(/#EXT-X-MAP:URI="([^"]+)"/g)].map((m) => m[1]!)];
      for (const file of files) {
        const path = folder + file;
        this.listed.add(path);
        if (!this.downloads.has(path)) this.downloads.set(path, await download(`${this.base}/${path}`));
      }
      allEnded &&= media.ended;
    }
    this.ended = allEnded;
  }
}

async function download(url: string): Promise<Download> {
  const res = await fetch(url);
  const body = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, byteLength: body.byteLength, contentLength: Number(res.headers.get('content-length')) };
}

// npm test leaves it to .ci/run, which runs it at full size (TIDECAST_LOAD=1; any TIDECAST_LOAD_* size runs it too).
const RUN = FULL || process.env['TIDECAST_LOAD_PUBLISHERS'] !== undefined || process.env['TIDECAST_LOAD_SECONDS'] !== undefined;

describe.skipIf(ffmpeg === undefined || ffprobe === undefined || !RUN)(`${PUBLISHERS} publishers × ${SECONDS} s, an HLS viewer each${RUN ? '' : ' (skipped: TIDECAST_LOAD=1 runs it, .ci/run)'}`, () => {
  let live: LiveServer | undefined;
  afterAll(async () => {
    await live?.close();
  });

  it(
    'every segment of every stream is listed, downloadable whole and decodable',
    async () => {
      live = await startLiveServer({ endGraceMs: END_GRACE_MS });
      const server = live;
      const keys = Array.from({ length: PUBLISHERS }, (_v, i) => `load${i}`);
      const announced = new Map<string, LiveSegmentEvent[]>(keys.map((k) => [k, []]));
      server.server.on('segment', (s, e) => announced.get(s.streamKey)?.push(e));
      const sessionErrors: string[] = [];
      server.server.rtmp.on('sessionError', (_s, e) => sessionErrors.push(`${e.code}: ${e.message}`));

      const startedMs = performance.now();
      const runs = await Promise.all(keys.map((k) => server.publish(k, { seconds: SECONDS, loop: true, timeoutMs: SECONDS * 1000 + SLACK_MS })));
      const viewers = keys.map((k) => new HlsViewer(server.httpUrl(`live/${k}`)));
      const deadline = startedMs + SECONDS * 1000 + SLACK_MS - 10_000;
      await Promise.all(viewers.map((v) => v.run(deadline)));
      const results = await Promise.all(runs.map((r) => withTimeout(r.done, 10_000, 'publisher end')));
      const liveMs = performance.now() - startedMs;

      for (const [i, r] of results.entries()) {
        expect(r.stderr, keys[i]).toBe('');
        expect(r.code, keys[i]).toBe(0);
      }
      expect(sessionErrors).toEqual([]);
      for (const [i, key] of keys.entries()) {
        const viewer = viewers[i]!;
        const segments = announced.get(key)!;
        expect(viewer.ended, `${key} ended`).toBe(true);
        // Video and audio, about one 2 s segment per 2 s of publish each.
        expect(segments.length, key).toBeGreaterThanOrEqual(2 * Math.floor(SECONDS / 2) - 2);
        const missing = segments.filter((e) => !viewer.listed.has(`${e.track}/${e.msn}.m4s`)).map((e) => `${e.track}/${e.msn}`);
        expect(missing, `${key}: announced, never listed`).toEqual([]);
        const bad = segments.flatMap((e) => {
          const d = viewer.downloads.get(`${e.track}/${e.msn}.m4s`);
          return d?.status === 200 && d.byteLength === e.byteLength && d.contentLength === e.byteLength ? [] : [{ segment: `${e.track}/${e.msn}`, announced: e.byteLength, got: d }];
        });
        expect(bad, `${key}: downloads`).toEqual([]);
        const badInits = [...viewer.downloads].filter(([p, d]) => p.includes('init-') && (d.status !== 200 || d.byteLength === 0));
        expect(badInits, `${key}: init segments`).toEqual([]);
      }

      // The final windows decode: ffprobe counts frames with rising timestamps, ffmpeg decodes them
      // without error; every stream at once, as the ended streams no longer change.
      const readings = await Promise.all(
        keys.map(async (key) => {
          const url = server.httpUrl(`live/${key}/index.m3u8`);
          const [packets, decoded] = await Promise.all([probeLive(url, false), decodeToNull(url, LIVE_INPUT, 30_000)]);
          return { key, packets, decoded };
        }),
      );
      for (const { key, packets, decoded } of readings) {
        const video = ofKind(packets, 'video');
        const audio = ofKind(packets, 'audio');
        expect(video.length, key).toBeGreaterThan(Math.min(SECONDS, 12) * 30 - 90);
        expect(audio.length, key).toBeGreaterThan(0);
        expect(dtsFallbacks(video), key).toEqual([]);
        expect(dtsFallbacks(audio), key).toEqual([]);
        expect(decoded.stderr, key).toBe('');
        expect(decoded.code, key).toBe(0);
      }
      const total = [...announced.values()].reduce((n, s) => n + s.length, 0);
      const bytes = [...announced.values()].flat().reduce((n, e) => n + e.byteLength, 0);
      const reloads = viewers.reduce((n, v) => n + v.reloads, 0);
      console.info(`load: ${PUBLISHERS} × ${SECONDS} s live in ${(liveMs / 1000).toFixed(1)} s; ${total} segments (${(bytes / 1e6).toFixed(1)} MB) announced, listed and downloaded; ${reloads} viewer reloads`);
    },
    SECONDS * 1000 + SLACK_MS + PUBLISHERS * 5000,
  );
});
