import type { Track } from '../media/index.js';
import type { AdaptationSet, Representation, TimelineEntry } from './mpd-model.js';
import type { DashRendition, ListedSegments } from './live-input.js';

/**
 * The rules a live MPD render applies to the listed segments (live-mpd.ts): how they become S
 * elements, when the low-latency MPD cannot address them by `@duration`, when the publisher counts
 * as away, which rendition times the Periods, and how a frame rate is written.
 */

/**
 * Low-latency MPD: a segment may start this fraction of @duration off its place on the grid
 * before the Period is re-anchored (a new Period at that segment, period-continuity). A keyframe
 * interval that is not the segment target moves every segment off the grid: that is what
 * LL_GRID_DURATION_TOLERANCE refuses.
 */
export const LL_GRID_REANCHOR_FRACTION = 1 / 8;

/** Low-latency MPD: a listed segment lasting more than this fraction off @duration makes the stream unfit for `@duration` addressing. */
export const LL_GRID_DURATION_TOLERANCE = 0.25;

/** S elements for consecutive segments: `t` on the first and after any jump in time, equal durations merged with `r`. */
export function timelineEntries(segments: readonly { readonly startTicks: number; readonly durationTicks: number }[]): TimelineEntry[] {
  const entries: Array<{ t?: number; d: number; r: number }> = [];
  let end: number | undefined;
  for (const s of segments) {
    const last = entries.at(-1);
    if (last !== undefined && s.startTicks === end && s.durationTicks === last.d) last.r += 1;
    else entries.push({ ...(s.startTicks === end ? {} : { t: s.startTicks }), d: s.durationTicks, r: 0 });
    end = s.startTicks + s.durationTicks;
  }
  return entries;
}

/**
 * Why the low-latency MPD cannot address these segments by `@duration`, or undefined when it can:
 * it needs LL-HLS parts (the chunks it announces with availabilityTimeOffset) and segments that
 * last the segment target (a keyframe interval equal to it).
 */
export function lowLatencyRefusal(listed: ListedSegments, segmentTargetSeconds: number): string | undefined {
  const lead = leader(listed.map((l) => l.rendition));
  if (lead === undefined) return 'no rendition';
  if (lead.timeline.partTargetSeconds === undefined) return 'LL-HLS parts are off (lowLatency: false), so there are no chunks to deliver early';
  const segments = listed.find((l) => l.rendition === lead)!.segments;
  // The last listed segment may be the one a republish or an end cut short.
  for (const s of segments.slice(0, -1)) {
    const seconds = s.durationTicks / (s.track ?? lead.track).timescale;
    if (Math.abs(seconds - segmentTargetSeconds) > segmentTargetSeconds * LL_GRID_DURATION_TOLERANCE) {
      return `segment ${s.msn} of ${lead.name} lasts ${seconds.toFixed(3)} s, not the ${segmentTargetSeconds} s segment target: set the encoder's keyframe interval to ${segmentTargetSeconds} s`;
    }
  }
  return undefined;
}

/** The rendition the Periods are timed by: the first video one (the ladder's first rung, or the only video), else the first. */
export function leader(renditions: readonly DashRendition[]): DashRendition | undefined {
  return renditions.find((r) => r.track.kind === 'video') ?? renditions[0];
}

export function sameCodecs(set: AdaptationSet, representations: readonly Representation[]): boolean {
  const a = set.representations.map((r) => `${r.id} ${r.codecs}`).sort();
  const b = representations.map((r) => `${r.id} ${r.codecs}`).sort();
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** 30 → "30", 29.97… → "30000/1001", 25 → "25"; others as a fraction over 1000. */
export function frameRateText(fps: number): string {
  if (Math.abs(fps - Math.round(fps)) < 1e-6) return String(Math.round(fps));
  const ntsc = (Math.round(fps * 1.001) * 1000) / 1001;
  if (Math.abs(fps - ntsc) < 1e-3) return `${Math.round(fps * 1.001) * 1000}/1001`;
  return `${Math.round(fps * 1000)}/1000`;
}
