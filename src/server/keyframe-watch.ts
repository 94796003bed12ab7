import { MediaError } from '../errors/index.js';
import type { Sample, Track } from '../media/index.js';

/**
 * 30 s: segments are cut only at video keyframes, so the open segment of a stream holds everything
 * since the last one. Encoders send one every 1–10 s (OBS "auto" is x264's 250 frames: 8.3 s at
 * 30 fps, 10.4 s at 24 fps; IP cameras 10–20 s at low frame rates); 30 s is above all of them,
 * and bounds a stream that stopped sending keyframes to 30 s of media in memory.
 */
export const DEFAULT_MAX_KEYFRAME_INTERVAL_MS = 30_000;

/**
 * 64 MiB: the same bound in bytes (audio and video since the last keyframe), for very high bit
 * rates: 30 s of 17 Mb/s, or 10 s of a 50 Mb/s contribution stream.
 */
export const DEFAULT_MAX_BYTES_WITHOUT_KEYFRAME = 64 * 1024 * 1024;

export interface KeyframeWatchLimits {
  maxKeyframeIntervalMs: number;
  maxBytesWithoutKeyframe: number;
}

/**
 * Watches one publisher's samples for the next video keyframe: a stream without one grows its
 * open segment (and LL-HLS parts) without bound, and no new player can start it. Returns the
 * ERR_MEDIA_KEYFRAME_OVERDUE error once the span or the bytes since the last keyframe (or since
 * the first video frame) pass their bound; the caller ends the publish. Audio-only streams are
 * cut by duration and never overdue. Pure: sample times in, a verdict out.
 */
export class KeyframeWatch {
  readonly #limits: KeyframeWatchLimits;
  #sinceDts: number | undefined;
  #bytes = 0;

  constructor(limits: KeyframeWatchLimits) {
    this.#limits = limits;
  }

  /** `video` is the stream's video track (undefined when it has none). */
  observe(sample: Sample, video: Track | undefined): MediaError | undefined {
    if (video === undefined) return undefined;
    if (sample.trackId === video.id) {
      if (sample.keyframe) {
        this.#sinceDts = sample.dts;
        this.#bytes = 0;
      }
      this.#sinceDts ??= sample.dts;
    }
    this.#bytes += sample.data.byteLength;
    if (this.#sinceDts === undefined) return undefined;
    const spanMs = sample.trackId === video.id ? ((sample.dts - this.#sinceDts) * 1000) / video.timescale : 0;
    const { maxKeyframeIntervalMs, maxBytesWithoutKeyframe } = this.#limits;
    if (spanMs <= maxKeyframeIntervalMs && this.#bytes <= maxBytesWithoutKeyframe) return undefined;
    return new MediaError(
      'ERR_MEDIA_KEYFRAME_OVERDUE',
      `no video keyframe for ${Math.round(spanMs)} ms and ${this.#bytes} bytes (maxKeyframeIntervalMs ${maxKeyframeIntervalMs}, maxBytesWithoutKeyframe ${maxBytesWithoutKeyframe}): the open segment cannot be cut`,
      { spanMs: Math.round(spanMs), bytes: this.#bytes, maxKeyframeIntervalMs, maxBytesWithoutKeyframe },
    );
  }
}
