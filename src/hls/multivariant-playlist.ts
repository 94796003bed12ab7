/**
 * The Multivariant Playlist model (RFC 8216bis 4.4.6): the renditions (EXT-X-MEDIA) and the
 * variant streams (EXT-X-STREAM-INF) a player chooses between. Plain data for
 * renderMultivariantPlaylist; buildMultivariantPlaylist fills it from Track descriptions.
 */

/**
 * EXT-X-MEDIA TYPE. CLOSED-CAPTIONS is left out: it needs INSTREAM-ID and no URI, and tidecast
 * carries no CEA-608/708 captions.
 */
export type RenditionType = 'AUDIO' | 'VIDEO' | 'SUBTITLES';

/** EXT-X-MEDIA (4.4.6.1): one rendition in a group of alternatives. */
export interface Rendition {
  readonly type: RenditionType;
  /** GROUP-ID: variants refer to the group by it (AUDIO="…"). */
  readonly groupId: string;
  /** NAME: human-readable, unique within the group (4.4.6.1.1). */
  readonly name: string;
  /** URI of the rendition's Media Playlist; absent means its media is in the variant stream itself. */
  readonly uri?: string;
  /** LANGUAGE: an RFC 5646 tag such as "en" or "pt-BR". */
  readonly language?: string;
  /** DEFAULT=YES|NO; at most one YES per group (4.4.6.1.1). Undefined leaves it out (means NO). */
  readonly default?: boolean;
  /** AUTOSELECT=YES|NO; MUST NOT be NO when DEFAULT is YES. Undefined leaves it out (means NO). */
  readonly autoselect?: boolean;
  /** CHANNELS: for AUDIO, the channel count first, e.g. "2" or "6"; more '/'-separated parameters may follow. */
  readonly channels?: string;
}

/** A video size in pixels (RESOLUTION). */
export interface Resolution {
  readonly width: number;
  readonly height: number;
}

/** EXT-X-STREAM-INF (4.4.6.2) followed by the URI of the variant's Media Playlist. */
export interface VariantStream {
  readonly uri: string;
  /**
   * BANDWIDTH in bits per second: the peak segment bit rate, and with rendition groups the largest
   * sum over any playable combination (the variant plus its largest audio rendition).
   */
  readonly bandwidth: number;
  /** AVERAGE-BANDWIDTH in bits per second, the same sum over average segment bit rates. */
  readonly averageBandwidth?: number;
  /** CODECS: RFC 6381 strings of every format in the variant and its renditions, e.g. ["avc1.64001f", "mp4a.40.2"]. */
  readonly codecs: readonly string[];
  readonly resolution?: Resolution;
  /** FRAME-RATE: maximum frames per second, printed with 3 decimals. */
  readonly frameRate?: number;
  /** AUDIO: GROUP-ID of an EXT-X-MEDIA group with TYPE=AUDIO. */
  readonly audio?: string;
  /** VIDEO: GROUP-ID of an EXT-X-MEDIA group with TYPE=VIDEO. */
  readonly video?: string;
  /** SUBTITLES: GROUP-ID of an EXT-X-MEDIA group with TYPE=SUBTITLES. */
  readonly subtitles?: string;
}

export interface MultivariantPlaylist {
  /** EXT-X-VERSION; default and minimum: multivariantMinimumVersion() (4 with rendition groups, else 1). */
  readonly version?: number;
  /** EXT-X-INDEPENDENT-SEGMENTS (4.4.2.1): applies to every Media Playlist listed. */
  readonly independentSegments?: boolean;
  readonly renditions?: readonly Rendition[];
  /** At least one. */
  readonly variants: readonly VariantStream[];
}
