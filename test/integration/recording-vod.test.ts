import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegPath, runFfprobeJson, spawnFfmpeg } from '../helpers/ffmpeg.js';
import { decodeToNull, nextPublish, probeLive, startLiveServer, type LivePacket, type LiveServer } from '../helpers/live.js';
import { withTimeout } from '../helpers/process.js';

/*
 * Issue 13, Done when 1 and 5 (ffprobe's part; hls.js's and dash.js's are test/browser/recording-hlsjs.test.ts):
 * a server that records every stream (`record: { dir, streams: 'all' }`), ffmpeg publishing 60 s
 * of testsrc at 30 fps (1800 frames, a keyframe every 2 s) with an AAC sine, in real time. Once
 * the publish ended and the recording is complete, its VOD playlist read over HTTP by ffprobe has
 * every frame of the source with continuous timestamps and decodes without an error, and so does
 * its static DASH MPD (manifest.mpd) read by ffmpeg's DASH demuxer, packet for packet; the export
 * of 20 s + 10 s is one file ffprobe reads as 10 s ± one GOP, fragmented or progressive.
 */

const SECONDS = 60;
const FPS = 30;
const GOP_SECONDS = 2;
const ffmpeg = await ffmpegPath();
const skipReason = process.env['TIDECAST_RECORDING'] !== '1' ? 'TIDECAST_RECORDING=1 runs it (.ci/run, with the recording suites)' : ffmpeg === undefined ? 'ffmpeg not found' : undefined;

let live: LiveServer | undefined;
let dir: string | undefined;

afterAll(async () => {
  await live?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface RecordingView {
  id: string;
  state: string;
  durationSeconds: number;
  playlist: string;
  mpd?: string;
  export: string;
  renditions: Array<{ name: string; kind: string; playlist: string }>;
}

/** Consecutive gaps of `packets` (dts, seconds) outside [0.5, 1.5] × `step`: where the timeline is not continuous. */
function breaks(packets: readonly LivePacket[], step: number): Array<{ at: number; gap: number }> {
  const out: Array<{ at: number; gap: number }> = [];
  for (let i = 1; i < packets.length; i++) {
    const gap = packets[i]!.dtsSeconds - packets[i - 1]!.dtsSeconds;
    if (gap < 0.5 * step || gap > 1.5 * step) out.push({ at: packets[i - 1]!.dtsSeconds, gap });
  }
  return out;
}

describe.skipIf(skipReason !== undefined)(`a recorded 60 s publish as VOD and as an export${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('plays end to end in ffprobe with every source frame, and exports 10 s ± one GOP', { timeout: 180_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-recording-vod-'));
    live = await startLiveServer({ record: { dir, streams: 'all' }, endGraceMs: 1000 });
    const accepted = nextPublish(live.server, 'vod');
    const started = performance.now();
    const run = await spawnFfmpeg([
      '-v', 'error', '-re',
      '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=${FPS}`,
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(GOP_SECONDS * FPS), '-keyint_min', String(GOP_SECONDS * FPS), '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '96k',
      '-t', String(SECONDS), '-f', 'flv', live.rtmpUrl('live/vod'),
    ], { timeoutMs: (SECONDS + 30) * 1000 }); // prettier-ignore
    await withTimeout(accepted, 10_000, 'publish of live/vod');
    const published = await run.done;
    expect(published.code, published.stderr).toBe(0);

    const api = (path: string): Promise<Response> => fetch(live!.httpUrl(path.replace(/^\//, '')));
    let recording: RecordingView | undefined;
    await expect.poll(async () => {
      const list = (await (await api('/api/recordings')).json()) as { recordings: RecordingView[] };
      recording = list.recordings.find((r) => r.id.startsWith('live/vod/'));
      return recording?.state;
    }, { timeout: 30_000, interval: 500 }).toBe('complete');
    console.log(`recording ${recording!.id}: ${recording!.durationSeconds.toFixed(2)} s, complete ${((performance.now() - started) / 1000).toFixed(1)} s after the publish started`);

    const media = await (await api(recording!.renditions.find((r) => r.kind === 'video')!.playlist)).text();
    expect(media).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(media.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    const playlistUrl = live.httpUrl(recording!.playlist.replace(/^\//, ''));
    const packets = await probeLive(playlistUrl, false);
    const video = packets.filter((p) => p.kind === 'video').sort((a, b) => a.dtsSeconds - b.dtsSeconds);
    const audio = packets.filter((p) => p.kind === 'audio').sort((a, b) => a.dtsSeconds - b.dtsSeconds);
    console.log(`VOD over HTTP: ${video.length} video packets (${video[0]?.dtsSeconds} → ${video[video.length - 1]?.dtsSeconds} s), ${audio.length} audio packets`);
    expect(video.length).toBe(SECONDS * FPS);
    expect(video.filter((p) => p.keyframe).length).toBe(SECONDS / GOP_SECONDS);
    expect(breaks(video, 1 / FPS)).toEqual([]);
    expect(breaks(audio, 1024 / 48_000)).toEqual([]);
    expect(audio.length).toBeGreaterThan(Math.floor((SECONDS - 0.5) * 48_000 / 1024));
    const decoded = await decodeToNull(playlistUrl, [], 60_000);
    expect(decoded.stderr).toBe('');
    expect(decoded.code).toBe(0);

    // The same recording as DASH: its static MPD (the API's `mpd`) read over HTTP by ffmpeg's DASH
    // demuxer has every frame the HLS VOD has, at the same times, and decodes without an error.
    expect(recording!.mpd).toBe(recording!.playlist.replace(/index\.m3u8$/, 'manifest.mpd'));
    const mpd = await api(recording!.mpd!);
    expect([mpd.status, mpd.headers.get('content-type')]).toEqual([200, 'application/dash+xml']);
    expect(await mpd.text()).toContain('type="static"');
    const dashStarted = performance.now();
    const mpdUrl = live.httpUrl(recording!.mpd!.replace(/^\//, ''));
    const dash = await probeLive(mpdUrl, false);
    const dashVideo = dash.filter((p) => p.kind === 'video').sort((a, b) => a.dtsSeconds - b.dtsSeconds);
    const dashAudio = dash.filter((p) => p.kind === 'audio').sort((a, b) => a.dtsSeconds - b.dtsSeconds);
    console.log(`DASH over HTTP: ${dashVideo.length} video packets (${dashVideo[0]?.dtsSeconds} → ${dashVideo[dashVideo.length - 1]?.dtsSeconds} s), ${dashAudio.length} audio packets`);
    expect(dashVideo.length).toBe(SECONDS * FPS);
    expect(dashVideo.filter((p) => p.keyframe).length).toBe(SECONDS / GOP_SECONDS);
    expect(dashVideo.map((p) => p.dtsSeconds)).toEqual(video.map((p) => p.dtsSeconds));
    // ffmpeg 5's DASH demuxer ends the whole input at the first representation's end, so audio
    // packets after the last video one are cut from the two streams read together; alone, the audio
    // has every packet.
    expect(dashAudio.map((p) => p.dtsSeconds)).toEqual(audio.slice(0, dashAudio.length).map((p) => p.dtsSeconds));
    expect(audio.slice(dashAudio.length).every((p) => p.dtsSeconds > dashVideo[dashVideo.length - 1]!.dtsSeconds)).toBe(true);
    const audioAlone = await runFfprobeJson<{ packets?: Array<{ dts_time: string }> }>(['-select_streams', 'a', '-show_entries', 'packet=dts_time', mpdUrl]);
    expect((audioAlone.packets ?? []).map((p) => Number(p.dts_time))).toEqual(audio.map((p) => p.dtsSeconds));
    const dashDecoded = await decodeToNull(mpdUrl, [], 60_000);
    expect(dashDecoded.stderr).toBe('');
    expect(dashDecoded.code).toBe(0);
    console.log(`DASH read and decoded in ${((performance.now() - dashStarted) / 1000).toFixed(1)} s`);

    const exported = await api(`${recording!.export}?start=20&duration=10`);
    expect(exported.status).toBe(200);
    const file = join(dir, 'export.mp4');
    await writeFile(file, new Uint8Array(await exported.arrayBuffer()));
    const probed = await runFfprobeJson<{ format: { duration: string }; streams: Array<{ codec_type: string; nb_read_packets?: string }> }>(['-count_packets', '-show_entries', 'format=duration:stream=codec_type,nb_read_packets', file]);
    const duration = Number(probed.format.duration);
    const frames = Number(probed.streams.find((s) => s.codec_type === 'video')?.nb_read_packets);
    console.log(`export 20 s + 10 s: ${duration.toFixed(3)} s, ${frames} video frames, from ${exported.headers.get('x-tidecast-export-start')} s for ${exported.headers.get('x-tidecast-export-duration')} s of the recording`);
    expect(Math.abs(duration - 10)).toBeLessThanOrEqual(GOP_SECONDS);
    expect(Math.abs(frames / FPS - 10)).toBeLessThanOrEqual(GOP_SECONDS);
    expect(probed.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    const clean = await decodeToNull(file, [], 30_000);
    expect(clean.stderr).toBe('');

    // The same range as a progressive MP4 (format=mp4): the same frames.
    const progressive = await api(`${recording!.export}?start=20&duration=10&format=mp4`);
    expect(progressive.status).toBe(200);
    const progressiveFile = join(dir, 'export-progressive.mp4');
    await writeFile(progressiveFile, new Uint8Array(await progressive.arrayBuffer()));
    const flat = await runFfprobeJson<{ format: { duration: string }; streams: Array<{ codec_type: string; nb_read_packets?: string }> }>(['-count_packets', '-show_entries', 'format=duration:stream=codec_type,nb_read_packets', progressiveFile]);
    console.log(`export 20 s + 10 s as progressive MP4: ${Number(flat.format.duration).toFixed(3)} s`);
    expect(Math.abs(Number(flat.format.duration) - 10)).toBeLessThanOrEqual(GOP_SECONDS);
    expect(Number(flat.streams.find((s) => s.codec_type === 'video')?.nb_read_packets)).toBe(frames);
    expect((await decodeToNull(progressiveFile, [], 30_000)).stderr).toBe('');
  });
});
