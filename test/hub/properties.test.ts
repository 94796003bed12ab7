import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Hub, type Reader } from '../../src/hub/index.js';
import type { Sample } from '../../src/media/index.js';
import { AUDIO, AV, samplesOf } from './helpers.js';

type Op =
  | { kind: 'video'; keyframe: boolean; bytes: number }
  | { kind: 'audio'; bytes: number }
  | { kind: 'drain'; reader: number; max: number }
  | { kind: 'join'; startWith: 'gop' | 'live'; maxQueuedBytes: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('video' as const), keyframe: fc.boolean(), bytes: fc.integer({ min: 0, max: 400 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('audio' as const), bytes: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('drain' as const), reader: fc.nat(7), max: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('join' as const), startWith: fc.constantFrom('gop' as const, 'live' as const), maxQueuedBytes: fc.integer({ min: 1, max: 2000 }) }) },
);

describe('hub properties', () => {
  it('each reader gets a subsequence of what was published, every run from a restart point, within its bound', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 4 }), fc.array(op, { maxLength: 300 }), (withVideo, bounds, ops) => {
        const r = new Hub({ maxGopCacheBytes: 1500 }).publish({ app: 'a', streamKey: 'k', publisherId: 'p', nowMs: 0 });
        if (!r.ok) throw new Error('refused');
        const p = r.publisher;
        const readers: Reader[] = bounds.map((maxQueuedBytes) => p.stream.subscribe({ maxQueuedBytes }));
        const delivered = new Map<Reader, Sample[]>(readers.map((x) => [x, []]));
        p.setTracks(withVideo ? AV : [AUDIO]);
        const published: Sample[] = [];
        let n = 0;
        for (const o of ops) {
          if (o.kind === 'join') {
            const reader = p.stream.subscribe(o);
            readers.push(reader);
            delivered.set(reader, []);
          } else if (o.kind === 'drain') {
            const reader = readers[o.reader % readers.length]!;
            delivered.get(reader)!.push(...samplesOf(reader.drain(o.max)));
          } else {
            if (o.kind === 'video' && !withVideo) continue;
            const sample: Sample = o.kind === 'video'
              ? { trackId: 1, dts: n, pts: n, duration: 0, keyframe: o.keyframe, data: new Uint8Array(o.bytes) }
              : { trackId: 2, dts: n, pts: n, duration: 1, keyframe: true, data: new Uint8Array(o.bytes) };
            n += 1;
            published.push(sample);
            p.pushSample(sample, n);
          }
          for (const reader of readers) expect(reader.counters.queuedBytes).toBeLessThanOrEqual(reader.maxQueuedBytes);
        }
        const position = new Map(published.map((s, i) => [s, i]));
        for (const reader of readers) {
          const got = [...delivered.get(reader)!, ...samplesOf(reader.drain())];
          const indices = got.map((s) => position.get(s)!);
          indices.forEach((index, k) => {
            expect(index).toBeGreaterThan(k === 0 ? -1 : indices[k - 1]!); // a subsequence, in order
            const newRun = k === 0 || index !== indices[k - 1]! + 1;
            const restart = published[index]!.keyframe && (!withVideo || published[index]!.trackId === 1);
            if (newRun) expect(restart).toBe(true);
          });
          const c = reader.counters;
          expect(c.deliveredSamples).toBe(got.length);
          expect(c.droppedBytes).toBeGreaterThanOrEqual(0);
        }
        // Readers present from the start account for every sample: delivered, dropped or skipped.
        for (const reader of readers.slice(0, bounds.length)) {
          const c = reader.counters;
          expect(c.deliveredSamples + c.droppedSamples + c.skippedBeforeStart).toBe(published.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
