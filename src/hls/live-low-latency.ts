import { renderedSeconds } from './attributes.js';
import { invalid } from './invalid.js';
import type { LivePlaylistKind } from './live-options.js';
import { liveMediaPlaylist, liveSegmentModel, type LivePart, type LiveTimeline } from './live-timeline.js';
import type { LiveModels } from './live-models.js';
import { initUri, partUri } from './live-names.js';
import type { MediaPlaylist, MediaSegment, PartialSegment, RenditionReport, ServerControl } from './media-playlist.js';

/**
 * The LL-HLS half of the live timeline (RFC 8216bis 4.4.3.7-4.4.5.4, 6.2.5, 6.2.6), pure like the
 * rest: parts are appended to the segment being written, the playlist model gains its parts, open
 * segment, preload hint, server control, delta update and rendition reports, and a blocking reload
 * request is classified against the timeline (ready, wait, or too far ahead). No clock: the HTTP
 * layer parks what has to wait and asks again when the timeline changes.
 */

/** The tags of the Parent Segment a part belongs to, known from its first sample. */
export interface OpenSegmentTags {
  readonly programDateTimeMs: number;
  readonly discontinuity: boolean;
  readonly generation: number;
  /** The cluster epoch its files are named with (live-names.ts); absent: plain names. */
  readonly epoch?: number;
  /** The decode time of its first sample (track timescale). */
  readonly startTicks?: number;
}

/** Appends a part of the segment being written (a new open segment when `part.msn` is new). */
export function appendLivePart(timeline: LiveTimeline, part: LivePart, tags: OpenSegmentTags): LiveTimeline {
  if (timeline.partTargetSeconds === undefined) throw invalid('part', 'the timeline has no part target: it was created without LL-HLS');
  if (!Number.isSafeInteger(part.msn) || part.msn < timeline.nextMsn) {
    throw invalid('part.msn', `must be an integer ≥ ${timeline.nextMsn}, the next segment's number, got ${part.msn}`);
  }
  const open = timeline.open;
  if (open !== undefined && open.msn === part.msn) {
    if (part.index !== open.parts.length) throw invalid('part.index', `must be ${open.parts.length}, the next part of segment ${part.msn}, got ${part.index}`);
    return { ...timeline, open: { ...open, parts: [...open.parts, part] } };
  }
  if (open !== undefined && part.msn < open.msn) throw invalid('part.msn', `segment ${open.msn} is being written, got a part of ${part.msn}`);
  if (part.index !== 0) throw invalid('part.index', `a new segment starts with part 0, got ${part.index}`);
  return { ...timeline, open: { msn: part.msn, parts: [part], ...tags } };
}

/** The parts to list with a segment completed now: the open segment's, when it is that segment. */
export function openPartsOf(timeline: LiveTimeline, msn: number): readonly LivePart[] | undefined {
  return timeline.open?.msn === msn ? timeline.open.parts : undefined;
}

export { partUri, parsePartUri } from './live-names.js';

/** Seconds rounded up to whole milliseconds, so a bound computed from them is never undercut. */
function ceilMs(seconds: number): number {
  return Math.ceil(Math.round(seconds * 1e6) / 1e3) / 1e3;
}

/**
 * EXT-X-SERVER-CONTROL (4.4.3.8) of an LL-HLS timeline: blocking reload; PART-HOLD-BACK three part
 * targets (the spec's minimum is two; three leaves a player a part of slack when a reload is late);
 * HOLD-BACK three target durations for players that ignore parts (the spec's minimum); delta
 * updates with the smallest Skip Boundary the spec allows, six target durations.
 */
export function lowLatencyServerControl(timeline: LiveTimeline): ServerControl | undefined {
  const partTarget = timeline.partTargetSeconds;
  if (partTarget === undefined) return undefined;
  return {
    canBlockReload: true,
    canSkipUntilSeconds: 6 * timeline.targetDurationSeconds,
    holdBackSeconds: 3 * timeline.targetDurationSeconds,
    partHoldBackSeconds: ceilMs(3 * partTarget),
  };
}

export interface LiveViewOptions {
  readonly playlistType: LivePlaylistKind;
  /** `'plain'`: no LL-HLS tags at all, for players that predate them. Default `'low-latency'`. */
  readonly view?: 'low-latency' | 'plain';
  /** A Playlist Delta Update (6.2.5.1, `_HLS_skip=YES` or `v2`): segments past the Skip Boundary become EXT-X-SKIP. */
  readonly skip?: boolean;
  /** EXT-X-RENDITION-REPORT of the stream's other renditions (4.4.5.4). */
  readonly renditionReports?: readonly RenditionReport[];
  /** The rendition's model objects, made once per segment and part so rendering can reuse their text (live-models.ts). */
  readonly models?: LiveModels;
}

/**
 * The Media Playlist model of a live timeline, with LL-HLS when the timeline has a part target:
 *
 * - EXT-X-PART for the segments that end within three target durations of the live edge and for
 *   the open segment (4.4.4.9 lets a server drop parts once they are older than that; full segments
 *   stay listed for the whole window),
 * - EXT-X-PRELOAD-HINT for the next part (4.4.5.3), none once the playlist has ended,
 * - on request a delta update: the segments that start more than CAN-SKIP-UNTIL before the end of
 *   the playlist are replaced by EXT-X-SKIP (4.4.5.2). When none qualifies the full playlist is the
 *   answer — a client merges either.
 */
export function liveLowLatencyPlaylist(timeline: LiveTimeline, options: LiveViewOptions): MediaPlaylist {
  const models = options.models;
  const partTarget = timeline.partTargetSeconds;
  if (partTarget === undefined || options.view === 'plain') {
    return liveMediaPlaylist(timeline, options.playlistType, models?.list('plain', timeline.segments, '', () => timeline.segments.map((s) => models.segment(s))));
  }
  const open = timeline.ended ? undefined : timeline.open;
  const openParts = open?.parts ?? [];
  // Segments from `withParts` on list their parts: those ending within three target durations of the end.
  const keepPartsSeconds = 3 * timeline.targetDurationSeconds;
  let fromEnd = openParts.reduce((sum, p) => sum + p.durationSeconds, 0);
  let withParts = timeline.segments.length;
  while (withParts > 0 && fromEnd < keepPartsSeconds) fromEnd += timeline.segments[--withParts]!.durationSeconds;
  const control = lowLatencyServerControl(timeline)!;
  const skipped = options.skip === true ? skippableSegments(timeline, control.canSkipUntilSeconds!) : 0;
  const listed = (): MediaSegment[] =>
    timeline.segments.slice(skipped).map((s, j) => {
      const parts = s.parts;
      if (j + skipped < withParts || parts === undefined || parts.length === 0) return models?.segment(s) ?? liveSegmentModel(s);
      return models?.withParts(s) ?? { ...liveSegmentModel(s), parts: parts.map(livePartModel) };
    });
  const segments = models?.list(options.skip === true ? 'skip' : 'low-latency', timeline.segments, `${withParts} ${skipped}`, listed) ?? listed();
  const nextPart = open === undefined ? partUri(Math.max(timeline.nextMsn, 0), 0, timeline.epoch) : partUri(open.msn, openParts.length, timeline.epoch);
  return {
    ...liveMediaPlaylist(timeline, options.playlistType, segments),
    partTargetSeconds: partTarget,
    serverControl: control,
    ...(skipped > 0 ? { skip: { skippedSegments: skipped } } : {}),
    ...(open !== undefined && openParts.length > 0
      ? {
          openSegment: {
            parts: openParts.map((p) => models?.part(p) ?? livePartModel(p)),
            map: { uri: initUri(open.generation, open.epoch) },
            programDateTimeMs: open.programDateTimeMs,
            ...(open.discontinuity ? { discontinuity: true } : {}),
          },
        }
      : {}),
    ...(timeline.ended ? {} : { preloadHints: [{ type: 'PART' as const, uri: nextPart }] }),
    ...(options.renditionReports !== undefined && options.renditionReports.length > 0 ? { renditionReports: options.renditionReports } : {}),
  };
}

/** Whether a delta update of `timeline` would skip any segment (else the full playlist is the answer to `_HLS_skip`). */
export function deltaUpdateDue(timeline: LiveTimeline): boolean {
  const control = lowLatencyServerControl(timeline);
  return control?.canSkipUntilSeconds !== undefined && !timeline.ended && skippableSegments(timeline, control.canSkipUntilSeconds) > 0;
}

/** A published part as the playlist model lists it. */
export function livePartModel(part: LivePart): PartialSegment {
  return { uri: part.uri, durationSeconds: part.durationSeconds, ...(part.independent ? { independent: true } : {}) };
}

/**
 * How many leading segments start more than `boundarySeconds` before the end of the playlist (the
 * open segment's parts included); the last segment always stays, so a delta update still shows
 * where the playlist goes on.
 */
function skippableSegments(timeline: LiveTimeline, boundarySeconds: number): number {
  let fromStart = 0;
  let total = (timeline.ended ? [] : (timeline.open?.parts ?? [])).reduce((sum, p) => sum + p.durationSeconds, 0);
  for (const s of timeline.segments) total += s.durationSeconds;
  let skipped = 0;
  while (skipped < timeline.segments.length - 1 && renderedSeconds(total - fromStart) > boundarySeconds) {
    fromStart += timeline.segments[skipped]!.durationSeconds;
    skipped += 1;
  }
  return skipped;
}

/** Where the playlist's live edge is: the last part (or segment, without parts) it lists. */
export interface LiveEdge {
  readonly msn: number;
  /** Index of the last listed part of `msn`; undefined when that segment has no parts. */
  readonly part: number | undefined;
}

export function liveEdge(timeline: LiveTimeline): LiveEdge | undefined {
  const open = timeline.ended ? undefined : timeline.open;
  if (open !== undefined && open.parts.length > 0) return { msn: open.msn, part: open.parts.length - 1 };
  const last = timeline.segments.at(-1);
  if (last === undefined) return undefined;
  const parts = last.parts?.length ?? 0;
  return { msn: last.msn, part: parts > 0 ? parts - 1 : undefined };
}

/** EXT-X-RENDITION-REPORT for another rendition: its live edge, `uri` relative to the reporting playlist. */
export function renditionReport(uri: string, timeline: LiveTimeline): RenditionReport | undefined {
  const edge = liveEdge(timeline);
  if (edge === undefined) return undefined;
  return { uri, lastMsn: edge.msn, ...(edge.part === undefined ? {} : { lastPart: edge.part }) };
}

/** A blocking playlist request (6.2.5.2): `_HLS_msn`, and `_HLS_part` when given. */
export interface BlockingRequest {
  readonly msn: number;
  readonly part?: number;
}

/**
 * What to do with a blocking request now:
 *
 * - `'ready'`: the playlist already contains segment `msn` (whole), or part `part` of it, or
 *   anything later — or it has ended and never will: answer with it;
 * - `'wait'`: hold it until the timeline changes and ask again;
 * - `'too-far'`: 6.2.5.2, "If the _HLS_msn is greater than the Media Sequence Number of the last
 *   Media Segment in the current Playlist plus two, or if the _HLS_part exceeds the last Partial
 *   Segment in the current Playlist by the Advance Part Limit, then the server SHOULD immediately
 *   return Bad Request" — the Advance Part Limit being three divided by the part target when that
 *   is under a second. Parts of segments not begun yet are counted at target duration / part target
 *   per segment.
 */
export function blockingReloadState(timeline: LiveTimeline, request: BlockingRequest): 'ready' | 'wait' | 'too-far' {
  if (timeline.ended) return 'ready';
  const last = timeline.segments.at(-1);
  if (last !== undefined && last.msn >= request.msn) return 'ready';
  const open = timeline.open;
  if (open !== undefined && open.parts.length > 0) {
    if (open.msn > request.msn) return 'ready';
    if (open.msn === request.msn && request.part !== undefined && open.parts.length > request.part) return 'ready';
  }
  const edge = liveEdge(timeline);
  const edgeMsn = edge?.msn ?? timeline.nextMsn - 1;
  if (request.msn > edgeMsn + 2) return 'too-far';
  const partTarget = timeline.partTargetSeconds;
  if (request.part !== undefined && partTarget !== undefined) {
    const limit = partTarget < 1 ? Math.ceil(3 / partTarget) : 3;
    const perSegment = Math.ceil(timeline.targetDurationSeconds / partTarget);
    // From the open segment's last part; from a complete segment, the next segment's part 0 is one ahead.
    const openEdge = open !== undefined && open.parts.length > 0;
    const ahead = openEdge ? (request.msn - edgeMsn) * perSegment + request.part - edge!.part! : (request.msn - edgeMsn - 1) * perSegment + request.part + 1;
    if (ahead > limit) return 'too-far';
  }
  return 'wait';
}

/**
 * Whether the part `<msn>.<index>.m4s` can still appear (a preload-hinted part is requested before
 * it exists, 6.2.6): only parts of the open segment past its last one, or of the next segment.
 * Once segment `msn` is listed whole, a part it did not get never will.
 */
export function partState(timeline: LiveTimeline, msn: number, index: number): 'listed' | 'pending' | 'never' {
  const open = timeline.open;
  if (open !== undefined && open.msn === msn && index < open.parts.length) return 'listed';
  const listed = timeline.segments.find((s) => s.msn === msn);
  if (listed !== undefined) return index < (listed.parts?.length ?? 0) ? 'listed' : 'never';
  if (timeline.ended || msn < timeline.nextMsn) return 'never';
  // A number the open segment went past (a follower without samples for a whole segment) never gets parts.
  if (open !== undefined && msn < open.msn) return 'never';
  const edge = liveEdge(timeline);
  const edgeMsn = edge?.msn ?? timeline.nextMsn - 1;
  if (open !== undefined && msn === open.msn) return index <= open.parts.length + 2 ? 'pending' : 'never';
  return msn <= edgeMsn + 1 && index <= 2 ? 'pending' : 'never';
}

/**
 * partState of a requested part file, by its parsed name: a name with another epoch's prefix than
 * the timeline's (or without one when the timeline has one, or the reverse) is another origin's or
 * another packager's object, which this timeline never lists: 'never', like any part that will
 * not appear.
 */
export function partFileState(timeline: LiveTimeline, name: { readonly msn: number; readonly index: number; readonly epoch?: number }): 'listed' | 'pending' | 'never' {
  return name.epoch === timeline.epoch ? partState(timeline, name.msn, name.index) : 'never';
}
