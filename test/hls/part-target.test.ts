import { describe, expect, it } from 'vitest';
import { fittedPartTarget } from '../../src/hls/part-target.js';
import type { AudioTrack, VideoTrack } from '../../src/media/index.js';

/**
 * fittedPartTarget (RFC 8216bis 4.4.3.7, 4.4.4.9): the whole number of frames nearest the nominal
 * part target, plus 1 ms for RTMP's millisecond timestamps, rounded up to the millisecond.
 */

function video(frameRate: number | undefined): VideoTrack {
  return { id: 1, kind: 'video', codec: 'avc', timescale: 90_000, codecString: 'avc1.64001f', decoderConfig: Uint8Array.from([1]), width: 1280, height: 720, frameRate, sarWidth: 1, sarHeight: 1 };
}

function audio(samplesPerFrame: number, sampleRate: number): AudioTrack {
  return { id: 2, kind: 'audio', codec: 'aac', timescale: sampleRate, codecString: 'mp4a.40.2', decoderConfig: Uint8Array.from([0x11, 0x90]), sampleRate, channels: 2, samplesPerFrame };
}

describe('fittedPartTarget', () => {
  it.each([
    // 6 frames × 1/30 s = 0.2 s, + 1 ms.
    ['30 fps', 30, 0.2, 0.201],
    // 6 frames × 1001/30000 s = 0.2002 s, + 1 ms = 0.2012 s, up to 0.202.
    ['29.97 fps (30000/1001)', 30000 / 1001, 0.2, 0.202],
    ['29.97 fps as a rounded number', 29.97, 0.2, 0.202],
    // 5 frames × 0.04 s.
    ['25 fps', 25, 0.2, 0.201],
    // 12 frames × 1/60 s.
    ['60 fps', 60, 0.2, 0.201],
    // 0.2 / (1001/24000) = 4.795 → 5 frames; 5 × 1001/24000 = 0.208541… s, + 1 ms = 0.209541… s, up to 0.21.
    ['23.976 fps (24000/1001)', 24000 / 1001, 0.2, 0.21],
    ['23.976 fps as a rounded number', 23.976, 0.2, 0.21],
    // 15 frames × 1/30 s = 0.5 s, + 1 ms.
    ['30 fps, nominal 0.5 s', 30, 0.5, 0.501],
  ])('video %s', (_, frameRate, nominal, expected) => {
    expect(fittedPartTarget(video(frameRate), nominal)).toBe(expected);
  });

  it.each([
    ['frame rate unknown', undefined],
    ['frame rate 0', 0],
  ])('video, %s: keeps the nominal target', (_, frameRate) => {
    expect(fittedPartTarget(video(frameRate), 0.2)).toBe(0.2);
    expect(fittedPartTarget(video(frameRate), 0.5)).toBe(0.5);
  });

  it.each([
    // 0.2 / (1024/48000) = 9.375 → 9 frames = 0.192 s, + 1 ms.
    ['AAC-LC 1024 @ 48 kHz', 1024, 48_000, 0.193],
    // 0.2 / (1024/44100) = 8.61 → 9 frames = 0.208979… s, + 1 ms = 0.209979… s, up to 0.21.
    ['AAC-LC 1024 @ 44.1 kHz', 1024, 44_100, 0.21],
    // 0.2 / (2048/44100) = 4.31 → 4 frames = 0.185759… s, + 1 ms = 0.186759… s, up to 0.187.
    ['HE-AAC 2048 @ 44.1 kHz', 2048, 44_100, 0.187],
  ])('audio %s', (_, samplesPerFrame, sampleRate, expected) => {
    expect(fittedPartTarget(audio(samplesPerFrame, sampleRate), 0.2)).toBe(expected);
  });

  it('a fitted target holds its whole frames and is within 1–2 ms above them', () => {
    for (const frameRate of [24000 / 1001, 24, 25, 30000 / 1001, 30, 50, 60000 / 1001, 60]) {
      const target = fittedPartTarget(video(frameRate), 0.2);
      const frames = Math.round(0.2 * frameRate);
      const span = frames / frameRate;
      // In milliseconds, with 1 µs of slack for float error.
      expect(target * 1000).toBeGreaterThanOrEqual(span * 1000 + 1 - 1e-3);
      expect(target * 1000).toBeLessThan(span * 1000 + 2);
      // Whole milliseconds.
      expect(Math.round(target * 1000) / 1000).toBe(target);
    }
  });
});
