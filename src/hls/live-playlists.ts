import type { AudioTrack, VideoTrack } from '../media/index.js';
import { buildMultivariantPlaylist, type MeasuredBitrate } from './build-multivariant.js';
import { deltaUpdateDue, liveLowLatencyPlaylist, renditionReport, type LiveViewOptions } from './live-low-latency.js';
import type { LiveRendition, RenderedPlaylists } from './live-rendition.js';
import type { LiveTimeline } from './live-timeline.js';
import type { RenditionReport } from './media-playlist.js';
import { renderMediaPlaylist } from './render-media.js';
import { renderMultivariantPlaylist } from './render-multivariant.js';

/**
 * The live packager's playlists as text, from its renditions: pure functions of the timelines, so
 * the packager keeps to deciding store changes.
 */

/**
 * A rendition's media playlist: LL-HLS (with the EXT-X-RENDITION-REPORTs in `options`, 4.4.5.4),
 * a delta update, or the plain view. Rendered with lenient part durations: the encoder's
 * timestamps decide them, and a live stream must not stop over one (partsOffTarget counts them).
 */
export function renderLiveMediaPlaylist(timeline: LiveTimeline, options: LiveViewOptions): string {
  const reports = options.view !== 'plain' && timeline.partTargetSeconds !== undefined && !timeline.ended ? options.renditionReports : undefined;
  return renderMediaPlaylist(liveLowLatencyPlaylist(timeline, { ...options, renditionReports: reports ?? [] }), {
    partDurations: 'lenient',
    ...(options.models === undefined ? {} : { cache: options.models.render }),
  });
}

/**
 * A rendition's playlists as of now (its timeline, the other renditions' reports): the media
 * playlist, the delta update when one would skip a segment (6.2.5.1) and the plain view, each
 * rendered when first read, then the same text. Rendering waits for a reader because a stream
 * published part by part replaces most of them before anyone reads them, and at a keyframe many
 * streams list a segment in the same moment.
 */
export function liveRenditionPlaylists(rendition: LiveRendition, all: Iterable<LiveRendition>, playlistType: LiveViewOptions['playlistType']): RenderedPlaylists {
  const { timeline } = rendition;
  const options: LiveViewOptions = { playlistType, models: rendition.models, renditionReports: liveRenditionReports(rendition, all) };
  const skipping = deltaUpdateDue(timeline);
  return {
    timeline,
    playlist: once(() => renderLiveMediaPlaylist(timeline, options)),
    delta: once(() => (skipping ? renderLiveMediaPlaylist(timeline, { ...options, skip: true }) : undefined)),
    plain: once(() => renderLiveMediaPlaylist(timeline, { ...options, view: 'plain' })),
  };
}

/** `make`, called on the first call only; its value every time. */
function once<T>(make: () => T): () => T {
  let made = false;
  let value: T;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value;
  };
}

/** EXT-X-RENDITION-REPORT of every other live rendition of the stream, as of now (4.4.5.4). */
export function liveRenditionReports(rendition: LiveRendition, all: Iterable<LiveRendition>): RenditionReport[] {
  const reports: RenditionReport[] = [];
  for (const other of all) {
    if (other === rendition || other.removed) continue;
    const report = renditionReport(`../${other.name}/index.m3u8`, other.timeline);
    if (report !== undefined) reports.push(report);
  }
  return reports;
}

/**
 * index.m3u8 once every live rendition has a segment to measure (BANDWIDTH is the peak segment bit
 * rate, 4.4.6.2, and cannot be 0) — or, `final`, with whatever renditions have one; undefined
 * before that.
 */
export function renderLiveMultivariant(all: Iterable<LiveRendition>, final: boolean): string | undefined {
  const live = [...all].filter((r) => !r.removed);
  const measured = live.filter((r) => r.timeline.peakBitsPerSecond > 0);
  if (measured.length === 0 || (!final && measured.length < live.length)) return undefined;
  const source = (r: LiveRendition): { uri: string; bitrate: MeasuredBitrate } => ({
    uri: `${r.name}/index.m3u8`,
    bitrate: { peakBitsPerSecond: r.timeline.peakBitsPerSecond, ...(r.timeline.averageBitsPerSecond > 0 ? { averageBitsPerSecond: listedAverage(r.timeline.averageBitsPerSecond, r.timeline.peakBitsPerSecond) } : {}) },
  });
  return renderMultivariantPlaylist(
    buildMultivariantPlaylist({
      video: measured.filter((r) => r.track.kind === 'video').map((r) => ({ ...source(r), track: r.track as VideoTrack })),
      audio: measured.filter((r) => r.track.kind === 'audio').map((r, i) => ({ ...source(r), track: r.track as AudioTrack, name: i === 0 ? 'default' : `audio ${i + 1}` })),
    }),
  );
}

/**
 * AVERAGE-BANDWIDTH as listed: the window's average segment bit rate rounded up to two significant
 * digits (1 234 567 → 1 300 000). The exact average moves with every segment; rounded, it changes
 * the multivariant playlist (which players read once) only when the rate really moves, and rounding
 * up keeps it a budget a client can rely on, as BANDWIDTH is — and never above BANDWIDTH's peak:
 * that peak counts runs of segments lasting 0.5–1.5 target durations (4.1), so a short, dense
 * last segment can lift the window's average over it, and a variant whose average exceeds its
 * peak says nothing a player can use.
 */
export function listedAverage(bitsPerSecond: number, peakBitsPerSecond: number): number {
  if (!(bitsPerSecond > 0)) return 0;
  const step = 10 ** Math.max(0, Math.floor(Math.log10(bitsPerSecond)) - 1);
  const rounded = Math.ceil(bitsPerSecond / step) * step;
  return peakBitsPerSecond > 0 ? Math.min(rounded, peakBitsPerSecond) : rounded;
}

/** The multivariant playlist of the plain view: every media playlist URI `…/plain.m3u8`. */
export function plainMultivariant(text: string): string {
  return text.replaceAll('/index.m3u8"', '/plain.m3u8"').replace(/\/index\.m3u8$/gm, '/plain.m3u8');
}
