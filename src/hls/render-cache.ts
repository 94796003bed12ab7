import type { InitSection, MediaPlaylist, MediaSegment, PartialSegment } from './media-playlist.js';
import { sameInitSection } from './media-tags.js';
import type { RenderMediaOptions } from './validate-media.js';

/**
 * What renderMediaPlaylist may reuse from earlier calls: each segment's text (its tags, parts,
 * EXTINF and URI) and each part's EXT-X-PART line, keyed by the model object. For a caller that
 * renders the same playlist again and again with a little added at the end — a live packager
 * renders each rendition about five times a second, each time listing the same dozen segments —
 * and hands back the same objects for what did not change. Model objects are read-only, so the
 * same object in the same surroundings (the settings in `renderContext`, the init section in force
 * before it) was checked and written once and gives the same text again.
 */
export class MediaRenderCache {
  readonly #segments = new WeakMap<MediaSegment, RenderedSegment>();
  readonly #parts = new WeakMap<PartialSegment, string>();
  readonly #lists = new WeakMap<readonly MediaSegment[], RenderedList>();

  /**
   * The header and every segment of `segments` (the same array object as before) rendered after
   * `header` in `context`: a caller that hands back the same list object (LiveModels.list) gets
   * the whole text back, and its segments' checks skipped.
   */
  list(segments: readonly MediaSegment[], header: string, context: string): RenderedList | undefined {
    const rendered = this.#lists.get(segments);
    return rendered !== undefined && rendered.header === header && rendered.context === context ? rendered : undefined;
  }

  /** Whether every segment of the list was checked in `context` under `targetDurationSeconds`. */
  listChecked(segments: readonly MediaSegment[], context: string, targetDurationSeconds: number): boolean {
    const rendered = this.#lists.get(segments);
    return rendered !== undefined && rendered.context === context && rendered.targetDurationSeconds === targetDurationSeconds;
  }

  keepList(segments: readonly MediaSegment[], rendered: RenderedList): void {
    this.#lists.set(segments, rendered);
  }

  /** The segment's text when it was rendered in `context` after `mapBefore`. */
  segment(segment: MediaSegment, context: string, mapBefore: InitSection | undefined): RenderedSegment | undefined {
    const rendered = this.#segments.get(segment);
    return rendered !== undefined && rendered.context === context && sameInitSection(rendered.mapBefore, mapBefore) ? rendered : undefined;
  }

  /** Whether the segment was checked in `context` (its checks do not depend on what precedes it). */
  checked(segment: MediaSegment, context: string): boolean {
    return this.#segments.get(segment)?.context === context;
  }

  keepSegment(segment: MediaSegment, rendered: RenderedSegment): void {
    this.#segments.set(segment, rendered);
  }

  /** The part's EXT-X-PART line, when rendered before (a part's line depends on nothing else). */
  part(part: PartialSegment): string | undefined {
    return this.#parts.get(part);
  }

  keepPart(part: PartialSegment, line: string): void {
    this.#parts.set(part, line);
  }
}

export interface RenderedSegment {
  readonly context: string;
  readonly mapBefore: InitSection | undefined;
  /** The init section in force after the segment. */
  readonly mapAfter: InitSection | undefined;
  /** Its lines, joined by LF, without a final one. */
  readonly text: string;
}

export interface RenderedList {
  /** The header lines it follows, joined by LF. */
  readonly header: string;
  readonly context: string;
  /** The target duration the segments were checked against. */
  readonly targetDurationSeconds: number;
  /** The init section in force after the last segment. */
  readonly mapAfter: InitSection | undefined;
  /** The header and every segment, joined by LF, without a final one. */
  readonly text: string;
}

/** The settings of a render that a segment's checks and text depend on, besides the segment itself. */
export function renderContext(playlist: MediaPlaylist, options: RenderMediaOptions): string {
  return `${playlist.partTargetSeconds ?? ''}|${options.partDurations ?? 'strict'}|${playlist.programDateTimeUtcOffsetMinutes ?? 0}`;
}
