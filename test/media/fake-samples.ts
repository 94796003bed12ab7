import type { Sample } from '../../src/media/index.js';

/** A fake sample source for the segmenter tests: times only, each payload a 1-byte view. */
const PAYLOAD = new Uint8Array([0]);

export interface FakeVideoOptions {
  trackId?: number;
  /** Frames per GOP, one entry per GOP: a keyframe, then (length − 1) inter frames. */
  gops: readonly number[];
  /** Decode time step of each frame in ticks; a function gives irregular steps (frame index → ticks). */
  frameDuration: number | ((index: number) => number);
  startDts?: number;
  /** Inter frames before the first keyframe (a stream joined mid-GOP). */
  leadingInterFrames?: number;
}

/** Video samples with `duration` left 0, as a producer that does not know it yet would push them. */
export function fakeVideo(options: FakeVideoOptions): Sample[] {
  const trackId = options.trackId ?? 1;
  const step = typeof options.frameDuration === 'number' ? () => options.frameDuration as number : options.frameDuration;
  const flags: boolean[] = [];
  for (let i = 0; i < (options.leadingInterFrames ?? 0); i += 1) flags.push(false);
  for (const gop of options.gops) for (let i = 0; i < gop; i += 1) flags.push(i === 0);
  const samples: Sample[] = [];
  let dts = options.startDts ?? 0;
  flags.forEach((keyframe, index) => {
    samples.push({ trackId, dts, pts: dts, duration: 0, keyframe, data: PAYLOAD });
    dts += step(index);
  });
  return samples;
}

export interface FakeAudioOptions {
  trackId?: number;
  count: number;
  samplesPerFrame?: number;
  startDts?: number;
}

/** Audio samples as AudioTimestamps produces them: every frame a sync sample of known duration. */
export function fakeAudio(options: FakeAudioOptions): Sample[] {
  const trackId = options.trackId ?? 2;
  const spf = options.samplesPerFrame ?? 1024;
  const start = options.startDts ?? 0;
  return Array.from({ length: options.count }, (_, n) => ({ trackId, dts: start + n * spf, pts: start + n * spf, duration: spf, keyframe: true, data: PAYLOAD }));
}

/** 29.97 fps as RTMP delivers it: whole-millisecond stamps (33 or 34 ms apart), times 90. */
export function ntscMsStep(index: number): number {
  return (Math.round(((index + 1) * 1001) / 30) - Math.round((index * 1001) / 30)) * 90;
}

/**
 * Merges tracks into one arrival order, as RTMP interleaves them: by dts in seconds, with each
 * track's samples shifted by `skewSeconds[track]` (positive = that track arrives later).
 */
export function interleave(tracks: ReadonlyArray<{ samples: readonly Sample[]; timescale: number; skewSeconds?: number }>): Sample[] {
  const tagged = tracks.flatMap((t, order) => t.samples.map((s, i) => ({ s, at: s.dts / t.timescale + (t.skewSeconds ?? 0), order, i })));
  tagged.sort((a, b) => a.at - b.at || a.order - b.order || a.i - b.i);
  return tagged.map((t) => t.s);
}
