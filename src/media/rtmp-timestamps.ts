import { checkIntegerOption, checkNumberOption } from '../config/index.js';
import { MediaError } from '../errors/index.js';
import { checkTimescale, rescale } from './rescale.js';
import { RtmpClock } from './rtmp-clock.js';
import { VIDEO_TIMESCALE, type AudioTrack } from './track.js';

/**
 * Default maxGapMs: 10 s. OBS, ffmpeg and hardware encoders send every frame of every track while
 * connected, so a longer hole in one track's timestamps means a broken clock or a restarted
 * encoder; honouring it would put a 10 s hole (or, for a 2^31 ms serial-arithmetic jump, a 24-day
 * one) into the playlist. Beyond it the track is rebased onto its own continuation instead.
 */
export const DEFAULT_MAX_TIMESTAMP_GAP_MS = 10_000;

/**
 * Default resyncThresholdFrames: 1.5. FLV audio timestamps are whole milliseconds, so an exact
 * 1024-sample AAC frame (21.33 ms at 48 kHz) arrives stamped 21 or 22 ms apart, and encoders that
 * stamp audio on a coarse clock add jitter well under a frame: those never exceed 1.5 frames. A
 * dropped frame moves the clock by a whole frame, so a threshold halfway between whole frames
 * never flickers on ±1 ms rounding. One lost frame (≈ 21 ms, below the +45 ms at which audio
 * leading video becomes detectable, ITU-R BT.1359) is absorbed; two (≈ 43 ms) re-anchor at once.
 */
export const DEFAULT_AUDIO_RESYNC_THRESHOLD_FRAMES = 1.5;

/** FLV CompositionTime is SI24 (FLV 10.1 E.4.3.1): signed milliseconds, pts − dts. */
const MIN_COMPOSITION_MS = -(2 ** 23);
const MAX_COMPOSITION_MS = 2 ** 23 - 1;

export interface TimestampOptions {
  /** Largest forward step honoured as a real gap, in ms. Default 10 000 (DEFAULT_MAX_TIMESTAMP_GAP_MS). */
  maxGapMs?: number;
  /** The unwrapper; share one between the tracks of a publish. Default: a clock of this track's own. */
  clock?: RtmpClock;
}

export interface VideoTimestampOptions extends TimestampOptions {
  /** Ticks per second of the output. Default 90 000 (VIDEO_TIMESCALE). */
  timescale?: number;
  /** Duration assumed when a rebase happens before any frame duration was seen. Default timescale / 30. */
  defaultFrameDuration?: number;
}

export interface AudioTimestampOptions extends TimestampOptions {
  /** Drift between the ms clock and the sample count, in frames, that forces a re-anchor. Default 1.5. */
  resyncThresholdFrames?: number;
}

export interface VideoTimestamp {
  dts: number;
  pts: number;
}

export interface AudioTimestamp {
  dts: number;
  duration: number;
}

export interface VideoTimestampCounters {
  frames: number;
  /** Backward (or beyond maxGapMs) steps continued at previous dts + last frame duration. */
  rebases: number;
}

export interface AudioTimestampCounters {
  frames: number;
  /** Forward re-anchors that honour dropped audio with a whole number of missing frames. */
  gaps: number;
  /** Re-anchors that kept the count going: backward steps, jumps beyond maxGapMs, sub-frame drift. */
  rebases: number;
}

/**
 * RTMP video timestamps to track ticks. dts is the message timestamp (ms) on the unwrapped clock;
 * pts adds the FLV CompositionTime, which B-frames make positive and some encoders negative. A dts
 * that would step back (encoder restart, bad clock) or forward by more than maxGapMs continues at
 * previous dts + last frame duration, and every later frame keeps that offset, so dts never
 * decreases and no negative duration reaches the segmenter (ISO/IEC 14496-12 8.6.1.2: decode
 * deltas are unsigned).
 */
export class VideoTimestamps {
  readonly timescale: number;
  readonly #clock: RtmpClock;
  readonly #maxGapTicks: number;
  #lastDts: number | undefined;
  #lastDuration: number;
  #offset = 0;
  #counters: VideoTimestampCounters = { frames: 0, rebases: 0 };

  constructor(options: VideoTimestampOptions = {}) {
    this.timescale = options.timescale ?? VIDEO_TIMESCALE;
    checkTimescale('timescale', this.timescale);
    this.#clock = options.clock ?? new RtmpClock();
    this.#maxGapTicks = rescale(checkIntegerOption('maxGapMs', options.maxGapMs ?? DEFAULT_MAX_TIMESTAMP_GAP_MS, 1, 2 ** 31 - 1), 1000, this.timescale);
    const fallback = Math.max(1, Math.round(this.timescale / 30));
    this.#lastDuration = checkIntegerOption('defaultFrameDuration', options.defaultFrameDuration ?? fallback, 1, this.timescale * 10);
  }

  next(rtmpMs: number, compositionMs: number): VideoTimestamp {
    if (!Number.isInteger(compositionMs) || compositionMs < MIN_COMPOSITION_MS || compositionMs > MAX_COMPOSITION_MS) {
      throw new MediaError('ERR_MEDIA_INVALID', `composition offset must be a signed 24-bit integer of ms, got ${compositionMs}`, { compositionMs });
    }
    const candidate = rescale(this.#clock.unwrap(rtmpMs), 1000, this.timescale) + this.#offset;
    let dts = candidate;
    if (this.#lastDts !== undefined) {
      const delta = candidate - this.#lastDts;
      if (delta < 0 || delta > this.#maxGapTicks) {
        dts = this.#lastDts + this.#lastDuration;
        this.#offset += dts - candidate;
        this.#counters.rebases += 1;
      } else if (delta > 0) {
        this.#lastDuration = delta;
      }
    }
    this.#lastDts = dts;
    this.#counters.frames += 1;
    return { dts, pts: dts + rescale(compositionMs, 1000, this.timescale) };
  }

  get counters(): Readonly<VideoTimestampCounters> {
    return { ...this.#counters };
  }
}

/**
 * RTMP audio timestamps to sample-count time (design.md: audio durations come from sample counts,
 * so audio never drifts). The first frame anchors the count to the RTMP clock; frame n after the
 * anchor gets dts = anchor + n × samplesPerFrame in a timescale equal to the sample rate, whatever
 * its millisecond stamp says, until the stamps drift from the count by more than
 * resyncThresholdFrames. Then a forward drift of whole frames (dropped audio) re-anchors that many
 * frames ahead, and anything else (a step back, a jump beyond maxGapMs) re-anchors at the count,
 * so each dts ≥ previous dts + samplesPerFrame: audio never overlaps.
 */
export class AudioTimestamps {
  readonly timescale: number;
  readonly samplesPerFrame: number;
  readonly #clock: RtmpClock;
  readonly #thresholdTicks: number;
  readonly #maxGapTicks: number;
  #anchorMs: number | undefined;
  #anchorTicks = 0;
  #framesSinceAnchor = 0;
  #counters: AudioTimestampCounters = { frames: 0, gaps: 0, rebases: 0 };

  constructor(track: Pick<AudioTrack, 'timescale' | 'samplesPerFrame'>, options: AudioTimestampOptions = {}) {
    checkTimescale('timescale', track.timescale);
    if (!Number.isInteger(track.samplesPerFrame) || track.samplesPerFrame < 1 || track.samplesPerFrame > 65_536) {
      throw new MediaError('ERR_MEDIA_INVALID', `samplesPerFrame must be an integer from 1 to 65536, got ${track.samplesPerFrame}`, {
        samplesPerFrame: track.samplesPerFrame,
      });
    }
    this.timescale = track.timescale;
    this.samplesPerFrame = track.samplesPerFrame;
    this.#clock = options.clock ?? new RtmpClock();
    const frames = checkNumberOption('resyncThresholdFrames', options.resyncThresholdFrames ?? DEFAULT_AUDIO_RESYNC_THRESHOLD_FRAMES, 0, 1000);
    this.#thresholdTicks = Math.floor(frames * this.samplesPerFrame);
    this.#maxGapTicks = rescale(checkIntegerOption('maxGapMs', options.maxGapMs ?? DEFAULT_MAX_TIMESTAMP_GAP_MS, 1, 2 ** 31 - 1), 1000, this.timescale);
  }

  next(rtmpMs: number): AudioTimestamp {
    const ms = this.#clock.unwrap(rtmpMs);
    if (this.#anchorMs === undefined) {
      this.#anchor(ms, rescale(ms, 1000, this.timescale));
    } else {
      const expected = this.#anchorTicks + this.#framesSinceAnchor * this.samplesPerFrame;
      const drift = this.#anchorTicks + rescale(ms - this.#anchorMs, 1000, this.timescale) - expected;
      if (Math.abs(drift) > this.#thresholdTicks) this.#resync(ms, expected, drift);
    }
    const dts = this.#anchorTicks + this.#framesSinceAnchor * this.samplesPerFrame;
    this.#framesSinceAnchor += 1;
    this.#counters.frames += 1;
    return { dts, duration: this.samplesPerFrame };
  }

  get counters(): Readonly<AudioTimestampCounters> {
    return { ...this.#counters };
  }

  #resync(ms: number, expected: number, drift: number): void {
    // Lost frames are whole frames; rounding drops the ±1 ms the stamps add to the gap.
    const missing = Math.round(drift / this.samplesPerFrame);
    if (drift > 0 && drift <= this.#maxGapTicks && missing >= 1) {
      this.#counters.gaps += 1;
      this.#anchor(ms, expected + missing * this.samplesPerFrame);
    } else {
      this.#counters.rebases += 1;
      this.#anchor(ms, expected);
    }
  }

  #anchor(ms: number, ticks: number): void {
    this.#anchorMs = ms;
    this.#anchorTicks = ticks;
    this.#framesSinceAnchor = 0;
  }
}
