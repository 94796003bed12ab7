import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath, ffprobePath } from '../helpers/ffmpeg.js';
import { delay, withTimeout } from '../helpers/process.js';
import { dtsFallbacks, getText, ofKind, probeLive, readMediaPlaylist, startLiveServer, waitUntil, type LiveServer, type MediaPlaylistText } from '../helpers/live.js';

/*
 * A publisher that disconnects and comes back on the same key inside the end grace: ffmpeg
 * publishes SESSION_SECONDS of the fixture in real time, exits, and a second ffmpeg publishes the
 * same key GAP_MS later. The playlists go on (media sequence numbers continue, the first segment
 * of the second session carries EXT-X-DISCONTINUITY, the first session's segments stay listed),
 * and END_GRACE_MS after the second publisher leaves they end with EXT-X-ENDLIST.
 */

const ffmpeg = await ffmpegPath();
const ffprobe = await ffprobePath();

const SESSION_SECONDS = 3;
/** The pause between the sessions: well inside END_GRACE_MS, so the stream must not end. */
const GAP_MS = 1000;
const END_GRACE_MS = 2500;
const TRACKS = ['video', 'audio'] as const;

describe.skipIf(ffmpeg === undefined || ffprobe === undefined)('a publisher that comes back on the same key continues the playlists', () => {
  let live: LiveServer;
  const publishes: string[] = [];
  const refusals: string[] = [];
  let duringGap: Record<string, string | undefined> = {};
  let ended: Record<string, MediaPlaylistText> = {};

  beforeAll(async () => {
    live = await startLiveServer({ endGraceMs: END_GRACE_MS, hls: { segmentTargetSeconds: 2, windowSegments: 10 } });
    live.server.on('publish', (s) => publishes.push(`${s.app}/${s.streamKey}`));
    live.server.rtmp.on('sessionError', (_s, e) => refusals.push(`${e.code}: ${e.message}`));
    const first = await live.publish('again', { seconds: SESSION_SECONDS, timeoutMs: 15_000 });
    const firstResult = await withTimeout(first.done, 15_000, 'first publisher');
    expect(firstResult.stderr).toBe('');
    await delay(GAP_MS);
    duringGap = Object.fromEntries(await Promise.all(TRACKS.map(async (t) => [t, await getText(live.httpUrl(`live/again/${t}/index.m3u8`))])));
    const second = await live.publish('again', { seconds: SESSION_SECONDS, timeoutMs: 15_000 });
    const secondResult = await withTimeout(second.done, 15_000, 'second publisher');
    // ffmpeg prints the server's refusal (NetStream.Publish.BadName "… already being published").
    expect(secondResult.stderr).toBe('');
    expect(secondResult.code).toBe(0);
    const isEnded = async (t: string): Promise<boolean> => (await getText(live.httpUrl(`live/again/${t}/index.m3u8`)))?.endsWith('#EXT-X-ENDLIST\n') === true;
    await waitUntil(async () => (await Promise.all(TRACKS.map(isEnded))).every(Boolean), END_GRACE_MS + 5000, 'ENDLIST after the second session');
    ended = Object.fromEntries(await Promise.all(TRACKS.map(async (t) => [t, readMediaPlaylist((await getText(live.httpUrl(`live/again/${t}/index.m3u8`)))!)])));
  });

  afterAll(async () => {
    await live?.close();
  });

  it('accepts the second publish on the same key, without an "already publishing" refusal', () => {
    expect(publishes).toEqual(['live/again', 'live/again']);
    expect(refusals).toEqual([]);
  });

  it(`keeps the playlists open during the ${GAP_MS} ms gap`, () => {
    for (const t of TRACKS) {
      expect(duringGap[t], t).toBeDefined();
      expect(duringGap[t]!.includes('#EXT-X-ENDLIST'), t).toBe(false);
    }
  });

  it('continues the media sequence with one DISCONTINUITY between the sessions, old segments still listed', () => {
    const listing = (p: MediaPlaylistText): string => p.segments.map((s) => `${s.discontinuity ? 'DISCONTINUITY ' : ''}${s.uri}`).join(' ');
    console.info(`video segments in the gap: ${listing(readMediaPlaylist(duringGap['video']!))}; at the end: ${listing(ended['video']!)}`);
    const gap = Object.fromEntries(TRACKS.map((t) => [t, readMediaPlaylist(duringGap[t]!)]));
    for (const t of TRACKS) {
      const playlist = ended[t]!;
      expect(playlist.ended, t).toBe(true);
      expect(playlist.mediaSequence, t).toBe(0);
      // Continuous numbering 0, 1, … across both sessions, the first session's segments first.
      const uris = playlist.segments.map((s) => s.uri);
      expect(uris, t).toEqual(uris.map((_u, i) => `${i}.m4s`));
      // Exactly one discontinuity: the second session starts there.
      const marked = playlist.segments.flatMap((s, i) => (s.discontinuity ? [i] : []));
      expect(marked, t).toHaveLength(1);
      const secondStart = marked[0]!;
      // The whole first session is listed during the gap: the packager cuts the session's last
      // segment when the publisher leaves (pause), so players at the live edge do not stall.
      const listedInGap = gap[t]!.segments.map((s) => s.uri);
      expect(listedInGap.length, t).toBeGreaterThanOrEqual(1);
      expect(uris.slice(0, listedInGap.length), t).toEqual(listedInGap);
      expect(secondStart, t).toBe(listedInGap.length);
      expect(secondStart, t).toBeGreaterThanOrEqual(2);
      expect(uris.length - secondStart, t).toBeGreaterThanOrEqual(2);
    }
  });

  it('ffprobe reads both sessions through the multivariant playlist, each with rising timestamps', async () => {
    const packets = await probeLive(live.httpUrl('live/again/index.m3u8'), false);
    const video = ofKind(packets, 'video');
    const audio = ofKind(packets, 'audio');
    expect(video.length).toBeGreaterThanOrEqual(2 * (SESSION_SECONDS * 30 - 2));
    expect(audio.length).toBeGreaterThanOrEqual(2 * (Math.floor((SESSION_SECONDS * 44_100) / 1024) - 2));
    // Each session's timestamps start afresh; ffmpeg's HLS demuxer may or may not offset them,
    // so at most one fall-back (at the discontinuity) is allowed per kind.
    expect(dtsFallbacks(video).length).toBeLessThanOrEqual(1);
    expect(dtsFallbacks(audio).length).toBeLessThanOrEqual(1);
  });
});
