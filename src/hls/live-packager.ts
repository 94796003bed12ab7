import { PresentationSegmenter, fragment, initSegment, type SegmenterEvent, type SegmenterSegment } from '../cmaf/index.js';
import { MediaError } from '../errors/index.js';
import type { AudioTrack, Sample, Track, VideoTrack } from '../media/index.js';
import type { MaybePromise, SegmentStore } from '../store/index.js';
import { renderedSeconds } from './attributes.js';
import { buildMultivariantPlaylist } from './build-multivariant.js';
import { ChangeQueue, type StoreChange } from './live-changes.js';
import { resolveLiveOptions, type LivePackagerOptions, type LiveSegmentEvent, type ResolvedLiveOptions } from './live-options.js';
import { fragmentFile, mediaContentType, renditionName, sameTrackSetups, textFile, type LiveRendition } from './live-rendition.js';
import { segmentSamples } from './segment-file.js';
import { appendLiveSegment, createLiveTimeline, endLiveTimeline, initUri, liveMediaPlaylist, reopenLiveTimeline, type LiveSegment } from './live-timeline.js';
import { renderMediaPlaylist } from './render-media.js';
import { renderMultivariantPlaylist } from './render-multivariant.js';

export interface LivePackagerCounters {
  /** Segments published, all renditions. */
  segments: number;
  /** Init segment generations written (1 + codec changes). */
  generations: number;
  /** Segments too short to list (a lone sample with no known duration at end()): not published. */
  emptySegments: number;
}

/**
 * A live HLS presentation of one stream, written to a SegmentStore as it changes:
 *
 *   index.m3u8                    multivariant: a variant per video track, audio as a rendition group
 *   <track>/index.m3u8            media playlist, a sliding window (or EVENT)
 *   <track>/init-<generation>.mp4 CMAF header; a new generation per change of codec parameters
 *   <track>/<msn>.m4s             CMAF segments, deleted keepAfterWindowSegments after leaving the window
 *
 * Every call decides its store changes first (a pure LiveTimeline per rendition), then applies
 * them in order. Time is a parameter (`nowMs`, epoch ms): the packager has no clock and no timer.
 * Calls return what the store returns — nothing for MemoryStore, a promise for DiskStore.
 */
export class HlsLivePackager {
  readonly #queue: ChangeQueue;
  readonly #options: ResolvedLiveOptions;
  readonly #onSegment: ((event: LiveSegmentEvent) => void) | undefined;
  readonly #renditions = new Map<number, LiveRendition>();
  /** When each sample arrived, to stamp its segment's PROGRAM-DATE-TIME; samples are not copied, so they key it. */
  readonly #arrivals = new WeakMap<Sample, number>();
  #tracks: readonly Track[] = [];
  #segmenter: PresentationSegmenter | undefined;
  #generation = -1;
  #nextMsn = 0;
  #multivariant: string | undefined;
  #lastNowMs = 0;
  readonly #counters: LivePackagerCounters = { segments: 0, generations: 0, emptySegments: 0 };

  constructor(store: SegmentStore, options: LivePackagerOptions = {}) {
    this.#options = resolveLiveOptions(options);
    this.#onSegment = options.onSegment;
    this.#queue = new ChangeQueue(store, options.onWriteError);
  }

  /**
   * The publisher's tracks: the first call, or a change of codec parameters (a new sequence
   * header), starts a new generation — new init segments, and 4.4.4.3 EXT-X-DISCONTINUITY plus a
   * new EXT-X-MAP before each rendition's next segment. The same setup again changes nothing.
   */
  setTracks(tracks: readonly Track[], nowMs: number): MaybePromise<void> {
    checkNow(nowMs);
    if (tracks.length === 0) throw new MediaError('ERR_MEDIA_INVALID', 'a live stream needs at least one track', {});
    if (this.#segmenter !== undefined && sameTrackSetups(this.#tracks, tracks)) return undefined;
    const changes = this.#flush();
    const segmenter = new PresentationSegmenter({ tracks, segmentTargetSeconds: this.#options.segmentTargetSeconds, partTargetSeconds: this.#options.partTargetSeconds, firstSequence: this.#nextMsn });
    this.#generation += 1;
    this.#counters.generations += 1;
    for (const track of tracks) {
      const rendition = this.#rendition(track, tracks);
      rendition.track = track;
      rendition.removed = false;
      rendition.timeline = reopenLiveTimeline(rendition.timeline);
      if (this.#generation > 0) rendition.discontinuityNext = true;
      const init = initSegment([track]);
      changes.push({ type: 'put', path: `${rendition.name}/${initUri(this.#generation)}`, file: { pieces: [init], byteLength: init.byteLength, contentType: mediaContentType(track) } });
    }
    for (const rendition of this.#renditions.values()) {
      if (tracks.some((t) => t.id === rendition.track.id) || rendition.removed) continue;
      rendition.removed = true;
      rendition.timeline = endLiveTimeline(rendition.timeline);
      this.#playlist(rendition, changes);
    }
    this.#tracks = tracks;
    this.#segmenter = segmenter;
    this.#multivariantChange(changes);
    return this.#queue.apply(changes);
  }

  /** The next sample of any track, in decode order per track; `nowMs` is when it arrived. */
  pushSample(sample: Sample, nowMs: number): MaybePromise<void> {
    checkNow(nowMs);
    if (this.#segmenter === undefined) {
      throw new MediaError('ERR_MEDIA_INVALID', 'pushSample before setTracks, or after end() without resume()', { trackId: sample.trackId });
    }
    this.#arrivals.set(sample, nowMs);
    this.#lastNowMs = nowMs;
    const changes: StoreChange[] = [];
    this.#publish(this.#segmenter.push(sample), changes);
    return this.#queue.apply(changes);
  }

  /**
   * The publisher left, perhaps to come back (the outer layer's grace period): the open segments
   * are cut and listed now, so a player at the live edge gets the session's last media instead of
   * stalling through the grace; the playlists stay open. Next comes resume() (a comeback) or end().
   */
  pause(nowMs: number): MaybePromise<void> {
    checkNow(nowMs);
    return this.#queue.apply(this.#flush());
  }

  /**
   * The publisher left for good (the outer layer decides after its grace period): the open
   * segments are cut and published and every playlist gets EXT-X-ENDLIST (4.4.3.4).
   */
  end(nowMs: number): MaybePromise<void> {
    checkNow(nowMs);
    const changes = this.#flush();
    for (const rendition of this.#renditions.values()) {
      rendition.timeline = endLiveTimeline(rendition.timeline);
      this.#playlist(rendition, changes);
    }
    this.#multivariantChange(changes, true);
    return this.#queue.apply(changes);
  }

  /**
   * The same stream key was published again (before or after end()): the playlists go on, media
   * sequence numbers continue, and each rendition's next segment carries EXT-X-DISCONTINUITY, as
   * the new session's timestamps start afresh (4.4.4.3). Old segments stay listed until the window
   * slides past them. Call setTracks next; tracks equal to the previous ones keep their init segment.
   */
  resume(nowMs: number): MaybePromise<void> {
    checkNow(nowMs);
    if (this.#generation < 0) throw new MediaError('ERR_MEDIA_INVALID', 'resume before the first setTracks', {});
    const changes = this.#flush();
    this.#segmenter = new PresentationSegmenter({ tracks: this.#tracks, segmentTargetSeconds: this.#options.segmentTargetSeconds, partTargetSeconds: this.#options.partTargetSeconds, firstSequence: this.#nextMsn });
    for (const rendition of this.#renditions.values()) {
      if (rendition.removed) continue;
      rendition.discontinuityNext = true;
      rendition.timeline = reopenLiveTimeline(rendition.timeline);
    }
    return this.#queue.apply(changes);
  }

  /** Resolves when every store write handed over so far has finished. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** The rendition folders and their timelines, for HTTP (blocking reloads) and metrics. */
  get renditions(): ReadonlyArray<Readonly<LiveRendition>> {
    return [...this.#renditions.values()];
  }

  get counters(): Readonly<LivePackagerCounters> {
    return { ...this.#counters };
  }

  #rendition(track: Track, tracks: readonly Track[]): LiveRendition {
    const existing = this.#renditions.get(track.id);
    if (existing !== undefined) return existing;
    const rendition: LiveRendition = {
      track,
      name: renditionName(track, tracks),
      timeline: createLiveTimeline(this.#options.targetDurationSeconds, this.#nextMsn),
      fragments: 0,
      discontinuityNext: this.#generation > 0,
      removed: false,
    };
    this.#renditions.set(track.id, rendition);
    return rendition;
  }

  /** Closes the open segments (the last held video frame lasts as long as the frame before it). */
  #flush(): StoreChange[] {
    const changes: StoreChange[] = [];
    const segmenter = this.#segmenter;
    if (segmenter === undefined) return changes;
    this.#segmenter = undefined;
    const leader = this.#tracks.find((t) => t.id === segmenter.leaderTrackId);
    const frameTicks = leader?.kind === 'video' ? Math.round(leader.timescale / (leader.frameRate ?? 30)) : 0;
    this.#publish(segmenter.flush(frameTicks), changes);
    return changes;
  }

  #publish(events: readonly SegmenterEvent[], changes: StoreChange[]): void {
    const published: LiveSegmentEvent[] = [];
    for (const event of events) if (event.type === 'segment') this.#segment(event, changes, published);
    if (published.length === 0) return;
    this.#multivariantChange(changes);
    if (this.#onSegment !== undefined) for (const e of published) this.#onSegment(e);
  }

  #segment(s: SegmenterSegment, changes: StoreChange[], published: LiveSegmentEvent[]): void {
    const rendition = this.#renditions.get(s.trackId);
    if (rendition === undefined) throw new MediaError('ERR_MEDIA_INVALID', `segment of unknown track ${s.trackId}`, { trackId: s.trackId });
    const samples = segmentSamples(s);
    const durationSeconds = s.duration / rendition.track.timescale;
    if (samples.length === 0 || renderedSeconds(durationSeconds) <= 0) {
      this.#counters.emptySegments += 1;
      return;
    }
    const f = fragment({ sequenceNumber: ++rendition.fragments, track: rendition.track, samples, baseMediaDecodeTime: s.startDts, styp: true });
    const segment: LiveSegment = {
      msn: s.sequence,
      uri: `${s.sequence}.m4s`,
      durationSeconds,
      byteLength: f.byteLength,
      programDateTimeMs: this.#arrivals.get(samples[0]!) ?? this.#lastNowMs,
      discontinuity: rendition.discontinuityNext,
      generation: this.#generation,
    };
    const update = appendLiveSegment(rendition.timeline, segment, this.#options);
    rendition.timeline = update.timeline;
    rendition.discontinuityNext = false;
    this.#nextMsn = Math.max(this.#nextMsn, s.sequence + 1);
    this.#counters.segments += 1;
    changes.push({ type: 'put', path: `${rendition.name}/${segment.uri}`, file: fragmentFile(f, mediaContentType(rendition.track)) });
    this.#playlist(rendition, changes);
    for (const old of update.expired) changes.push({ type: 'delete', path: `${rendition.name}/${old.uri}` });
    for (const generation of update.releasedGenerations) changes.push({ type: 'delete', path: `${rendition.name}/${initUri(generation)}` });
    const { msn, byteLength, programDateTimeMs, generation, discontinuity } = segment;
    published.push({ track: rendition.name, trackId: s.trackId, msn, durationSeconds, byteLength, programDateTimeMs, generation, discontinuity });
  }

  #playlist(rendition: LiveRendition, changes: StoreChange[]): void {
    if (rendition.timeline.segments.length === 0 && !rendition.timeline.ended) return;
    const text = renderMediaPlaylist(liveMediaPlaylist(rendition.timeline, this.#options.playlistType));
    changes.push({ type: 'put', path: `${rendition.name}/index.m3u8`, file: textFile(text) });
  }

  /**
   * index.m3u8, once every published rendition has a segment to measure (BANDWIDTH is the peak
   * segment bit rate, 4.4.6.2, and cannot be 0), then again whenever a peak or the track set
   * changes; at end() with whatever renditions have segments.
   */
  #multivariantChange(changes: StoreChange[], final = false): void {
    const live = [...this.#renditions.values()].filter((r) => !r.removed);
    const measured = live.filter((r) => r.timeline.peakBitsPerSecond > 0);
    if (measured.length === 0 || (!final && measured.length < live.length)) return;
    const source = (r: LiveRendition): { uri: string; bitrate: { peakBitsPerSecond: number } } => ({ uri: `${r.name}/index.m3u8`, bitrate: { peakBitsPerSecond: r.timeline.peakBitsPerSecond } });
    const text = renderMultivariantPlaylist(
      buildMultivariantPlaylist({
        video: measured.filter((r) => r.track.kind === 'video').map((r) => ({ ...source(r), track: r.track as VideoTrack })),
        audio: measured.filter((r) => r.track.kind === 'audio').map((r, i) => ({ ...source(r), track: r.track as AudioTrack, name: i === 0 ? 'default' : `audio ${i + 1}` })),
      }),
    );
    if (text === this.#multivariant) return;
    this.#multivariant = text;
    changes.push({ type: 'put', path: 'index.m3u8', file: textFile(text) });
  }
}

function checkNow(nowMs: number): void {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) throw new MediaError('ERR_MEDIA_INVALID', `nowMs must be a non-negative integer of epoch milliseconds, got ${nowMs}`, { nowMs });
}
