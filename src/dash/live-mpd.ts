import type { AdaptationSet, Descriptor, Mpd, Period, Representation, UtcTiming } from './mpd-model.js';
import { objectNamePrefix, openingSegment, timed, type DashRendition, type ListedSegments, type LiveMpdOptions, type LowLatencyDashOptions, type TimedSegment } from './live-input.js';
import { frameRateText, leader, lowLatencyRefusal, LL_GRID_REANCHOR_FRACTION, sameCodecs, timelineEntries } from './live-rules.js';

/**
 * A live DASH presentation rendered from the same timelines as the LL-HLS playlists: every
 * Representation is an HLS rendition, every media segment the same file (`<rendition>/<msn>.m4s`,
 * `$Number$` = the media sequence number), every init section the same `init-<generation>.mp4`,
 * both with the `e<epoch>-` prefix of the packager that wrote them in cluster mode.
 *
 * The timing contract (DASH-IF IOP "Timing"): MPD@availabilityStartTime (AST) is the
 * PROGRAM-DATE-TIME of the first segment this presentation listed and never changes; each HLS
 * discontinuity (republish, codec change, ladder re-plan) starts a new Period whose start is its
 * first segment's date − AST; a Representation's presentationTimeOffset (PTO) is the time, in its
 * timescale, of its Period's start. So for every segment, AST + Period@start + (S@t − PTO) /
 * timescale is its PROGRAM-DATE-TIME (to the millisecond the date is written with): the packager
 * dates media by one anchor per presentation plus media time (presentation-clock.ts), and a
 * Period is exactly one such presentation.
 *
 * What is fixed once shown (a Period's id, start and PTOs, AST) lives in this object, one per
 * stream and MPD flavour; everything else is decided again from the timelines at each render.
 */


/**
 * Regular MPD: players start this many segment targets behind the live edge. Not HLS's three:
 * Shaka (its default autoCorrectDrift) counts the delay from the end of the newest listed
 * segment, which is already up to a segment old, so three put it 6.2–8.2 s behind (6.83 s median
 * measured); with two, dash.js played 4.7 s behind with at least 2 s buffered and no stall
 * (docs/dash.md). One segment stalled dash.js (../shared/research/dash.md).
 */
export const SUGGESTED_PRESENTATION_DELAY_SEGMENTS = 2;

/** Consecutive segments whose dates differ from their duration by more than this (ms) start a new Period: dates are whole milliseconds, rounded down. */
const DATE_JUMP_MS = 2;

export const DASH_PROFILES = ['urn:mpeg:dash:profile:isoff-live:2011', 'urn:mpeg:dash:profile:cmaf:2019'] as const;
export const UTC_TIMING_SCHEME = 'urn:mpeg:dash:utc:http-xsdate:2014';
const PERIOD_CONNECTIVITY = 'urn:mpeg:dash:period-connectivity:2015';
const PERIOD_CONTINUITY = 'urn:mpeg:dash:period-continuity:2015';

export interface LiveMpdResult {
  readonly mpd: Mpd;
  /** The low-latency flavour was asked for but could not be offered: why (the MPD is then the regular one). */
  readonly notLowLatency?: string;
  /** The first segment number of the MPD's last Period: a request for that segment from now on is for that Period. */
  readonly lastPeriodFirstMsn: number;
}

interface PeriodState {
  readonly id: string;
  readonly firstMsn: number;
  /** Epoch ms. */
  readonly startMs: number;
  /** Started to re-anchor the @duration grid (not at an HLS discontinuity): period-continuity. */
  readonly reanchor: boolean;
  /** Per rendition, fixed once computed. */
  readonly pto: Map<string, number>;
}

/** MPD@availabilityStartTime shared by the MPDs of one presentation (manifest.mpd and manifest-ll.mpd): set once, by the first to show a Period. */
export interface DashAnchor {
  astMs: number | undefined;
}

export class LiveDashPresentation {
  readonly #anchor: DashAnchor;
  #periods: PeriodState[] = [];
  #publishKey = '';
  #publishTimeMs = 0;

  /** `anchor`: shared with the other MPD flavour of the same stream, so both have one availabilityStartTime. */
  constructor(anchor: DashAnchor = { astMs: undefined }) {
    this.#anchor = anchor;
  }

  /** MPD@availabilityStartTime, epoch ms, once the first Period is known. */
  get availabilityStartTimeMs(): number | undefined {
    return this.#anchor.astMs;
  }

  /**
   * The MPD for the renditions' timelines now, or undefined while no Period can be shown yet (no
   * segment listed, or the first one not listed by every rendition that reached it).
   */
  render(renditions: readonly DashRendition[], options: LiveMpdOptions): LiveMpdResult | undefined {
    const complete = renditions.map((r) => ({ rendition: r, segments: r.timeline.segments.filter(timed) }));
    if (complete.every((l) => l.segments.length === 0)) return undefined;
    const notLowLatency = options.lowLatency === undefined ? undefined : lowLatencyRefusal(complete, options.segmentTargetSeconds);
    const lowLatency = notLowLatency === undefined ? options.lowLatency : undefined;
    // Low-latency: a comeback's Period is shown from its first part (players address its segments
    // by the clock and get the first one chunked), not a segment later.
    const listed =
      lowLatency === undefined
        ? complete
        : complete.map(({ rendition, segments }) => {
            const opening = openingSegment(rendition);
            return opening === undefined ? { rendition, segments } : { rendition, segments: [...segments, opening] };
          });
    this.#discover(listed, lowLatency === undefined ? undefined : options.segmentTargetSeconds);
    const visible = this.#periods.filter((p) => this.#shown(p, listed));
    const ast = this.#anchor.astMs;
    if (visible.length === 0 || ast === undefined) return undefined;
    const periods: Period[] = [];
    let lastPeriodFirstMsn = 0;
    visible.forEach((state, i) => {
      const next = visible[i + 1];
      // Segments up to the next Period known, shown or not (a Period not shown yet is the last one).
      const end = this.#periods[this.#periods.indexOf(state) + 1]?.firstMsn ?? Number.POSITIVE_INFINITY;
      const inPeriod = listed.map(({ rendition, segments }) => ({ rendition, segments: segments.filter((s) => s.msn >= state.firstMsn && s.msn < end) }));
      const previous = periods.at(-1);
      const period = this.#period(state, next, inPeriod, ast, options, lowLatency, previous);
      if (period.adaptationSets.length > 0) {
        periods.push(period);
        lastPeriodFirstMsn = state.firstMsn;
      }
    });
    if (periods.length === 0) return undefined;
    const maxSegmentSeconds = Math.max(...listed.flatMap(({ rendition, segments }) => segments.map((s) => s.durationTicks / (s.track ?? rendition.track).timescale)));
    const key = (renditions.every((r) => r.timeline.ended) ? 'ended ' : '') + periods.map((p) => `${p.id} ${p.durationSeconds ?? ''} ${p.adaptationSets.map((a) => a.representations.map((r) => `${r.id}:${r.segmentTemplate.startNumber}:${r.segmentTemplate.timeline?.length ?? 0}`).join(',')).join(';')}`).join('|');
    if (key !== this.#publishKey) {
      this.#publishKey = key;
      this.#publishTimeMs = options.nowMs;
    }
    const utcTiming: UtcTiming = { schemeIdUri: UTC_TIMING_SCHEME, value: options.timeUrl };
    // Low-latency, while the publisher is away or its comeback's first segment is being written:
    // players address segments by the clock, so the sooner they see the Period change, the fewer
    // requests they make for numbers of the old Period that will never be.
    const settling = lowLatency !== undefined && renditions.some((r) => r.timeline.away === true || r.timeline.open?.discontinuity === true);
    const target = options.segmentTargetSeconds;
    // Ended (every rendition has EXT-X-ENDLIST): no more updates, and the presentation lasts until its last segment ends.
    const ended = renditions.every((r) => r.timeline.ended);
    const endMs = Math.max(...listed.flatMap(({ rendition, segments }) => segments.map((s) => s.programDateTimeMs + (s.durationTicks * 1000) / (s.track ?? rendition.track).timescale)));
    const mpd: Mpd = {
      type: 'dynamic',
      profiles: DASH_PROFILES,
      availabilityStartTimeMs: ast,
      publishTimeMs: this.#publishTimeMs,
      // Regular MPD: a new segment is known only from the MPD, so a player may learn of it a whole
      // update period after it was made; with a full segment's period that ate the whole 2-segment
      // delay (dash.js stalled once in CI). Half a segment leaves it a second of margin.
      ...(ended ? { mediaPresentationDurationSeconds: Math.max(0, Math.round(endMs - ast) / 1000) } : { minimumUpdatePeriodSeconds: lowLatency === undefined ? target / 2 : settling ? target / 4 : target }),
      timeShiftBufferDepthSeconds: Math.max(1, options.windowSegments - 1) * target,
      ...(lowLatency === undefined ? { suggestedPresentationDelaySeconds: SUGGESTED_PRESENTATION_DELAY_SEGMENTS * target } : {}),
      minBufferTimeSeconds: target,
      maxSegmentDurationSeconds: Math.ceil(maxSegmentSeconds * 1000) / 1000,
      ...(lowLatency === undefined
        ? {}
        : {
            serviceDescription: {
              id: 0,
              latency: { targetMs: lowLatency.targetLatencyMs, minMs: lowLatency.minLatencyMs, maxMs: lowLatency.maxLatencyMs },
              playbackRate: { min: lowLatency.minPlaybackRate, max: lowLatency.maxPlaybackRate },
            },
          }),
      periods,
      utcTimings: [utcTiming],
    };
    return { mpd, lastPeriodFirstMsn, ...(notLowLatency === undefined ? {} : { notLowLatency }) };
  }

  /**
   * New Periods: the first listed segment when there is none yet, every HLS discontinuity after
   * the last known Period's start, and (low-latency, `gridSeconds`) a segment that drifted off the
   * @duration grid. Periods none of whose segments is listed any more are dropped (but the last).
   */
  #discover(listed: ListedSegments, gridSeconds: number | undefined): void {
    const byMsn = new Map<number, TimedSegment[]>();
    for (const { segments } of listed) for (const s of segments) byMsn.set(s.msn, [...(byMsn.get(s.msn) ?? []), s]);
    const msns = [...byMsn.keys()].sort((a, b) => a - b);
    const leaderName = leader(listed.map((l) => l.rendition))?.name;
    const startOf = (msn: number): number => {
      const at = listed.find((l) => l.rendition.name === leaderName)?.segments.find((s) => s.msn === msn);
      return at?.programDateTimeMs ?? Math.min(...byMsn.get(msn)!.map((s) => s.programDateTimeMs));
    };
    if (this.#periods.length === 0) this.#add(msns[0]!, startOf(msns[0]!), false);
    for (const msn of msns) {
      const last = this.#periods.at(-1)!;
      if (msn <= last.firstMsn) continue;
      if (byMsn.get(msn)!.some((s) => s.discontinuity)) {
        this.#add(msn, startOf(msn), false);
        continue;
      }
      // The packager re-anchored its dates (the encoder's clock drifted, presentation-clock.ts): the
      // media goes on, its dates jump; a Period keeps every segment at its date.
      const lead = listed.find((x) => x.rendition.name === leaderName);
      const here = lead?.segments.find((x) => x.msn === msn);
      const before = lead?.segments.find((x) => x.msn === msn - 1);
      if (here !== undefined && before !== undefined) {
        const expected = before.programDateTimeMs + (before.durationTicks * 1000) / (before.track ?? lead!.rendition.track).timescale;
        if (Math.abs(here.programDateTimeMs - expected) > DATE_JUMP_MS) {
          this.#add(msn, here.programDateTimeMs, true);
          continue;
        }
      }
      if (gridSeconds === undefined || leaderName === undefined) continue;
      const l = listed.find((x) => x.rendition.name === leaderName)!;
      const s = l.segments.find((x) => x.msn === msn);
      if (s === undefined) continue;
      const pto = this.#pto(last, l.rendition, l.segments);
      if (pto === undefined) continue;
      const ts = (s.track ?? l.rendition.track).timescale;
      const duration = Math.round(gridSeconds * ts);
      const expected = pto + (msn - last.firstMsn) * duration;
      if (Math.abs(s.startTicks - expected) > duration * LL_GRID_REANCHOR_FRACTION) this.#add(msn, s.programDateTimeMs, true);
    }
    // Periods with nothing listed go (the newest stays).
    const first = Math.min(...msns);
    while (this.#periods.length > 1 && this.#periods[1]!.firstMsn <= first) this.#periods.shift();
  }

  #add(firstMsn: number, startMs: number, reanchor: boolean): void {
    // The other flavour may have set it from an earlier segment: a Period never starts before it.
    this.#anchor.astMs ??= startMs;
    startMs = Math.max(startMs, this.#anchor.astMs);
    // A Period never starts before the previous one (dates of a republish follow the clock, but a date is only ms-exact).
    const previous = this.#periods.at(-1);
    const start = previous === undefined ? startMs : Math.max(startMs, previous.startMs);
    this.#periods.push({ id: `p${firstMsn}`, firstMsn, startMs: start, reanchor, pto: new Map() });
  }

  /**
   * A rendition's PTO in a Period: the tick of the Period's start, from its first segment in the
   * Period (its date and ticks), fixed once computed.
   */
  #pto(period: PeriodState, rendition: DashRendition, segments: readonly TimedSegment[]): number | undefined {
    const known = period.pto.get(rendition.name);
    if (known !== undefined) return known;
    const next = this.#periods[this.#periods.indexOf(period) + 1];
    const first = segments.find((s) => s.msn >= period.firstMsn && (next === undefined || s.msn < next.firstMsn));
    if (first === undefined) return undefined;
    // xs:unsignedLong: a track whose media time starts within a date's rounding of 0 is clamped (off by under a millisecond).
    const pto = Math.max(0, Math.round(first.startTicks - ((first.programDateTimeMs - period.startMs) * (first.track ?? rendition.track).timescale) / 1000));
    period.pto.set(rendition.name, pto);
    return pto;
  }

  /**
   * A Period is shown once every rendition that reached it (lists or writes a segment at or past
   * its first) lists a segment in it, so its set of Representations never grows once shown; one
   * known only from segments being written, once every rendition still live writes it.
   */
  #shown(period: PeriodState, listed: ListedSegments): boolean {
    const next = this.#periods[this.#periods.indexOf(period) + 1];
    let any = false;
    let complete = false;
    let missing = false;
    for (const { rendition, segments } of listed) {
      const inIt = segments.filter((s) => s.msn >= period.firstMsn && (next === undefined || s.msn < next.firstMsn));
      const has = inIt.length > 0;
      const reached = has || segments.some((s) => s.msn >= period.firstMsn) || (rendition.timeline.open?.msn ?? -1) >= period.firstMsn;
      if (reached && !has && next === undefined) return false;
      any ||= has;
      complete ||= inIt.some((s) => s.durationTicks > 0);
      missing ||= !has && !rendition.timeline.ended;
    }
    // Announced from its first parts only (openingSegment): once every rendition has begun it.
    return any && (complete || !missing);
  }

  #period(
    state: PeriodState,
    next: PeriodState | undefined,
    inPeriod: ListedSegments,
    astMs: number,
    options: LiveMpdOptions,
    lowLatency: LowLatencyDashOptions | undefined,
    previous: Period | undefined,
  ): Period {
    const present = inPeriod.filter((x) => x.segments.length > 0);
    const away = inPeriod.length > 0 && inPeriod.every(({ rendition }) => rendition.timeline.away === true);
    const sets: AdaptationSet[] = [];
    for (const [id, kind] of [[1, 'video'], [2, 'audio']] as const) {
      const members = present.filter((x) => x.rendition.track.kind === kind);
      if (members.length === 0) continue;
      const representations = members
        // Low-latency: a Period another follows, or the last one while the publisher is away, lists
        // its segments (SegmentTimeline), so no player counts its numbers by the clock into the time
        // the publisher was away (the number it would ask for next is the comeback's first segment).
        .map(({ rendition, segments }) => this.#representation(state, rendition, segments, options, next === undefined && !away ? lowLatency : undefined))
        .filter((r): r is Representation => r !== undefined)
        .sort((a, b) => b.bandwidth - a.bandwidth);
      if (representations.length === 0) continue;
      const before = previous?.adaptationSets.find((a) => a.id === id);
      const connected = before !== undefined && sameCodecs(before, representations);
      const properties: Descriptor[] = connected ? [{ schemeIdUri: state.reanchor ? PERIOD_CONTINUITY : PERIOD_CONNECTIVITY, value: previous!.id }] : [];
      const videos = representations.filter((r) => r.width !== undefined);
      sets.push({
        id,
        contentType: kind,
        mimeType: `${kind}/mp4`,
        ...(kind === 'audio' ? { lang: 'und' } : {}),
        segmentAlignment: true,
        startWithSap: 1,
        ...(videos.length > 1 ? { maxWidth: Math.max(...videos.map((r) => r.width!)), maxHeight: Math.max(...videos.map((r) => r.height!)) } : {}),
        ...(properties.length > 0 ? { supplementalProperties: properties } : {}),
        ...(lowLatency === undefined
          ? {}
          : { producerReferenceTime: { id, type: 'encoder' as const, wallClockTimeMs: state.startMs, presentationTime: representations[0]!.segmentTemplate.presentationTimeOffset, utcTiming: { schemeIdUri: UTC_TIMING_SCHEME, value: options.timeUrl } } }),
        representations,
      });
    }
    const startSeconds = (state.startMs - astMs) / 1000;
    // A Period lasts until the next one starts: Periods are contiguous, and the time the publisher
    // was away is a gap at the end of the old one (players jump it). Not ended where its media
    // does: Shaka takes a Period's end from the next start whatever @duration says, dash.js seeks
    // to an early end and, between Periods, stays seeking; and an only Period with a duration, all
    // buffered, makes dash.js end playback for good (MediaSource endOfStream).
    return {
      id: state.id,
      startSeconds,
      ...(next !== undefined ? { durationSeconds: (next.startMs - state.startMs) / 1000 } : {}),
      adaptationSets: sets,
    };
  }

  #representation(state: PeriodState, rendition: DashRendition, segments: readonly TimedSegment[], options: LiveMpdOptions, lowLatency: LowLatencyDashOptions | undefined): Representation | undefined {
    const pto = this.#pto(state, rendition, segments);
    if (pto === undefined) return undefined;
    const { timeline } = rendition;
    // $Number$ counts S entries from startNumber: only the run of consecutive numbers at the end can be listed.
    let from = segments.length - 1;
    while (from > 0 && segments[from - 1]!.msn === segments[from]!.msn - 1) from -= 1;
    const run = segments.slice(from);
    const generation = run[0]!.generation;
    const prefix = objectNamePrefix(run[0]!.epoch);
    // The Period's own track: an older Period keeps the codec and size of its init section.
    const track = run[0]!.track ?? rendition.track;
    const base = {
      timescale: track.timescale,
      presentationTimeOffset: pto,
      initialization: `${rendition.name}/${prefix}init-${generation}.mp4`,
      media: `${rendition.name}/${prefix}$Number$.m4s`,
    };
    const segmentTemplate =
      lowLatency === undefined
        ? { ...base, startNumber: run[0]!.msn, timeline: timelineEntries(run) }
        : {
            ...base,
            startNumber: state.firstMsn,
            duration: Math.round(options.segmentTargetSeconds * track.timescale),
            availabilityTimeOffsetSeconds: Math.max(0, options.segmentTargetSeconds - (timeline.partTargetSeconds ?? options.segmentTargetSeconds)),
            availabilityTimeComplete: false,
          };
    const bandwidth = Math.max(1, Math.round(timeline.peakBitsPerSecond || timeline.averageBitsPerSecond));
    if (track.kind === 'video') {
      return {
        id: rendition.name,
        bandwidth,
        codecs: track.codecString,
        width: track.width,
        height: track.height,
        ...(track.frameRate !== undefined && track.frameRate > 0 ? { frameRate: frameRateText(track.frameRate) } : {}),
        sar: `${track.sarWidth}:${track.sarHeight}`,
        segmentTemplate,
      };
    }
    return { id: rendition.name, bandwidth, codecs: track.codecString, audioSamplingRate: track.sampleRate, audioChannels: track.channels, segmentTemplate };
  }
}
