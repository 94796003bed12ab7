import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath, ffprobePath, fixturePath, probePackets, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import {
  Relay,
  delay,
  findOnPath,
  killByPid,
  serverEvent,
  spawnTool,
  startServer,
  withTimeout,
  type TestServer,
} from '../helpers/rtmp.js';

/*
 * Real players against the server and the test relay, while ffmpeg publishes the fixture in real
 * time: ffmpeg decoding to null, and rtmpdump (librtmp 2.4) saving FLV that ffprobe then reads.
 * Players join mid-stream, after the publish started, so they get the cached metadata and sequence
 * headers first and their video from the next keyframe (the fixture has one every 2 s).
 *
 * The players are independent sessions of one publish: they join it together and run side by side
 * (concurrent tests), which takes one publish's time instead of one per player.
 */

const fixture = fixturePath('media/h264-aac.flv');
const ffmpeg = await ffmpegPath();
const ffprobe = await ffprobePath();
const rtmpdump = findOnPath('rtmpdump');

/** Seconds of the fixture each publish sends: long enough for a player to see two keyframes. */
const PUBLISH_SECONDS = 5;
/** A player runs at most this long: the stream lasts PUBLISH_SECONDS, the rest is slack. */
const PLAYER_TIMEOUT_MS = 15_000;
/** Time after the publish began before a player joins, so it joins mid-stream. */
const JOIN_AFTER_MS = 500;

describe.skipIf(ffmpeg === undefined || ffprobe === undefined).concurrent('players read what ffmpeg publishes', () => {
  let ts: TestServer;
  let relay: Relay;
  let publisher: FfmpegRun | undefined;
  const sessionErrors: string[] = [];

  // One publish for every player: `ffmpeg -re` sending PUBLISH_SECONDS of the fixture; the players
  // start JOIN_AFTER_MS after it was accepted.
  beforeAll(async () => {
    ts = await startServer();
    relay = new Relay(ts.server);
    ts.server.on('sessionError', (_s, e) => sessionErrors.push(`${e.code}: ${e.message}`));
    const published = serverEvent(ts.server, 'publish');
    publisher = await spawnFfmpeg(
      ['-v', 'error', '-re', '-i', fixture, '-t', String(PUBLISH_SECONDS), '-c', 'copy', '-f', 'flv', ts.url('live/ffkey')],
      { timeoutMs: PLAYER_TIMEOUT_MS },
    );
    await withTimeout(published, 5000, 'ffmpeg publish');
    await delay(JOIN_AFTER_MS);
  });

  afterAll(async () => {
    if (publisher !== undefined) killByPid(publisher.child);
    await ts?.close();
  });

  it('ffmpeg plays and decodes frames without errors', async () => {
    // No -t: the player reads until the publisher leaves (NetStream.Play.UnpublishNotify is EOF to
    // FFmpeg's rtmp protocol). With -t it would count from 0, the time of the data messages the
    // server sends on play (|RtmpSampleAccess, Data.Start), not from the join.
    const player = await spawnFfmpeg(['-v', 'error', '-stats', '-i', ts.url('live/ffkey'), '-f', 'null', '-'], {
      timeoutMs: PLAYER_TIMEOUT_MS,
    });
    const played = await player.done;
    const published = await publisher!.done;

    expect(played.timedOut).toBe(false);
    expect(played.code).toBe(0);
    // With -v error, stderr holds only errors and the -stats lines ("frame= … speed=…", split by \r).
    const lines = played.stderr.split(/[\r\n]+/).map((l) => l.trim()).filter((l) => l !== '');
    const stats = lines.filter((l) => l.startsWith('frame='));
    const other = lines.filter((l) => !l.startsWith('frame='));
    expect(other).toEqual([]);
    const frames = Math.max(...stats.map((l) => Number(/^frame=\s*(\d+)/.exec(l)?.[1] ?? 0)));
    // Joined at ~0.5 s, its video starts at the keyframe of 2.067 s and ends with the publish at
    // 5 s: about 88 frames of 30 fps video.
    expect(frames).toBeGreaterThan(75);
    expect(published.code).toBe(0);
    expect(sessionErrors).toEqual([]);
    // The players joined between keyframes: the relay held back the frames they could not decode.
    expect(relay.skippedUntilKeyframe).toBeGreaterThan(0);
  });

  describe.skipIf(rtmpdump === undefined)('rtmpdump (librtmp 2.4)', () => {
    const dirs: string[] = [];
    afterAll(() => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    });

    /** librtmp's complaints: any ERROR line (such as an `_error` answer), a digest it could not verify. */
    function errorLines(stderr: string): string[] {
      return stderr.split(/[\r\n]+/).filter((l) => /ERROR|not genuine|Couldn't verify/.test(l));
    }

    async function dumpAndProbe(extraArgs: string[]): Promise<{ stderr: string; video: number; audio: number; code: number | null }> {
      const dir = mkdtempSync(join(tmpdir(), 'tidecast-rtmpdump-'));
      dirs.push(dir);
      const out = join(dir, 'out.flv');
      // -m: librtmp's own network timeout; the stream ends with NetStream.Play.UnpublishNotify.
      const run = spawnTool(rtmpdump!, ['-r', ts.url('live/ffkey'), '--live', '-m', '10', '-o', out, ...extraArgs], { timeoutMs: PLAYER_TIMEOUT_MS });
      const result = await run.done;
      await publisher!.done;
      expect(result.timedOut).toBe(false);
      expect(statSync(out).size).toBeGreaterThan(10_000);
      const packets = await probePackets(out);
      return { stderr: result.stderr, video: packets['video']?.length ?? 0, audio: packets['audio']?.length ?? 0, code: result.code };
    }

    it('saves a valid FLV with audio and video (plain handshake)', async () => {
      const { stderr, video, audio, code } = await dumpAndProbe([]);
      // Joined 0.5 s in, from the keyframe at 2 s to the end at 5 s: about 3 s of 30 fps video.
      expect(video).toBeGreaterThan(60);
      expect(audio).toBeGreaterThan(100);
      expect(errorLines(stderr)).toEqual([]);
      expect(code).toBe(0);
      expect(sessionErrors).toEqual([]);
    });

    it('saves a valid FLV with audio and video (digest handshake, forced by SWF verification data)', async () => {
      // librtmp does the FP9 handshake only with SWF data (-w hash -x size), and then drops a
      // server whose S1 digest or S2 HMAC does not verify: reaching the media proves both did.
      const { stderr, video, audio, code } = await dumpAndProbe(['-w', 'ab'.repeat(32), '-x', '12345', '-V']);
      expect(stderr).toMatch(/Genuine Adobe Flash Media Server/);
      expect(stderr).toMatch(/handshaked/);
      expect(errorLines(stderr)).toEqual([]);
      // librtmp subscribes to live streams with FCSubscribe (an FMS edge command); it is answered.
      expect(stderr).toMatch(/onFCSubscribe/);
      expect(video).toBeGreaterThan(60);
      expect(audio).toBeGreaterThan(100);
      expect(code).toBe(0);
      expect(sessionErrors).toEqual([]);
    });
  });
});
