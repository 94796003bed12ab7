import type { AudioTrack, Sample, Track, VideoTrack } from '../media/index.js';
import type { PlannedRung } from './ladder-plan.js';

/**
 * What a ladder hands the hub: one presentation with a video track per rung (the copy rung is the
 * source's own video under the rung's id) and the source's audio. It starts once every encoded
 * rung's decoder configuration is known (ffmpeg writes it with the first frame): until then the
 * source's frames wait here, so every rendition starts at the same keyframe.
 *
 * A rung frame's decode time is its presentation time less the source's composition shift `S`
 * (the copy rung's B-frame delay, which the packager takes off every video track's presentation
 * times): a zerolatency rung has no reordering, and shifted by the same `S` its pictures present
 * at exactly the copy rung's times, segment for segment.
 */

export interface LadderOutputSink {
  applyTracks(tracks: readonly Track[]): void;
  applySample(sample: Sample, nowMs: number): void;
}

export interface OutputRung {
  readonly plan: PlannedRung;
  /** The rung's track id in the output presentation, fixed per rung name for the stream's life. */
  readonly id: number;
  /** Encoded rungs: the track made from ffmpeg's decoder configuration. */
  track: VideoTrack | undefined;
}

/** Source frames held before the rungs are ready: far more than any spawn needs (about 0.2 s). */
const MAX_HELD_SAMPLES = 3000;

export class LadderOutput {
  readonly rungs: readonly OutputRung[];
  #sink: LadderOutputSink;
  #source: { video: VideoTrack | undefined; audio: AudioTrack | undefined };
  #started = false;
  /** Source samples (and early rung frames) waiting for the rungs, each with its arrival time. */
  #held: Array<{ sample: Sample; nowMs: number }> = [];
  /** The source video's composition shift, from the first keyframe the output carries; undefined before it. */
  #shift: number | undefined;
  /** Source frames dropped because the rungs took too long to start (MAX_HELD_SAMPLES). */
  droppedWhileStarting = 0;

  constructor(sink: LadderOutputSink, source: { video: VideoTrack | undefined; audio: AudioTrack | undefined }, rungs: readonly OutputRung[]) {
    this.#sink = sink;
    this.#source = source;
    this.rungs = rungs;
  }

  get started(): boolean {
    return this.#started;
  }

  /** The shift S (source video ticks); 0 until the first source keyframe, and without a copy rung. */
  get shift(): number {
    return this.#shift ?? 0;
  }

  /** Whether the output has seen the first source keyframe (rung frames before it have no place yet). */
  get anchored(): boolean {
    return this.#shift !== undefined || this.#source.video === undefined;
  }

  /**
   * A source sample (video or audio). Video before the first keyframe is not carried: no rung
   * can start there. Returns false when it was not carried.
   */
  source(sample: Sample, nowMs: number): boolean {
    const video = this.#source.video;
    const isVideo = video !== undefined && sample.trackId === video.id;
    if (isVideo && this.#shift === undefined) {
      if (!sample.keyframe) return false;
      this.#shift = this.#hasCopy() ? Math.max(0, sample.pts - sample.dts) : 0;
    }
    if (!isVideo && video !== undefined && this.#shift === undefined) return false; // audio waits for the first keyframe too
    const copy = isVideo ? this.rungs.find((r) => r.plan.kind === 'copy') : undefined;
    if (isVideo && copy === undefined) return true; // the source video only feeds ffmpeg
    const out = copy === undefined ? sample : { trackId: copy.id, dts: sample.dts, pts: sample.pts, duration: sample.duration, keyframe: sample.keyframe, data: sample.data };
    this.#emit(out, nowMs);
    return true;
  }

  /** An encoded rung frame at source presentation time `pts` (source video ticks). */
  rungFrame(rung: OutputRung, pts: number, keyframe: boolean, data: Uint8Array, nowMs: number): void {
    this.#emit({ trackId: rung.id, dts: pts - this.shift, pts, duration: 0, keyframe, data }, nowMs);
  }

  /** A rung's decoder configuration arrived; once every rung has one, the output starts. */
  rungTrack(rung: OutputRung, track: VideoTrack, nowMs: number): void {
    const changed = rung.track !== undefined;
    rung.track = track;
    if (this.#started) {
      if (changed) this.#sink.applyTracks(this.tracks());
      return;
    }
    this.#startIfReady();
  }

  /** The output presentation's tracks: each rung's video in ladder order, then the audio. */
  tracks(): Track[] {
    const tracks: Track[] = [];
    const video = this.#source.video;
    for (const rung of this.rungs) {
      if (rung.plan.kind === 'copy' && video !== undefined) tracks.push({ ...video, id: rung.id });
      // The plan's frame rate, not the SPS's: ffmpeg writes its input's guess there (30 for a 15 fps rung).
      else if (rung.track !== undefined) tracks.push({ ...rung.track, id: rung.id, frameRate: rung.plan.frameRate ?? rung.track.frameRate });
    }
    if (this.#source.audio !== undefined) tracks.push(this.#source.audio);
    return tracks;
  }

  /** Starts without waiting for rungs (none to wait for: audio only, a copy-only ladder). */
  #startIfReady(): void {
    if (this.#started || !this.rungs.every((r) => r.plan.kind === 'copy' || r.track !== undefined)) return;
    const tracks = this.tracks();
    if (tracks.length === 0) return;
    this.#started = true;
    this.#sink.applyTracks(tracks);
    const held = this.#held;
    this.#held = [];
    // Each with its own arrival time, not the release's: the packager dates the media from it.
    for (const { sample, nowMs: arrivedMs } of held) this.#sink.applySample(sample, arrivedMs);
  }

  #emit(sample: Sample, nowMs: number): void {
    if (!this.#started) this.#startIfReady();
    if (this.#started) {
      this.#sink.applySample(sample, nowMs);
      return;
    }
    this.#held.push({ sample, nowMs });
    if (this.#held.length > MAX_HELD_SAMPLES) {
      this.#held.shift();
      this.droppedWhileStarting += 1;
    }
  }

  #hasCopy(): boolean {
    return this.rungs.some((r) => r.plan.kind === 'copy');
  }
}
