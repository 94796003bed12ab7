import type { Track } from '../media/index.js';
import type { RenderedPlaylists } from './live-rendition.js';
import type { LiveTimeline } from './live-timeline.js';

/**
 * One rendition of a live presentation as published: immutable, pushed by the packager to its
 * subscribers each time a store write that changed the rendition has finished (so every file it
 * names exists). HTTP delivery keeps the latest one per rendition and answers blocking reloads,
 * delta updates and parked part requests from it without calling back into the packager; other
 * renderers of the same timeline (a DASH MPD) subscribe to the same snapshots.
 *
 * Each playlist is rendered at most once, when first read, from what was decided with the change:
 * the same text is what the store holds as `<rendition>/index.m3u8` and what every request
 * answered from this snapshot gets. A stream published part by part replaces most snapshots before
 * anyone reads them, and those are never rendered. A renderer's error (a broken invariant) is
 * thrown to the reader.
 */
export interface LiveSnapshot {
  /** The rendition's folder: 'video', 'audio', or 'video<id>' when a kind repeats. */
  readonly rendition: string;
  readonly track: Track;
  readonly timeline: LiveTimeline;
  /** The media playlist: the LL-HLS view when the stream has parts (index.m3u8). ASCII. Rendered when first read. */
  readonly playlist: string;
  /**
   * The Playlist Delta Update (RFC 8216bis 6.2.5.1, `_HLS_skip=YES|v2`) when it would skip a
   * segment; undefined otherwise, and then the full playlist answers a skip request. Rendered when
   * first read (from what was decided with the snapshot, so the same text whenever it is read):
   * most snapshots of a stream published part by part are replaced before anyone asks for one.
   */
  readonly delta: string | undefined;
  /** Counts the rendition's snapshots from 1: a subscriber can tell a new one from one it has seen. */
  readonly version: number;
}

/** The snapshot of `rendered` for rendition `name`: its playlists rendered when first read, through it or through the store. */
export function liveSnapshot(name: string, track: Track, rendered: RenderedPlaylists, version: number): LiveSnapshot {
  return {
    rendition: name,
    track,
    timeline: rendered.timeline,
    get playlist() {
      return rendered.playlist();
    },
    get delta() {
      return rendered.delta();
    },
    version,
  };
}

/** Called with each snapshot as it is published. */
export type LiveSnapshotListener = (snapshot: LiveSnapshot) => void;
