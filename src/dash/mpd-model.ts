/**
 * An MPEG-DASH Media Presentation Description (ISO/IEC 23009-1) as a plain value: what tidecast
 * writes and nothing more. Times are seconds or epoch milliseconds; render-mpd.ts turns them into
 * xs:duration and xs:dateTime and writes the elements in the order the schema's sequences give.
 */

export interface Mpd {
  readonly type: 'dynamic' | 'static';
  readonly profiles: readonly string[];
  /** MPD@availabilityStartTime, epoch ms (dynamic): fixed for the presentation's life. */
  readonly availabilityStartTimeMs?: number;
  /** MPD@publishTime, epoch ms: when the content last changed. */
  readonly publishTimeMs?: number;
  readonly minimumUpdatePeriodSeconds?: number;
  readonly timeShiftBufferDepthSeconds?: number;
  readonly suggestedPresentationDelaySeconds?: number;
  readonly minBufferTimeSeconds: number;
  readonly maxSegmentDurationSeconds?: number;
  /** MPD@mediaPresentationDuration (static). */
  readonly mediaPresentationDurationSeconds?: number;
  readonly serviceDescription?: ServiceDescription;
  readonly periods: readonly Period[];
  readonly utcTimings: readonly UtcTiming[];
}

/** 23009-1 K (ServiceDescription): the latency a low-latency player aims for, and its catch-up rates. */
export interface ServiceDescription {
  readonly id: number;
  readonly latency: { readonly targetMs: number; readonly minMs: number; readonly maxMs: number };
  readonly playbackRate: { readonly min: number; readonly max: number };
}

export interface UtcTiming {
  readonly schemeIdUri: string;
  readonly value: string;
}

export interface Descriptor {
  readonly schemeIdUri: string;
  readonly value?: string;
}

export interface Period {
  readonly id: string;
  readonly startSeconds: number;
  /** Set on every Period but the last, so Periods stay contiguous. */
  readonly durationSeconds?: number;
  readonly adaptationSets: readonly AdaptationSet[];
}

export interface AdaptationSet {
  readonly id: number;
  readonly contentType: 'video' | 'audio';
  readonly mimeType: string;
  readonly lang?: string;
  readonly segmentAlignment: boolean;
  readonly startWithSap: number;
  readonly maxWidth?: number;
  readonly maxHeight?: number;
  /** Period connectivity / continuity (23009-1 5.3.2.4, DASH-IF IOP). */
  readonly supplementalProperties?: readonly Descriptor[];
  readonly producerReferenceTime?: ProducerReferenceTime;
  readonly representations: readonly Representation[];
}

/** 23009-1 5.12: which wall-clock time a presentation time was produced at. */
export interface ProducerReferenceTime {
  readonly id: number;
  readonly type: 'encoder' | 'captured' | 'application';
  readonly wallClockTimeMs: number;
  /** In the Representations' timescale: the PTO, the Period start. */
  readonly presentationTime: number;
  readonly utcTiming?: UtcTiming;
}

export interface Representation {
  readonly id: string;
  readonly bandwidth: number;
  readonly codecs: string;
  readonly width?: number;
  readonly height?: number;
  readonly frameRate?: string;
  readonly sar?: string;
  readonly audioSamplingRate?: number;
  readonly audioChannels?: number;
  readonly segmentTemplate: SegmentTemplate;
}

export interface SegmentTemplate {
  readonly timescale: number;
  readonly presentationTimeOffset: number;
  readonly startNumber: number;
  readonly initialization: string;
  readonly media: string;
  /** `@duration` addressing (low-latency): the nominal segment duration in the timescale. */
  readonly duration?: number;
  readonly availabilityTimeOffsetSeconds?: number;
  readonly availabilityTimeComplete?: boolean;
  /** Explicit addressing: S elements in order. */
  readonly timeline?: readonly TimelineEntry[];
}

/** One S element: `t` when it does not follow the previous entry, `r` extra repeats. */
export interface TimelineEntry {
  readonly t?: number;
  readonly d: number;
  readonly r?: number;
}
