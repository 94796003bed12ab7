import { DEFAULT_AUDIO_GROUP_ID, FMP4_MEDIA_PLAYLIST_VERSION, renderMediaPlaylist, renderMultivariantPlaylist, targetDuration, type MediaSegment, type Rendition, type VariantStream } from '../hls/index.js';
import { MediaRenderCache } from '../hls/render-cache.js';
import type { RecordingRendition } from './recording-catalog.js';

/**
 * A recording's playlists (docs/recording.md), pure: the media playlist of each rendition from the
 * segments it has on disk, EVENT while recording, VOD with EXT-X-ENDLIST once finished (RFC
 * 8216bis 4.4.3.5, 4.4.3.4); and the multivariant playlist from recording.json's renditions.
 */

/** One segment file of a recording, as its playlist lists it. */
export interface RecordedSegment {
  /** The live media sequence number: the file is `<msn>.m4s`. */
  readonly msn: number;
  readonly durationSeconds: number;
  readonly programDateTimeMs: number;
  /** Its init segment: `init-<generation>.mp4`. */
  readonly generation: number;
  /** The packager said a discontinuity comes before it (a comeback, new codec parameters). */
  readonly discontinuity: boolean;
  readonly byteLength: number;
}

export function segmentUri(msn: number): string {
  return `${msn}.m4s`;
}

export function initFileName(generation: number): string {
  return `init-${generation}.mp4`;
}

/**
 * A rendition's media playlist, grown one segment at a time. EXT-X-DISCONTINUITY (4.4.4.3) before a
 * segment the packager marked, one of another init generation, or one whose number does not follow
 * the previous one (segments missed: its timestamps do not follow either). EXT-X-MAP names each
 * segment's init generation. `minTargetSeconds`: the live target duration, so an EVENT playlist's
 * target does not change as segments are added (6.2.1) unless a segment outgrows it. Each segment's
 * model is made once and the render cache keeps its text: a render after one more segment costs
 * that segment's lines and the joining.
 */
export class RecordingPlaylist {
  readonly segments: RecordedSegment[] = [];
  readonly #models: MediaSegment[] = [];
  readonly #cache = new MediaRenderCache();
  readonly #minTargetSeconds: number;
  #durationSeconds = 0;

  constructor(minTargetSeconds = 1) {
    this.#minTargetSeconds = minTargetSeconds;
  }

  add(s: RecordedSegment): void {
    const previous = this.segments[this.segments.length - 1];
    const discontinuity = previous !== undefined && (s.discontinuity || s.generation !== previous.generation || s.msn !== previous.msn + 1);
    this.segments.push(s);
    this.#durationSeconds += s.durationSeconds;
    this.#models.push({ uri: segmentUri(s.msn), durationSeconds: s.durationSeconds, programDateTimeMs: s.programDateTimeMs, map: { uri: initFileName(s.generation) }, ...(discontinuity ? { discontinuity } : {}) });
  }

  /** The sum of the segments' durations. */
  get durationSeconds(): number {
    return this.#durationSeconds;
  }

  render(ended: boolean): string {
    return renderMediaPlaylist(
      {
        version: FMP4_MEDIA_PLAYLIST_VERSION,
        independentSegments: true,
        targetDurationSeconds: Math.max(Math.ceil(this.#minTargetSeconds), targetDuration(this.#models)),
        mediaSequence: this.segments[0]?.msn ?? 0,
        playlistType: ended ? 'VOD' : 'EVENT',
        // A copy: the cache keeps a list's text by the array object, and this one grows.
        segments: this.#models.slice(),
        endList: ended,
      },
      { cache: this.#cache },
    );
  }
}

/** The VOD playlist of `segments` (the start-up repair's). */
export function recordingMediaPlaylist(segments: readonly RecordedSegment[], ended: boolean, minTargetSeconds = 1): string {
  const playlist = new RecordingPlaylist(minTargetSeconds);
  for (const s of segments) playlist.add(s);
  return playlist.render(ended);
}

/**
 * The multivariant playlist: a variant per video rendition, audio as one EXT-X-MEDIA group every
 * variant names when there is video, else each audio rendition a variant of its own. BANDWIDTH is
 * the rendition's peak segment bit rate plus the costliest audio (4.4.6.2); CODECS lists the video
 * codec and every audio one. Undefined while no rendition has a bit rate (no segment yet).
 */
export function recordingMultivariant(renditions: readonly RecordingRendition[]): string | undefined {
  const measured = renditions.filter((r) => r.bandwidth > 0);
  const video = measured.filter((r) => r.kind === 'video');
  const audio = measured.filter((r) => r.kind === 'audio');
  if (measured.length === 0) return undefined;
  const uri = (r: RecordingRendition): string => `${r.name}/index.m3u8`;
  if (video.length === 0) {
    return renderMultivariantPlaylist({ version: FMP4_MEDIA_PLAYLIST_VERSION, independentSegments: true, variants: audio.map((a) => ({ uri: uri(a), bandwidth: Math.ceil(a.bandwidth), codecs: [a.codecs] })) });
  }
  const audioPeak = Math.max(0, ...audio.map((a) => Math.ceil(a.bandwidth)));
  const group: Rendition[] = audio.map((a, i) => ({
    type: 'AUDIO',
    groupId: DEFAULT_AUDIO_GROUP_ID,
    name: a.name,
    default: i === 0,
    autoselect: true,
    ...(a.channels === undefined ? {} : { channels: String(a.channels) }),
    uri: uri(a),
  }));
  const variants = video.map(
    (v): VariantStream => ({
      uri: uri(v),
      bandwidth: Math.ceil(v.bandwidth) + audioPeak,
      codecs: [...new Set([v.codecs, ...audio.map((a) => a.codecs)])],
      ...(v.width === undefined || v.height === undefined ? {} : { resolution: { width: v.width, height: v.height } }),
      ...(v.frameRate === undefined ? {} : { frameRate: v.frameRate }),
      ...(audio.length === 0 ? {} : { audio: DEFAULT_AUDIO_GROUP_ID }),
    }),
  );
  return renderMultivariantPlaylist({ version: FMP4_MEDIA_PLAYLIST_VERSION, independentSegments: true, renditions: group, variants });
}
