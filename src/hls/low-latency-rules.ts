import { DURATION_DECIMALS, decimalInteger, decimalSeconds, renderedSeconds } from './attributes.js';
import { invalid } from './invalid.js';
import type { MediaPlaylist, MediaSegment, PartialSegment } from './media-playlist.js';

/**
 * The LL-HLS rules that relate several values of a Media Playlist (RFC 8216bis 4.4.3.7, 4.4.3.8,
 * 4.4.4.9, 4.4.5.2, 4.4.5.3, 6.2.6). All comparisons use the values as printed, counted in integer
 * units of 10 µs, so a value exactly at a bound passes and float error cannot decide.
 */

const UNITS_PER_SECOND = 10 ** DURATION_DECIMALS;

function units(seconds: number): number {
  return Math.round(renderedSeconds(seconds) * UNITS_PER_SECOND);
}

/** `fresh`: whether a segment's parts still need their checks (false: checked before, in the same settings). */
export function checkLowLatency(playlist: MediaPlaylist, targetDurationSeconds: number, partDurations: 'strict' | 'lenient' = 'strict', fresh: (segment: MediaSegment) => boolean = () => true): void {
  checkPartTarget(playlist);
  checkPartDurations(playlist, partDurations === 'strict', fresh);
  checkServerControl(playlist, targetDurationSeconds);
  checkSkip(playlist);
  checkPreloadHints(playlist);
}

function hasParts(playlist: MediaPlaylist): boolean {
  return (
    playlist.segments.some((s) => (s.parts ?? []).length > 0) ||
    (playlist.openSegment?.parts ?? []).length > 0 ||
    (playlist.preloadHints ?? []).some((h) => h.type === 'PART')
  );
}

/** 4.4.3.7: EXT-X-PART-INF "is REQUIRED if a Playlist contains one or more EXT-X-PART tags". */
function checkPartTarget(playlist: MediaPlaylist): void {
  if (playlist.partTargetSeconds === undefined) {
    if (hasParts(playlist)) throw invalid('partTargetSeconds', 'is required when the playlist has parts or a PART preload hint (RFC 8216bis 4.4.3.7)');
    return;
  }
  decimalSeconds('partTargetSeconds', playlist.partTargetSeconds);
  if (units(playlist.partTargetSeconds) <= 0) throw invalid('partTargetSeconds', `must be > 0, got ${playlist.partTargetSeconds}`);
}

/**
 * 4.4.4.9: "The duration of a Partial Segment MUST be less than or equal to the Part Target
 * Duration", and "MUST be at least 85% of the Part Target Duration, with the exception of Partial
 * Segments with the INDEPENDENT=YES or GAP=YES attribute, Partial Segments that are immediately
 * followed by a Partial Segment with a GAP=YES attribute, and the final Partial Segment of any
 * Parent Segment." The open segment has no final part yet: its parent is not finished.
 */
function checkPartDurations(playlist: MediaPlaylist, strict: boolean, fresh: (segment: MediaSegment) => boolean): void {
  if (playlist.partTargetSeconds === undefined) return;
  const targetUnits = units(playlist.partTargetSeconds);
  playlist.segments.forEach((segment, i) => {
    if (fresh(segment)) checkParts(`segments[${i}].parts`, segment.parts ?? [], targetUnits, true, strict);
  });
  if (playlist.openSegment !== undefined) checkParts('openSegment.parts', playlist.openSegment.parts, targetUnits, false, strict);
}

function checkParts(field: string, parts: readonly PartialSegment[], targetUnits: number, parentComplete: boolean, strict: boolean): void {
  parts.forEach((part, i) => {
    const partField = `${field}[${i}].durationSeconds`;
    decimalSeconds(partField, part.durationSeconds);
    const partUnits = units(part.durationSeconds);
    if (partUnits <= 0) throw invalid(partField, `must be > 0, got ${part.durationSeconds}`);
    if (!strict) return;
    if (partUnits > targetUnits) throw invalid(partField, `${decimalSeconds(partField, part.durationSeconds)} s is above the part target (RFC 8216bis 4.4.4.9)`);
    const exempt = part.independent === true || part.gap === true || parts[i + 1]?.gap === true || (parentComplete && i === parts.length - 1);
    if (!exempt && partUnits * 100 < targetUnits * 85) {
      throw invalid(partField, `${decimalSeconds(partField, part.durationSeconds)} s is below 85% of the part target (RFC 8216bis 4.4.4.9)`);
    }
  });
}

/** 4.4.3.8 bounds; each is a MUST of the spec. */
function checkServerControl(playlist: MediaPlaylist, targetDurationSeconds: number): void {
  const control = playlist.serverControl;
  if (playlist.partTargetSeconds !== undefined && control?.partHoldBackSeconds === undefined) {
    throw invalid('serverControl.partHoldBackSeconds', 'PART-HOLD-BACK is required when the playlist has EXT-X-PART-INF (RFC 8216bis 4.4.3.8)');
  }
  if (control === undefined) return;
  if (Object.values(control).every((v) => v === undefined || v === false)) throw invalid('serverControl', 'EXT-X-SERVER-CONTROL needs at least one attribute');
  const targetUnits = targetDurationSeconds * UNITS_PER_SECOND;
  atLeast('serverControl.canSkipUntilSeconds', control.canSkipUntilSeconds, 6 * targetUnits, 'six times the target duration');
  atLeast('serverControl.holdBackSeconds', control.holdBackSeconds, 3 * targetUnits, 'three times the target duration');
  if (playlist.partTargetSeconds !== undefined) {
    atLeast('serverControl.partHoldBackSeconds', control.partHoldBackSeconds, 2 * units(playlist.partTargetSeconds), 'twice the part target');
  }
}

function atLeast(field: string, seconds: number | undefined, minimumUnits: number, what: string): void {
  if (seconds === undefined) return;
  decimalSeconds(field, seconds);
  if (units(seconds) < minimumUnits) {
    throw invalid(field, `${decimalSeconds(field, seconds)} s is below ${what}, ${minimumUnits / UNITS_PER_SECOND} s (RFC 8216bis 4.4.3.8)`);
  }
}

/**
 * 4.4.5.2: a delta update answers the _HLS_skip directive, which clients send only to a server
 * that advertised CAN-SKIP-UNTIL (6.2.5.1), so a skip without it is a server bug.
 */
function checkSkip(playlist: MediaPlaylist): void {
  if (playlist.skip === undefined) return;
  decimalInteger('skip.skippedSegments', playlist.skip.skippedSegments);
  if (playlist.serverControl?.canSkipUntilSeconds === undefined) {
    throw invalid('skip', 'EXT-X-SKIP needs serverControl.canSkipUntilSeconds: clients request delta updates only when CAN-SKIP-UNTIL is advertised (RFC 8216bis 6.2.5.1)');
  }
}

/**
 * 4.4.5.3: "A Playlist containing an EXT-X-ENDLIST tag MUST NOT contain an EXT-X-PRELOAD-HINT
 * tag"; 6.2.6: the server "SHOULD NOT add more than one EXT-X-PRELOAD-HINT tag with the same TYPE"
 * (common parsers, e.g. m3u8-parser, reject a second one). An ended playlist has no open segment,
 * and an open segment shows at least its first part or the hint for it.
 */
function checkPreloadHints(playlist: MediaPlaylist): void {
  const hints = playlist.preloadHints ?? [];
  if (playlist.endList === true && hints.length > 0) throw invalid('preloadHints', 'a playlist with EXT-X-ENDLIST cannot have preload hints (RFC 8216bis 4.4.5.3)');
  if (playlist.endList === true && playlist.openSegment !== undefined) throw invalid('openSegment', 'a playlist with EXT-X-ENDLIST has no segment still being written');
  const open = playlist.openSegment;
  if (open !== undefined && (open.parts ?? []).length === 0 && !hints.some((h) => h.type === 'PART')) {
    throw invalid('openSegment', 'an open segment needs a part or a PART preload hint; without either it says nothing a client can fetch');
  }
  const types = hints.map((h) => h.type);
  const repeated = types.find((type, i) => types.indexOf(type) !== i);
  if (repeated !== undefined) throw invalid('preloadHints', `more than one preload hint of TYPE=${repeated} (RFC 8216bis 6.2.6)`);
}
