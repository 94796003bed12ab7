import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  averageBitrate,
  buildMultivariantPlaylist,
  peakBitrate,
  renderMediaPlaylist,
  renderMultivariantPlaylist,
  type MediaSegment,
} from '../../src/hls/index.js';
import type { AudioTrack, VideoTrack } from '../../src/media/index.js';
import { ffmpegPath, ffprobePath, fixturePath, runFfprobeJson, spawnFfmpeg } from '../helpers/ffmpeg.js';

/*
 * ffprobe (ffmpeg's HLS demuxer) as the oracle for our playlists. ffmpeg cuts the fixture into fMP4
 * segments and an init section; we throw its playlists away and write our own over the same files,
 * then ffprobe must read every packet through them. (CMAF packaging is tidecast's own from the
 * media core on; these tests concern the playlists only.)
 */

const fixture = fixturePath('media/h264-aac.flv');
const ffmpeg = await ffmpegPath();
const ffprobe = await ffprobePath();

/** ffmpeg copying 10 s of the fixture takes well under a second; this only bounds a hang. */
const FFMPEG_TIMEOUT_MS = 30_000;

interface Cut {
  readonly dir: string;
  readonly segments: Array<MediaSegment & { readonly byteLength: number }>;
}

/** ffmpeg's fMP4 HLS output in `root/name`: the segment files, with the durations it measured. */
async function cut(root: string, name: string, args: readonly string[]): Promise<Cut> {
  const dir = join(root, name);
  mkdirSync(dir);
  const run = await spawnFfmpeg(
    ['-loglevel', 'error', '-i', fixture, ...args, '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
      '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', join(dir, 'seg%d.m4s'), join(dir, 'ffmpeg.m3u8')],
    { timeoutMs: FFMPEG_TIMEOUT_MS },
  );
  const result = await run.done;
  if (result.code !== 0) throw new Error(`ffmpeg failed: ${result.stderr}`);
  const text = readFileSync(join(dir, 'ffmpeg.m3u8'), 'utf8');
  const segments = [...text.matchAll(/#EXTINF:([0-9.]+),\n(\S+)/g)].map((m) => ({
    uri: `${name}/${m[2]!}`,
    durationSeconds: Number(m[1]),
    byteLength: statSync(join(dir, m[2]!)).size,
  }));
  return { dir, segments };
}

interface Probe {
  streams: Array<{ codec_type: string; codec_name: string; nb_read_packets: string; width?: number }>;
}

async function packets(playlist: string): Promise<Record<string, number>> {
  const out = await runFfprobeJson<Probe>(['-count_packets', '-show_entries', 'stream=codec_type,codec_name,nb_read_packets,width', playlist]);
  return Object.fromEntries(out.streams.map((s) => [`${s.codec_type}:${s.codec_name}`, Number(s.nb_read_packets)]));
}

describe.skipIf(ffmpeg === undefined || ffprobe === undefined)('ffprobe reads the playlists we render', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'tidecast-hls-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a VOD media playlist over ffmpeg-cut fMP4 segments: every packet of the fixture', async () => {
    const av = await cut(root, 'av', ['-c', 'copy']);
    const playlist = join(root, 'vod.m3u8');
    writeFileSync(playlist, renderMediaPlaylist({ playlistType: 'VOD', independentSegments: true, map: { uri: 'av/init.mp4' }, segments: av.segments, endList: true }));
    expect(await packets(playlist)).toEqual(await packets(fixture));
  });

  it('a discontinuity with a new init section: ffprobe reads every packet on both sides', async () => {
    // ffmpeg 5.1's demuxer reads past the new EXT-X-MAP without re-initializing its decoder, so this
    // shows the structure is accepted and every segment fetched, not that the new init was applied.
    const first = await cut(root, 'first', ['-t', '4', '-c', 'copy']);
    const second = await cut(root, 'second', ['-t', '4', '-vf', 'scale=160:120', '-c:v', 'libx264', '-g', '60', '-c:a', 'copy']);
    const playlist = join(root, 'restart.m3u8');
    const segments: MediaSegment[] = [
      ...first.segments.map(({ uri, durationSeconds }) => ({ uri, durationSeconds })),
      ...second.segments.map(({ uri, durationSeconds }, i) => ({ uri, durationSeconds, map: { uri: 'second/init.mp4' }, ...(i === 0 ? { discontinuity: true } : {}) })),
    ];
    writeFileSync(playlist, renderMediaPlaylist({ playlistType: 'VOD', map: { uri: 'first/init.mp4' }, segments, endList: true }));
    const [a, b, both] = await Promise.all([packets(join(first.dir, 'ffmpeg.m3u8')), packets(join(second.dir, 'ffmpeg.m3u8')), packets(playlist)]);
    expect(both).toEqual({ 'video:h264': a['video:h264']! + b['video:h264']!, 'audio:aac': a['audio:aac']! + b['audio:aac']! });
  });

  it('a multivariant playlist built from tracks: the variant and its audio rendition are both read', async () => {
    const [video, audio] = await Promise.all([cut(root, 'v', ['-an', '-c', 'copy']), cut(root, 'a', ['-vn', '-c', 'copy'])]);
    writeFileSync(join(root, 'v.m3u8'), renderMediaPlaylist({ playlistType: 'VOD', map: { uri: 'v/init.mp4' }, segments: video.segments, endList: true }));
    writeFileSync(join(root, 'a.m3u8'), renderMediaPlaylist({ playlistType: 'VOD', map: { uri: 'a/init.mp4' }, segments: audio.segments, endList: true }));
    const videoTrack: VideoTrack = { id: 1, kind: 'video', codec: 'avc', timescale: 90_000, codecString: 'avc1.64000d', decoderConfig: new Uint8Array(), width: 320, height: 240, frameRate: 30, sarWidth: 1, sarHeight: 1 };
    const audioTrack: AudioTrack = { id: 2, kind: 'audio', codec: 'aac', timescale: 44_100, codecString: 'mp4a.40.2', decoderConfig: new Uint8Array(), sampleRate: 44_100, channels: 2, samplesPerFrame: 1024 };
    const bitrate = (segments: Cut['segments']) => ({ peakBitsPerSecond: peakBitrate(segments), averageBitsPerSecond: averageBitrate(segments) });
    const multivariant = buildMultivariantPlaylist({
      video: [{ track: videoTrack, uri: 'v.m3u8', bitrate: bitrate(video.segments) }],
      audio: [{ track: audioTrack, uri: 'a.m3u8', name: 'English', language: 'en', bitrate: bitrate(audio.segments) }],
    });
    const playlist = join(root, 'main.m3u8');
    writeFileSync(playlist, renderMultivariantPlaylist(multivariant));
    expect(await packets(playlist)).toEqual(await packets(fixture));
    // The fixture is ~200 kbit/s video + 64 kbit/s audio: BANDWIDTH lands near their sum.
    expect(multivariant.variants[0]!.bandwidth).toBeGreaterThan(200_000);
    expect(multivariant.variants[0]!.bandwidth).toBeLessThan(600_000);
  });
});
