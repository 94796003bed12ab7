import { describe, expect, it } from 'vitest';
import type { Sample, Track } from '../../src/media/index.js';
import { KeyframeWatch } from '../../src/server/keyframe-watch.js';

const video = { id: 1, kind: 'video', timescale: 90_000 } as Track;
const audioId = 2;

function sample(trackId: number, dts: number, keyframe: boolean, bytes = 1000): Sample {
  return { trackId, dts, pts: dts, duration: 0, keyframe, data: new Uint8Array(bytes) };
}

describe('KeyframeWatch: span and bytes since the last video keyframe', () => {
  it('a keyframe every 2 s never trips a 3 s bound', () => {
    const watch = new KeyframeWatch({ maxKeyframeIntervalMs: 3000, maxBytesWithoutKeyframe: 1e9 });
    for (let f = 0; f < 30 * 60; f++) {
      expect(watch.observe(sample(1, f * 3000, f % 60 === 0), video)).toBeUndefined();
      expect(watch.observe(sample(audioId, f * 3000, true), video)).toBeUndefined();
    }
  });

  it('no keyframe after the first: ERR_MEDIA_KEYFRAME_OVERDUE once the span passes the bound, not before', () => {
    const watch = new KeyframeWatch({ maxKeyframeIntervalMs: 3000, maxBytesWithoutKeyframe: 1e9 });
    expect(watch.observe(sample(1, 0, true), video)).toBeUndefined();
    for (let f = 1; f <= 90; f++) expect(watch.observe(sample(1, f * 3000, false), video), `frame ${f}`).toBeUndefined();
    const error = watch.observe(sample(1, 91 * 3000, false), video);
    expect(error?.code).toBe('ERR_MEDIA_KEYFRAME_OVERDUE');
    expect(error?.details).toMatchObject({ spanMs: 3033, maxKeyframeIntervalMs: 3000 });
  });

  it('a stream that never sends a keyframe is timed from its first video frame', () => {
    const watch = new KeyframeWatch({ maxKeyframeIntervalMs: 1000, maxBytesWithoutKeyframe: 1e9 });
    expect(watch.observe(sample(1, 900_000, false), video)).toBeUndefined();
    expect(watch.observe(sample(1, 990_000, false), video)).toBeUndefined();
    expect(watch.observe(sample(1, 990_090, false), video)?.code).toBe('ERR_MEDIA_KEYFRAME_OVERDUE');
  });

  it('bytes of audio and video since the keyframe count too (frames with frozen timestamps)', () => {
    const watch = new KeyframeWatch({ maxKeyframeIntervalMs: 60_000, maxBytesWithoutKeyframe: 10_000 });
    expect(watch.observe(sample(1, 0, true, 5000), video)).toBeUndefined();
    expect(watch.observe(sample(audioId, 0, true, 4000), video)).toBeUndefined();
    expect(watch.observe(sample(1, 0, false, 1000), video)).toBeUndefined();
    expect(watch.observe(sample(1, 0, false, 1), video)?.details).toMatchObject({ bytes: 10_001 });
  });

  it('audio-only streams are cut by duration and never overdue', () => {
    const watch = new KeyframeWatch({ maxKeyframeIntervalMs: 100, maxBytesWithoutKeyframe: 1024 });
    for (let i = 0; i < 1000; i++) expect(watch.observe(sample(audioId, i * 1024, true, 4096), undefined)).toBeUndefined();
  });
});
