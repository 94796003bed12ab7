import { CmafError } from '../errors/index.js';
import { checkTimescale, secondsToTicks, type Sample } from '../media/index.js';
import { resolveSegmenterOptions, type SegmenterCounters, type SegmenterEvent, type SegmenterOptions, type SegmenterPart } from './segmenter-types.js';

export interface TrackSegmenterOptions extends SegmenterOptions {
  trackId: number;
  /** Ticks per second of the track's sample times. */
  timescale: number;
  /**
   * `'own'` (default): the track decides its cuts — at the first sync sample once the segment
   * has reached its target — as the video track, or the only track, of a presentation does.
   * `'external'`: cuts only where cutAt() says, so the track follows a leader's segments.
   */
  cuts?: 'own' | 'external';
  /**
   * A sync sample inside a segment starts a new part, so the part is independent (LL-HLS
   * INDEPENDENT=YES: a player can join there) — when the part it closes already lasts 85 % of the
   * target: RFC 8216bis 4.4.4.9 exempts the independent part from that floor, not the one before
   * it, so a keyframe off the part grid stays inside its part. Meant for video, where sync samples
   * are keyframes; not for audio, where every sample is one. Default false.
   */
  partAtSyncSamples?: boolean;
  /**
   * `'dts'` (default): an `'external'` track opens a segment at its first sync sample whose decode
   * time is at or after the cut. `'pts'`: whose presentation time is at or after the cut's — for a
   * video track following another video track of the same pictures (an ABR ladder's rungs), where
   * the leader's B-frames decode its keyframe earlier than a rung without B-frames decodes the same
   * picture: what lines up across rungs is the picture, i.e. its presentation time.
   */
  cutBy?: 'dts' | 'pts';
}

interface OpenPart {
  startDts: number;
  duration: number;
  independent: boolean;
  samples: Sample[];
}

interface OpenSegment {
  sequence: number;
  startDts: number;
  /** The opening sample's presentation time as pushed (before shiftCompositionDelay). */
  startPts: number;
  duration: number;
  parts: SegmenterPart[];
}

interface CutPoint {
  dts: number;
  /** The presentation time of the picture that opens the segment; `cutBy: 'pts'` compares it. */
  pts: number;
  sequence: number;
}

const NONE: readonly SegmenterEvent[] = Object.freeze([]);

/**
 * Cuts one track's samples into segments and parts, purely: samples in, boundaries out, no clock.
 *
 * A sample's duration is its successor's dts minus its own (ISO/IEC 14496-12 8.8.8: the samples of
 * a track run are contiguous in decode time, so there is no other way to keep a gap), so every
 * sample is held until the next one arrives and flush() settles the last. Durations written that
 * way make each part and segment end exactly where the next begins.
 *
 * Parts fill greedily: a part closes before the sample that would take it past the part target
 * (RFC 8216bis 4.4.4.9: a Partial Segment's duration MUST be ≤ the Part Target Duration), and a
 * sample longer than the target sits alone. A segment is cut when a sync sample arrives and the
 * segment has reached its target, so it lasts less than target + its last GOP, and it always starts
 * with a sync sample (23000-19 7.3.2: a CMAF fragment starts with a SAP of type 1 or 2).
 */
export class TrackSegmenter {
  readonly trackId: number;
  readonly timescale: number;
  readonly segmentTargetTicks: number;
  readonly partTargetTicks: number;
  readonly #external: boolean;
  readonly #partAtSync: boolean;
  readonly #cutByPts: boolean;
  #nextSequence: number;
  #pending: Sample | undefined;
  #lastDts: number | undefined;
  #lastDuration: number | undefined;
  #lastWasSync = false;
  readonly #shiftDelay: boolean;
  /** Ticks subtracted from every pts (shiftCompositionDelay): fixed by the first sample accepted. */
  #shift: number | undefined;
  #segment: OpenSegment | undefined;
  #part: OpenPart | undefined;
  #cuts: CutPoint[] = [];
  #counters: SegmenterCounters = { samples: 0, droppedBeforeStart: 0, parts: 0, segments: 0 };

  constructor(options: TrackSegmenterOptions) {
    const resolved = resolveSegmenterOptions(options);
    checkTimescale('timescale', options.timescale);
    this.trackId = options.trackId;
    this.timescale = options.timescale;
    // "Reached" means at least the target, "never exceeds" at most: round each the safe way.
    this.segmentTargetTicks = secondsToTicks(resolved.segmentTargetSeconds, this.timescale, 'ceil');
    this.partTargetTicks = Math.max(1, secondsToTicks(resolved.partTargetSeconds, this.timescale, 'floor'));
    this.#external = options.cuts === 'external';
    this.#partAtSync = options.partAtSyncSamples === true;
    this.#cutByPts = options.cutBy === 'pts';
    this.#nextSequence = resolved.firstSequence;
    this.#shiftDelay = resolved.shiftCompositionDelay;
  }

  /** Takes the next sample in decode order; returns the parts and segments it closed. */
  push(sample: Sample): readonly SegmenterEvent[] {
    this.#check(sample);
    const events: SegmenterEvent[] = [];
    const pending = this.#pending;
    if (pending !== undefined) this.#place(settled(pending, sample.dts - pending.dts, this.#shift ?? 0), events);
    const accepted = this.#startsSegment(sample, events) || this.#segment !== undefined;
    if (accepted && this.#shift === undefined) this.#shift = this.#shiftDelay ? Math.max(0, sample.pts - sample.dts) : 0;
    this.#pending = accepted ? sample : undefined;
    if (!accepted) this.#counters.droppedBeforeStart += 1;
    return events.length === 0 ? NONE : events;
  }

  /**
   * Tells an `'external'` segmenter that a segment starts at `dts` (this track's ticks): the first
   * sync sample at or after it opens segment `sequence`. Cut points must come in increasing order.
   * `pts` (default `dts`) is the opening picture's presentation time, for `cutBy: 'pts'`.
   */
  cutAt(dts: number, sequence: number, pts = dts): void {
    if (!this.#external) throw new CmafError('ERR_CMAF_INVALID', `track ${this.trackId} decides its own cuts; cutAt needs cuts: 'external'`, { trackId: this.trackId });
    const last = this.#cuts.at(-1);
    if (!Number.isSafeInteger(dts) || !Number.isSafeInteger(pts) || !Number.isSafeInteger(sequence) || (last !== undefined && (dts < last.dts || pts < last.pts || sequence <= last.sequence))) {
      throw new CmafError('ERR_CMAF_INVALID', `cut point ${dts}/${pts}#${sequence} must be integers increasing on ${last?.dts}/${last?.pts}#${last?.sequence}`, { dts, pts, sequence });
    }
    this.#cuts.push({ dts, pts, sequence });
  }

  /**
   * Ends the stream: settles the held sample — with its own duration if it has one (audio), else
   * the previous sample's, else `defaultDuration` — and closes the open part and segment. The
   * segmenter then starts afresh at the next sync sample (a new segment, sequence continuing;
   * decode times still may not go back).
   */
  flush(defaultDuration = 0): readonly SegmenterEvent[] {
    if (!Number.isSafeInteger(defaultDuration) || defaultDuration < 0) {
      throw new CmafError('ERR_CMAF_INVALID', `flush duration must be a non-negative integer of ticks, got ${defaultDuration}`, { defaultDuration });
    }
    const events: SegmenterEvent[] = [];
    const pending = this.#pending;
    if (pending !== undefined) this.#place(settled(pending, pending.duration > 0 ? pending.duration : (this.#lastDuration ?? defaultDuration), this.#shift ?? 0), events);
    this.#closeSegment(events);
    this.#pending = undefined;
    this.#lastDuration = undefined;
    this.#cuts = [];
    return events;
  }

  /** The segment being filled: where the last cut happened. Undefined before the first. */
  get openSegment(): { readonly sequence: number; readonly startDts: number; readonly startPts: number } | undefined {
    const segment = this.#segment;
    return segment === undefined ? undefined : { sequence: segment.sequence, startDts: segment.startDts, startPts: segment.startPts };
  }

  get counters(): Readonly<SegmenterCounters> {
    return { ...this.#counters };
  }

  #check(sample: Sample): void {
    if (sample.trackId !== this.trackId) {
      throw new CmafError('ERR_CMAF_INVALID', `sample of track ${sample.trackId} pushed to the segmenter of track ${this.trackId}`, { trackId: this.trackId, sampleTrackId: sample.trackId });
    }
    if (!Number.isSafeInteger(sample.duration) || sample.duration < 0) {
      throw new CmafError('ERR_CMAF_INVALID', `sample duration ${sample.duration} of track ${this.trackId} is not a non-negative integer`, { trackId: this.trackId, duration: sample.duration });
    }
    if (!Number.isSafeInteger(sample.dts) || (this.#lastDts !== undefined && sample.dts < this.#lastDts)) {
      throw new CmafError('ERR_CMAF_INVALID', `decode time ${sample.dts} of track ${this.trackId} is not an integer at or after ${this.#lastDts}`, {
        trackId: this.trackId,
        dts: sample.dts,
        previousDts: this.#lastDts,
      });
    }
    this.#lastDts = sample.dts;
  }

  /** Decides whether `sample` opens a segment, closing the one before; false when it does not. */
  /**
   * A follower's first samples may precede the leader's first cut: encoders start audio a frame or
   * two before the first video keyframe (ffmpeg without B-frames: audio at 0 ms, video at 46 ms).
   * They open the first segment early rather than be dropped, as long as they are within one
   * segment target of it — further back there is no video to go with them.
   */
  #earlyStart(sample: Sample): number | undefined {
    const first = this.#cuts[0];
    if (this.#segment !== undefined || first === undefined || first.dts - sample.dts > this.segmentTargetTicks) return undefined;
    this.#cuts.shift();
    return first.sequence;
  }

  #startsSegment(sample: Sample, events: SegmenterEvent[]): boolean {
    if (!sample.keyframe) return false;
    let sequence: number | undefined;
    if (this.#external) {
      const at = this.#cutByPts ? (cut: CutPoint): boolean => cut.pts <= sample.pts : (cut: CutPoint): boolean => cut.dts <= sample.dts;
      while (this.#cuts.length > 0 && at(this.#cuts[0]!)) sequence = this.#cuts.shift()!.sequence;
      sequence ??= this.#earlyStart(sample);
    } else if (this.#segment === undefined || this.#reachedTarget(sample.dts - this.#segment.startDts)) {
      sequence = this.#nextSequence;
    }
    if (sequence === undefined) return false;
    this.#closeSegment(events);
    this.#segment = { sequence, startDts: sample.dts, startPts: sample.pts, duration: 0, parts: [] };
    this.#nextSequence = sequence + 1;
    return true;
  }

  /**
   * Whether a segment that would end after `elapsed` ticks has reached its target. Within one frame
   * of it counts: encoders place a "2 s" keyframe at 1 999 ms as often as at 2 000 ms (OBS's first
   * GOP; a 30 fps clock in whole milliseconds), and waiting for the next keyframe there would make
   * a segment of two GOPs, raising the playlist's target duration and every hold-back with it for
   * the stream's life. One frame is the last settled sample's duration (when it was not a sync
   * sample itself: in audio, where every sample is one, a cut is never more than a sample late), capped at a tenth of the
   * target so a sparse stream (a long frame) cannot cut early by much; a segment cut that way
   * still rounds to the target (RFC 8216bis 4.4.3.1 compares rounded EXTINF values).
   */
  #reachedTarget(elapsed: number): boolean {
    // Where every sample is a sync sample (audio, all-intra video) the cut is a sample away anyway.
    const slack = this.#lastWasSync ? 0 : Math.min(this.#lastDuration ?? 0, Math.floor(this.segmentTargetTicks / 10));
    return elapsed + slack >= this.segmentTargetTicks;
  }

  /**
   * Adds a settled sample to the open part. A part closes before the sample that would take it past
   * the target, and also right after a sample when one more of the same duration would not fit:
   * at a constant frame rate that is the same cut, made one frame earlier — the part is published
   * when its last sample settles instead of when the next one does (LL-HLS latency).
   */
  #place(sample: Sample, events: SegmenterEvent[]): void {
    const open = this.#part;
    if (open !== undefined && (open.duration + sample.duration > this.partTargetTicks || (this.#partAtSync && sample.keyframe && open.duration * 100 >= this.partTargetTicks * 85))) {
      this.#closePart(events);
    }
    const part = (this.#part ??= { startDts: sample.dts, duration: 0, independent: sample.keyframe, samples: [] });
    part.samples.push(sample);
    part.duration += sample.duration;
    this.#lastDuration = sample.duration;
    this.#lastWasSync = sample.keyframe;
    this.#counters.samples += 1;
    if (sample.duration > 0 && part.duration + sample.duration > this.partTargetTicks) this.#closePart(events);
  }

  #closePart(events: SegmenterEvent[]): void {
    const open = this.#part;
    const segment = this.#segment;
    if (open === undefined || segment === undefined) return;
    const part: SegmenterPart = {
      type: 'part',
      trackId: this.trackId,
      segmentSequence: segment.sequence,
      index: segment.parts.length,
      samples: open.samples,
      independent: open.independent,
      startDts: open.startDts,
      duration: open.duration,
    };
    segment.parts.push(part);
    segment.duration += part.duration;
    this.#part = undefined;
    this.#counters.parts += 1;
    events.push(part);
  }

  #closeSegment(events: SegmenterEvent[]): void {
    this.#closePart(events);
    const segment = this.#segment;
    if (segment === undefined) return;
    this.#segment = undefined;
    if (segment.parts.length === 0) return;
    this.#counters.segments += 1;
    events.push({ type: 'segment', trackId: this.trackId, sequence: segment.sequence, startDts: segment.startDts, duration: segment.duration, parts: segment.parts });
  }
}

/**
 * A pushed sample with its duration known (and its pts moved back by `shift`): a new object when
 * anything had to change, so
 * the samples the hub hands to every reader (and keeps in its GOP cache) are never written to.
 */
function settled(sample: Sample, duration: number, shift: number): Sample {
  if (sample.duration === duration && shift === 0) return sample;
  return { trackId: sample.trackId, dts: sample.dts, pts: sample.pts - shift, duration, keyframe: sample.keyframe, data: sample.data };
}
