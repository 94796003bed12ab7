import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DRIFT_BOUND_MS, PresentationClock } from '../../src/hls/presentation-clock.js';
import type { Sample } from '../../src/media/index.js';

const T0 = Date.UTC(2026, 0, 1);
const frame = (i: number): Sample => ({ trackId: 1, dts: i * 3000, pts: i * 3000, duration: 3000, keyframe: i % 60 === 0, data: new Uint8Array(0) });

/** 30 fps frames for `segments` 2 s segments, frame i arriving at arrival(i); the segment cut at each keyframe. Returns the dates of each segment's first frame. */
function run(clock: PresentationClock, segments: number, arrival: (i: number) => number): number[] {
  const dates: number[] = [];
  for (let i = 0; i < segments * 60; i++) {
    if (i > 0 && i % 60 === 0) clock.segmentCut();
    clock.observe(frame(i), 90_000, arrival(i));
    if (i % 60 === 0) dates.push(clock.dateOf([frame(i)], 90_000, 0, i / 60));
  }
  return dates;
}

describe('PresentationClock: encoder clock drift', () => {
  it('dates are the first arrival plus media time while the encoder keeps time', () => {
    const clock = new PresentationClock();
    expect(run(clock, 10, (i) => T0 + Math.round((i * 1000) / 30))).toEqual(Array.from({ length: 10 }, (_, k) => T0 + 2000 * k));
    expect(clock.reanchors).toBe(0);
  });

  it('property: late arrivals (jitter, bursts after a stall of up to 2 s) never move the dates', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 600, maxLength: 600 }), fc.integer({ min: 1, max: 580 }), (jitter, stallAt) => {
        const clock = new PresentationClock();
        // Frame 0 on time; a stall holds frames back by up to 2 s, then they come in a burst.
        const dates = run(clock, 10, (i) => T0 + Math.round((i * 1000) / 30) + (i === 0 ? 0 : jitter[i]!) + (i >= stallAt && i < stallAt + 60 ? 2000 - (i - stallAt) * 33 : 0));
        expect(clock.reanchors).toBe(0);
        expect(dates).toEqual(Array.from({ length: 10 }, (_, k) => T0 + 2000 * k));
      }),
      { numRuns: 50 },
    );
  });

  it('an encoder clock running fast (or media pushed faster than real time) is measured, never moved back', () => {
    const clock = new PresentationClock();
    const dates = run(clock, 20, (i) => T0 + Math.round(((i * 1000) / 30) * 0.985));
    expect(clock.reanchors).toBe(0);
    expect(clock.driftMs).toBeLessThan(-DRIFT_BOUND_MS);
    expect(dates).toEqual(Array.from({ length: 20 }, (_, k) => T0 + 2000 * k));
  });

  it.each([
    ['slow (1.5 % behind)', 1.015],
    ['slow (3 % behind)', 1.03],
  ])('an encoder clock running %s is re-anchored once the drift passes the bound, from a segment not dated yet', (_what, rate) => {
    const clock = new PresentationClock();
    const arrival = (i: number): number => T0 + Math.round(((i * 1000) / 30) * rate);
    const dates = run(clock, 20, arrival);
    expect(clock.reanchors).toBeGreaterThanOrEqual(1);
    // Every date stays within the bound of when its first frame arrived, plus the measure's lag
    // (the smallest of 3 segments: up to 3 segments' drift, 30 ms each here).
    for (const [k, date] of dates.entries()) expect(Math.abs(date - arrival(60 * k))).toBeLessThanOrEqual(DRIFT_BOUND_MS + 3 * 2000 * (rate - 1) + 10);
    // Between re-anchors the dates advance by media time exactly.
    const steps = dates.slice(1).map((d, k) => d - dates[k]!);
    expect(steps.filter((s) => s !== 2000).length).toBe(clock.reanchors);
  });

  it('a reset (a new presentation) forgets the drift and the re-anchors', () => {
    const clock = new PresentationClock();
    run(clock, 20, (i) => T0 + Math.round(((i * 1000) / 30) * 1.02));
    clock.reset();
    expect(clock.driftMs).toBe(0);
    expect(run(clock, 3, (i) => T0 + 100_000 + Math.round((i * 1000) / 30))).toEqual([T0 + 100_000, T0 + 102_000, T0 + 104_000]);
  });
});
