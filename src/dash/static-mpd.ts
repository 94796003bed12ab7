import { LiveDashPresentation } from './live-mpd.js';
import type { DashTrack, LiveSegment } from './live-input.js';
import type { Mpd } from './mpd-model.js';

/**
 * A static MPD (ISO/IEC 23009-1 5.4, `type="static"`) of a finished presentation: a recording
 * (docs/recording.md). The Periods, PTOs and SegmentTimelines are the live MPD's (live-mpd.ts),
 * computed from the renditions' whole timelines as an ended live stream's are, so the two never
 * disagree on where a Period starts or which segment `$Number$` names; what only a live MPD needs
 * goes (availabilityStartTime, timeShiftBufferDepth, suggestedPresentationDelay, UTCTiming), and
 * `mediaPresentationDuration` runs from the first Period's start to the end of the last segment.
 */

/** One rendition of a finished presentation: its folder name, track, peak bit rate and every segment, oldest first. */
export interface StaticDashRendition {
  readonly name: string;
  readonly track: DashTrack;
  readonly bandwidth: number;
  /** Each with startTicks and durationTicks (a segment without them is left out). */
  readonly segments: readonly LiveSegment[];
}

export interface StaticMpdOptions {
  /** MPD@publishTime, epoch ms: when the presentation was finished. */
  readonly publishTimeMs?: number;
}

/** The static MPD of the renditions, or undefined when no segment can be placed. */
export function staticMpd(renditions: readonly StaticDashRendition[], options: StaticMpdOptions = {}): Mpd | undefined {
  let longest = 0;
  for (const r of renditions) for (const s of r.segments) if (s.durationTicks !== undefined) longest = Math.max(longest, s.durationTicks / (s.track ?? r.track).timescale);
  if (longest <= 0) return undefined;
  // minBufferTime: the longest segment, whole seconds up (a player can start once it has one).
  const target = Math.max(1, Math.ceil(longest - 0.001));
  const result = new LiveDashPresentation().render(
    renditions.map((r) => ({
      name: r.name,
      track: r.track,
      timeline: { segments: r.segments, open: undefined, partTargetSeconds: undefined, peakBitsPerSecond: r.bandwidth, averageBitsPerSecond: r.bandwidth, ended: true },
    })),
    // The live-only options: what they set is dropped below.
    { segmentTargetSeconds: target, windowSegments: 1, timeUrl: '', nowMs: options.publishTimeMs ?? 0 },
  );
  if (result === undefined) return undefined;
  const { mpd } = result;
  return {
    type: 'static',
    profiles: mpd.profiles,
    ...(options.publishTimeMs === undefined ? {} : { publishTimeMs: options.publishTimeMs }),
    ...(mpd.mediaPresentationDurationSeconds === undefined ? {} : { mediaPresentationDurationSeconds: mpd.mediaPresentationDurationSeconds }),
    minBufferTimeSeconds: target,
    ...(mpd.maxSegmentDurationSeconds === undefined ? {} : { maxSegmentDurationSeconds: mpd.maxSegmentDurationSeconds }),
    periods: mpd.periods,
    utcTimings: [],
  };
}
