import { describe, expect, it } from 'vitest';
import { Hub, RateWindow } from '../../src/hub/index.js';
import { AV, audio, video } from './helpers.js';

describe('stream counters and rates', () => {
  it('counts samples and bytes per track and estimates bitrate and frame rate over the window', () => {
    const hub = new Hub({ bitrateWindowMs: 1000 });
    const r = hub.publish({ app: 'live', streamKey: 'k', publisherId: 'p', nowMs: 0 });
    if (!r.ok) throw new Error('refused');
    const { publisher: p, stream } = { publisher: r.publisher, stream: r.publisher.stream };
    p.setTracks(AV);
    // 25 fps of 1 000-byte frames and 50 audio frames of 100 bytes per second, for 2 s.
    for (let ms = 0; ms < 2000; ms += 20) {
      if (ms % 40 === 0) p.pushSample(video(ms / 40, ms % 1000 === 0, 1000), ms);
      p.pushSample(audio(ms / 20, 100), ms);
    }
    expect(stream.counters.samples).toBe(150);
    expect(stream.counters.bytes).toBe(60_000);
    expect(stream.counters.tracks).toEqual([
      { trackId: 1, kind: 'video', samples: 50, bytes: 50_000, keyframes: 2 },
      { trackId: 2, kind: 'audio', samples: 100, bytes: 10_000, keyframes: 100 },
    ]);
    expect(stream.lastSampleAtMs).toBe(1980);
    // Window (1000, 2000] ms: 25 video frames (25 000 B) + 50 audio frames (5 000 B) = 240 kbit/s.
    expect(stream.rates(1999)).toEqual({
      bitrateBps: 240_000,
      frameRate: 25,
      tracks: [
        { trackId: 1, bitrateBps: 200_000, samplesPerSecond: 25 },
        { trackId: 2, bitrateBps: 40_000, samplesPerSecond: 50 },
      ],
    });
    // Nothing since 1980: a second later the window is empty.
    expect(stream.rates(3000).bitrateBps).toBe(0);
  });

  it('a republish restarts the per-track counters and rates; totals go on', () => {
    const hub = new Hub();
    const a = hub.publish({ app: 'live', streamKey: 'k', publisherId: 'a', nowMs: 0 });
    if (!a.ok) throw new Error('refused');
    a.publisher.setTracks(AV);
    a.publisher.pushSample(video(0, true, 500), 0);
    a.publisher.end(10);
    const b = hub.publish({ app: 'live', streamKey: 'k', publisherId: 'b', nowMs: 20 });
    if (!b.ok) throw new Error('refused');
    b.publisher.setTracks(AV);
    b.publisher.pushSample(video(0, true, 100), 20);
    const stream = b.publisher.stream;
    expect(stream.counters.samples).toBe(2);
    expect(stream.counters.tracks[0]).toMatchObject({ samples: 1, bytes: 100 });
    expect(stream.rates(20).bitrateBps).toBe((100 * 8) / 5);
  });
});

describe('RateWindow', () => {
  it('sums the buckets of the window ending at nowMs and reuses slots as time moves on', () => {
    const w = new RateWindow(5000); // 100-ms buckets
    w.add(0, 1000);
    w.add(99, 1000);
    w.add(4999, 500);
    expect(w.totals(4999)).toEqual({ bytes: 2500, count: 3 });
    expect(w.totals(5000)).toEqual({ bytes: 500, count: 1 }); // bucket 0 left the window
    w.add(5000, 10); // same slot as bucket 0, now bucket 50
    expect(w.totals(5050)).toEqual({ bytes: 510, count: 2 });
    expect(w.bitsPerSecond(5050)).toBe((510 * 8) / 5);
    expect(w.totals(100_000)).toEqual({ bytes: 0, count: 0 });
  });
});
