import { checkNumberOption } from '../config/index.js';
import { ConfigError, CmafError } from '../errors/index.js';
import { rescale, secondsToTicks, type Sample, type Track } from '../media/index.js';
import { TrackSegmenter } from './segmenter-track.js';
import { resolveSegmenterOptions, type SegmenterCounters, type SegmenterEvent, type SegmenterOptions } from './segmenter-types.js';

export interface PresentationSegmenterOptions extends SegmenterOptions {
  /**
   * The tracks of one presentation; the first video track leads, or the first track if none is
   * video. A track's own `partTargetSeconds` overrides the presentation's (LL-HLS announces a part
   * target per media playlist, fitted to each track's frame duration).
   */
  tracks: ReadonlyArray<Pick<Track, 'id' | 'kind' | 'timescale'> & { readonly partTargetSeconds?: number }>;
  /**
   * Seconds a follower track may run ahead of the leader before its samples are segmented without
   * waiting for the leader's cut decisions. Default 1: RTMP encoders interleave audio and video
   * within about 100 ms (OBS, ffmpeg), so 1 s is only reached when the leader really stalls, and it
   * bounds the samples held per follower.
   */
  maxFollowerLeadSeconds?: number;
}

export const DEFAULT_MAX_FOLLOWER_LEAD_SECONDS = 1;

interface Follower {
  readonly segmenter: TrackSegmenter;
  /** Cuts at the leader's pictures (a ladder rung): decided by presentation time (#release). */
  readonly byPts: boolean;
  readonly maxLeadTicks: number;
  readonly queue: Sample[];
  lastDts: number | undefined;
}

/**
 * The segmenters of one presentation, kept aligned. One TrackSegmenter per track (CMAF puts every
 * track in its own track file, ISO/IEC 23000-19 7.3.2.1), of which one leads: the video track cuts
 * at its keyframes, or, in an audio-only presentation, the first audio track cuts by duration. Each
 * leader cut is passed on, rescaled, to the followers, which start their segment at their first
 * sample whose dts is at or after it — so segment n of every track covers the same span to within
 * one follower frame, and shares its sequence number.
 *
 * Interleaving is the catch: an audio sample past the next video cut may arrive before the video
 * keyframe that makes the cut. So a follower's samples wait until the leader's dts has passed them
 * (the leader decides a cut when the keyframe arrives, so every cut up to its latest dts is known),
 * or until the held samples span more than maxFollowerLeadSeconds (the leader stalled) — then they
 * go on undecided, and the follower cuts at its next sync sample once the cut does come: alignment
 * degrades by the stall, nothing is lost or reordered.
 */
export class PresentationSegmenter {
  readonly leaderTrackId: number;
  readonly #leader: TrackSegmenter;
  readonly #followers = new Map<number, Follower>();
  #leaderDts: number | undefined;
  #lastCut: number | undefined;

  constructor(options: PresentationSegmenterOptions) {
    const resolved = resolveSegmenterOptions(options);
    const leadSeconds = checkNumberOption('maxFollowerLeadSeconds', options.maxFollowerLeadSeconds ?? DEFAULT_MAX_FOLLOWER_LEAD_SECONDS, 0, 60, true);
    const ids = new Set(options.tracks.map((t) => t.id));
    if (options.tracks.length === 0 || ids.size !== options.tracks.length) {
      throw new ConfigError('ERR_CONFIG_INVALID', 'option tracks must list at least one track, each id once', { option: 'tracks' });
    }
    const leader = options.tracks.find((t) => t.kind === 'video') ?? options.tracks[0]!;
    this.leaderTrackId = leader.id;
    const partTarget = (track: { readonly partTargetSeconds?: number }): number => track.partTargetSeconds ?? resolved.partTargetSeconds;
    // Video parts start at every keyframe, so each GOP inside a segment is a place to join (INDEPENDENT=YES).
    const partAtSyncSamples = (track: { readonly kind: string }): boolean => track.kind === 'video';
    this.#leader = new TrackSegmenter({ ...resolved, partTargetSeconds: partTarget(leader), trackId: leader.id, timescale: leader.timescale, partAtSyncSamples: partAtSyncSamples(leader) });
    for (const track of options.tracks) {
      if (track === leader) continue;
      // A second video track shows the same pictures (a ladder rung): it cuts at the same picture.
      const cutBy = track.kind === 'video' && leader.kind === 'video' ? 'pts' : 'dts';
      const segmenter = new TrackSegmenter({ ...resolved, partTargetSeconds: partTarget(track), trackId: track.id, timescale: track.timescale, cuts: 'external', cutBy, partAtSyncSamples: partAtSyncSamples(track) });
      this.#followers.set(track.id, { segmenter, byPts: cutBy === 'pts', maxLeadTicks: secondsToTicks(leadSeconds, track.timescale), queue: [], lastDts: undefined });
    }
  }

  /** Takes the next sample of any track (each track in decode order); returns what it closed. */
  push(sample: Sample): readonly SegmenterEvent[] {
    const events: SegmenterEvent[] = [];
    if (sample.trackId === this.leaderTrackId) {
      events.push(...this.#leader.push(sample));
      this.#leaderDts = sample.dts;
      this.#forwardCut();
      for (const follower of this.#followers.values()) this.#release(follower, false, events);
      return events;
    }
    const follower = this.#followers.get(sample.trackId);
    if (follower === undefined) {
      throw new CmafError('ERR_CMAF_INVALID', `sample of track ${sample.trackId}, which is not in the presentation`, { trackId: sample.trackId });
    }
    if (follower.lastDts !== undefined && sample.dts < follower.lastDts) {
      throw new CmafError('ERR_CMAF_INVALID', `decode time ${sample.dts} of track ${sample.trackId} is before ${follower.lastDts}`, { trackId: sample.trackId, dts: sample.dts });
    }
    follower.lastDts = sample.dts;
    follower.queue.push(sample);
    this.#release(follower, false, events);
    return events;
  }

  /** Ends every track: the leader's last segment closes, then each follower's held samples follow. */
  flush(defaultVideoDuration = 0): readonly SegmenterEvent[] {
    const events: SegmenterEvent[] = [...this.#leader.flush(defaultVideoDuration)];
    for (const follower of this.#followers.values()) {
      this.#release(follower, true, events);
      events.push(...follower.segmenter.flush());
      follower.lastDts = undefined;
    }
    this.#leaderDts = undefined;
    return events;
  }

  /** Counters of one track's segmenter. */
  counters(trackId: number): Readonly<SegmenterCounters> {
    if (trackId === this.leaderTrackId) return this.#leader.counters;
    const follower = this.#followers.get(trackId);
    if (follower === undefined) throw new CmafError('ERR_CMAF_INVALID', `track ${trackId} is not in the presentation`, { trackId });
    return follower.segmenter.counters;
  }

  #forwardCut(): void {
    const open = this.#leader.openSegment;
    if (open === undefined || open.sequence === this.#lastCut) return;
    this.#lastCut = open.sequence;
    for (const follower of this.#followers.values()) {
      // ceil: a follower sample at dts d is at or after the cut exactly when d ≥ cut × ts_f / ts_l.
      const { timescale } = follower.segmenter;
      follower.segmenter.cutAt(rescale(open.startDts, this.#leader.timescale, timescale, 'ceil'), open.sequence, rescale(open.startPts, this.#leader.timescale, timescale, 'ceil'));
    }
  }

  #release(follower: Follower, all: boolean, events: SegmenterEvent[]): void {
    const { queue, segmenter } = follower;
    // Until the leader has cut its first segment, no follower sample is decided: the ones before
    // that cut may still open the follower's first segment early (TrackSegmenter#earlyStart).
    const decided =
      this.#leaderDts === undefined || this.#lastCut === undefined ? -Infinity : rescale(this.#leaderDts, this.#leader.timescale, segmenter.timescale, 'floor');
    while (queue.length > 0) {
      const head = queue[0]!;
      // A pts follower's sample is decided once its picture presents at or before the leader's
      // latest dts: any leader keyframe still to come presents at or after its own dts, later.
      const at = follower.byPts ? head.pts : head.dts;
      if (!all && at > decided && queue.at(-1)!.dts - head.dts <= follower.maxLeadTicks) return;
      queue.shift();
      events.push(...segmenter.push(head));
    }
  }
}
