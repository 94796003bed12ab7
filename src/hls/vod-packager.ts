import { DEFAULT_SEGMENT_TARGET_SECONDS, PresentationSegmenter, fragment, initSegment, type SegmenterEvent, type SegmenterSegment } from '../cmaf/index.js';
import { MediaError } from '../errors/index.js';
import type { AudioTrack, Sample, Track, VideoTrack } from '../media/index.js';
import { averageBitrate, peakBitrate, type MeasuredSegment } from './bitrate.js';
import { buildMultivariantPlaylist } from './build-multivariant.js';
import { renderMediaPlaylist } from './render-media.js';
import { renderMultivariantPlaylist } from './render-multivariant.js';
import { fragmentPieces, segmentSamples } from './segment-file.js';
import { targetDuration } from './target-duration.js';

/**
 * An HLS VOD presentation in memory (RFC 8216bis 4.4.3.5 PLAYLIST-TYPE=VOD), one CMAF rendition per
 * track, laid out as:
 *
 *   index.m3u8                 multivariant: one variant per video track, audio as a rendition group
 *   <track>/index.m3u8         media playlist (video, audio)
 *   <track>/init.mp4           CMAF header (ftyp + moov)
 *   <track>/<sequence>.m4s     CMAF segments (styp + moof + mdat)
 *
 * Segment bytes are a fragment header followed by the samples' own views: nothing is copied
 * until a caller writes the pieces out.
 */
export interface VodPackagerOptions {
  /** Segment target in seconds; segments are cut at the first keyframe past it. Default 2. */
  segmentTargetSeconds?: number;
}

/** One output file as the pieces to write in order. */
export interface PackagedFile {
  readonly path: string;
  readonly pieces: readonly Uint8Array[];
  readonly byteLength: number;
}

interface Rendition {
  readonly track: Track;
  /** Folder of the rendition's files: 'video' and 'audio', numbered by track id when a kind repeats. */
  readonly name: string;
  readonly segments: { sequence: number; uri: string; durationSeconds: number; byteLength: number }[];
  fragments: number;
}

export class HlsVodPackager {
  private readonly segmenter: PresentationSegmenter;
  private readonly renditions = new Map<number, Rendition>();
  private readonly out: PackagedFile[] = [];

  constructor(tracks: readonly Track[], options: VodPackagerOptions = {}) {
    if (tracks.length === 0) throw new MediaError('ERR_MEDIA_INVALID', 'nothing to package: no track', {});
    this.segmenter = new PresentationSegmenter({ tracks, segmentTargetSeconds: options.segmentTargetSeconds ?? DEFAULT_SEGMENT_TARGET_SECONDS });
    for (const track of tracks) {
      const repeated = tracks.filter((t) => t.kind === track.kind).length > 1;
      const name = repeated ? `${track.kind}${track.id}` : track.kind;
      this.renditions.set(track.id, { track, name, segments: [], fragments: 0 });
      const init = initSegment([track]);
      this.out.push({ path: `${name}/init.mp4`, pieces: [init], byteLength: init.length });
    }
  }

  /** Files completed so far (init segments, then media segments as they are cut); drained on read. */
  takeFiles(): PackagedFile[] {
    return this.out.splice(0);
  }

  push(sample: Sample): void {
    this.handle(this.segmenter.push(sample));
  }

  /** Cuts the last segments and renders the playlists; returns every file not yet taken. */
  finish(): PackagedFile[] {
    this.handle(this.segmenter.flush());
    for (const r of this.renditions.values()) this.addText(`${r.name}/index.m3u8`, this.mediaPlaylist(r));
    this.addText('index.m3u8', this.multivariantPlaylist());
    return this.takeFiles();
  }

  private handle(events: readonly SegmenterEvent[]): void {
    for (const e of events) if (e.type === 'segment') this.addSegment(e);
  }

  private addSegment(s: SegmenterSegment): void {
    const r = this.renditions.get(s.trackId);
    if (r === undefined) throw new MediaError('ERR_MEDIA_INVALID', `segment of unknown track ${s.trackId}`, { trackId: s.trackId });
    const samples = segmentSamples(s);
    if (samples.length === 0) return;
    const f = fragment({ sequenceNumber: ++r.fragments, track: r.track, samples, baseMediaDecodeTime: s.startDts, styp: true });
    const uri = `${s.sequence}.m4s`;
    r.segments.push({ sequence: s.sequence, uri, durationSeconds: s.duration / r.track.timescale, byteLength: f.byteLength });
    this.out.push({ path: `${r.name}/${uri}`, pieces: fragmentPieces(f), byteLength: f.byteLength });
  }

  private mediaPlaylist(r: Rendition): string {
    return renderMediaPlaylist({
      playlistType: 'VOD',
      independentSegments: true,
      mediaSequence: r.segments[0]?.sequence ?? 0,
      map: { uri: 'init.mp4' },
      segments: r.segments.map(({ uri, durationSeconds }) => ({ uri, durationSeconds })),
      endList: true,
    });
  }

  private multivariantPlaylist(): string {
    const all = [...this.renditions.values()];
    const measured = (r: Rendition): { peakBitsPerSecond: number; averageBitsPerSecond: number } => {
      const segments: MeasuredSegment[] = r.segments;
      return { peakBitsPerSecond: peakBitrate(segments, targetDuration(segments)), averageBitsPerSecond: averageBitrate(segments) };
    };
    const withSegments = all.filter((r) => r.segments.length > 0);
    return renderMultivariantPlaylist(
      buildMultivariantPlaylist({
        video: withSegments.filter((r) => r.track.kind === 'video').map((r) => ({ track: r.track as VideoTrack, uri: `${r.name}/index.m3u8`, bitrate: measured(r) })),
        audio: withSegments.filter((r) => r.track.kind === 'audio').map((r, i) => ({ track: r.track as AudioTrack, uri: `${r.name}/index.m3u8`, name: i === 0 ? 'default' : `audio ${i + 1}`, bitrate: measured(r) })),
      }),
    );
  }

  private addText(path: string, text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    this.out.push({ path, pieces: [bytes], byteLength: bytes.length });
  }
}
