import { expect } from 'vitest';
import type { SegmenterEvent, SegmenterPart, SegmenterSegment } from '../../src/cmaf/segmenter.js';
import type { Sample } from '../../src/media/index.js';

/**
 * The invariants every segmenter output must keep, checked on one track's events: parts arrive
 * before the segment that lists them (the same objects), a segment is the concatenation of its
 * parts, every duration is the sum of what it holds, time is continuous from sample to sample,
 * part to part and segment to segment, every segment starts with a sync sample, and no part
 * exceeds the part target unless it holds a single sample.
 */
export function checkTrack(events: readonly SegmenterEvent[], trackId: number, partTargetTicks: number): SegmenterSegment[] {
  const segments: SegmenterSegment[] = [];
  let open: SegmenterPart[] = [];
  for (const event of events) {
    if (event.trackId !== trackId) continue;
    if (event.type === 'part') {
      open.push(event);
      continue;
    }
    expect(event.parts.length).toBe(open.length);
    event.parts.forEach((part, i) => expect(part).toBe(open[i]));
    open = [];
    segments.push(event);
  }
  expect(open).toEqual([]);
  segments.forEach((segment, i) => {
    checkSegment(segment, partTargetTicks);
    const next = segments[i + 1];
    if (next !== undefined) {
      expect(next.startDts).toBe(segment.startDts + segment.duration);
      expect(next.sequence).toBeGreaterThan(segment.sequence);
    }
  });
  return segments;
}

function checkSegment(segment: SegmenterSegment, partTargetTicks: number): void {
  const where = `segment ${segment.sequence} of track ${segment.trackId}`;
  ensure(segment.parts.length > 0, `${where} has no parts`);
  ensure(segment.startDts === segment.parts[0]!.startDts, `${where} does not start with its first part`);
  ensure(segment.duration === segment.parts.reduce((sum, p) => sum + p.duration, 0), `${where} is not the sum of its parts`);
  ensure(segment.parts[0]!.samples[0]!.keyframe, `${where} does not start with a sync sample`);
  let dts = segment.startDts;
  segment.parts.forEach((part, index) => {
    const at = `${where}, part ${index}`;
    ensure(part.index === index && part.segmentSequence === segment.sequence, `${at} is misnumbered`);
    ensure(part.startDts === dts, `${at} starts at ${part.startDts}, not ${dts}`);
    ensure(part.independent === part.samples[0]!.keyframe, `${at} has the wrong independent flag`);
    ensure(part.samples.length === 1 || part.duration <= partTargetTicks, `${at} lasts ${part.duration} > ${partTargetTicks}`);
    for (const sample of part.samples) {
      ensure(sample.dts === dts, `${at}: sample at ${sample.dts}, expected ${dts}`);
      ensure(Number.isSafeInteger(sample.duration) && sample.duration >= 0, `${at}: bad duration ${sample.duration}`);
      dts += sample.duration;
    }
    ensure(part.duration === dts - part.startDts, `${at} is not the sum of its samples`);
  });
}

/** A plain check: expect() per sample makes the property runs ten times slower. */
function ensure(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** Every sample of every segment, in order. */
export function samplesOf(segments: readonly SegmenterSegment[]): Sample[] {
  return segments.flatMap((s) => s.parts.flatMap((p) => [...p.samples]));
}
