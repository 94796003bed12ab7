import { PresentationSegmenter, fragment, initSegment, type SegmenterEvent, type SegmenterPart, type SegmenterSegment } from '../cmaf/index.js';
import { MediaError } from '../errors/index.js';
import { sameTrackSetups, type Sample, type Track } from '../media/index.js';
import type { MaybePromise, SegmentStore } from '../store/index.js';
import { renderedSeconds } from './attributes.js';
import { declaredDurationSeconds } from './declared-time.js';
import { ChangeQueue, windowChanges, type StoreChange } from './live-changes.js';
import { appendLivePart, openPartsOf } from './live-low-latency.js';
import { LiveModels } from './live-models.js';
import { epochField, initUri, partUri, segmentUri } from './live-names.js';
import { liveSnapshot, type LiveSnapshot, type LiveSnapshotListener } from './live-snapshot.js';
import { PresentationClock } from './presentation-clock.js';
import { resolveLiveOptions, type LiveContinuation, type LivePackagerOptions, type LivePartEvent, type LiveSegmentEvent, type ResolvedLiveOptions } from './live-options.js';
import { listedAverage, liveRenditionPlaylists, plainMultivariant, renderLiveMultivariant } from './live-playlists.js';
import { checkedRenditionName, deferredTextFile, fragmentFile, mediaContentType, renditionName, textFile, type LiveRendition } from './live-rendition.js';
import { fittedPartTarget, partsOffTarget } from './part-target.js';
import { joinedFragmentsFile, segmentSamples } from './segment-file.js';
import { appendLiveSegment, awayLiveTimeline, createLiveTimeline, endLiveTimeline, reopenLiveTimeline, type LivePart, type LiveSegment, type LiveTimeline } from './live-timeline.js';

export interface LivePackagerCounters {
  /** Segments published, all renditions. */
  segments: number;
  /** Init segment generations written (1 + codec changes). */
  generations: number;
  /** Dates moved because the encoder's clock drifted past DRIFT_BOUND_MS from the server's (presentation-clock.ts). */
  clockReanchors: number;
  /** Segments too short to list (a lone sample with no known duration at end()): not published. */
  emptySegments: number;
  /** LL-HLS parts published, all renditions. */
  parts: number;
  /**
   * LL-HLS parts outside 4.4.4.9's bounds (above PART-TARGET, or under 85 % of it without being
   * independent or the last of their segment): the encoder's timestamps did not fit the target.
   * Playlists still go out (rendered with partDurations 'lenient'); a count that grows says so.
   */
  partsOffTarget: number;
}

/**
 * A live HLS presentation of one stream, written to a SegmentStore as it changes:
 *
 *   index.m3u8                    multivariant: a variant per video track, audio as a rendition group
 *   <track>/index.m3u8            media playlist, a sliding window (or EVENT)
 *   <track>/init-<generation>.mp4 CMAF header; a new generation per change of codec parameters
 *   <track>/<msn>.m4s             CMAF segments, deleted keepAfterWindowSegments after leaving the window
 *   with an `epoch` (cluster mode), every name but a playlist's starts `e<epoch>-` (live-names.ts)
 *
 * Every call decides its store changes first (a pure LiveTimeline per rendition), then applies
 * them in order. Time is a parameter (`nowMs`, epoch ms): the packager has no clock and no timer.
 * Calls return what the store returns — nothing for MemoryStore, a promise for DiskStore.
 *
 * Just over 400 lines on purpose: one class whose steps share the renditions and the change queue;
 * the pure parts (timelines, playlists, parts, names, segment files) live in their own files.
 */
export class HlsLivePackager {
  readonly #queue: ChangeQueue;
  readonly #options: ResolvedLiveOptions;
  readonly #onSegment: ((event: LiveSegmentEvent) => void) | undefined;
  readonly #onPart: ((event: LivePartEvent) => void) | undefined;
  readonly #onSegmentSamples: LivePackagerOptions['onSegmentSamples'];
  readonly #nameOf: LivePackagerOptions['renditionName'];
  readonly #listeners = new Set<LiveSnapshotListener>();
  readonly #renditions = new Map<number, LiveRendition>();
  /** PROGRAM-DATE-TIME: one anchor per presentation plus media time (presentation-clock.ts). */
  readonly #clock = new PresentationClock();
  #tracks: readonly Track[] = [];
  #segmenter: PresentationSegmenter | undefined;
  #generation = -1;
  #nextMsn = 0;
  #multivariant: string | undefined;
  #multivariantInputs: string | undefined;
  #lastNowMs = 0;
  readonly #counters: LivePackagerCounters = { segments: 0, generations: 0, emptySegments: 0, parts: 0, partsOffTarget: 0, clockReanchors: 0 };

  constructor(store: SegmentStore, options: LivePackagerOptions = {}) {
    this.#options = resolveLiveOptions(options);
    this.#nextMsn = this.#options.continueFrom?.mediaSequence ?? 0;
    this.#onSegment = options.onSegment;
    this.#onPart = options.onPart;
    this.#onSegmentSamples = options.onSegmentSamples;
    this.#nameOf = options.renditionName;
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
    this.#generation += 1;
    this.#counters.generations += 1;
    for (const track of tracks) {
      const rendition = this.#rendition(track, tracks);
      rendition.track = track;
      rendition.removed = false;
      const ended = rendition.timeline;
      rendition.timeline = reopenLiveTimeline(ended);
      if (this.#generation > 0) rendition.discontinuityNext = true;
      // Reopened after end(): the playlist loses its ENDLIST now, in the store and the snapshot alike.
      if (rendition.timeline !== ended) this.#playlist(rendition, changes, false);
      const init = initSegment([track]);
      changes.push({ type: 'put', path: `${rendition.name}/${initUri(this.#generation, this.#options.epoch)}`, file: { pieces: [init], byteLength: init.byteLength, contentType: mediaContentType(track) } });
    }
    for (const rendition of this.#renditions.values()) {
      if (tracks.some((t) => t.id === rendition.track.id) || rendition.removed) continue;
      rendition.removed = true;
      rendition.timeline = endLiveTimeline(rendition.timeline);
      this.#playlist(rendition, changes);
    }
    this.#tracks = tracks;
    this.#segmenter = this.#newSegmenter();
    this.#multivariantChange(changes);
    return this.#commit(changes);
  }

  /** The next sample of any track, in decode order per track; `nowMs` is when it arrived. */
  pushSample(sample: Sample, nowMs: number): MaybePromise<void> {
    checkNow(nowMs);
    if (this.#segmenter === undefined) {
      throw new MediaError('ERR_MEDIA_INVALID', 'pushSample before setTracks, or after end() without resume()', { trackId: sample.trackId });
    }
    this.#clock.observe(sample, this.#timescale(sample.trackId), nowMs);
    this.#lastNowMs = nowMs;
    const changes: StoreChange[] = [];
    const events = this.#segmenter.push(sample);
    if (events.length === 0) return undefined;
    this.#publish(events, changes);
    return this.#commit(changes);
  }

  /**
   * The publisher left, perhaps to come back (the outer layer's grace period): the open segments
   * are cut and listed now, so a player at the live edge gets the session's last media instead of
   * stalling through the grace; the playlists stay open. Next comes resume() (a comeback) or end().
   */
  pause(nowMs: number): MaybePromise<void> {
    checkNow(nowMs);
    const changes = this.#flush();
    // The timelines say the publisher is away (a DASH MPD ends its last Period); the playlists' text is unchanged.
    for (const rendition of this.#renditions.values()) {
      if (rendition.removed) continue;
      const before = rendition.timeline;
      rendition.timeline = awayLiveTimeline(before);
      if (rendition.timeline !== before) this.#playlist(rendition, changes, false);
    }
    return this.#commit(changes);
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
    return this.#commit(changes);
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
    this.#segmenter = this.#newSegmenter();
    for (const rendition of this.#renditions.values()) {
      if (rendition.removed) continue;
      rendition.discontinuityNext = true;
      const ended = rendition.timeline;
      rendition.timeline = reopenLiveTimeline(ended);
      if (rendition.timeline !== ended) this.#playlist(rendition, changes, false);
    }
    return this.#commit(changes);
  }

  /** Resolves when every store write handed over so far has finished. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** The rendition folders and their timelines, for HTTP (blocking reloads) and metrics. */
  get renditions(): ReadonlyArray<Readonly<LiveRendition>> {
    return [...this.#renditions.values()];
  }

  /**
   * Where the playlists stand, for a packager that takes the stream over (`continueFrom`): the next
   * segment's number, and the discontinuity sequence number of the newest segment of the first
   * rendition (4.4.3.3: EXT-X-DISCONTINUITY-SEQUENCE plus the tags up to it).
   */
  get continuation(): LiveContinuation {
    const first = this.#renditions.values().next().value as LiveRendition | undefined;
    const timeline = first?.timeline;
    const tags = timeline === undefined ? 0 : timeline.segments.filter((s) => s.discontinuity).length;
    return { mediaSequence: this.#nextMsn, discontinuitySequence: (timeline?.discontinuitySequence ?? this.#options.continueFrom?.discontinuitySequence ?? 0) + tags };
  }

  get counters(): Readonly<LivePackagerCounters> {
    return { ...this.#counters };
  }

  /** The published timeline of a rendition (its files are in the store), by folder name. */
  timeline(rendition: string): LiveTimeline | undefined {
    return this.#byName(rendition)?.snapshot?.timeline;
  }

  /** The last snapshot published of a rendition, by folder name; undefined before its first playlist. */
  snapshot(rendition: string): LiveSnapshot | undefined {
    return this.#byName(rendition)?.snapshot;
  }

  /**
   * Calls `listener` with each rendition's snapshot as it is published (a store write that changed
   * the rendition has finished); returns the unsubscribe. HTTP delivery and any other renderer of
   * the live timeline (a DASH MPD) follow the stream this way and never call the packager back.
   */
  subscribe(listener: LiveSnapshotListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #byName(name: string): LiveRendition | undefined {
    for (const r of this.#renditions.values()) if (r.name === name) return r;
    return undefined;
  }

  #timescale(trackId: number): number {
    const track = this.#tracks.find((t) => t.id === trackId);
    if (track === undefined) throw new MediaError('ERR_MEDIA_INVALID', `sample of unknown track ${trackId}`, { trackId });
    return track.timescale;
  }

  #newSegmenter(): PresentationSegmenter {
    this.#clock.reset();
    const tracks = this.#tracks.map((t) => ({ id: t.id, kind: t.kind, timescale: t.timescale, partTargetSeconds: this.#renditions.get(t.id)?.partTargetSeconds }));
    return new PresentationSegmenter({
      tracks,
      segmentTargetSeconds: this.#options.segmentTargetSeconds,
      partTargetSeconds: this.#options.partTargetSeconds,
      firstSequence: this.#nextMsn,
      // Parts are listed by decode time: a player joining at one must find its first frame there.
      shiftCompositionDelay: true,
    });
  }

  /**
   * Hands the changes to the store; once they are written, each changed rendition's snapshot is
   * published — so a released blocking request never names a file the store does not have yet.
   */
  #commit(changes: StoreChange[]): MaybePromise<void> {
    if (changes.length === 0) return this.#queue.apply(changes);
    const due = [...this.#renditions.values()].filter((r) => r.rendered !== undefined && r.rendered.timeline === r.timeline && r.snapshot?.timeline !== r.timeline).map((r) => [r, r.rendered!] as const);
    const publish = (): void => {
      for (const [r, rendered] of due) {
        if (r.snapshot?.timeline === rendered.timeline) continue;
        const snapshot = liveSnapshot(r.name, r.track, rendered, (r.snapshot?.version ?? 0) + 1);
        r.snapshot = snapshot;
        for (const listener of this.#listeners) listener(snapshot);
      }
    };
    const result = this.#queue.apply(changes);
    if (result === undefined) {
      publish();
      return undefined;
    }
    return result.then(publish);
  }

  #rendition(track: Track, tracks: readonly Track[]): LiveRendition {
    const existing = this.#renditions.get(track.id);
    if (existing !== undefined) return existing;
    const partTargetSeconds = this.#options.lowLatency ? fittedPartTarget(track, this.#options.partTargetSeconds) : undefined;
    const continued = this.#options.continueFrom;
    const timeline = createLiveTimeline(this.#options.targetDurationSeconds, this.#nextMsn, partTargetSeconds, continued?.discontinuitySequence ?? 0, this.#options.epoch);
    const rendition: LiveRendition = {
      track,
      name: checkedRenditionName(track, this.#nameOf?.(track, tracks) ?? renditionName(track, tracks), this.#renditions.values()),
      timeline,
      fragments: 0,
      // Another packager's playlists go on: its encoder's timestamps and parameters are not ours.
      discontinuityNext: this.#generation > 0 || (continued !== undefined && this.#counters.segments === 0),
      removed: false,
      partTargetSeconds,
      openParts: [],
      snapshot: undefined,
      rendered: undefined,
      models: new LiveModels(),
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
    const withSamples: Array<[LiveSegmentEvent, () => readonly Sample[], Track]> = [];
    const parts: LivePartEvent[] = [];
    const touched = new Set<LiveRendition>();
    // Deletes wait until the playlists that stopped listing their files are written (6.2.2).
    const deletes: StoreChange[] = [];
    for (const event of events) {
      if (event.type === 'segment') this.#segment(event, changes, deletes, published, touched, withSamples);
      else if (this.#options.lowLatency) this.#part(event, changes, parts, touched);
    }
    for (const rendition of touched) this.#playlist(rendition, changes, published.some((e) => e.trackId === rendition.track.id));
    changes.push(...deletes);
    if (published.length > 0) this.#multivariantChange(changes);
    if (this.#onPart !== undefined) for (const e of parts) this.#onPart(e);
    if (this.#onSegment !== undefined) for (const e of published) this.#onSegment(e);
    if (this.#onSegmentSamples !== undefined) for (const [e, samples, track] of withSamples) this.#onSegmentSamples(e, samples, track);
  }

  /** LL-HLS: a part is written as its own CMAF fragment, `<msn>.<index>.m4s`, and listed at once. */
  #part(p: SegmenterPart, changes: StoreChange[], published: LivePartEvent[], touched: Set<LiveRendition>): void {
    const rendition = this.#renditions.get(p.trackId);
    if (rendition === undefined) throw new MediaError('ERR_MEDIA_INVALID', `part of unknown track ${p.trackId}`, { trackId: p.trackId });
    const f = fragment({ sequenceNumber: ++rendition.fragments, track: rendition.track, samples: p.samples, baseMediaDecodeTime: p.startDts, styp: p.index === 0 });
    rendition.openParts.push({ msn: p.segmentSequence, fragment: f });
    const durationSeconds = declaredDurationSeconds(p.startDts, p.duration, rendition.track.timescale);
    // A part of no duration (a lone sample settled at flush) goes into its segment but is not listed.
    if (renderedSeconds(durationSeconds) <= 0 || rendition.partTargetSeconds === undefined) return;
    const open = rendition.timeline.open;
    const index = open?.msn === p.segmentSequence ? open.parts.length : 0;
    const epoch = this.#options.epoch;
    const part: LivePart = { msn: p.segmentSequence, index, uri: partUri(p.segmentSequence, index, epoch), durationSeconds, independent: p.independent, byteLength: f.byteLength };
    rendition.timeline = appendLivePart(rendition.timeline, part, {
      programDateTimeMs: open?.msn === p.segmentSequence ? open.programDateTimeMs : this.#clock.dateOf(p.samples, rendition.track.timescale, this.#lastNowMs, p.segmentSequence),
      discontinuity: open?.msn === p.segmentSequence ? open.discontinuity : rendition.discontinuityNext,
      generation: this.#generation,
      ...epochField(epoch),
      startTicks: open?.msn === p.segmentSequence ? open.startTicks : p.startDts,
    });
    this.#counters.parts += 1;
    changes.push({ type: 'put', path: `${rendition.name}/${part.uri}`, file: fragmentFile(f, mediaContentType(rendition.track)) });
    touched.add(rendition);
    published.push({ track: rendition.name, trackId: p.trackId, msn: part.msn, index: part.index, durationSeconds, byteLength: f.byteLength, independent: p.independent, ...epochField(epoch) });
  }

  #segment(s: SegmenterSegment, changes: StoreChange[], deletes: StoreChange[], published: LiveSegmentEvent[], touched: Set<LiveRendition>, withSamples: Array<[LiveSegmentEvent, () => readonly Sample[], Track]>): void {
    const rendition = this.#renditions.get(s.trackId);
    if (rendition === undefined) throw new MediaError('ERR_MEDIA_INVALID', `segment of unknown track ${s.trackId}`, { trackId: s.trackId });
    const empty = s.parts.every((part) => part.samples.length === 0);
    const durationSeconds = declaredDurationSeconds(s.startDts, s.duration, rendition.track.timescale);
    const partFiles = rendition.openParts.filter((p) => p.msn === s.sequence).map((p) => p.fragment);
    rendition.openParts = rendition.openParts.filter((p) => p.msn > s.sequence);
    const listedParts = openPartsOf(rendition.timeline, s.sequence);
    if (empty || renderedSeconds(durationSeconds) <= 0) {
      this.#counters.emptySegments += 1;
      // Its parts were listed: the open segment goes, and their files with it.
      for (const part of listedParts ?? []) deletes.push({ type: 'delete', path: `${rendition.name}/${part.uri}` });
      if (listedParts !== undefined) rendition.timeline = { ...rendition.timeline, open: undefined };
      touched.add(rendition);
      return;
    }
    // LL-HLS: the segment is its parts' fragments joined (CMAF: a segment of several fragments), sharing their bytes.
    const file = this.#options.lowLatency && partFiles.length === s.parts.length ? joinedFragmentsFile(partFiles, mediaContentType(rendition.track)) : undefined;
    // Its samples in one list, made only if a fragment written whole or the date needs them (not with LL-HLS parts).
    let samples: readonly Sample[] | undefined;
    const allSamples = (): readonly Sample[] => (samples ??= segmentSamples(s));
    const f = file === undefined ? fragment({ sequenceNumber: ++rendition.fragments, track: rendition.track, samples: allSamples(), baseMediaDecodeTime: s.startDts, styp: true }) : undefined;
    const parts = file === undefined ? undefined : listedParts;
    if (parts !== undefined && rendition.partTargetSeconds !== undefined) this.#counters.partsOffTarget += partsOffTarget(parts, rendition.partTargetSeconds);
    const segment: LiveSegment = {
      msn: s.sequence,
      uri: segmentUri(s.sequence, this.#options.epoch),
      durationSeconds,
      byteLength: file?.byteLength ?? f!.byteLength,
      // The date its parts were listed with, when they were: a segment's date does not move once out.
      programDateTimeMs: rendition.timeline.open?.msn === s.sequence ? rendition.timeline.open.programDateTimeMs : this.#clock.dateOf(allSamples(), rendition.track.timescale, this.#lastNowMs, s.sequence),
      discontinuity: rendition.discontinuityNext,
      generation: this.#generation,
      ...epochField(this.#options.epoch),
      ...(parts !== undefined ? { parts } : {}),
      startTicks: s.startDts,
      durationTicks: s.duration,
      track: rendition.track,
    };
    // The leading track's cut closes a segment of the drift measure (presentation-clock.ts).
    if (this.#segmenter !== undefined && s.trackId === this.#segmenter.leaderTrackId && this.#clock.segmentCut() !== 0) this.#counters.clockReanchors += 1;
    const update = appendLiveSegment(rendition.timeline, segment, this.#options);
    rendition.timeline = update.timeline;
    rendition.discontinuityNext = false;
    this.#nextMsn = Math.max(this.#nextMsn, s.sequence + 1);
    this.#counters.segments += 1;
    changes.push({ type: 'put', path: `${rendition.name}/${segment.uri}`, file: file ?? fragmentFile(f!, mediaContentType(rendition.track)) });
    touched.add(rendition);
    deletes.push(...windowChanges(rendition.name, update));
    const { msn, byteLength, programDateTimeMs, generation, discontinuity } = segment;
    const event: LiveSegmentEvent = { track: rendition.name, trackId: s.trackId, msn, durationSeconds, byteLength, programDateTimeMs, generation, discontinuity, ...epochField(segment.epoch) };
    published.push(event);
    if (this.#onSegmentSamples !== undefined) withSamples.push([event, allSamples, rendition.track]);
  }

  /**
   * Writes the rendition's `index.m3u8` (and with LL-HLS, when a segment was added, `plain.m3u8`),
   * each rendered at most once, when first read: the same text is the store's file and the
   * rendition's snapshot's (published when the write has finished).
   */
  #playlist(rendition: LiveRendition, changes: StoreChange[], segmentsChanged = true): void {
    if (rendition.timeline.segments.length === 0 && !rendition.timeline.ended) return;
    const rendered = liveRenditionPlaylists(rendition, this.#renditions.values(), this.#options.playlistType);
    rendition.rendered = rendered;
    changes.push({ type: 'put', path: `${rendition.name}/index.m3u8`, file: deferredTextFile(rendered.playlist) });
    if (this.#options.lowLatency && segmentsChanged) changes.push({ type: 'put', path: `${rendition.name}/plain.m3u8`, file: deferredTextFile(rendered.plain) });
  }

  /** index.m3u8 (and plain.m3u8 with LL-HLS) when its text changes: a peak, the track set, the end. */
  #multivariantChange(changes: StoreChange[], final = false): void {
    // What the text depends on beyond the tracks (fixed within a generation): most segments raise no peak.
    const inputs = `${this.#generation} ${final} ${[...this.#renditions.values()].map((r) => `${r.removed} ${r.timeline.peakBitsPerSecond} ${listedAverage(r.timeline.averageBitsPerSecond, r.timeline.peakBitsPerSecond)}`).join(' ')}`;
    if (inputs === this.#multivariantInputs) return;
    this.#multivariantInputs = inputs;
    const text = renderLiveMultivariant(this.#renditions.values(), final);
    if (text === undefined || text === this.#multivariant) return;
    this.#multivariant = text;
    changes.push({ type: 'put', path: 'index.m3u8', file: textFile(text) });
    if (this.#options.lowLatency) changes.push({ type: 'put', path: 'plain.m3u8', file: textFile(plainMultivariant(text)) });
  }
}

function checkNow(nowMs: number): void {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) throw new MediaError('ERR_MEDIA_INVALID', `nowMs must be a non-negative integer of epoch milliseconds, got ${nowMs}`, { nowMs });
}
