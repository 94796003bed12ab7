import { parseAttributeList, parseTagLine, playlistLines, type Attributes } from './m3u8-parser.js';

/**
 * The Media Playlist half of the test-only reader (see m3u8-parser.ts): header tags once and
 * before the first segment, segment tags gathered until the URI line that closes the segment,
 * trailing parts and hints after the last segment.
 */

export interface ParsedSegment {
  readonly uri: string;
  readonly duration: number;
  readonly durationText: string;
  readonly discontinuity: boolean;
  readonly gap: boolean;
  /** The EXT-X-MAP in force for this segment (URI attribute), if any. */
  readonly mapUri: string | undefined;
  /** Whether an EXT-X-MAP line was written right before this segment. */
  readonly mapWritten: boolean;
  readonly programDateTime: string | undefined;
  readonly parts: Attributes[];
}

export interface ParsedMedia {
  readonly header: ReadonlyMap<string, string | undefined>;
  readonly segments: ParsedSegment[];
  readonly openSegment: Omit<ParsedSegment, 'uri' | 'duration' | 'durationText' | 'gap'> | undefined;
  readonly preloadHints: Attributes[];
  readonly renditionReports: Attributes[];
  readonly endList: boolean;
}

const HEADER_TAGS = new Set([
  'EXT-X-VERSION',
  'EXT-X-INDEPENDENT-SEGMENTS',
  'EXT-X-TARGETDURATION',
  'EXT-X-SERVER-CONTROL',
  'EXT-X-PART-INF',
  'EXT-X-MEDIA-SEQUENCE',
  'EXT-X-DISCONTINUITY-SEQUENCE',
  'EXT-X-PLAYLIST-TYPE',
  'EXT-X-SKIP',
]);

interface Pending {
  discontinuity: boolean;
  gap: boolean;
  mapWritten: boolean;
  programDateTime: string | undefined;
  parts: Attributes[];
  extinf: string | undefined;
}

function fresh(): Pending {
  return { discontinuity: false, gap: false, mapWritten: false, programDateTime: undefined, parts: [], extinf: undefined };
}

function isEmpty(p: Pending): boolean {
  return !p.discontinuity && !p.gap && !p.mapWritten && p.programDateTime === undefined && p.parts.length === 0 && p.extinf === undefined;
}

export function parseMediaPlaylist(text: string): ParsedMedia {
  const header = new Map<string, string | undefined>();
  const segments: ParsedSegment[] = [];
  const preloadHints: Attributes[] = [];
  const renditionReports: Attributes[] = [];
  let endList = false;
  let mapUri: string | undefined;
  let pending = fresh();
  for (const line of playlistLines(text)) {
    if (!line.startsWith('#')) {
      if (pending.extinf === undefined) throw new Error(`URI line without EXTINF: ${line}`);
      if (preloadHints.length > 0 || renditionReports.length > 0 || endList) throw new Error('segment after the trailing tags');
      segments.push({ uri: line, duration: Number(pending.extinf), durationText: pending.extinf, ...pending, mapUri });
      pending = fresh();
      continue;
    }
    const tag = parseTagLine(line);
    if (HEADER_TAGS.has(tag.name)) {
      if (segments.length > 0 || !isEmpty(pending)) throw new Error(`${tag.name} after the first segment`);
      if (header.has(tag.name)) throw new Error(`${tag.name} twice`);
      if (tag.value !== undefined && ['EXT-X-SERVER-CONTROL', 'EXT-X-PART-INF', 'EXT-X-SKIP'].includes(tag.name)) parseAttributeList(tag.name, tag.value);
      header.set(tag.name, tag.value);
      continue;
    }
    if (endList) throw new Error(`${tag.name} after EXT-X-ENDLIST`);
    switch (tag.name) {
      case 'EXT-X-DISCONTINUITY':
        if (pending.mapWritten || pending.parts.length > 0) throw new Error('EXT-X-DISCONTINUITY after MAP or a part');
        pending.discontinuity = true;
        break;
      case 'EXT-X-MAP':
        if (pending.parts.length > 0 || pending.programDateTime !== undefined) throw new Error('EXT-X-MAP after a part or the date');
        mapUri = parseAttributeList(tag.name, tag.value ?? '').get('URI');
        pending.mapWritten = true;
        break;
      case 'EXT-X-PROGRAM-DATE-TIME':
        if (pending.parts.length > 0) throw new Error('EXT-X-PROGRAM-DATE-TIME after a part (4.4.4.9)');
        pending.programDateTime = tag.value;
        break;
      case 'EXT-X-PART':
        pending.parts.push(parseAttributeList(tag.name, tag.value ?? ''));
        break;
      case 'EXT-X-GAP':
        pending.gap = true;
        break;
      case 'EXTINF': {
        const m = /^([0-9]+(?:\.[0-9]+)?),$/.exec(tag.value ?? '');
        if (m === null) throw new Error(`bad EXTINF ${line}`);
        pending.extinf = m[1];
        break;
      }
      case 'EXT-X-PRELOAD-HINT':
        preloadHints.push(parseAttributeList(tag.name, tag.value ?? ''));
        break;
      case 'EXT-X-RENDITION-REPORT':
        renditionReports.push(parseAttributeList(tag.name, tag.value ?? ''));
        break;
      case 'EXT-X-ENDLIST':
        endList = true;
        break;
      default:
        throw new Error(`unexpected tag ${line}`);
    }
  }
  if (pending.extinf !== undefined || pending.gap) throw new Error('EXTINF or GAP without a URI line');
  const openSegment = isEmpty(pending) ? undefined : { ...pending, mapUri };
  return { header, segments, openSegment, preloadHints, renditionReports, endList };
}
