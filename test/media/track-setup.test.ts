import { describe, expect, it } from 'vitest';
import { sameBytes, sameTrackSetup, sameTrackSetups, type Track } from '../../src/media/index.js';
// The hub's test tracks: 720p30 AVC and 48 kHz stereo AAC.
import { AUDIO as audio, VIDEO as video } from '../hub/helpers.js';

describe('sameBytes', () => {
  it.each([
    [[], [], true],
    [[1, 2, 3], [1, 2, 3], true],
    [[1, 2, 3], [1, 2, 4], false],
    [[1, 2, 3], [1, 2], false],
    [[0], [], false],
  ])('%j and %j: %s', (a, b, same) => {
    expect(sameBytes(new Uint8Array(a), new Uint8Array(b))).toBe(same);
    expect(sameBytes(new Uint8Array(b), new Uint8Array(a))).toBe(same);
  });

  it('compares the bytes a view shows, not its buffer', () => {
    const buffer = new Uint8Array([9, 1, 2, 3, 9]);
    expect(sameBytes(buffer.subarray(1, 4), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(sameBytes(buffer.subarray(0, 3), new Uint8Array([1, 2, 3]))).toBe(false);
  });
});

describe('sameTrackSetup', () => {
  it('a copy with its own configuration bytes (a re-sent sequence header) is the same setup', () => {
    expect(sameTrackSetup(video, { ...video, decoderConfig: video.decoderConfig.slice() })).toBe(true);
    expect(sameTrackSetup(audio, { ...audio, decoderConfig: audio.decoderConfig.slice() })).toBe(true);
  });

  it.each<[string, Track, Track]>([
    ['id', video, { ...video, id: 3 }],
    ['codec', video, { ...video, codec: 'hevc' }],
    ['timescale', video, { ...video, timescale: 1000 }],
    ['codecString', video, { ...video, codecString: 'avc1.640028' }],
    ['decoderConfig', video, { ...video, decoderConfig: new Uint8Array([1, 0x64, 0, 0x28]) }],
    ['width', video, { ...video, width: 1920 }],
    ['height', video, { ...video, height: 1080 }],
    ['sarWidth', video, { ...video, sarWidth: 4 }],
    ['sarHeight', video, { ...video, sarHeight: 3 }],
    ['frameRate', video, { ...video, frameRate: undefined }],
    ['sampleRate', audio, { ...audio, sampleRate: 44_100 }],
    ['channels', audio, { ...audio, channels: 1 }],
    ['samplesPerFrame', audio, { ...audio, samplesPerFrame: 2048 }],
    ['kind', video, { ...audio, id: 1 }],
  ])('a different %s is a new setup', (_field, a, b) => {
    expect(sameTrackSetup(a, b)).toBe(false);
    expect(sameTrackSetup(b, a)).toBe(false);
  });

  it('lists: the same setups in the same order', () => {
    expect(sameTrackSetups([video, audio], [{ ...video }, { ...audio }])).toBe(true);
    expect(sameTrackSetups([video, audio], [audio, video])).toBe(false);
    expect(sameTrackSetups([video, audio], [video])).toBe(false);
    expect(sameTrackSetups([], [])).toBe(true);
  });
});
