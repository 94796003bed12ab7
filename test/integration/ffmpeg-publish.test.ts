import { afterEach, describe, expect, it } from 'vitest';
import type { PublishRequest } from '../../src/rtmp/index.js';
import { ffmpegPath, ffprobePath, fixturePath, probePackets, spawnFfmpeg } from '../helpers/ffmpeg.js';
import {
  isAacSequenceHeader,
  isAvcSequenceHeader,
  serverEvent,
  startServer,
  withTimeout,
  type TestServer,
} from '../helpers/rtmp.js';

/*
 * ffmpeg 5.1 as the publisher, the server as the thing under test: every audio and video packet of
 * the fixture must arrive as one RTMP message with ffprobe's timestamp (FLV and RTMP carry the
 * decode time in ms: dts for video, which has B-frames, and pts = dts for AAC).
 *
 * What ffmpeg adds with `-c copy`, as observed with 5.1 and explained by libavformat/flvenc.c:
 *  - one AVC sequence header (AVCPacketType 0) and one AAC sequence header (AACPacketType 0),
 *    written from the codec extradata before the first frame (flv_write_header);
 *  - one AVC end-of-sequence message (AVCPacketType 2, body 17 02 00 00 00) at the last video
 *    timestamp, written by flv_write_trailer; ffprobe counts none of the three as packets;
 *  - `@setDataFrame onMetaData` as a data message (not audio or video, not counted here).
 * Timestamps arrive unchanged, by two shifts that cancel: ffmpeg subtracts the input's start time
 * (0.044 s, the first audio pts; ffprobe's format start_time), which would put the first video dts
 * at -44 ms, and the FLV muxer, which cannot store negative times, shifts every stream back by
 * +44 ms (avoid_negative_ts "make_non_negative", the default for formats without negative ts).
 */

const fixture = fixturePath('media/h264-aac.flv');
const ffmpeg = await ffmpegPath();
const ffprobe = await ffprobePath();
/**
 * ffmpeg reads the fixture at this multiple of its own rate (`-readrate`; `-re` is 1): paced by dts
 * like a live encoder, message by message over 2.5 s rather than in one burst. With
 * TIDECAST_PUBLISH_REALTIME=1 (.ci/run) it publishes in real time, the fixture's 10 s.
 */
const READ_RATE = process.env['TIDECAST_PUBLISH_REALTIME'] === '1' ? 1 : 4;
/** The fixture lasts 10 s of media; the rest is start-up and slack. */
const PUBLISH_TIMEOUT_MS = 25_000;

const AVC_NALU = 1;
const AVC_END_OF_SEQUENCE = 2;

interface Received {
  timestamp: number;
  packetType: number;
  sequenceHeader: boolean;
}

describe.skipIf(ffmpeg === undefined || ffprobe === undefined)('ffmpeg publishes to RtmpServer', () => {
  let ts: TestServer | undefined;
  afterEach(async () => {
    await ts?.close();
    ts = undefined;
  });

  it('receives every audio and video packet of the fixture with ffprobe timestamps', async () => {
    ts = await startServer();
    const { server } = ts;
    const probed = await probePackets(fixture);
    const video: Received[] = [];
    const audio: Received[] = [];
    let dataMessages = 0;
    const requests: PublishRequest[] = [];
    server.on('publish', (request) => requests.push(request));
    server.on('session', (session) => {
      session.on('video', (m) => video.push({ timestamp: m.timestamp, packetType: m.payload[1]!, sequenceHeader: isAvcSequenceHeader(m.payload) }));
      session.on('audio', (m) => audio.push({ timestamp: m.timestamp, packetType: m.payload[1]!, sequenceHeader: isAacSequenceHeader(m.payload) }));
      session.on('data', () => dataMessages++);
    });
    const errors: string[] = [];
    server.on('sessionError', (_s, e) => errors.push(`${e.code}: ${e.message}`));
    const unpublished = serverEvent(server, 'unpublish');

    const started = Date.now();
    const run = await spawnFfmpeg(
      ['-v', 'error', '-readrate', String(READ_RATE), '-i', fixture, '-c', 'copy', '-f', 'flv', `${ts.url('live/ffkey')}?a=1`],
      { timeoutMs: PUBLISH_TIMEOUT_MS },
    );
    const result = await run.done;
    const [, stream] = await withTimeout(unpublished, 2000, 'unpublish after ffmpeg exited');
    const elapsedMs = Date.now() - started;

    expect(result.timedOut).toBe(false);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(errors).toEqual([]);
    // -readrate paces by dts: the last video dts is ~9.97 s.
    expect(elapsedMs).toBeGreaterThan(9000 / READ_RATE);

    expect(requests).toHaveLength(1);
    expect(requests[0]!.app).toBe('live');
    expect(requests[0]!.streamKey).toBe('ffkey');
    expect(requests[0]!.query).toBe('a=1');
    expect(stream).toMatchObject({ app: 'live', streamKey: 'ffkey', query: 'a=1' });

    const videoFrames = video.filter((v) => v.packetType === AVC_NALU);
    const audioFrames = audio.filter((a) => !a.sequenceHeader);
    expect(video.filter((v) => v.sequenceHeader)).toHaveLength(1);
    expect(audio.filter((a) => a.sequenceHeader)).toHaveLength(1);
    expect(video.filter((v) => v.packetType === AVC_END_OF_SEQUENCE)).toHaveLength(1);
    expect(video).toHaveLength(videoFrames.length + 2);
    expect(dataMessages).toBe(1);

    const probedVideo = probed['video'] ?? [];
    const probedAudio = probed['audio'] ?? [];
    expect(probedVideo).toHaveLength(300);
    expect(probedAudio).toHaveLength(432);
    expect(videoFrames.map((v) => v.timestamp)).toEqual(probedVideo.map((p) => p.dtsMs));
    expect(audioFrames.map((a) => a.timestamp)).toEqual(probedAudio.map((p) => p.ptsMs));
    // The sequence headers come first, at time 0; end of sequence last, at the last frame's dts.
    expect(video[0]).toEqual({ timestamp: 0, packetType: 0, sequenceHeader: true });
    expect(audio[0]).toMatchObject({ timestamp: 0, sequenceHeader: true });
    expect(video.at(-1)).toMatchObject({ packetType: AVC_END_OF_SEQUENCE, timestamp: videoFrames.at(-1)!.timestamp });
  });
});
