import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AmfEcmaArray } from '../../src/amf/index.js';
import { buildScriptTag, buildVideoTag, parseVideoTag, readFlvFile, writeFlvFile, type FlvTagInput, type VideoMediaTag } from '../../src/flv/index.js';
import { ffprobePath, fixturePath, probePackets } from '../helpers/ffmpeg.js';

/**
 * ffprobe as the oracle for a file we author ourselves (not a byte copy of ffmpeg's): video only,
 * our own onMetaData, every video tag parsed and rebuilt, and timestamps moved past 2^24 ms so the
 * TimestampExtended byte (E.4.1) is in use. ffprobe must see the frames where we put them.
 */

const ffprobe = await ffprobePath();
const dir = mkdtempSync(join(tmpdir(), 'tidecast-flv-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 2^24 ms + 1 s: every timestamp needs the extended byte. */
const OFFSET_MS = 0x1000000 + 1000;

describe('writeFlvFile read by ffprobe', () => {
  it.skipIf(ffprobe === undefined)('video frames keep dts, pts and key flags past the 24-bit timestamp', async () => {
    const { tags } = readFlvFile(new Uint8Array(readFileSync(fixturePath('media/h264-aac.flv'))));
    const video = tags.filter((t) => t.type === 9).map((t) => ({ timestamp: t.timestamp + OFFSET_MS, tag: parseVideoTag(t.body) as VideoMediaTag }));
    const metadata = AmfEcmaArray.from([
      ['width', 320],
      ['height', 240],
      ['videocodecid', 7],
    ]);
    const out: FlvTagInput[] = [
      { type: 18, timestamp: 0, body: buildScriptTag('onMetaData', metadata) },
      ...video.map((v) => ({ type: 9 as const, timestamp: v.timestamp, body: buildVideoTag(v.tag) })),
    ];
    const file = join(dir, 'video-only.flv');
    writeFileSync(file, writeFlvFile({ hasAudio: false, hasVideo: true }, out));

    const frames = video.filter((v) => v.tag.packetType === 'coded-frames');
    const packets = (await probePackets(file))['video'] ?? [];
    expect(packets.length).toBe(frames.length);
    expect(packets.map((p) => p.dtsMs)).toEqual(frames.map((f) => f.timestamp));
    expect(packets.map((p) => p.ptsMs)).toEqual(frames.map((f) => f.timestamp + f.tag.compositionTimeMs));
    expect(packets.map((p) => p.keyframe)).toEqual(frames.map((f) => f.tag.frameType === 'key'));
  });
});
