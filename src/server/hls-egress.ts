import { HlsLivePackager, resolveLiveOptions, type LivePackagerOptions, type LivePartEvent, type LiveSegmentEvent, type LiveSnapshot } from '../hls/index.js';
import type { LiveStream, Reader } from '../hub/index.js';
import type { Sample, Track } from '../media/index.js';
import type { SegmentStore } from '../store/index.js';
import type { ColdStoreOps } from './cold-store-ops.js';
import { prefixedStore } from './prefixed-store.js';
import type { LadderTier } from './ladder-tier.js';
import { guarded, lifecycleError } from './stream-guard.js';
import { TsOutput } from './ts-output.js';

export interface StreamName {
  readonly app: string;
  readonly streamKey: string;
}

/** What one stream's HLS egress tells the composition root. */
export interface HlsEgressEvents {
  segment(stream: StreamName, segment: LiveSegmentEvent): void;
  part(stream: StreamName, part: LivePartEvent): void;
  /** Each rendition's published snapshot (HTTP delivery answers from the latest). */
  snapshot(stream: StreamName, snapshot: LiveSnapshot): void;
  /** A lifecycle step failed (ERR_MEDIA_STREAM_LIFECYCLE, or the store's write error). */
  error(stream: StreamName, error: unknown): void;
  /** The stream ended a retention ago: its files are deleted and it may be forgotten. */
  forgotten(stream: StreamName): void;
}

export interface HlsEgressOptions {
  /** The whole store; the egress writes under `<app>/<key>/`. */
  store: SegmentStore;
  hls: Omit<LivePackagerOptions, 'onSegment' | 'onPart' | 'onSegmentSamples' | 'onWriteError'> | undefined;
  now: () => number;
  /** ENDLIST this long after the publisher left, unless it came back. */
  endGraceMs: number;
  /** Files deleted this long after ENDLIST. */
  endedRetentionMs: number;
  events: HlsEgressEvents;
  /** Where the packager's deletes and retires wait for the end of the turn (cold-store-ops.ts); without it they run in place. */
  coldOps?: ColdStoreOps;
  /** Ladders (ladder-tier.ts): what is packaged is the stream's ladder output when it has one, its rungs named by the ladder. */
  ladders?: Pick<LadderTier, 'packaged' | 'renditionName'>;
}

/** Segments a TS output starts with (muxed from the recent CMAF ones): RFC 8216 6.3.3 has players start three target durations from the end. */
const TS_START_SEGMENTS = 3;

/** The packager must see every sample: a generous bound, far above a GOP at any sane bit rate. */
const PACKAGER_QUEUE_BYTES = 64 * 1024 * 1024;

/**
 * One live stream's HLS output, from its hub stream to the store: the packager (reading the hub
 * from the live edge), the grace timer that ends the playlists when the publisher does not come
 * back, and the retention timer that deletes the files. A comeback within the grace (the hub's
 * next generation) continues the same playlists after a DISCONTINUITY. Every step is guarded: what
 * it throws or rejects with is this stream's error event, never the process's.
 */
export class HlsEgress {
  readonly name: StreamName;
  readonly packager: HlsLivePackager;
  readonly #stream: LiveStream;
  readonly #options: HlsEgressOptions;
  #generation: number | undefined;
  #reader: Reader | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The playlists carry EXT-X-ENDLIST (the grace period ran out). */
  #ended = false;
  /** HLS over MPEG-TS, while someone reads it (ts-output.ts). */
  #ts: TsOutput | undefined;
  /**
   * The last TS_START_SEGMENTS segments of every rendition as the packager published them (the
   * samples are still the packager's, only referenced): a TS output that starts muxes them first,
   * so its first playlist lists as many segments as a player needs to start behind the live edge.
   */
  #recent: Array<[LiveSegmentEvent, () => readonly Sample[], Track]> = [];
  /** TS segments muxed by the outputs stopped before the current one. */
  #tsMuxedBefore = 0;
  readonly #own: SegmentStore;

  constructor(stream: LiveStream, options: HlsEgressOptions) {
    this.#stream = stream;
    this.#options = options;
    const name = { app: stream.app, streamKey: stream.streamKey };
    this.name = name;
    const { events } = options;
    const prefix = `${stream.app}/${stream.streamKey}`;
    const own = prefixedStore(options.store, prefix);
    this.#own = own;
    const store = options.coldOps?.wrap(own, (error) => events.error(name, error)) ?? own;
    this.packager = new HlsLivePackager(store, {
      ...options.hls,
      onSegment: (segment) => events.segment(name, segment),
      onPart: (part) => events.part(name, part),
      onWriteError: (error) => events.error(name, error),
      onSegmentSamples: (segment, samples, track) => {
        this.#keepRecent([segment, samples, track]);
        this.#ts?.segment(segment, samples, track);
      },
      ...(options.ladders === undefined ? {} : { renditionName: (track: Track) => options.ladders!.renditionName(stream, track) }),
    });
    this.packager.subscribe((snapshot) => events.snapshot(name, snapshot));
  }

  /** The hub stream went live (first publish or a comeback): read it from the live edge. */
  start(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#ended = false;
    // A takeover keeps the reader: the stream never ended.
    if (this.#reader !== undefined && !this.#reader.closed) return;
    const reader = (this.#options.ladders?.packaged(this.#stream) ?? this.#stream).subscribe({ startWith: 'live', maxQueuedBytes: PACKAGER_QUEUE_BYTES });
    this.#reader = reader;
    const drain = (): void => void this.#guard('package', () => this.#package(reader));
    reader.onReadable(drain);
    drain();
  }

  #keepRecent(entry: [LiveSegmentEvent, () => readonly Sample[], Track]): void {
    this.#recent.push(entry);
    const newest = entry[0].msn;
    if (this.#recent[0]![0].msn <= newest - TS_START_SEGMENTS) this.#recent = this.#recent.filter(([e]) => e.msn > newest - TS_START_SEGMENTS);
  }

  /** MPEG-TS segments muxed for this stream so far (0 while nobody asked for `ts.m3u8`). */
  get tsSegments(): number {
    return this.#tsMuxedBefore + (this.#ts?.counters.segments ?? 0);
  }

  /**
   * `ts.m3u8`: starts the TS output when it is not running (its first segment comes with the next
   * CMAF one) and answers once it has a segment, within `timeoutMs`; undefined otherwise.
   */
  tsPlaylist(timeoutMs: number): Promise<string | undefined> {
    if (this.#ts === undefined || this.#ts.stopped) {
      if (this.#ended) return Promise.resolve(undefined);
      this.#tsMuxedBefore += this.#ts?.counters.segments ?? 0;
      const hls = resolveLiveOptions(this.#options.hls);
      this.#ts = new TsOutput({
        store: this.#own,
        segmentTargetSeconds: hls.segmentTargetSeconds,
        windowSegments: hls.windowSegments,
        keepAfterWindowSegments: hls.keepAfterWindowSegments,
        now: () => performance.now(),
        tracks: () => this.packager.renditions.filter((r) => !r.removed).map((r) => r.track),
        error: (error) => this.#options.events.error(this.name, error),
      });
      for (const [segment, samples, track] of this.#recent) this.#ts.segment(segment, samples, track);
    }
    return this.#ts.playlist(timeoutMs);
  }

  /** The server is closing: playlists end at once. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    if (!this.#ended && this.#generation !== undefined) await this.#guard('end', () => this.packager.end(this.#options.now()));
  }

  #guard(step: string, run: () => unknown): Promise<void> | undefined {
    return guarded(run, (error) => this.#options.events.error(this.name, lifecycleError(this.name, step, error)));
  }

  /** Hands what the hub queued to the packager. */
  #package(reader: Reader): void {
    for (const item of reader.drain()) {
      // Media is dated by when it reached the hub: a ladder's held or re-encoded frames by their source's arrival.
      const nowMs = item.type === 'sample' ? (item.arrivedMs ?? this.#options.now()) : this.#options.now();
      if (item.type === 'sample') {
        const written = this.packager.pushSample(item.sample, nowMs);
        if (written !== undefined) void this.#guard('pushSample', () => written);
      } else if (item.type === 'tracks') {
        // A new generation after the first: a comeback or a codec change, so a DISCONTINUITY.
        if (this.#generation !== undefined) void this.#guard('resume', () => this.packager.resume(nowMs));
        this.#generation = item.generation;
        void this.#guard('setTracks', () => this.packager.setTracks(item.tracks, nowMs));
      } else {
        reader.close();
        void this.#guard('pause', () => this.packager.pause(nowMs));
        this.#scheduleEnd();
        // A ladder's output ends after ffmpeg's last frames: the publisher may be back already.
        if (this.#options.ladders !== undefined && this.#stream.state === 'live') this.start();
      }
    }
  }

  /** ENDLIST after the grace period unless start() comes first; after the retention the files go. */
  #scheduleEnd(): void {
    const { endGraceMs, endedRetentionMs, now } = this.#options;
    this.#timer = setTimeout(() => {
      this.#ended = true;
      void this.#guard('end', () => this.packager.end(now()));
      this.#ts?.end();
      this.#timer = setTimeout(() => void this.#guard('forget', () => this.#forget()), endedRetentionMs);
      this.#timer.unref();
    }, endGraceMs);
    this.#timer.unref();
  }

  async #forget(): Promise<void> {
    this.#timer = undefined;
    if (this.#stream.state === 'live') return;
    this.#options.events.forgotten(this.name);
    const { store } = this.#options;
    const prefix = `${this.name.app}/${this.name.streamKey}/`;
    for (const path of await store.list(prefix)) await store.delete(path);
  }
}
