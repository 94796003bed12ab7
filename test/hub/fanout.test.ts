import { describe, expect, it } from 'vitest';
import { Hub, Reader, type Publisher } from '../../src/hub/index.js';
import { AUDIO, AV, audio, samplesOf, video } from './helpers.js';
import type { Sample } from '../../src/media/index.js';

function live(options: ConstructorParameters<typeof Hub>[0] = {}): Publisher {
  const r = new Hub(options).publish({ app: 'live', streamKey: 'k', publisherId: 'p', nowMs: 0 });
  if (!r.ok) throw new Error('refused');
  return r.publisher;
}

/** Two 4-frame GOPs of 100-byte frames with one 10-byte audio frame after each video frame. */
function gops(count: number): Sample[] {
  const out: Sample[] = [];
  for (let n = 0; n < count * 4; n += 1) out.push(video(n, n % 4 === 0), audio(n));
  return out;
}

describe('fan-out', () => {
  it("carries each sample's arrival time to live readers; the GOP cache's replay has none", () => {
    const p = live();
    p.setTracks(AV);
    const published = gops(1);
    published.forEach((s, i) => p.pushSample(s, 1000 + i));
    const reader = p.stream.subscribe();
    const replayed = reader.drain().filter((item) => item.type === 'sample');
    expect(replayed.map((item) => item.type === 'sample' && item.arrivedMs)).toEqual(replayed.map(() => undefined));
    p.pushSample(video(4, true), 5000);
    expect(reader.drain().map((item) => item.type === 'sample' && item.arrivedMs)).toEqual([5000]);
  });

  it('hands out frozen samples: the object every reader and the GOP cache share cannot be written to', () => {
    const p = live();
    const reader = p.stream.subscribe();
    p.setTracks(AV);
    const published = gops(1);
    published.forEach((s, i) => p.pushSample(s, i));
    const got = samplesOf(reader.drain());
    expect(got.length).toBe(published.length);
    for (const sample of got) expect(Object.isFrozen(sample)).toBe(true);
    // What a segmenter that filled in a duration used to do: in strict code (ESM) it throws.
    expect(() => {
      (got[0] as { duration: number }).duration = 1234;
    }).toThrow(TypeError);
    expect(p.stream.subscribe({ startWith: 'gop' }).drain().filter((i) => i.type === 'sample').every((i) => Object.isFrozen(i.sample))).toBe(true);
  });

  it('every reader gets every sample in publish order', () => {
    const p = live();
    const readers = Array.from({ length: 50 }, () => p.stream.subscribe());
    p.setTracks(AV);
    const published = gops(3);
    published.forEach((s, i) => p.pushSample(s, i));
    for (const r of readers) {
      const items = r.drain();
      expect(items[0]).toEqual({ type: 'tracks', tracks: AV, generation: 0 });
      expect(samplesOf(items)).toEqual(published);
      expect(samplesOf(items)[0]!.data).toBe(published[0]!.data); // the same view, not a copy
      expect(r.counters).toMatchObject({ droppedSamples: 0, queuedBytes: 0, deliveredSamples: published.length });
    }
  });

  it('a slow reader drops to the next keyframe while fast readers lose nothing', () => {
    const p = live();
    const fast = p.stream.subscribe();
    const slow = p.stream.subscribe({ maxQueuedBytes: 500 });
    const fastGot: Sample[] = [];
    fast.onReadable(() => fastGot.push(...samplesOf(fast.drain())));
    let wakeups = 0;
    slow.onReadable(() => (wakeups += 1));
    p.setTracks(AV);
    const published = gops(3);
    published.forEach((s, i) => expect(p.pushSample(s, i)).toBe(true));

    expect(fastGot).toEqual(published);
    expect(wakeups).toBe(1); // at most once until drained
    // 4 video + 4 audio = 440 bytes fit; video 4 (a keyframe... of the next GOP) would make 540.
    const got = samplesOf(slow.drain());
    expect(got).toEqual(published.slice(0, 8));
    expect(slow.counters).toMatchObject({ droppedSamples: 16, droppedBytes: 16 * 55, dropRuns: 1, queuedBytes: 0 });

    // Drained: the next GOP comes in from its keyframe, audio dropped until then too.
    p.pushSample(video(12, false), 100);
    p.pushSample(audio(12), 100);
    p.pushSample(video(13, true), 101);
    p.pushSample(audio(13), 101);
    expect(wakeups).toBe(2);
    expect(samplesOf(slow.drain()).map((s) => `${s.trackId}:${s.keyframe}`)).toEqual(['1:true', '2:true']);
  });

  it("the publisher's cost per push is one O(1) offer per reader, whatever a reader's backlog", () => {
    const p = live();
    const stuck = p.stream.subscribe({ maxQueuedBytes: 1000 });
    const idle = p.stream.subscribe();
    let offers = 0;
    const original = Reader.prototype.offerSample;
    Reader.prototype.offerSample = function (this: Reader, ...args: Parameters<Reader['offerSample']>) {
      offers += 1;
      return original.apply(this, args);
    };
    try {
      p.setTracks(AV);
      for (let n = 0; n < 10_000; n += 1) p.pushSample(video(n, n % 30 === 0), n);
    } finally {
      Reader.prototype.offerSample = original;
    }
    expect(offers).toBe(20_000);
    expect(stuck.counters.queuedBytes).toBeLessThanOrEqual(1000);
    expect(stuck.counters.queuedItems).toBe(11); // tracks + 10 frames: the backlog never grows
    expect(idle.counters.queuedItems).toBe(10_001);
  });

  it('an audio-only reader drops until the queue has room again', () => {
    const p = live();
    const r = p.stream.subscribe({ maxQueuedBytes: 25 });
    p.setTracks([AUDIO]);
    for (let n = 0; n < 4; n += 1) p.pushSample(audio(n), n);
    expect(samplesOf(r.drain()).map((s) => s.dts / 1024)).toEqual([0, 1]);
    p.pushSample(audio(4), 4);
    expect(samplesOf(r.drain()).map((s) => s.dts / 1024)).toEqual([4]);
    expect(r.counters).toMatchObject({ droppedSamples: 2, dropRuns: 1 });
  });

  it('a reader whose callback throws is closed; the publisher and other readers go on', () => {
    const p = live();
    const bad = p.stream.subscribe();
    const good = p.stream.subscribe();
    bad.onReadable(() => {
      throw new Error('boom');
    });
    p.setTracks(AV);
    expect(p.pushSample(video(0, true), 0)).toBe(true);
    expect(bad.closed).toBe(true);
    expect(String(bad.failure)).toContain('boom');
    expect(p.stream.readers).toEqual([good]);
    expect(samplesOf(good.drain())).toHaveLength(1);
  });

  it('close leaves the stream; read after close gives nothing', () => {
    const p = live();
    const r = p.stream.subscribe();
    p.setTracks(AV);
    p.pushSample(video(0, true), 0);
    r.close();
    r.close();
    p.pushSample(video(1, false), 1);
    expect(r.read()).toBeUndefined();
    expect(p.stream.readers).toHaveLength(0);
  });

  it('onReadable registered on a non-empty queue runs at once; drain(max) takes at most max', () => {
    const p = live();
    p.setTracks(AV);
    p.pushSample(video(0, true), 0);
    p.pushSample(video(1, false), 1);
    const r = p.stream.subscribe();
    let calls = 0;
    r.onReadable(() => (calls += 1));
    expect(calls).toBe(1);
    expect(r.drain(2).map((i) => i.type)).toEqual(['tracks', 'sample']);
    expect(r.drain()).toHaveLength(1);
  });
});
