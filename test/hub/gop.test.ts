import { describe, expect, it } from 'vitest';
import { GopCache, Hub, type Publisher } from '../../src/hub/index.js';
import { AUDIO, AV, VIDEO, audio, samplesOf, video } from './helpers.js';

function live(options: ConstructorParameters<typeof Hub>[0] = {}): Publisher {
  const r = new Hub(options).publish({ app: 'live', streamKey: 'k', publisherId: 'p', nowMs: 0 });
  if (!r.ok) throw new Error('refused');
  return r.publisher;
}

describe('GOP cache', () => {
  it("a 'gop' reader starts with the tracks and the last keyframe, audio since then included", () => {
    const p = live();
    p.setTracks(AV);
    for (let n = 0; n < 7; n += 1) {
      p.pushSample(video(n, n % 5 === 0), n);
      p.pushSample(audio(n), n);
    }
    const r = p.stream.subscribe({ startWith: 'gop' });
    const items = r.drain();
    expect(items[0]).toEqual({ type: 'tracks', tracks: AV, generation: 0 });
    const got = samplesOf(items);
    expect(got[0]).toMatchObject({ trackId: 1, keyframe: true, dts: 5 * 3000 });
    expect(got.map((s) => `${s.trackId}:${s.dts}`)).toEqual(['1:15000', '2:5120', '1:18000', '2:6144']);
    expect(p.stream.gopCacheBytes).toBe(220);
    expect(r.counters.skippedBeforeStart).toBe(0);
  });

  it("a 'live' reader gets the tracks now and samples from the next keyframe", () => {
    const p = live();
    p.setTracks(AV);
    p.pushSample(video(0, true), 0);
    const r = p.stream.subscribe({ startWith: 'live' });
    p.pushSample(video(1, false), 1);
    p.pushSample(audio(1), 1);
    p.pushSample(video(2, true), 2);
    const items = r.drain();
    expect(items.map((i) => i.type)).toEqual(['tracks', 'sample']);
    expect(samplesOf(items)[0]).toMatchObject({ dts: 6000, keyframe: true });
    expect(r.counters).toMatchObject({ skippedBeforeStart: 2, droppedSamples: 0 });
  });

  it('is dropped when it outgrows maxGopCacheBytes, until the next keyframe', () => {
    const p = live({ maxGopCacheBytes: 350 });
    p.setTracks(AV);
    for (let n = 0; n < 3; n += 1) p.pushSample(video(n, n === 0), n);
    expect(p.stream.gopCacheBytes).toBe(300);
    p.pushSample(video(3, false), 3);
    expect(p.stream.gopCacheBytes).toBe(0);
    expect(samplesOf(p.stream.subscribe().drain())).toEqual([]);
    p.pushSample(video(4, false), 4);
    expect(p.stream.gopCacheBytes).toBe(0);
    p.pushSample(video(5, true), 5);
    expect(samplesOf(p.stream.subscribe().drain()).map((s) => s.dts)).toEqual([15000]);
  });

  it('a GOP larger than the reader bound pre-fills the prefix from the keyframe', () => {
    const p = live();
    p.setTracks(AV);
    for (let n = 0; n < 5; n += 1) p.pushSample(video(n, n === 0), n);
    const r = p.stream.subscribe({ maxQueuedBytes: 250 });
    expect(samplesOf(r.drain()).map((s) => s.dts / 3000)).toEqual([0, 1]);
    expect(r.counters.droppedSamples).toBe(3);
  });

  it('new tracks and the end of a publish empty it; an idle stream pre-fills nothing', () => {
    const p = live();
    p.setTracks(AV);
    p.pushSample(video(0, true), 0);
    p.setTracks([{ ...VIDEO, width: 640 }, AUDIO]);
    expect(p.stream.gopCacheBytes).toBe(0);
    p.pushSample(video(1, true), 1);
    p.end(2);
    expect(p.stream.gopCacheBytes).toBe(0);
    expect(p.stream.subscribe().drain()).toEqual([]);
  });

  it('an audio-only stream caches the last frame, so a reader starts at once', () => {
    const p = live();
    p.setTracks([AUDIO]);
    p.pushSample(audio(0), 0);
    p.pushSample(audio(1), 1);
    expect(samplesOf(p.stream.subscribe().drain()).map((s) => s.dts)).toEqual([1024]);
  });

  it('GopCache alone: a keyframe bigger than the bound caches nothing', () => {
    const cache = new GopCache(50);
    cache.add(video(0, true, 60), true);
    cache.add(video(1, false, 10), false);
    expect(cache.samples).toEqual([]);
    cache.add(video(2, true, 40), true);
    cache.add(video(3, false, 10), false);
    expect(cache.samples.map((s) => s.dts)).toEqual([6000, 9000]);
    expect(cache.byteLength).toBe(50);
  });
});
