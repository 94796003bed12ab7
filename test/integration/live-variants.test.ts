import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ffmpegPath, ffprobePath } from '../helpers/ffmpeg.js';
import { withTimeout } from '../helpers/process.js';
import { audioOverlaps, dtsFallbacks, getText, ofKind, probeLive, startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';

/*
 * Streams with one kind of track: the multivariant playlist has a variant without an audio group
 * (video only) or a variant that is the audio itself (audio only), and ffprobe reads each through
 * it. Both publish at once without -re (the fixtures are 4 s; real time adds nothing here), so the
 * server sees a burst, and the playlists end END_GRACE_MS after each publisher leaves.
 */

const ffmpeg = await ffmpegPath();
const ffprobe = await ffprobePath();
const END_GRACE_MS = 500;

describe.skipIf(ffmpeg === undefined || ffprobe === undefined)('audio-only and video-only publishes play through the multivariant playlist', () => {
  let live: LiveServer;
  beforeEach(async () => {
    live = await startLiveServer({ endGraceMs: END_GRACE_MS });
  });
  afterEach(async () => {
    await live.close();
  });

  async function publishAndEnd(key: string, fixture: string): Promise<{ multivariant: string; playlists: string[] }> {
    const run = await live.publish(key, { fixture, realtime: false, timeoutMs: 15_000 });
    const result = await withTimeout(run.done, 15_000, `publisher of ${key}`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const ended = async (): Promise<boolean> => (await getText(live.httpUrl(`live/${key}/index.m3u8`))) !== undefined;
    await waitUntil(ended, END_GRACE_MS + 5000, `multivariant playlist of ${key}`);
    const multivariant = (await getText(live.httpUrl(`live/${key}/index.m3u8`)))!;
    const playlists = multivariant.split('\n').filter((l) => l.endsWith('.m3u8') && !l.startsWith('#'));
    for (const uri of [...playlists, ...[...multivariant.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!)]) {
      await waitUntil(async () => (await getText(live.httpUrl(`live/${key}/${uri}`)))?.endsWith('#EXT-X-ENDLIST\n') === true, END_GRACE_MS + 5000, `ENDLIST in ${key}/${uri}`);
    }
    return { multivariant, playlists };
  }

  it('audio only (4 s AAC-LC 48 kHz): one audio variant, every frame read, no overlap', async () => {
    const { multivariant, playlists } = await publishAndEnd('aonly', 'media/aac-only.flv');
    expect(multivariant).toMatch(/CODECS="mp4a\.40\.2"/);
    expect(multivariant).not.toContain('avc1');
    expect(playlists).toEqual(['audio/index.m3u8']);
    const packets = await probeLive(live.httpUrl('live/aonly/index.m3u8'), false);
    const audio = ofKind(packets, 'audio');
    expect(ofKind(packets, 'video')).toEqual([]);
    // The fixture has 189 AAC frames (fixtures/README.md).
    expect(audio).toHaveLength(189);
    expect(dtsFallbacks(audio)).toEqual([]);
    expect(audioOverlaps(audio)).toEqual([]);
  });

  it('video only (4 s H.264 Main 23.976 fps): a variant without an audio group, every frame read', async () => {
    const { multivariant, playlists } = await publishAndEnd('vonly', 'media/h264-only.flv');
    expect(multivariant).toMatch(/CODECS="avc1\.4d[0-9a-f]{4}"/i);
    expect(multivariant).not.toContain('mp4a');
    expect(multivariant).not.toContain('AUDIO=');
    expect(playlists).toEqual(['video/index.m3u8']);
    const packets = await probeLive(live.httpUrl('live/vonly/index.m3u8'), false);
    const video = ofKind(packets, 'video');
    expect(ofKind(packets, 'audio')).toEqual([]);
    // 96 frames, 2 keyframes (fixtures/README.md).
    expect(video).toHaveLength(96);
    expect(video.filter((p) => p.keyframe)).toHaveLength(2);
    expect(dtsFallbacks(video)).toEqual([]);
  });
});
