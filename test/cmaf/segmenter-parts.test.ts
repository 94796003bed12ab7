import { describe, expect, it } from 'vitest';
import { PresentationSegmenter, TrackSegmenter, type SegmenterEvent, type SegmenterPart, type SegmenterSegment } from '../../src/cmaf/segmenter.js';
import { secondsToTicks, type Sample } from '../../src/media/index.js';
import { fakeAudio, interleave, ntscMsStep } from '../media/fake-samples.js';
import { checkTrack } from '../media/segment-checks.js';

/**
 * Parts close eagerly (TrackSegmenter#place): right after a sample when one more sample of the same
 * duration would not fit the part target, so a part is published when its last sample settles —
 * by the push of the sample right after it — rather than one push later.
 */

const PAYLOAD = new Uint8Array([0]);

/** 30 fps as RTMP delivers it: whole-millisecond stamps (33 or 34 ms apart), in 90 kHz ticks. */
function msVideo(count: number, gop: number, trackId = 1): Sample[] {
  return Array.from({ length: count }, (_, i) => {
    const dts = Math.round((i * 1000) / 30) * 90;
    return { trackId, dts, pts: dts, duration: 0, keyframe: i % gop === 0, data: PAYLOAD };
  });
}

/** 29.97 fps as whole milliseconds, in 90 kHz ticks. */
function ntscVideo(count: number, gop: number): Sample[] {
  const out: Sample[] = [];
  let dts = 0;
  for (let i = 0; i < count; i++) {
    out.push({ trackId: 1, dts, pts: dts, duration: 0, keyframe: i % gop === 0, data: PAYLOAD });
    dts += ntscMsStep(i);
  }
  return out;
}

interface Emitted {
  readonly event: SegmenterEvent;
  /** Index of the sample whose push returned the event; undefined: returned by flush(). */
  readonly push: number | undefined;
}

function runTrack(samples: readonly Sample[], partTargetSeconds: number) {
  const segmenter = new TrackSegmenter({ trackId: 1, timescale: 90_000, segmentTargetSeconds: 2, partTargetSeconds });
  const emitted: Emitted[] = [];
  const perPush: (readonly SegmenterEvent[])[] = [];
  samples.forEach((sample, i) => {
    const events = segmenter.push(sample);
    perPush.push(events);
    for (const event of events) emitted.push({ event, push: i });
  });
  for (const event of segmenter.flush()) emitted.push({ event, push: undefined });
  const segments = checkTrack(
    emitted.map((e) => e.event),
    1,
    segmenter.partTargetTicks,
  );
  return { segmenter, emitted, perPush, segments };
}

const frames = (segment: SegmenterSegment) => segment.parts.map((p) => p.samples.length);

describe('TrackSegmenter: eager part close', () => {
  // GOPs of 64 frames (2.133 s): every GOP is a segment of 10 parts of 6 frames and one of 4.
  const samples = msVideo(64 * 4, 64);

  it('30 fps in whole ms, part target 0.201 s: every part but a segment\'s last holds exactly 6 frames (0.2 s)', () => {
    const { segmenter, segments } = runTrack(samples, 0.201);
    expect(segmenter.partTargetTicks).toBe(18_090);
    expect(segments.map((s) => s.sequence)).toEqual([0, 1, 2, 3]);
    for (const segment of segments) {
      expect(frames(segment)).toEqual([6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 4]);
      // Six frames always span 200 ms, whatever the 33/34 ms steps inside them.
      for (const part of segment.parts.slice(0, -1)) expect(part.duration).toBe(18_000);
      expect(segment.parts.map((p) => p.independent)).toEqual([true, ...Array<boolean>(10).fill(false)]);
    }
  });

  it('each part comes out of the push of the sample right after its last frame', () => {
    const { emitted } = runTrack(samples, 0.201);
    const parts = emitted.filter((e): e is Emitted & { event: SegmenterPart } => e.event.type === 'part');
    expect(parts).toHaveLength(44);
    for (const { event, push } of parts.slice(0, -1)) {
      const last = event.samples.at(-1)!;
      // The part's last frame is the one just before the pushed sample: frame k, push(k + 1).
      expect(push).toBeDefined();
      expect(last.dts).toBe(samples[push! - 1]!.dts);
    }
    // The stream's very last part (frames 252…255) only closes at flush.
    expect(parts.at(-1)!.push).toBeUndefined();
    expect(parts.at(-1)!.event.samples.map((s) => samples.findIndex((x) => x.dts === s.dts))).toEqual([252, 253, 254, 255]);
  });

  it('one frame earlier than a greedy segmenter: part 0 (frames 0–5) comes out of push(6), not push(7)', () => {
    const { perPush } = runTrack(samples, 0.201);
    // push(5) settles frame 4: 167 ms so far, and one more 34 ms frame makes 201 ms, exactly the
    // target (18 090 ticks), which still fits — no part yet.
    expect(perPush.slice(0, 6).every((events) => events.length === 0)).toBe(true);
    // push(6) settles frame 5: 200 ms, and one more 33 ms frame would not fit: the part closes.
    expect(perPush[6]!.map((e) => e.type)).toEqual(['part']);
    expect((perPush[6]![0] as SegmenterPart).samples.map((s) => samples.findIndex((x) => x.dts === s.dts))).toEqual([0, 1, 2, 3, 4, 5]);
    // A greedy segmenter would have waited for frame 6 to settle (push(7)); here push(7) has nothing.
    expect(perPush[7]).toEqual([]);
    // The segment's short last part (frames 60–63) comes out with the segment, by the keyframe's push.
    expect(perPush[64]!.map((e) => e.type)).toEqual(['part', 'segment']);
  });

  it('29.97 fps in whole ms, part target 0.202 s: 6-frame parts of 200 or 201 ms', () => {
    const ntsc = ntscVideo(64 * 3, 64);
    const { segmenter, segments, emitted } = runTrack(ntsc, 0.202);
    expect(segmenter.partTargetTicks).toBe(18_180);
    for (const segment of segments) {
      expect(frames(segment)).toEqual([6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 4]);
      for (const part of segment.parts.slice(0, -1)) expect([18_000, 18_090]).toContain(part.duration);
    }
    for (const { event, push } of emitted) {
      if (event.type !== 'part' || push === undefined) continue;
      expect(event.samples.at(-1)!.dts).toBe(ntsc[push - 1]!.dts);
    }
  });
});

describe('PresentationSegmenter: per-track part targets', () => {
  const VIDEO = { id: 1, kind: 'video', timescale: 90_000 } as const;
  const video = msVideo(60 * 5, 60);
  const audio = fakeAudio({ trackId: 2, count: Math.floor((10 * 48_000) / 1024) });
  const arrivals = interleave([
    { samples: video, timescale: 90_000 },
    { samples: audio, timescale: 48_000 },
  ]);

  function run(tracks: ConstructorParameters<typeof PresentationSegmenter>[0]['tracks'], partTargetSeconds?: number) {
    const segmenter = new PresentationSegmenter({ tracks, ...(partTargetSeconds === undefined ? {} : { partTargetSeconds }) });
    const events: SegmenterEvent[] = [];
    for (const sample of arrivals) events.push(...segmenter.push(sample));
    events.push(...segmenter.flush());
    return { segmenter, events };
  }

  it('the audio track\'s own target (0.193 s) holds for audio; video keeps the presentation\'s (0.5 s)', () => {
    const { events } = run([VIDEO, { id: 2, kind: 'audio', timescale: 48_000, partTargetSeconds: 0.193 }], 0.5);
    const audioTarget = secondsToTicks(0.193, 48_000, 'floor');
    expect(audioTarget).toBe(9264);
    const a = checkTrack(events, 2, audioTarget);
    const v = checkTrack(events, 1, secondsToTicks(0.5, 90_000, 'floor'));
    expect(a.length).toBeGreaterThanOrEqual(4);
    for (const segment of a) {
      for (const part of segment.parts) expect(part.duration).toBeLessThanOrEqual(audioTarget);
      // 9 AAC frames = 0.192 s; a tenth would not fit.
      expect(segment.parts.slice(0, -1).every((p) => p.samples.length === 9 && p.duration === 9216)).toBe(true);
    }
    // Video parts are far past the audio target: ~0.5 s, 14 or 15 frames, at most 45 000 ticks.
    const videoParts = v.flatMap((s) => s.parts.slice(0, -1));
    expect(videoParts.length).toBeGreaterThan(0);
    for (const part of videoParts) {
      expect(part.duration).toBeLessThanOrEqual(45_000);
      expect(part.samples.length).toBeGreaterThanOrEqual(14);
    }
  });

  it('each track its own: video 0.201 s (6 frames), audio 0.193 s (9 frames), the presentation default unused', () => {
    const { events, segmenter } = run([
      { ...VIDEO, partTargetSeconds: 0.201 },
      { id: 2, kind: 'audio', timescale: 48_000, partTargetSeconds: 0.193 },
    ]);
    const v = checkTrack(events, 1, 18_090);
    const a = checkTrack(events, 2, 9264);
    expect(v.map((s) => s.sequence)).toEqual([0, 1, 2, 3, 4]);
    for (const segment of v) expect(frames(segment)).toEqual([6, 6, 6, 6, 6, 6, 6, 6, 6, 6]);
    for (const segment of a) expect(segment.parts.slice(0, -1).every((p) => p.samples.length === 9)).toBe(true);
    expect(segmenter.counters(1).parts).toBe(50);
  });
});

describe('video parts start at every keyframe (INDEPENDENT=YES inside a segment)', () => {
  const partsOf = (events: readonly SegmenterEvent[]): SegmenterPart[] => events.filter((e): e is SegmenterPart => e.type === 'part');

  it('a 1 s GOP in 2 s segments: ten 6-frame parts a segment, the 1st and the 6th independent', () => {
    const segmenter = new TrackSegmenter({ trackId: 1, timescale: 90_000, segmentTargetSeconds: 2, partTargetSeconds: 0.201, partAtSyncSamples: true });
    const events = [...msVideo(121, 30).flatMap((s) => segmenter.push(s)), ...segmenter.flush()];
    const segment = events.find((e): e is SegmenterSegment => e.type === 'segment')!;
    expect(segment.parts.map((p) => p.samples.length)).toEqual([6, 6, 6, 6, 6, 6, 6, 6, 6, 6]);
    expect(segment.parts.map((p) => p.independent)).toEqual([true, false, false, false, false, true, false, false, false, false]);
  });

  it('a keyframe off the part grid stays inside its part: the part before would fall under 85 % of the target (4.4.4.9)', () => {
    const withSync = new TrackSegmenter({ trackId: 1, timescale: 90_000, segmentTargetSeconds: 2, partTargetSeconds: 0.201, partAtSyncSamples: true });
    // Keyframes every 40 frames: the one at frame 40 comes 4 frames (133 ms, 66 %) into a part.
    const parts = partsOf(msVideo(80, 40).flatMap((s) => withSync.push(s))).filter((p) => p.segmentSequence === 0);
    expect(parts.slice(0, 10).map((p) => p.samples.length)).toEqual([6, 6, 6, 6, 6, 6, 6, 6, 6, 6]);
    expect(parts.filter((p) => p.independent).map((p) => p.index)).toEqual([0]);
    // Every 36 frames (1.2 s, on the 6-frame grid): the part at frame 36 is independent.
    const aligned = new TrackSegmenter({ trackId: 1, timescale: 90_000, segmentTargetSeconds: 2, partTargetSeconds: 0.201, partAtSyncSamples: true });
    expect(partsOf(msVideo(80, 36).flatMap((s) => aligned.push(s))).filter((p) => p.independent && p.segmentSequence === 0).map((p) => p.index)).toEqual([0, 6]);
  });

  it('PresentationSegmenter splits video parts at keyframes, never audio parts at its (all sync) samples', () => {
    const seg = new PresentationSegmenter({
      tracks: [
        { id: 1, kind: 'video', timescale: 90_000, partTargetSeconds: 0.201 },
        { id: 2, kind: 'audio', timescale: 48_000, partTargetSeconds: 0.193 },
      ],
      segmentTargetSeconds: 2,
    });
    const events = [...interleave([{ samples: msVideo(181, 30), timescale: 90_000 }, { samples: fakeAudio({ trackId: 2, count: 280 }), timescale: 48_000 }]).flatMap((s) => seg.push(s)), ...seg.flush()];
    const audioParts = partsOf(events).filter((p) => p.trackId === 2);
    expect(audioParts.slice(0, -1).every((p, i, all) => p.samples.length === 9 || all[i + 1]!.index === 0)).toBe(true);
    const videoIndependent = partsOf(events).filter((p) => p.trackId === 1 && p.independent && p.segmentSequence === 0).map((p) => p.index);
    expect(videoIndependent).toEqual([0, 5]);
  });
});
