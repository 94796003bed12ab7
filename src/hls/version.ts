import { invalid } from './invalid.js';
import type { MediaPlaylist } from './media-playlist.js';
import type { MultivariantPlaylist } from './multivariant-playlist.js';

/**
 * EXT-X-VERSION (RFC 8216bis 4.4.1.2, Section 8 "Protocol Version Compatibility"). We declare the
 * lowest version the playlist's features need, because Section 8 says "A client MUST NOT attempt
 * playback if it does not support the protocol version specified by the EXT-X-VERSION tag": any
 * version above the need shuts out clients that could have played.
 *
 * For fMP4 that is 6, not 7: version 7 adds only "SERVICE" values of INSTREAM-ID (Multivariant
 * Playlists, closed captions we do not write) and drops EXT-X-ALLOW-CACHE (we never write it).
 */

interface VersionRule<T> {
  readonly version: number;
  /** What needs the version, for the error message. */
  readonly feature: string;
  readonly applies: (playlist: T) => boolean;
}

/**
 * The Section 8 rows that apply to what renderMediaPlaylist can write. (Decimal EXTINF durations
 * need 3, below the 6 every media playlist of ours declares anyway.)
 */
export const MEDIA_VERSION_RULES: ReadonlyArray<VersionRule<MediaPlaylist>> = [
  { version: 6, feature: 'EXT-X-MAP in a Media Playlist without EXT-X-I-FRAMES-ONLY', applies: usesMap },
  {
    version: 6,
    feature: 'EXT-X-TARGETDURATION meaning the rounded maximum segment duration (version 6 semantics, RFC 8216bis 4.4.3.1)',
    applies: (p) => p.legacyTargetDuration !== true,
  },
  { version: 9, feature: 'EXT-X-SKIP', applies: (p) => p.skip !== undefined },
  { version: 3, feature: 'decimal EXTINF durations', applies: (p) => p.segments.some((s) => !Number.isInteger(s.durationSeconds)) },
];

/**
 * Section 8: "The EXT-X-MEDIA tag and the AUDIO, VIDEO, and SUBTITLES attributes of the
 * EXT-X-STREAM-INF tag are backward compatible to protocol version 1, but playback on older
 * clients may not be desirable. A server MAY consider indicating an EXT-X-VERSION of 4 or higher".
 * We take that MAY: a version 1 client would play a variant without its audio group.
 */
export const MULTIVARIANT_VERSION_RULES: ReadonlyArray<VersionRule<MultivariantPlaylist>> = [
  { version: 4, feature: 'EXT-X-MEDIA rendition groups (Section 8 MAY)', applies: (p) => (p.renditions ?? []).length > 0 },
];

function usesMap(playlist: MediaPlaylist): boolean {
  return playlist.map !== undefined || playlist.segments.some((s) => s.map !== undefined) || playlist.openSegment?.map !== undefined;
}

export function mediaPlaylistMinimumVersion(playlist: MediaPlaylist): number {
  return minimumVersion(MEDIA_VERSION_RULES, playlist);
}

export function multivariantMinimumVersion(playlist: MultivariantPlaylist): number {
  return minimumVersion(MULTIVARIANT_VERSION_RULES, playlist);
}

function minimumVersion<T>(rules: ReadonlyArray<VersionRule<T>>, playlist: T): number {
  return rules.reduce((version, rule) => (rule.applies(playlist) ? Math.max(version, rule.version) : version), 1);
}

/** The version to write: the given one if it covers every feature used, else ERR_HLS_INVALID naming the feature. */
export function resolveVersion<T extends { readonly version?: number }>(rules: ReadonlyArray<VersionRule<T>>, playlist: T): number {
  const minimum = minimumVersion(rules, playlist);
  if (playlist.version === undefined) return minimum;
  if (!Number.isSafeInteger(playlist.version) || playlist.version < 1) throw invalid('version', `must be an integer ≥ 1, got ${String(playlist.version)}`);
  const unmet = rules.find((rule) => rule.applies(playlist) && rule.version > playlist.version!);
  if (unmet !== undefined) {
    throw invalid('version', `EXT-X-VERSION ${playlist.version} is below ${unmet.version}, which ${unmet.feature} requires (RFC 8216bis Section 8)`, {
      version: playlist.version,
      required: unmet.version,
    });
  }
  return playlist.version;
}
