import type { AudioTrack, VideoTrack } from '../media/index.js';
import { invalid } from './invalid.js';
import type { MultivariantPlaylist, Rendition, VariantStream } from './multivariant-playlist.js';

/**
 * buildMultivariantPlaylist: the Multivariant Playlist of one live stream from its tracks (codec
 * strings, sizes, frame rates, channel counts as src/media describes them) and the bit rates the
 * packager measured with peakBitrate()/averageBitrate(). One variant per video track (a rung of
 * the ladder); audio tracks form one AUDIO rendition group every variant refers to.
 */

/** Bit rates of one rendition's segments, in bits per second. */
export interface MeasuredBitrate {
  /** Peak segment bit rate (peakBitrate()), the basis of BANDWIDTH. */
  readonly peakBitsPerSecond: number;
  /** Average segment bit rate (averageBitrate()); AVERAGE-BANDWIDTH is written only when every rendition has one. */
  readonly averageBitsPerSecond?: number;
}

export interface VideoVariantSource {
  readonly track: VideoTrack;
  /** URI of the variant's Media Playlist, relative to the Multivariant Playlist. */
  readonly uri: string;
  readonly bitrate: MeasuredBitrate;
}

export interface AudioRenditionSource {
  readonly track: AudioTrack;
  readonly uri: string;
  /** NAME shown in players' audio menus; unique in the group. */
  readonly name: string;
  /** LANGUAGE, an RFC 5646 tag. */
  readonly language?: string;
  /** DEFAULT=YES; when no source sets it, the first rendition is the default. */
  readonly default?: boolean;
  readonly bitrate: MeasuredBitrate;
}

export interface MultivariantSource {
  /** Video rungs; the first is where most clients start. None: each audio rendition becomes an audio-only variant. */
  readonly video: readonly VideoVariantSource[];
  readonly audio?: readonly AudioRenditionSource[];
  /** GROUP-ID of the audio group. Default DEFAULT_AUDIO_GROUP_ID. */
  readonly audioGroupId?: string;
  /** EXT-X-INDEPENDENT-SEGMENTS. Default true: tidecast cuts every CMAF segment at a keyframe. */
  readonly independentSegments?: boolean;
  /** EXT-X-VERSION. Default FMP4_MEDIA_PLAYLIST_VERSION. */
  readonly version?: number;
}

export const DEFAULT_AUDIO_GROUP_ID = 'audio';

/**
 * The version tidecast's fMP4 Media Playlists declare (version.ts). The Multivariant Playlist says
 * the same, so a client that cannot play version 6 stops at the first playlist it reads (Section 8:
 * it "MUST NOT attempt playback") instead of after choosing a variant.
 */
export const FMP4_MEDIA_PLAYLIST_VERSION = 6;

export function buildMultivariantPlaylist(source: MultivariantSource): MultivariantPlaylist {
  const audio = source.audio ?? [];
  const groupId = source.audioGroupId ?? DEFAULT_AUDIO_GROUP_ID;
  const common = { version: source.version ?? FMP4_MEDIA_PLAYLIST_VERSION, independentSegments: source.independentSegments ?? true };
  if (source.video.length === 0) return { ...common, variants: audio.map(audioOnlyVariant) };
  const renditions = audioRenditions(audio, groupId);
  return { ...common, renditions, variants: source.video.map((video) => videoVariant(video, audio, renditions.length > 0 ? groupId : undefined)) };
}

/**
 * 4.4.6.2 BANDWIDTH: "the largest sum of peak segment bit rates that is produced by any playable
 * combination of Renditions" — the video rung plus the costliest audio rendition; likewise for
 * AVERAGE-BANDWIDTH with average bit rates. CODECS lists "every media format in any of the
 * renditions specified by the Variant Stream": the video codec and every audio codec of the group.
 */
function videoVariant(video: VideoVariantSource, audio: readonly AudioRenditionSource[], groupId: string | undefined): VariantStream {
  const { track } = video;
  if (track.kind !== 'video') throw invalid('video.track', `expected a video track, got ${String(track.kind)}`);
  const audioPeak = Math.max(0, ...audio.map((a) => bitsPerSecond('audio.bitrate.peakBitsPerSecond', a.bitrate.peakBitsPerSecond)));
  const averageBandwidth = sumOfAverages(video.bitrate, audio.map((a) => a.bitrate));
  return {
    uri: video.uri,
    bandwidth: bitsPerSecond('video.bitrate.peakBitsPerSecond', video.bitrate.peakBitsPerSecond) + audioPeak,
    ...(averageBandwidth === undefined ? {} : { averageBandwidth }),
    codecs: unique([track.codecString, ...audio.map((a) => a.track.codecString)]),
    resolution: { width: track.width, height: track.height },
    ...(track.frameRate === undefined ? {} : { frameRate: track.frameRate }),
    ...(groupId === undefined ? {} : { audio: groupId }),
  };
}

/** Video average plus the largest audio average, when every one of them is known. */
function sumOfAverages(video: MeasuredBitrate, audio: readonly MeasuredBitrate[]): number | undefined {
  const audioAverages = audio.map((a) => a.averageBitsPerSecond);
  if (video.averageBitsPerSecond === undefined || !audioAverages.every((a): a is number => a !== undefined)) return undefined;
  return video.averageBitsPerSecond + Math.max(0, ...audioAverages);
}

function audioOnlyVariant(audio: AudioRenditionSource): VariantStream {
  const average = audio.bitrate.averageBitsPerSecond;
  return {
    uri: audio.uri,
    bandwidth: bitsPerSecond('audio.bitrate.peakBitsPerSecond', audio.bitrate.peakBitsPerSecond),
    ...(average === undefined ? {} : { averageBandwidth: average }),
    codecs: [audio.track.codecString],
  };
}

/**
 * One EXT-X-MEDIA per audio track. DEFAULT: the one marked, else the first; it is AUTOSELECT=YES
 * (4.4.6.1: MUST be YES when DEFAULT is). Every other rendition is AUTOSELECT=YES when it is the
 * first of its language: AUTOSELECT members "SHOULD have a combination of LANGUAGE ... that is
 * distinct from those of other AUTOSELECT=YES members of its Group" (4.4.6.1.1).
 */
function audioRenditions(audio: readonly AudioRenditionSource[], groupId: string): Rendition[] {
  const marked = audio.flatMap((a, i) => (a.default === true ? [i] : []));
  if (marked.length > 1) throw invalid(`audio[${marked[1]}].default`, 'only one audio rendition can be the default (RFC 8216bis 4.4.6.1.1)');
  const defaultIndex = marked[0] ?? 0;
  const autoselected = new Set<string | undefined>([audio[defaultIndex]?.language]);
  return audio.map((source, i) => {
    if (source.track.kind !== 'audio') throw invalid(`audio[${i}].track`, `expected an audio track, got ${String(source.track.kind)}`);
    const autoselect = i === defaultIndex || !autoselected.has(source.language);
    autoselected.add(source.language);
    return {
      type: 'AUDIO',
      groupId,
      name: source.name,
      ...(source.language === undefined ? {} : { language: source.language }),
      default: i === defaultIndex,
      autoselect,
      channels: String(source.track.channels),
      uri: source.uri,
    };
  });
}

function bitsPerSecond(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw invalid(field, `must be a measured bit rate, an integer > 0, got ${String(value)}`);
  return value;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
