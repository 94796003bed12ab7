import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAmf0 } from '../../src/amf/index.js';
import { parseAudioTag, parseVideoTag } from '../../src/flv/index.js';
import { MessageType, RtmpClient, type RtmpMessage } from '../../src/rtmp/index.js';
import { createMediaServer, type MediaServer } from '../../src/server/index.js';
import { ffmpegPath, ffprobePath, probePackets, runFfprobeJson, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import { nextPublish } from '../helpers/live.js';
import { delay, findOnPath, killByPid, spawnTool, withTimeout } from '../helpers/rtmp.js';

/*
 * RTMP players of the media server get a timeline of their own: a player joining a stream that has
 * run for seconds gets onMetaData, the sequence headers and its first keyframe at 0, so readers
 * that bound what they read by time (ffprobe -read_intervals, rtmpdump --stop, ffmpeg -t) read
 * that much media. A second server with rtmpPlay.absoluteTimestamps passes the publisher's
 * timestamps through. Both publishers are ffmpeg -re: 320x240 at 30 fps with B-frames (so
 * composition offsets are on the line) and AAC; players join JOIN_AFTER_MS after they start.
 */

const ffmpeg = await ffmpegPath();
const ffprobe = await ffprobePath();
const rtmpdump = findOnPath('rtmpdump');

const FPS = 30;
/** Long enough for every player below to finish (they run concurrently, the longest about 6 s). */
const PUBLISH_SECONDS = 16;
/** Players join after this: the stream's timestamps are seconds in, its GOP cache starts at a later keyframe. */
const JOIN_AFTER_MS = 3000;
const PLAYER_TIMEOUT_MS = 12_000;
/** How long each rtmpdump saves: with the cached GOP, more than 45 frames. */
const DUMP_MS = 2000;

interface Served {
  server: MediaServer;
  url(path: string): string;
  publisher: FfmpegRun;
  /** What the publisher sent, as the server's session saw it (RTMP timestamps, ms). */
  published: { video: Map<number, number>; audio: number[] };
}

async function serve(key: string, absoluteTimestamps: boolean): Promise<Served> {
  const server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' }, rtmpPlay: { absoluteTimestamps } });
  const { rtmp } = await server.listen();
  const url = (path: string): string => `rtmp://127.0.0.1:${rtmp.port}/${path}`;
  const published = { video: new Map<number, number>(), audio: [] as number[] };
  server.rtmp.on('session', (session) => {
    session.on('video', (m) => {
      const tag = parseVideoTag(m.payload);
      if (tag.packetType === 'coded-frames') published.video.set(m.timestamp, tag.compositionTimeMs);
    });
    session.on('audio', (m) => {
      if (parseAudioTag(m.payload).packetType === 'coded-frames') published.audio.push(m.timestamp);
    });
  });
  const accepted = nextPublish(server, key);
  // -re before each input: both are read in real time.
  const publisher = await spawnFfmpeg(
    [
      '-v', 'error',
      '-re', '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=${FPS}`,
      '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-t', String(PUBLISH_SECONDS),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '2', '-g', '50', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '64k',
      '-f', 'flv', url(`live/${key}`),
    ],
    { timeoutMs: PUBLISH_SECONDS * 1000 + 10_000 },
  );
  await withTimeout(accepted, 10_000, `publish of live/${key}`);
  return { server, url, publisher, published };
}

/** An RtmpClient playing `key` for `ms`: every audio, video and data message, payloads copied. */
async function playWithClient(s: Served, key: string, ms: number): Promise<RtmpMessage[]> {
  const client = await RtmpClient.connect(s.url('live'));
  const got: RtmpMessage[] = [];
  const keep = (m: RtmpMessage): void => void got.push({ ...m, payload: Uint8Array.from(m.payload) });
  client.on('video', keep);
  client.on('audio', keep);
  client.on('data', keep);
  try {
    await client.play(key);
    await delay(ms);
  } finally {
    await client.close();
  }
  return got;
}

function codedVideo(messages: readonly RtmpMessage[]): Array<{ timestamp: number; ct: number; keyframe: boolean }> {
  return messages.flatMap((m) => {
    if (m.typeId !== MessageType.VIDEO) return [];
    const tag = parseVideoTag(m.payload);
    return tag.packetType === 'coded-frames' ? [{ timestamp: m.timestamp, ct: tag.compositionTimeMs, keyframe: tag.frameType === 'key' }] : [];
  });
}

describe.skipIf(ffmpeg === undefined || ffprobe === undefined).concurrent('RTMP players get a timeline of their own', () => {
  let relative: Served;
  let absolute: Served;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tidecast-play-timeline-'));
    [relative, absolute] = await Promise.all([serve('rel', false), serve('abs', true)]);
    await delay(JOIN_AFTER_MS);
  });

  afterAll(async () => {
    for (const s of [relative, absolute]) if (s !== undefined) killByPid(s.publisher.child);
    await Promise.all([relative, absolute].map((s) => s?.server.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('ffprobe -read_intervals %+5 reads 5 s of frames, though the stream is seconds in', async () => {
    const out = await runFfprobeJson<{ streams?: Array<{ codec_type?: string; nb_read_frames?: string }> }>([
      '-read_intervals', '%+5', '-count_frames', '-show_entries', 'stream=codec_type,nb_read_frames', relative.url('live/rel'),
    ]);
    const frames = (type: string): number => Number(out.streams?.find((s) => s.codec_type === type)?.nb_read_frames ?? 0);
    // 5 s at 30 fps is 150 frames; before players had their own timeline, the window ended before the first.
    expect(frames('video')).toBeGreaterThanOrEqual(140);
    // 5 s of 44.1 kHz AAC is 215 frames.
    expect(frames('audio')).toBeGreaterThan(150);
  });

  it('an ffmpeg -c copy capture starts within 100 ms of 0 and has the picture size onMetaData says', async () => {
    const file = join(dir, 'capture.flv');
    const run = await spawnFfmpeg(['-v', 'error', '-copyts', '-i', relative.url('live/rel'), '-t', '3', '-c', 'copy', '-f', 'flv', file], { timeoutMs: PLAYER_TIMEOUT_MS });
    const result = await run.done;
    expect(result.timedOut).toBe(false);
    expect(statSync(file).size).toBeGreaterThan(10_000);
    const packets = await probePackets(file);
    const firstPts = Math.min(packets['video']![0]!.ptsMs!, packets['audio']![0]!.ptsMs!);
    expect(Math.abs(firstPts)).toBeLessThanOrEqual(100);
    expect(packets['video']![0]!.keyframe).toBe(true);
    const probed = await runFfprobeJson<{ streams: Array<{ codec_type: string; width?: number; height?: number }> }>(['-show_entries', 'stream=codec_type,width,height', file]);
    expect(probed.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 320, height: 240 });
  });

  it('an RtmpClient gets onMetaData and sequence headers at 0, then its first keyframe at 0, B-frame offsets kept', async () => {
    const got = await playWithClient(relative, 'rel', 1500);
    const meta = got.find((m) => m.typeId === MessageType.DATA_AMF0 && decodeAmf0(m.payload)[0] === 'onMetaData')!;
    expect(meta.timestamp).toBe(0);
    expect(decodeAmf0(meta.payload)[1]).toMatchObject({ width: 320, height: 240, framerate: FPS, videocodecid: 7, audiocodecid: 10, audiosamplerate: 44_100, audiochannels: 1 });
    const headers = got.filter((m) => m.typeId !== MessageType.DATA_AMF0 && m.payload[1] === 0);
    expect(headers.map((m) => m.timestamp)).toEqual([0, 0]);
    const video = codedVideo(got);
    // The base is the earlier of the first video and the first audio sample: audio may lead by a frame.
    expect(video[0]).toMatchObject({ keyframe: true });
    expect(video[0]!.timestamp).toBeLessThan(50);
    expect(video.some((v) => v.ct > 0)).toBe(true);
    const audio = got.filter((m) => m.typeId === MessageType.AUDIO && m.payload[1] === 1);
    expect(Math.min(video[0]!.timestamp, audio[0]!.timestamp)).toBe(0);
  });

  it('absoluteTimestamps: the player gets the publisher\'s timestamps and composition offsets', async () => {
    const got = await playWithClient(absolute, 'abs', 1500);
    const video = codedVideo(got);
    expect(video.length).toBeGreaterThan(30);
    // Joined seconds in: the cached GOP's keyframe is at the publisher's time, not 0.
    expect(video[0]!.timestamp).toBeGreaterThan(1000);
    for (const v of video) expect([v.timestamp, absolute.published.video.get(v.timestamp)]).toEqual([v.timestamp, v.ct]);
    // Audio times are the hub's sample-count clock, anchored at the publisher's first stamp: within 1 ms of its stamps.
    const audio = got.filter((m) => m.typeId === MessageType.AUDIO && m.payload[1] === 1).map((m) => m.timestamp);
    expect(audio.length).toBeGreaterThan(30);
    for (const t of audio) expect(Math.min(...absolute.published.audio.map((p) => Math.abs(p - t)))).toBeLessThanOrEqual(1);
  });

  describe.skipIf(rtmpdump === undefined)('rtmpdump (librtmp 2.4): its FLV starts at 0', () => {
    /** rtmpdump saving for DUMP_MS, then stopped with SIGINT (it closes the file cleanly); its --stop relies on the server ending play early. */
    async function dump(name: string, extraArgs: string[]): Promise<{ stderr: string; video: Array<{ ptsMs: number | undefined }> }> {
      const file = join(dir, `${name}.flv`);
      const run = spawnTool(rtmpdump!, ['-r', relative.url('live/rel'), '--live', '-m', '10', '-o', file, ...extraArgs], { timeoutMs: PLAYER_TIMEOUT_MS });
      await delay(DUMP_MS);
      if (run.child.pid !== undefined && run.child.exitCode === null) process.kill(run.child.pid, 'SIGINT');
      const result = await run.done;
      expect(result.timedOut).toBe(false);
      const packets = await probePackets(file);
      return { stderr: result.stderr, video: packets['video'] ?? [] };
    }
    /** librtmp's complaints before the SIGINT (after it, the read it interrupted is reported as failed). */
    const errorLines = (stderr: string): string[] =>
      stderr.split(/Caught signal/)[0]!.split(/[\r\n]+/).filter((l) => /ERROR|not genuine|Couldn't verify/.test(l));

    it('plain handshake', async () => {
      const { stderr, video } = await dump('plain', []);
      expect(video.length).toBeGreaterThan(45);
      expect(video[0]!.ptsMs).toBeLessThan(100);
      expect(errorLines(stderr)).toEqual([]);
    });

    it('digest handshake (forced by SWF verification data)', async () => {
      const { stderr, video } = await dump('digest', ['-w', 'ab'.repeat(32), '-x', '12345', '-V']);
      expect(stderr).toMatch(/Genuine Adobe Flash Media Server/);
      expect(stderr).toMatch(/handshaked/);
      expect(errorLines(stderr)).toEqual([]);
      expect(video.length).toBeGreaterThan(45);
      expect(video[0]!.ptsMs).toBeLessThan(100);
    });
  });
});
