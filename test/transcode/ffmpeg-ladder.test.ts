import { execFile, spawn, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseVideoTag, readFlvFile } from '../../src/flv/index.js';
import { checkLadderSpec, ffmpegArgs, parseFfmpegVersion, planLadder, type FfmpegVersion } from '../../src/transcode/index.js';
import { ffmpegPath, fixturePath } from '../helpers/ffmpeg.js';

/**
 * The argv builder against the real ffmpeg (Debian's 5.1 in CI): the fixture (320x240 30 fps
 * H.264 with B-frames, keyframes every 2 s, AAC) fed as FLV on stdin, two encoded rungs read back
 * as FLV from pipes 3 and 4 by our FLV reader. The contract the live ladder stands on: every rung
 * frame carries a PTS the source has, the keyframes are exactly the source's, and a half-rate rung
 * keeps every source keyframe. (The fixture is fed at once, not paced: what is checked here is
 * timestamps, not latency.)
 */

const ffmpeg = await ffmpegPath();
const version: FfmpegVersion | undefined = ffmpeg === undefined ? undefined : parseFfmpegVersion((await promisify(execFile)(ffmpeg, ['-version'])).stdout) ?? { major: 99, minor: 0 };

interface Frame {
  pts: number;
  key: boolean;
}

/** The coded video frames of an FLV file: PTS (timestamp + composition time) and key flag. */
function videoFrames(bytes: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  for (const tag of readFlvFile(bytes).tags) {
    if (tag.type !== 9) continue;
    const video = parseVideoTag(tag.body);
    if (video.packetType !== 'coded-frames') continue;
    frames.push({ pts: tag.timestamp + video.compositionTimeMs, key: video.frameType === 'key' });
  }
  return frames;
}

describe.skipIf(ffmpeg === undefined)(`the ladder's ffmpeg command on the installed ffmpeg${ffmpeg === undefined ? ' (skipped: no ffmpeg found; .ci/run installs it)' : ''}`, () => {
  it('two encoded rungs, one at half rate: every frame at a source PTS, IDRs exactly at the source keyframes', async () => {
    const source = new Uint8Array(readFileSync(fixturePath('media/h264-aac.flv')));
    const spec = checkLadderSpec({
      rungs: [
        { codec: 'copy' },
        { codec: 'h264', height: 180, bitrateKbps: 300, preset: 'ultrafast' },
        { codec: 'h264', height: 120, bitrateKbps: 150, preset: 'ultrafast', frameRate: 15 },
      ],
    });
    const plan = planLadder(spec, { video: { codec: 'avc', width: 320, height: 240, frameRate: 30 }, audio: { codec: 'aac' } }, version!);
    const command = ffmpegArgs(plan, { version: version! });
    expect(command.outputs.map((o) => o.fd)).toEqual([3, 4]);

    const stdio: StdioOptions = ['pipe', 'ignore', 'pipe', ...command.outputs.map(() => 'pipe' as const)];
    const child = spawn(ffmpeg!, [...command.args], { stdio });
    const chunks = command.outputs.map(() => [] as Buffer[]);
    command.outputs.forEach((o, i) => child.stdio[o.fd]!.on('data', (d: Buffer) => chunks[i]!.push(d)));
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdin!.end(source);
    const code = await closed;
    clearTimeout(timer);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });

    const sourceFrames = videoFrames(source);
    const sourcePts = new Set(sourceFrames.map((f) => f.pts));
    const sourceKeys = sourceFrames.filter((f) => f.key).map((f) => f.pts);
    expect(sourceKeys.length).toBeGreaterThanOrEqual(5);
    const [full, half] = chunks.map((c) => videoFrames(new Uint8Array(Buffer.concat(c))));
    for (const rung of [full!, half!]) {
      expect(rung.filter((f) => !sourcePts.has(f.pts))).toEqual([]);
      expect(rung.filter((f) => f.key).map((f) => f.pts)).toEqual(sourceKeys);
    }
    expect(full!.map((f) => f.pts)).toEqual(sourceFrames.map((f) => f.pts).sort((a, b) => a - b));
    // Every other frame, plus any keyframe at an odd position.
    expect(half!.length).toBeGreaterThanOrEqual(sourceFrames.length / 2);
    expect(half!.length).toBeLessThanOrEqual(sourceFrames.length / 2 + sourceKeys.length);
  }, 90_000);
});
