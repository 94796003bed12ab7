import { EventEmitter } from 'eventemitter3';
import { MediaError } from '../errors/index.js';
import { sameTrackSetups, type Sample, type Track } from '../media/index.js';
import { GopCache } from './gop-cache.js';
import { checkInteger } from './limits.js';
import { RateWindow } from './rate-window.js';
import { Reader, type ReaderOptions } from './reader.js';

export type StreamState = 'live' | 'idle';

export interface LiveStreamEvents {
  /** New codec parameters: the packager writes a new init segment and, if `generation` changed, a discontinuity. */
  tracks: [event: { tracks: readonly Track[]; generation: number }];
  end: [event: { generation: number; nowMs: number }];
}

export interface TrackCounters {
  trackId: number;
  kind: Track['kind'];
  samples: number;
  bytes: number;
  keyframes: number;
}

export interface StreamCounters {
  /** Over the stream's whole life, every publish included. */
  samples: number;
  bytes: number;
  /** Per track of the current publish (reset by the next publish: track ids may mean other tracks). */
  tracks: TrackCounters[];
}

export interface StreamRates {
  /** All tracks, payload bits per second over the hub's `bitrateWindowMs` ending at nowMs. */
  bitrateBps: number;
  tracks: Array<{ trackId: number; bitrateBps: number; samplesPerSecond: number }>;
  /** Frames per second of the first video track, undefined for audio-only streams. */
  frameRate: number | undefined;
}

export interface LiveStreamOptions {
  maxGopCacheBytes: number;
  bitrateWindowMs: number;
  defaultMaxQueuedBytes: number;
}

/**
 * One stream key's live state and its fan-out. It outlives its publishers: a republish continues
 * the same object with `generation` + 1, so readers stay subscribed and HLS continues its playlist
 * with a discontinuity. Samples are handed to every reader as they are (views, never copied).
 */
export class LiveStream extends EventEmitter<LiveStreamEvents> {
  readonly app: string;
  readonly streamKey: string;
  readonly counters: StreamCounters = { samples: 0, bytes: 0, tracks: [] };
  private times: { startedAtMs: number; endedAtMs: number | undefined; lastSampleAtMs: number | undefined };

  private currentTracks: readonly Track[] = [];
  private currentState: StreamState = 'live';
  private currentGeneration = 0;
  private tracksSent = false;
  private hasVideo = false;
  private trackIndex = new Map<number, TrackCounters>();
  private total: RateWindow;
  private perTrack = new Map<number, RateWindow>();
  private readonly gop: GopCache;
  // Replaced, never mutated, on subscribe/close: a fan-out in progress keeps iterating its own copy,
  // so a reader subscribing from inside a callback does not get the current sample twice.
  private readerList: readonly Reader[] = [];
  /** Drops of readers that have closed (readerDrops() adds the open ones'). */
  private readonly closedReaderDrops = { samples: 0, runs: 0 };
  private readonly options: LiveStreamOptions;

  constructor(app: string, streamKey: string, nowMs: number, options: LiveStreamOptions) {
    super();
    this.app = app;
    this.streamKey = streamKey;
    this.times = { startedAtMs: nowMs, endedAtMs: undefined, lastSampleAtMs: undefined };
    this.options = options;
    this.gop = new GopCache(options.maxGopCacheBytes);
    this.total = new RateWindow(options.bitrateWindowMs);
  }

  /** When the current (or last) publish began. */
  get startedAtMs(): number {
    return this.times.startedAtMs;
  }
  /** When the last publish ended; undefined while live. */
  get endedAtMs(): number | undefined {
    return this.times.endedAtMs;
  }
  get lastSampleAtMs(): number | undefined {
    return this.times.lastSampleAtMs;
  }
  get tracks(): readonly Track[] {
    return this.currentTracks;
  }
  get state(): StreamState {
    return this.currentState;
  }
  get generation(): number {
    return this.currentGeneration;
  }
  get readers(): readonly Reader[] {
    return this.readerList;
  }
  get gopCacheBytes(): number {
    return this.gop.byteLength;
  }

  /**
   * Samples every reader of this stream ever dropped (its queue was full: it skipped to the next
   * keyframe), and how many times one overflowed: the packager's reader, RTMP players', any other.
   */
  readerDrops(): { samples: number; runs: number } {
    let { samples, runs } = this.closedReaderDrops;
    for (const r of this.readerList) {
      samples += r.counters.droppedSamples;
      runs += r.counters.dropRuns;
    }
    return { samples, runs };
  }

  subscribe(options: ReaderOptions = {}): Reader {
    const max = options.maxQueuedBytes ?? this.options.defaultMaxQueuedBytes;
    checkInteger('maxQueuedBytes', max, 1, 2 ** 40);
    const reader = new Reader(max, (r) => {
      this.readerList = this.readerList.filter((x) => x !== r);
      this.closedReaderDrops.samples += r.counters.droppedSamples;
      this.closedReaderDrops.runs += r.counters.dropRuns;
    });
    if (this.currentState === 'live' && this.tracksSent) {
      reader.offerControl({ type: 'tracks', tracks: this.currentTracks, generation: this.currentGeneration });
      // Fed through the reader's own drop rule: a GOP larger than its bound keeps the prefix from the keyframe.
      if ((options.startWith ?? 'gop') === 'gop') this.gop.samples.forEach((s, i) => reader.offerSample(s, i === 0));
    }
    this.readerList = [...this.readerList, reader];
    return reader;
  }

  rates(nowMs: number): StreamRates {
    const tracks = this.counters.tracks.map((t) => {
      const window = this.perTrack.get(t.trackId)!;
      return { trackId: t.trackId, bitrateBps: window.bitsPerSecond(nowMs), samplesPerSecond: window.perSecond(nowMs) };
    });
    const video = this.counters.tracks.findIndex((t) => t.kind === 'video');
    return { bitrateBps: this.total.bitsPerSecond(nowMs), tracks, frameRate: video < 0 ? undefined : tracks[video]!.samplesPerSecond };
  }

  /** Publisher side (see Publisher): a new publish starts a new generation unless it is the first. */
  beginPublish(nowMs: number, first: boolean): void {
    if (!first) this.currentGeneration += 1;
    this.currentState = 'live';
    this.times.startedAtMs = nowMs;
    this.times.endedAtMs = undefined;
    this.currentTracks = [];
    this.tracksSent = false;
    this.gop.clear();
    this.counters.tracks = [];
    this.trackIndex = new Map();
    this.perTrack = new Map();
    this.total = new RateWindow(this.options.bitrateWindowMs);
  }

  applyTracks(tracks: readonly Track[]): void {
    if (tracks.length === 0 || new Set(tracks.map((t) => t.id)).size !== tracks.length) {
      throw new MediaError('ERR_MEDIA_INVALID', 'setTracks needs at least one track and unique track ids', { ids: tracks.map((t) => t.id).join(',') });
    }
    // An encoder re-sending an identical sequence header is not a new generation.
    if (this.tracksSent && sameTrackSetups(this.currentTracks, tracks)) return;
    if (this.tracksSent) this.currentGeneration += 1;
    this.tracksSent = true;
    this.currentTracks = [...tracks];
    this.hasVideo = tracks.some((t) => t.kind === 'video');
    // Cached samples were coded with the old parameters; a new reader must not get them.
    this.gop.clear();
    for (const t of tracks) {
      if (this.trackIndex.has(t.id)) continue;
      const counters: TrackCounters = { trackId: t.id, kind: t.kind, samples: 0, bytes: 0, keyframes: 0 };
      this.trackIndex.set(t.id, counters);
      this.counters.tracks.push(counters);
      this.perTrack.set(t.id, new RateWindow(this.options.bitrateWindowMs));
    }
    const item = { type: 'tracks', tracks: this.currentTracks, generation: this.currentGeneration } as const;
    for (const reader of this.readerList) reader.offerControl(item);
    this.emit('tracks', { tracks: this.currentTracks, generation: this.currentGeneration });
  }

  /**
   * Hands `sample` to the GOP cache and every reader. It is frozen first: the same object goes to
   * every reader and stays in the GOP cache, so nobody may change it (a segmenter that filled in
   * a duration would change it for all); in strict-mode code such a write throws at once.
   */
  applySample(sample: Sample, nowMs: number): void {
    Object.freeze(sample);
    const track = this.currentTracks.find((t) => t.id === sample.trackId);
    if (!this.tracksSent || track === undefined) {
      throw new MediaError('ERR_MEDIA_INVALID', `sample for track ${sample.trackId}, which the publisher has not declared with setTracks`, {
        trackId: sample.trackId,
        declared: this.currentTracks.map((t) => t.id).join(','),
      });
    }
    const size = sample.data.byteLength;
    // Without video every frame is a restart point, so audio-only readers resume as soon as there is room.
    const restart = sample.keyframe && (!this.hasVideo || track.kind === 'video');
    const counters = this.trackIndex.get(sample.trackId)!;
    counters.samples += 1;
    counters.bytes += size;
    if (sample.keyframe) counters.keyframes += 1;
    this.counters.samples += 1;
    this.counters.bytes += size;
    this.total.add(nowMs, size);
    this.perTrack.get(sample.trackId)!.add(nowMs, size);
    this.times.lastSampleAtMs = nowMs;
    this.gop.add(sample, restart);
    for (const reader of this.readerList) reader.offerSample(sample, restart, nowMs);
  }

  applyEnd(nowMs: number): void {
    this.currentState = 'idle';
    this.times.endedAtMs = nowMs;
    this.gop.clear();
    for (const reader of this.readerList) reader.offerControl({ type: 'end', generation: this.currentGeneration });
    this.emit('end', { generation: this.currentGeneration, nowMs });
  }
}
