import { decimalInteger } from './attributes.js';
import type { InitSection, MediaPlaylist, MediaSegment, SegmentTags } from './media-playlist.js';
import { renderContext, type MediaRenderCache } from './render-cache.js';
import {
  extinfTag,
  mapTag,
  partInfTag,
  partTag,
  preloadHintTag,
  programDateTimeTag,
  renditionReportTag,
  sameInitSection,
  serverControlTag,
  skipTag,
  uriLine,
} from './media-tags.js';
import { validateMediaPlaylist, type RenderMediaOptions, type ResolvedMediaPlaylist } from './validate-media.js';

/**
 * renderMediaPlaylist: a Media Playlist model to its text (RFC 8216bis 4.4.3-4.4.5). Pure: the
 * same model gives the same bytes, so tests compare whole playlists as strings.
 *
 * Layout, in the order the spec requires or players expect:
 *
 *   #EXTM3U, #EXT-X-VERSION, #EXT-X-INDEPENDENT-SEGMENTS, #EXT-X-TARGETDURATION,
 *   #EXT-X-SERVER-CONTROL, #EXT-X-PART-INF, #EXT-X-MEDIA-SEQUENCE,
 *   #EXT-X-DISCONTINUITY-SEQUENCE (4.4.3.3: before the first segment and any discontinuity),
 *   #EXT-X-PLAYLIST-TYPE, #EXT-X-SKIP (in place of the skipped segments)
 *   per segment: #EXT-X-DISCONTINUITY, #EXT-X-MAP (when it changes), #EXT-X-PROGRAM-DATE-TIME,
 *                #EXT-X-PART… (4.4.4.9: after the tags above), #EXT-X-GAP, #EXTINF, URI
 *   open segment: its tags and parts, then #EXT-X-PRELOAD-HINT…, #EXT-X-RENDITION-REPORT…,
 *   #EXT-X-ENDLIST
 *
 * Lines end in LF only, and the text ends with one.
 */
export function renderMediaPlaylist(playlist: MediaPlaylist, options: RenderMediaOptions = {}): string {
  const resolved = validateMediaPlaylist(playlist, options);
  const { cache } = options;
  const context = renderContext(playlist, options);
  const header = headerLines(playlist, resolved).join('\n');
  // The header and the segment list as rendered before, when neither changed (a live playlist
  // after a part: only the open segment's lines are new).
  const list = cache?.list(playlist.segments, header, context);
  const lines = [list?.text ?? header];
  let currentMap: InitSection | undefined = list?.mapAfter;
  if (list === undefined) {
    playlist.segments.forEach((segment, i) => {
      const kept = cache?.segment(segment, context, currentMap);
      if (kept !== undefined) {
        lines.push(kept.text);
        currentMap = kept.mapAfter;
        return;
      }
      const start = lines.length;
      const mapBefore = currentMap;
      currentMap = segmentLines(lines, `segments[${i}]`, playlist, segment, currentMap, resolved);
      cache?.keepSegment(segment, { context, mapBefore, mapAfter: currentMap, text: lines.slice(start).join('\n') });
    });
    cache?.keepList(playlist.segments, { header, context, targetDurationSeconds: resolved.targetDurationSeconds, mapAfter: currentMap, text: lines.join('\n') });
  }
  if (playlist.openSegment !== undefined) tagLines(lines, 'openSegment', playlist, playlist.openSegment, currentMap, resolved, cache);
  (playlist.preloadHints ?? []).forEach((hint, i) => lines.push(preloadHintTag(`preloadHints[${i}]`, hint)));
  (playlist.renditionReports ?? []).forEach((report, i) => lines.push(renditionReportTag(`renditionReports[${i}]`, report)));
  if (playlist.endList === true) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

function headerLines(playlist: MediaPlaylist, resolved: ResolvedMediaPlaylist): string[] {
  const lines = ['#EXTM3U', `#EXT-X-VERSION:${resolved.version}`];
  if (playlist.independentSegments === true) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  lines.push(`#EXT-X-TARGETDURATION:${resolved.targetDurationSeconds}`);
  if (playlist.serverControl !== undefined) lines.push(serverControlTag(playlist.serverControl));
  if (playlist.partTargetSeconds !== undefined) lines.push(partInfTag(playlist.partTargetSeconds));
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${resolved.mediaSequence}`);
  if (playlist.discontinuitySequence !== undefined) {
    lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${decimalInteger('discontinuitySequence', playlist.discontinuitySequence)}`);
  }
  if (playlist.playlistType !== undefined) lines.push(`#EXT-X-PLAYLIST-TYPE:${playlist.playlistType}`);
  if (playlist.skip !== undefined) lines.push(skipTag(playlist.skip));
  return lines;
}

/** Writes one segment; returns the init section in force after it. */
function segmentLines(
  lines: string[],
  field: string,
  playlist: MediaPlaylist,
  segment: MediaSegment,
  currentMap: InitSection | undefined,
  resolved: ResolvedMediaPlaylist,
): InitSection | undefined {
  const map = tagLines(lines, field, playlist, segment, currentMap, resolved);
  if (segment.gap === true) lines.push('#EXT-X-GAP');
  lines.push(extinfTag(`${field}.durationSeconds`, segment.durationSeconds));
  lines.push(uriLine(`${field}.uri`, segment.uri));
  return map;
}

/**
 * The tags that apply to a Parent Segment and therefore come before its first part (4.4.4.9):
 * discontinuity, init section, program date time; then the parts.
 */
function tagLines(
  lines: string[],
  field: string,
  playlist: MediaPlaylist,
  tags: SegmentTags,
  currentMap: InitSection | undefined,
  resolved: ResolvedMediaPlaylist,
  cache?: MediaRenderCache,
): InitSection | undefined {
  if (tags.discontinuity === true) lines.push('#EXT-X-DISCONTINUITY');
  const map = tags.map ?? playlist.map;
  if (map !== undefined && !sameInitSection(map, currentMap)) lines.push(mapTag(tags.map === undefined ? 'map' : `${field}.map`, map));
  if (tags.programDateTimeMs !== undefined) {
    lines.push(programDateTimeTag(`${field}.programDateTimeMs`, tags.programDateTimeMs, resolved.utcOffsetMinutes));
  }
  (tags.parts ?? []).forEach((part, i) => {
    let line = cache?.part(part);
    if (line === undefined) {
      line = partTag(`${field}.parts[${i}]`, part);
      cache?.keepPart(part, line);
    }
    lines.push(line);
  });
  return map ?? currentMap;
}
