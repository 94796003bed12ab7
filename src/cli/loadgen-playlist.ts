/**
 * The load generator's reading of HLS playlists (RFC 8216bis 4.4): just what a virtual LL-HLS viewer
 * needs — the multivariant playlist's first variant and its audio rendition, and a media playlist's
 * segments with their parts, numbered by position (4.4.3.2: the first segment's number is
 * EXT-X-MEDIA-SEQUENCE; a part's index is its position within its segment), PROGRAM-DATE-TIME, the
 * preload hint, and the blocking-reload target. Pure: text in, model out. It reads any server's
 * playlists (an edge in front of tidecast, another origin), so it never relies on tidecast's URI
 * naming.
 */

export interface PlaylistPart {
  readonly uri: string;
  readonly msn: number;
  readonly index: number;
  readonly durationSeconds: number;
  readonly independent: boolean;
  /**
   * Epoch ms at which the part's last frame was ingested: its segment's PROGRAM-DATE-TIME (tidecast
   * stamps the wall-clock time the segment's first frame reached the origin) plus the durations of the
   * parts up to and including this one. Undefined when the playlist gives no PROGRAM-DATE-TIME.
   */
  readonly availableAtMs: number | undefined;
}

export interface PlaylistSegment {
  readonly msn: number;
  /** Undefined for the segment being written (its parts are listed, its EXTINF not yet). */
  readonly uri: string | undefined;
  readonly durationSeconds: number;
  /** EXT-X-DISCONTINUITY before this segment (4.4.4.3). */
  readonly discontinuity: boolean;
  readonly programDateTimeMs: number | undefined;
  /** The EXT-X-MAP in effect for this segment. */
  readonly mapUri: string | undefined;
  readonly parts: readonly PlaylistPart[];
}

export interface MediaPlaylist {
  readonly mediaSequence: number;
  readonly discontinuitySequence: number;
  readonly targetDurationSeconds: number;
  readonly partTargetSeconds: number | undefined;
  readonly segments: readonly PlaylistSegment[];
  readonly preloadHintUri: string | undefined;
  readonly endList: boolean;
}

export interface PartPosition {
  readonly msn: number;
  readonly index: number;
}

/** The attributes of a tag's attribute list (4.2), quoted strings unquoted. */
export function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) out.set(m[1]!, m[2]!.startsWith('"') ? m[2]!.slice(1, -1) : m[2]!);
  return out;
}

function value(line: string): string {
  return line.slice(line.indexOf(':') + 1);
}

interface Pending {
  parts: PlaylistPart[];
  discontinuity: boolean;
  programDateTimeMs: number | undefined;
  /** Seconds of parts so far in this segment, for the next part's availability. */
  partSeconds: number;
}

/** A media playlist's text → its model. Unknown tags are ignored (4.1: clients ignore what they do not know). */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  let mediaSequence = 0;
  let discontinuitySequence = 0;
  let targetDurationSeconds = 0;
  let partTargetSeconds: number | undefined;
  let preloadHintUri: string | undefined;
  let endList = false;
  let mapUri: string | undefined;
  let extinf: number | undefined;
  let nextPdt: number | undefined;
  const segments: PlaylistSegment[] = [];
  const fresh = (): Pending => ({ parts: [], discontinuity: false, programDateTimeMs: undefined, partSeconds: 0 });
  let pending = fresh();
  const msn = (): number => mediaSequence + segments.length;
  const segmentStart = (): number | undefined => pending.programDateTimeMs ?? nextPdt;

  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith('#')) {
      const durationSeconds = extinf ?? pending.partSeconds;
      const programDateTimeMs = segmentStart();
      segments.push({ msn: msn(), uri: line, durationSeconds, discontinuity: pending.discontinuity, programDateTimeMs, mapUri, parts: pending.parts });
      // 4.4.4.6: a segment without its own PROGRAM-DATE-TIME follows the previous one's.
      nextPdt = programDateTimeMs === undefined ? undefined : programDateTimeMs + durationSeconds * 1000;
      pending = fresh();
      extinf = undefined;
    } else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(value(line));
    else if (line.startsWith('#EXT-X-DISCONTINUITY-SEQUENCE:')) discontinuitySequence = Number(value(line));
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDurationSeconds = Number(value(line));
    else if (line.startsWith('#EXT-X-PART-INF:')) partTargetSeconds = Number(attributes(value(line)).get('PART-TARGET'));
    else if (line.startsWith('#EXT-X-MAP:')) mapUri = attributes(value(line)).get('URI');
    else if (line.startsWith('#EXTINF:')) extinf = Number.parseFloat(value(line));
    else if (line === '#EXT-X-DISCONTINUITY') {
      pending.discontinuity = true;
      nextPdt = undefined;
    } else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      const ms = Date.parse(value(line));
      pending.programDateTimeMs = Number.isNaN(ms) ? undefined : ms;
    } else if (line.startsWith('#EXT-X-PART:')) {
      const a = attributes(value(line));
      const durationSeconds = Number(a.get('DURATION'));
      pending.partSeconds += durationSeconds;
      const start = segmentStart();
      pending.parts.push({
        uri: a.get('URI') ?? '',
        msn: msn(),
        index: pending.parts.length,
        durationSeconds,
        independent: a.get('INDEPENDENT') === 'YES',
        availableAtMs: start === undefined ? undefined : start + pending.partSeconds * 1000,
      });
    } else if (line.startsWith('#EXT-X-PRELOAD-HINT:')) {
      const a = attributes(value(line));
      if (a.get('TYPE') === 'PART') preloadHintUri = a.get('URI');
    } else if (line === '#EXT-X-ENDLIST') endList = true;
  }
  if (pending.parts.length > 0) {
    segments.push({ msn: msn(), uri: undefined, durationSeconds: pending.partSeconds, discontinuity: pending.discontinuity, programDateTimeMs: segmentStart(), mapUri, parts: pending.parts });
  }
  return { mediaSequence, discontinuitySequence, targetDurationSeconds, partTargetSeconds, segments, preloadHintUri, endList };
}

/**
 * The part a player asks for next with a blocking reload (6.2.5.2, 6.3.7): the one after the last
 * part listed — the next index of the segment being written, or part 0 of the next segment once the
 * last listed segment is complete.
 */
export function nextPartPosition(playlist: MediaPlaylist): PartPosition {
  const last = playlist.segments.at(-1);
  if (last === undefined) return { msn: playlist.mediaSequence, index: 0 };
  return last.uri === undefined ? { msn: last.msn, index: last.parts.length } : { msn: last.msn + 1, index: 0 };
}

/** -1, 0 or 1 as `a` comes before, is, or comes after `b`. */
export function comparePositions(a: PartPosition, b: PartPosition): number {
  return a.msn !== b.msn ? Math.sign(a.msn - b.msn) : Math.sign(a.index - b.index);
}

/** The last part listed (the live edge), or undefined before any part. */
export function lastPartPosition(playlist: MediaPlaylist): PartPosition | undefined {
  for (let i = playlist.segments.length - 1; i >= 0; i--) {
    const s = playlist.segments[i]!;
    if (s.parts.length > 0) return { msn: s.msn, index: s.parts.length - 1 };
    if (s.uri !== undefined) return undefined;
  }
  return undefined;
}

/** What a viewer follows: the media playlists of the first variant and of its audio rendition. */
export interface Renditions {
  readonly multivariant: boolean;
  readonly uris: readonly string[];
}

/**
 * A multivariant playlist → its first variant's URI and the audio rendition of that variant's AUDIO
 * group (the DEFAULT=YES one, else the first), as hls.js starts; a media playlist → itself (`self`).
 */
export function pickRenditions(text: string, self: string): Renditions {
  const lines = text.split('\n').map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF:'));
  if (at < 0) return { multivariant: false, uris: [self] };
  const variant = lines.slice(at + 1).find((l) => l !== '' && !l.startsWith('#'));
  const group = attributes(value(lines[at]!)).get('AUDIO');
  const audio = lines
    .filter((l) => l.startsWith('#EXT-X-MEDIA:'))
    .map((l) => attributes(value(l)))
    .filter((a) => a.get('TYPE') === 'AUDIO' && a.get('GROUP-ID') === group && a.has('URI'));
  const chosen = audio.find((a) => a.get('DEFAULT') === 'YES') ?? audio[0];
  return { multivariant: true, uris: [...(variant === undefined ? [] : [variant]), ...(chosen === undefined ? [] : [chosen.get('URI')!])] };
}
