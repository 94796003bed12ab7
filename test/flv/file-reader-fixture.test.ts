import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FlvFileReader, readFlvFile } from '../../src/flv/index.js';
import type { FlvFileTag } from '../../src/flv/index.js';
import { ffprobePath, fixturePath, probePackets, runFfprobeJson } from '../helpers/ffmpeg.js';

/**
 * The committed ffmpeg-made fixture (fixtures/README.md), read with ffprobe as the oracle.
 * FLV 10.1 E.4.2.1 / E.4.3.1: an AAC tag body is 2 header bytes + raw frame (AACPacketType 1)
 * or the AudioSpecificConfig (type 0); an AVC tag body is 5 header bytes (frame type + codec id,
 * AVCPacketType, SI24 CompositionTime) + NAL units (type 1), the decoder configuration (type 0)
 * or end of sequence (type 2). ffprobe counts only the frames, not configurations.
 */

const file = fixturePath('media/h264-aac.flv');
const bytes = new Uint8Array(readFileSync(file));
const ffprobe = await ffprobePath();

const AAC = 10;
const AVC = 7;

function isAacFrame(t: FlvFileTag): boolean {
  return t.type === 8 && t.body[0]! >> 4 === AAC && t.body[1] === 1;
}

function isAvcFrame(t: FlvFileTag): boolean {
  return t.type === 9 && (t.body[0]! & 0x0f) === AVC && t.body[1] === 1;
}

/** SI24 CompositionTime of an AVC video tag, in ms (E.4.3.1). */
function compositionTimeMs(t: FlvFileTag): number {
  return ((t.body[2]! << 24) | (t.body[3]! << 16) | (t.body[4]! << 8)) >> 8;
}

function readAll(chunks: Uint8Array[]): FlvFileTag[] {
  const reader = new FlvFileReader();
  const tags: FlvFileTag[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    for (let item = reader.read(); item !== null; item = reader.read()) if (item.kind === 'tag') tags.push(item);
  }
  reader.end();
  return tags;
}

function sameTags(actual: FlvFileTag[], expected: FlvFileTag[]): boolean {
  return (
    actual.length === expected.length &&
    actual.every((t, i) => {
      const e = expected[i]!;
      return t.type === e.type && t.timestamp === e.timestamp && t.filtered === e.filtered && Buffer.from(t.body).equals(e.body);
    })
  );
}

describe('h264-aac.flv', () => {
  const whole = readFlvFile(bytes);

  it('reads to the end with a header that announces audio and video', () => {
    expect(whole.header).toEqual({ kind: 'header', version: 1, hasAudio: true, hasVideo: true, dataOffset: 9 });
    expect(whole.tags[0]?.type).toBe(18);
    expect(whole.tags.filter((t) => t.type === 18)).toHaveLength(1);
    expect(whole.tags.every((t) => !t.filtered)).toBe(true);
    const headerBytes = 9 + 4;
    const tagBytes = whole.tags.reduce((sum, t) => sum + 11 + t.body.length + 4, 0);
    expect(headerBytes + tagBytes).toBe(bytes.length);
  });

  it('starts each stream with its decoder configuration', () => {
    const firstAudio = whole.tags.find((t) => t.type === 8)!;
    const firstVideo = whole.tags.find((t) => t.type === 9)!;
    expect(firstAudio.body[1]).toBe(0);
    expect(firstVideo.body[1]).toBe(0);
  });

  it.skipIf(ffprobe === undefined)('has as many frames per stream as ffprobe counts packets', async () => {
    const probe = await runFfprobeJson<{ streams: { codec_type: string; nb_read_packets: string }[] }>([
      '-count_packets',
      '-show_entries',
      'stream=codec_type,nb_read_packets',
      file,
    ]);
    const count = (type: string): number => Number(probe.streams.find((s) => s.codec_type === type)?.nb_read_packets);
    expect(whole.tags.filter(isAvcFrame)).toHaveLength(count('video'));
    expect(whole.tags.filter(isAacFrame)).toHaveLength(count('audio'));
    // The numbers recorded in fixtures/README.md; a regenerated fixture must update both.
    expect([count('video'), count('audio')]).toEqual([300, 432]);
  });

  it.skipIf(ffprobe === undefined)('agrees with ffprobe on every video dts, pts and size', async () => {
    const packets = (await probePackets(file))['video'] ?? [];
    const frames = whole.tags.filter(isAvcFrame);
    expect(frames.map((t) => t.timestamp)).toEqual(packets.map((p) => p.dtsMs));
    expect(frames.map((t) => t.timestamp + compositionTimeMs(t))).toEqual(packets.map((p) => p.ptsMs));
    expect(frames.map((t) => t.body.length - 5)).toEqual(packets.map((p) => p.size));
    expect(frames.map((t) => t.body[0]! >> 4 === 1)).toEqual(packets.map((p) => p.keyframe));
    expect(frames.some((t) => compositionTimeMs(t) > 0)).toBe(true);
  });

  it.skipIf(ffprobe === undefined)('agrees with ffprobe on every audio dts and size', async () => {
    const packets = (await probePackets(file))['audio'] ?? [];
    const frames = whole.tags.filter(isAacFrame);
    expect(frames.map((t) => t.timestamp)).toEqual(packets.map((p) => p.dtsMs));
    expect(frames.map((t) => t.body.length - 2)).toEqual(packets.map((p) => p.size));
  });

  it('gives the same tags split in two at every offset of the first 2 KiB', () => {
    for (let at = 0; at <= 2048; at++) {
      if (!sameTags(readAll([bytes.subarray(0, at), bytes.subarray(at)]), whole.tags)) {
        expect.fail(`split at ${at} changed the tags`);
      }
    }
  });

  it('gives the same tags cut at random offsets (seeded)', () => {
    let seed = 0x7f1de;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 50; round++) {
      const cuts = Array.from({ length: 1 + random(64) }, () => random(bytes.length)).sort((a, b) => a - b);
      const chunks = [0, ...cuts].map((from, i) => bytes.subarray(from, cuts[i] ?? bytes.length));
      if (!sameTags(readAll(chunks), whole.tags)) expect.fail(`round ${round} cuts ${cuts.join(',')} changed the tags`);
    }
  });

  it('gives the same tags fed one byte at a time', () => {
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    expect(sameTags(readAll(chunks), whole.tags)).toBe(true);
  });
});
