import {
  attributeList,
  checkUri,
  decimalInteger,
  decimalSeconds,
  enumeratedString,
  positiveInteger,
  quotedString,
  quotedUri,
  yesOnly,
} from './attributes.js';
import type { ByteRange, InitSection, PartialSegment, PreloadHint, RenditionReport, ServerControl, Skip } from './media-playlist.js';
import { invalid } from './invalid.js';
import { formatProgramDateTime } from './program-date-time.js';

/**
 * One function per Media Playlist tag, each returning its line without the newline. Values are
 * checked by the attribute formatters as they are written; rules that relate several values
 * (target duration, part target, hold-backs) are checked beforehand in validate-media.ts.
 */

/** 4.4.4.1: "#EXTINF:<duration>,[<title>]"; the comma stays when the title is absent. */
export function extinfTag(field: string, durationSeconds: number): string {
  return `#EXTINF:${decimalSeconds(field, durationSeconds)},`;
}

export function uriLine(field: string, uri: string): string {
  return checkUri(field, uri);
}

/** 4.4.4.2 byte range syntax `<n>[@<o>]`, used inside quoted-strings by EXT-X-MAP and EXT-X-PART. */
function byteRangeText(field: string, range: ByteRange): string {
  const length = positiveInteger(`${field}.length`, range.length);
  return range.offset === undefined ? length : `${length}@${decimalInteger(`${field}.offset`, range.offset)}`;
}

/**
 * 4.4.4.5 EXT-X-MAP:URI=<uri>[,BYTERANGE="<n>@<o>"]. A segment's byte range without an offset
 * continues the previous one (4.4.4.2); an init section has no previous range, so ours must say
 * where it starts.
 */
export function mapTag(field: string, map: InitSection): string {
  if (map.byteRange !== undefined && map.byteRange.offset === undefined) {
    throw invalid(`${field}.byteRange.offset`, 'an EXT-X-MAP byte range needs an offset: there is no previous sub-range to continue');
  }
  const byteRange = map.byteRange === undefined ? undefined : quotedString(`${field}.byteRange`, byteRangeText(`${field}.byteRange`, map.byteRange));
  return `#EXT-X-MAP:${attributeList([
    ['URI', quotedUri(`${field}.uri`, map.uri)],
    ['BYTERANGE', byteRange],
  ])}`;
}

export function programDateTimeTag(field: string, epochMs: number, utcOffsetMinutes: number): string {
  return `#EXT-X-PROGRAM-DATE-TIME:${formatProgramDateTime(field, epochMs, utcOffsetMinutes)}`;
}

/** 4.4.4.9 EXT-X-PART. */
export function partTag(field: string, part: PartialSegment): string {
  const byteRange = part.byteRange === undefined ? undefined : quotedString(`${field}.byteRange`, byteRangeText(`${field}.byteRange`, part.byteRange));
  return `#EXT-X-PART:${attributeList([
    ['DURATION', decimalSeconds(`${field}.durationSeconds`, part.durationSeconds)],
    ['URI', quotedUri(`${field}.uri`, part.uri)],
    ['INDEPENDENT', yesOnly(part.independent)],
    ['BYTERANGE', byteRange],
    ['GAP', yesOnly(part.gap)],
  ])}`;
}

/** 4.4.3.7 EXT-X-PART-INF:PART-TARGET=<s>. */
export function partInfTag(partTargetSeconds: number): string {
  return `#EXT-X-PART-INF:PART-TARGET=${decimalSeconds('partTargetSeconds', partTargetSeconds)}`;
}

/** 4.4.3.8 EXT-X-SERVER-CONTROL; CAN-BLOCK-RELOAD is only ever YES (absence means no). */
export function serverControlTag(control: ServerControl): string {
  const seconds = (name: keyof ServerControl, value: number | undefined): string | undefined =>
    value === undefined ? undefined : decimalSeconds(`serverControl.${name}`, value);
  return `#EXT-X-SERVER-CONTROL:${attributeList([
    ['CAN-BLOCK-RELOAD', yesOnly(control.canBlockReload)],
    ['CAN-SKIP-UNTIL', seconds('canSkipUntilSeconds', control.canSkipUntilSeconds)],
    ['HOLD-BACK', seconds('holdBackSeconds', control.holdBackSeconds)],
    ['PART-HOLD-BACK', seconds('partHoldBackSeconds', control.partHoldBackSeconds)],
  ])}`;
}

/** 4.4.5.2 EXT-X-SKIP:SKIPPED-SEGMENTS=<n>. */
export function skipTag(skip: Skip): string {
  return `#EXT-X-SKIP:SKIPPED-SEGMENTS=${decimalInteger('skip.skippedSegments', skip.skippedSegments)}`;
}

/** 4.4.5.3 EXT-X-PRELOAD-HINT. */
export function preloadHintTag(field: string, hint: PreloadHint): string {
  return `#EXT-X-PRELOAD-HINT:${attributeList([
    ['TYPE', enumeratedString(`${field}.type`, hint.type, ['PART', 'MAP'])],
    ['URI', quotedUri(`${field}.uri`, hint.uri)],
    ['BYTERANGE-START', hint.byteRangeStart === undefined ? undefined : decimalInteger(`${field}.byteRangeStart`, hint.byteRangeStart)],
    ['BYTERANGE-LENGTH', hint.byteRangeLength === undefined ? undefined : positiveInteger(`${field}.byteRangeLength`, hint.byteRangeLength)],
  ])}`;
}

/** 4.4.5.4 EXT-X-RENDITION-REPORT. */
export function renditionReportTag(field: string, report: RenditionReport): string {
  return `#EXT-X-RENDITION-REPORT:${attributeList([
    ['URI', quotedUri(`${field}.uri`, report.uri)],
    ['LAST-MSN', decimalInteger(`${field}.lastMsn`, report.lastMsn)],
    ['LAST-PART', report.lastPart === undefined ? undefined : decimalInteger(`${field}.lastPart`, report.lastPart)],
  ])}`;
}

/** Two init sections are the same resource when URI and byte range match. */
export function sameInitSection(a: InitSection | undefined, b: InitSection | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.uri === b.uri && a.byteRange?.length === b.byteRange?.length && a.byteRange?.offset === b.byteRange?.offset;
}
