import { livePartModel } from './live-low-latency.js';
import { liveSegmentModel, type LivePart, type LiveSegment } from './live-timeline.js';
import type { MediaSegment, PartialSegment } from './media-playlist.js';
import { MediaRenderCache } from './render-cache.js';

/**
 * A live rendition's playlist model objects, made once per published segment and part (keyed by
 * the timeline's own objects, which never change), and the text rendered from them: the packager
 * renders each playlist after every part, and only what was added since is written anew
 * (MediaRenderCache). One per rendition, dropped with it; entries go with their segments.
 */
export class LiveModels {
  readonly render = new MediaRenderCache();
  readonly #segments = new WeakMap<LiveSegment, MediaSegment>();
  readonly #withParts = new WeakMap<LiveSegment, MediaSegment>();
  readonly #parts = new WeakMap<LivePart, PartialSegment>();
  readonly #lists = new Map<string, { readonly source: readonly LiveSegment[]; readonly variant: string; readonly list: MediaSegment[] }>();

  /** The segment without its parts (the plain view, or far from the live edge). */
  segment(s: LiveSegment): MediaSegment {
    return remembered(this.#segments, s, liveSegmentModel);
  }

  /** The segment with its EXT-X-PART lines (near the live edge). */
  withParts(s: LiveSegment): MediaSegment {
    return remembered(this.#withParts, s, () => ({ ...this.segment(s), parts: (s.parts ?? []).map((p) => this.part(p)) }));
  }

  part(p: LivePart): PartialSegment {
    return remembered(this.#parts, p, livePartModel);
  }

  /**
   * The segment list of a view (`kind`), made again only when the timeline's segments or what else
   * decides it (`variant`: which segments show parts, how many are skipped) changed: the same array
   * object comes back, so the renderer can reuse the text of the whole list (MediaRenderCache).
   */
  list(kind: string, source: readonly LiveSegment[], variant: string, make: () => MediaSegment[]): MediaSegment[] {
    const last = this.#lists.get(kind);
    if (last !== undefined && last.source === source && last.variant === variant) return last.list;
    const list = make();
    this.#lists.set(kind, { source, variant, list });
    return list;
  }
}

function remembered<K extends object, V>(map: WeakMap<K, V>, key: K, make: (key: K) => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make(key);
    map.set(key, value);
  }
  return value;
}
