import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveSegmentEvent } from '../../src/hls/index.js';
import { RtmpClient, type RtmpMessage } from '../../src/rtmp/index.js';
import { ffmpegPath, ffprobePath, fixturePath, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import { delay, withTimeout } from '../helpers/process.js';
import { isAvcSequenceHeader, isKeyframe } from '../helpers/rtmp.js';
import {
  LIVE_INPUT,
  audioOverlaps,
  decodeToNull,
  dtsFallbacks,
  getText,
  ofKind,
  probeLive,
  readMediaPlaylist,
  startLiveServer,
  waitUntil,
  type LivePacket,
  type LiveServer,
} from '../helpers/live.js';

/*
 * The live server end to end, on one publish: ffmpeg sends PUBLISH_SECONDS of the fixture in real
 * time to rtmp://…/live/e2e. While it is live, ffprobe and ffmpeg read the multivariant playlist
 * over HTTP (they follow it until EXT-X-ENDLIST), the HTTP routes are checked, and RTMP players
 * join mid-stream. After the publisher leaves and END_GRACE_MS passes, the playlists end.
 */

const ffmpeg = await ffmpegPath();
const ffprobe = await ffprobePath();

/** Long enough for three 2 s segments and an RTMP player joining between keyframes. */
const PUBLISH_SECONDS = 7;
const END_GRACE_MS = 500;
/** A 30 fps frame: the bound on the audio/video start offset the issue sets. */
const FRAME_MS = 1000 / 30;
/** Budget of the GOP cache: play() resolved → first keyframe on the wire. */
const GOP_FIRST_FRAME_BUDGET_MS = 500;

// Both ways the server can package: LL-HLS (the default) and plain HLS (`hls.lowLatency: false`).
// The two have a server and a publisher each and spend their time waiting on the real-time publish,
// so they run side by side (concurrent suites); within one, the checks run in order (sequential):
// the first ones need the stream live, the last ones wait for its end.
describe.skipIf(ffmpeg === undefined || ffprobe === undefined).concurrent.each([{ lowLatency: true }, { lowLatency: false }])('live server end to end (lowLatency $lowLatency): ffmpeg publishes, HLS and RTMP play', ({ lowLatency }) => {
  let live: LiveServer;
  let publisher: FfmpegRun;
  let hlsProbe: Promise<LivePacket[]>;
  let hlsDecode: ReturnType<typeof decodeToNull>;
  const segments: LiveSegmentEvent[] = [];
  const sessionErrors: string[] = [];

  beforeAll(async () => {
    live = await startLiveServer({ endGraceMs: END_GRACE_MS, hls: { segmentTargetSeconds: 2, windowSegments: 10, lowLatency } });
    live.server.on('segment', (_s, e) => segments.push(e));
    live.server.rtmp.on('sessionError', (_s, e) => sessionErrors.push(`${e.code}: ${e.message}`));
    publisher = await live.publish('e2e', { seconds: PUBLISH_SECONDS });
    await waitUntil(async () => (await getText(live.httpUrl('live/e2e/index.m3u8'))) !== undefined, 8000, 'multivariant playlist');
    // Both readers start on the live playlist and follow it to EXT-X-ENDLIST.
    const url = live.httpUrl('live/e2e/index.m3u8');
    hlsProbe = probeLive(url);
    hlsDecode = decodeToNull(url, LIVE_INPUT, 30_000);
  });

  afterAll(async () => {
    await live?.close();
  });

  it.sequential('serves playlists and segments with the right headers while live; /api/streams describes the stream', async () => {
    const multivariant = await fetch(live.httpUrl('live/e2e/index.m3u8'));
    expect(multivariant.status).toBe(200);
    expect(multivariant.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(multivariant.headers.get('cache-control')).toBe('public, max-age=0');
    expect(multivariant.headers.get('access-control-allow-origin')).toBe('*');
    const text = await multivariant.text();
    expect(text).toMatch(/^#EXTM3U\n/);
    expect(text).toContain('video/index.m3u8');
    expect(text).toContain('TYPE=AUDIO');

    const mediaText = (await getText(live.httpUrl('live/e2e/video/index.m3u8')))!;
    const media = readMediaPlaylist(mediaText);
    expect(media.ended).toBe(false);
    // LL-HLS tags only when it is on; plain.m3u8 (the same stream without them) only with LL-HLS.
    expect(mediaText.includes('#EXT-X-PART-INF:PART-TARGET=0.201\n')).toBe(lowLatency);
    expect(mediaText.includes('#EXT-X-PART:')).toBe(lowLatency);
    expect((await fetch(live.httpUrl('live/e2e/video/plain.m3u8'))).status).toBe(lowLatency ? 200 : 404);
    const first = media.segments[0]!.uri;
    const segment = await fetch(live.httpUrl(`live/e2e/video/${first}`));
    expect(segment.status).toBe(200);
    expect(segment.headers.get('content-type')).toBe('video/mp4');
    expect(segment.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(segment.headers.get('access-control-allow-origin')).toBe('*');
    const bytes = new Uint8Array(await segment.arrayBuffer());
    expect(Number(segment.headers.get('content-length'))).toBe(bytes.byteLength);
    expect(Buffer.from(bytes.subarray(4, 8)).toString('latin1')).toBe('styp');
    const listed = segments.find((e) => e.track === 'video' && `${e.msn}.m4s` === first);
    expect(listed?.byteLength).toBe(bytes.byteLength);

    const audioInit = await fetch(live.httpUrl('live/e2e/audio/init-0.mp4'));
    expect(audioInit.status).toBe(200);
    expect(audioInit.headers.get('content-type')).toBe('audio/mp4');
    await audioInit.arrayBuffer();

    const head = await fetch(live.httpUrl(`live/e2e/video/${first}`), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(bytes.byteLength);
    expect(head.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    const unknown = await fetch(live.httpUrl('live/nobody/index.m3u8'));
    expect(unknown.status).toBe(404);
    await unknown.arrayBuffer();
    // fetch() would resolve '..' itself: a raw request line keeps it.
    expect(await rawStatus(live.httpUrl('live/e2e/../e2e/index.m3u8'))).toBe(400);
    expect(await rawStatus(live.httpUrl('live/e2e/video/..%2F..%2Findex.m3u8'))).toBe(400);

    // The rate window needs a moment of samples; the stream is 2+ s old by now.
    const api = await fetch(live.httpUrl('api/streams'));
    expect(api.status).toBe(200);
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    const { streams } = (await api.json()) as { streams: Array<Record<string, unknown>> };
    expect(streams).toHaveLength(1);
    const s = streams[0] as {
      app: string; streamKey: string; playlist: string; bitrateKbps: number; uptimeSeconds: number;
      video: { codec: string; width: number; height: number; frameRate: number };
      audio: { codec: string; sampleRate: number; channels: number };
    };
    expect(s).toMatchObject({ app: 'live', streamKey: 'e2e', playlist: '/live/e2e/index.m3u8' });
    expect(s.video).toMatchObject({ width: 320, height: 240 });
    expect(s.video.codec).toMatch(/^avc1\.6400/);
    expect(s.video.frameRate).toBeGreaterThan(25);
    expect(s.video.frameRate).toBeLessThan(35);
    expect(s.audio).toMatchObject({ codec: 'mp4a.40.2', sampleRate: 44100, channels: 2 });
    // ~200 kb/s video + 64 kb/s audio, measured over a window that -re paces loosely.
    expect(s.bitrateKbps).toBeGreaterThan(100);
    expect(s.bitrateKbps).toBeLessThan(1000);
    expect(s.uptimeSeconds).toBeGreaterThan(1);
    expect(s.uptimeSeconds).toBeLessThan(PUBLISH_SECONDS + 2);
  });

  it.sequential(`an RtmpClient joining mid-stream gets a keyframe from the GOP cache within ${GOP_FIRST_FRAME_BUDGET_MS} ms`, async () => {
    const player = await RtmpClient.connect(live.rtmpUrl('live'));
    try {
      const video: Array<{ atMs: number; m: { timestamp: number; keyframe: boolean; header: boolean } }> = [];
      player.on('video', (m: RtmpMessage) => {
        video.push({ atMs: performance.now(), m: { timestamp: m.timestamp, keyframe: isKeyframe(m.payload), header: isAvcSequenceHeader(m.payload) } });
      });
      const playCalledMs = performance.now();
      await player.play('e2e');
      const playResolvedMs = performance.now();
      await waitUntil(() => video.some((v) => !v.m.header), 2000, 'first video frame');
      const frames = video.filter((v) => !v.m.header);
      const first = frames[0]!;
      // The server writes the cached GOP right after NetStream.Play.Start, so the keyframe may be
      // read in the same socket read as the status that resolves play(): then it counts as 0 ms.
      const firstFrameMs = Math.max(0, first.atMs - playResolvedMs);
      console.info(
        `lowLatency ${lowLatency}, GOP cache: play() resolved ${(playResolvedMs - playCalledMs).toFixed(1)} ms after the call; first keyframe ` +
          `${(first.atMs - playResolvedMs).toFixed(1)} ms after that (${(first.atMs - playCalledMs).toFixed(1)} ms after the call), media ts ${first.m.timestamp} ms`,
      );
      // The decoder configuration comes first, then the cached GOP from its keyframe.
      expect(video[0]!.m.header).toBe(true);
      expect(first.m.keyframe).toBe(true);
      expect(firstFrameMs).toBeLessThan(GOP_FIRST_FRAME_BUDGET_MS);
      // The cached GOP arrives as a burst: frames older than the live edge, faster than real time.
      await delay(300);
      const burst = video.filter((v) => !v.m.header && v.atMs - first.atMs < 100);
      expect(burst.length).toBeGreaterThan(3);
    } finally {
      await player.close();
    }
  });

  it.sequential('an ffmpeg RTMP player decodes frames without error until the publisher leaves', async () => {
    // No -t: the player reads until NetStream.Play.UnpublishNotify, the stream's end.
    const run = await spawnFfmpeg(['-v', 'error', '-stats', '-i', live.rtmpUrl('live/e2e'), '-f', 'null', '-'], { timeoutMs: 20_000 });
    const played = await run.done;
    expect(played.timedOut).toBe(false);
    expect(played.code).toBe(0);
    const lines = played.stderr.split(/[\r\n]+/).map((l) => l.trim()).filter((l) => l !== '');
    expect(lines.filter((l) => !l.startsWith('frame='))).toEqual([]);
    const frames = Math.max(0, ...lines.map((l) => Number(/^frame=\s*(\d+)/.exec(l)?.[1] ?? 0)));
    expect(frames).toBeGreaterThan(30);
  });

  it.sequential('HLS readers that followed the live playlist decode audio and video with rising timestamps, aligned starts, no audio overlap', async () => {
    const published = await withTimeout(publisher.done, 20_000, 'publisher end');
    expect(published.code).toBe(0);
    const decoded = await withTimeout(hlsDecode, 30_000, 'ffmpeg HLS decode');
    expect(decoded.timedOut).toBe(false);
    expect(decoded.stderr).toBe('');
    expect(decoded.code).toBe(0);

    const packets = await withTimeout(hlsProbe, 30_000, 'ffprobe HLS');
    const video = ofKind(packets, 'video');
    const audio = ofKind(packets, 'audio');
    // PUBLISH_SECONDS of 30 fps video; audio at 44.1 kHz / 1024 samples a frame.
    expect(video.length).toBeGreaterThanOrEqual(PUBLISH_SECONDS * 30 - 2);
    expect(audio.length).toBeGreaterThanOrEqual(Math.floor((PUBLISH_SECONDS * 44_100) / 1024) - 2);
    expect(dtsFallbacks(video)).toEqual([]);
    expect(dtsFallbacks(audio)).toEqual([]);
    expect(audioOverlaps(audio)).toEqual([]);

    // The source's own offset: its first audio frame is 23 ms before its first video frame (pts).
    const source = await probeLive(fixturePath('media/h264-aac.flv'), false);
    const sourceOffsetMs = (minPts(ofKind(source, 'video')) - minPts(ofKind(source, 'audio'))) * 1000;
    const offsetMs = (minPts(video) - minPts(audio)) * 1000;
    console.info(`lowLatency ${lowLatency}, first pts: video − audio = ${offsetMs.toFixed(1)} ms over HLS, ${sourceOffsetMs.toFixed(1)} ms in the source`);
    expect(Math.abs(offsetMs)).toBeLessThanOrEqual(FRAME_MS);
    expect(Math.abs(offsetMs - sourceOffsetMs)).toBeLessThanOrEqual(FRAME_MS);

    expect(sessionErrors).toEqual([]);
  });

  it.sequential(`after the publisher left and ${END_GRACE_MS} ms passed, every playlist ends with EXT-X-ENDLIST`, async () => {
    await withTimeout(publisher.done, 20_000, 'publisher end');
    await waitUntil(async () => (await getText(live.httpUrl('live/e2e/video/index.m3u8')))?.endsWith('#EXT-X-ENDLIST\n') === true, END_GRACE_MS + 3000, 'ENDLIST');
    for (const track of ['video', 'audio']) {
      const text = (await getText(live.httpUrl(`live/e2e/${track}/index.m3u8`)))!;
      expect(text.endsWith('#EXT-X-ENDLIST\n'), track).toBe(true);
      const playlist = readMediaPlaylist(text);
      expect(playlist.mediaSequence).toBe(0);
      expect(playlist.segments.map((s) => s.uri)).toEqual(playlist.segments.map((_s, i) => `${i}.m4s`));
    }
    const api = (await (await fetch(live.httpUrl('api/streams'))).json()) as { streams: unknown[] };
    expect(api.streams).toEqual([]);
  });
});

function minPts(packets: readonly LivePacket[]): number {
  return Math.min(...packets.map((p) => p.ptsSeconds));
}

/** Status of a GET sent as a raw request line, so the client does not normalize the path. */
async function rawStatus(url: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const path = url.slice(url.indexOf('/', 'http://'.length));
  const net = await import('node:net');
  return withTimeout(
    new Promise<number>((resolve, reject) => {
      const socket = net.connect({ host: hostname, port: Number(port) });
      let answer = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        answer += d;
        const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
        if (m !== null) {
          resolve(Number(m[1]));
          socket.destroy();
        }
      });
      socket.on('error', reject);
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`);
    }),
    5000,
    `raw GET ${path}`,
  );
}
