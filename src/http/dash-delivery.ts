import { EventEmitter } from 'eventemitter3';
import type { ServerResponse } from 'node:http';
import { LiveDashPresentation, renderMpd, type DashRendition, type LowLatencyDashOptions } from '../dash/index.js';
import { parseSegmentUri, type LiveSnapshot } from '../hls/index.js';
import type { SegmentStore, StoredFile } from '../store/index.js';
import { MEDIA_CACHE_CONTROL } from './cache-control.js';
import { CORS_HEADERS } from './cors.js';
import type { LiveDelivery } from './live-delivery.js';

/**
 * DASH delivery beside LL-HLS (docs/dash.md): the MPDs of every live stream, rendered from the
 * snapshots LiveDelivery keeps (the same timelines and files as the HLS playlists), and the
 * low-latency answer for a segment still being written — 200 at once with chunked transfer, the
 * parts made so far, then each new part the moment its snapshot is published, then the end: the
 * bytes are the segment file's (a segment is its parts' fragments joined).
 */

export const MPD_CONTENT_TYPE = 'application/dash+xml';

/** The low-latency MPD's defaults: measured with dash.js and Shaka (docs/dash.md). */
export const DEFAULT_LOW_LATENCY_DASH: LowLatencyDashOptions = {
  targetLatencyMs: 1000,
  minLatencyMs: 700,
  maxLatencyMs: 2500,
  minPlaybackRate: 0.96,
  maxPlaybackRate: 1.04,
};

export interface DashDeliveryOptions {
  readonly liveDelivery: LiveDelivery;
  readonly store: SegmentStore;
  /** The packagers' options: their segment target (seconds) and how many segments the HLS playlists list. */
  readonly hls: { readonly segmentTargetSeconds: number; readonly windowSegments: number };
  /** UTCTiming's URL (http-xsdate). Default '/time'. */
  readonly timeUrl?: string;
  readonly lowLatency?: LowLatencyDashOptions;
  /** Epoch ms; default Date.now. */
  readonly now?: () => number;
}

export interface DashDeliveryEvents {
  /**
   * The low-latency MPD of stream `group` (`<app>/<key>`) is answered as the regular one, and why;
   * or (reason undefined) it is low-latency again. Emitted when that changes, at a render.
   */
  lowLatencyChange: [group: string, reason: string | undefined];
}

export type MpdFlavour = 'regular' | 'low-latency';

interface StreamState {
  readonly presentations: Record<MpdFlavour, LiveDashPresentation>;
  readonly rendered: Partial<Record<MpdFlavour, { readonly key: string; readonly body: string | undefined }>>;
  notLowLatency: string | undefined;
  /** The newest Period any MPD answer showed, by its first segment number: a request for that segment since then is for that Period. */
  announcedMsn: number;
}

/** How long a request for the segment after the one being written waits for its first part, in segment targets. */
const HOLD_NEXT_SEGMENTS = 1.5;
/** An open chunked answer that sees no new part for this many segment targets ends (the stream stalled). */
const STALL_SEGMENTS = 3;
/**
 * While the publisher is away, a request for the next number waits up to this many segment
 * targets (the stream's end, after the server's grace, answers it sooner): a 404 would be an error
 * event in a player that asked by the clock just as the publisher left, which instead moves on
 * (a seek over the end of the Period, aborting the request) once its MPD shows that end.
 */
const HOLD_AWAY_SEGMENTS = 10;

/** Part files kept joined for chunked answers: a few segments' worth of parts of a few streams' renditions. */
const PART_CACHE_FILES = 256;
/** Part write records kept between two takePartWrites calls. */
const PART_WRITES_KEPT = 4096;

export class DashDelivery extends EventEmitter<DashDeliveryEvents> {
  readonly #options: DashDeliveryOptions;
  readonly #streams = new Map<string, StreamState>();
  readonly #now: () => number;
  /** Chunked answers open now, and counters. */
  readonly counters = { chunkedOpened: 0, chunkedCompleted: 0, chunkedAborted: 0, heldNotFound: 0 };
  #open = 0;
  readonly #partCache = new Map<string, PartBytes>();
  /** Per part file (`<app>/<key>/<rendition>/<msn>.<i>.m4s`) written to chunked answers: when first and last (epoch ms), to how many. */
  readonly #partWrites = new Map<string, { first: number; last: number; count: number }>();

  constructor(options: DashDeliveryOptions) {
    super();
    this.#options = options;
    this.#now = options.now ?? Date.now;
    options.liveDelivery.onForget((group) => this.forget(group));
  }

  /** Chunked segment answers open now. */
  get openChunked(): number {
    return this.#open;
  }

  /** The MPD text of stream `group`, or undefined (no such live stream, or no segment yet). */
  mpd(group: string, flavour: MpdFlavour): string | undefined {
    const snapshots = this.#options.liveDelivery.snapshots(group);
    if (snapshots.length === 0) return undefined;
    const state = this.#state(group);
    const key = snapshots.map((s) => `${s.rendition}:${s.version}`).join(' ');
    const cached = state.rendered[flavour];
    if (cached?.key === key) return cached.body;
    const renditions: DashRendition[] = snapshots.map((s) => ({ name: s.rendition, track: s.track, timeline: s.timeline }));
    const result = state.presentations[flavour].render(renditions, {
      segmentTargetSeconds: this.#options.hls.segmentTargetSeconds,
      windowSegments: this.#options.hls.windowSegments,
      timeUrl: this.#options.timeUrl ?? '/time',
      nowMs: this.#now(),
      ...(flavour === 'low-latency' ? { lowLatency: this.#options.lowLatency ?? DEFAULT_LOW_LATENCY_DASH } : {}),
    });
    if (flavour === 'low-latency' && result !== undefined && result.notLowLatency !== state.notLowLatency) {
      state.notLowLatency = result.notLowLatency;
      this.emit('lowLatencyChange', group, result.notLowLatency);
    }
    if (result !== undefined) state.announcedMsn = Math.max(state.announcedMsn, result.lastPeriodFirstMsn);
    const body = result === undefined ? undefined : renderMpd(result.mpd);
    state.rendered[flavour] = { key, body };
    return body;
  }

  /**
   * The parts written to chunked answers since the last call: per part file, the epoch ms (high
   * resolution) of its first and last write and how many answers got it. For the release-latency
   * benchmark and its test; at most PART_WRITES_KEPT parts are kept.
   */
  takePartWrites(): Map<string, { first: number; last: number; count: number }> {
    const taken = new Map(this.#partWrites);
    this.#partWrites.clear();
    return taken;
  }

  /** Why stream `group`'s low-latency MPD is answered as the regular one (as of its last render), or undefined. */
  notLowLatency(group: string): string | undefined {
    return this.#streams.get(group)?.notLowLatency;
  }

  /** The stream is gone: its presentations (AST, Periods) go too; a new publish starts a new one. */
  forget(group: string): void {
    this.#streams.delete(group);
    // Its numbers start again at 0 with the next publish: no part of this one may answer for them.
    for (const path of this.#partCache.keys()) if (path.startsWith(`${group}/`)) this.#partCache.delete(path);
  }

  /** The part file at `path` as one buffer: read from the store and joined once, then shared by every answer (the newest PART_CACHE_FILES). */
  readonly #readPart: PartReader = (path) => {
    const cached = this.#partCache.get(path);
    if (cached !== undefined) return cached;
    const keep = (file: StoredFile | undefined): PartBytes | undefined => {
      if (file === undefined) return undefined;
      const part = { bytes: file.pieces.length === 1 ? Buffer.from(file.pieces[0]!.buffer, file.pieces[0]!.byteOffset, file.pieces[0]!.byteLength) : Buffer.concat(file.pieces), contentType: file.contentType };
      if (this.#partCache.size >= PART_CACHE_FILES) this.#partCache.delete(this.#partCache.keys().next().value!);
      this.#partCache.set(path, part);
      return part;
    };
    const found = this.#options.store.get(path);
    return found instanceof Promise ? found.then(keep) : keep(found);
  };

  #wrote(path: string): void {
    const at = performance.timeOrigin + performance.now();
    const known = this.#partWrites.get(path);
    if (known !== undefined) {
      known.last = at;
      known.count += 1;
    } else if (this.#partWrites.size < PART_WRITES_KEPT) this.#partWrites.set(path, { first: at, last: at, count: 1 });
  }

  #state(group: string): StreamState {
    let state = this.#streams.get(group);
    if (state === undefined) {
      const anchor = { astMs: undefined };
      state = { presentations: { regular: new LiveDashPresentation(anchor), 'low-latency': new LiveDashPresentation(anchor) }, rendered: {}, notLowLatency: undefined, announcedMsn: 0 };
      this.#streams.set(group, state);
    }
    return state;
  }

  /**
   * A request for `<rendition>/<file>` that the store does not have: when `file` is the segment
   * being written (or the next one), it is answered here — chunked as its parts appear — and true
   * is returned; otherwise false and the caller answers (404).
   */
  segment(group: string, rendition: string, file: string, res: ServerResponse, head: boolean): boolean {
    const name = parseSegmentUri(file);
    if (name === undefined) return false;
    const msn = name.msn;
    const live = this.#options.liveDelivery;
    const snapshot = live.snapshot(group, rendition);
    // Another epoch's name (live-names.ts) is another packager's file: never this one's to write.
    if (snapshot === undefined || snapshot.timeline.partTargetSeconds === undefined || snapshot.timeline.ended || name.epoch !== snapshot.timeline.epoch) return false;
    const { timeline } = snapshot;
    const writing = timeline.open?.msn ?? timeline.nextMsn;
    if (msn < writing || msn > writing + 1) return false;
    // The first segment of a new presentation is this answer's to send only if an MPD showed its Period before the request came.
    const mayOpen = (this.#streams.get(group)?.announcedMsn ?? -1) >= msn;
    const answer = new ChunkedSegment(this.#readPart, `${group}/${rendition}`, msn, res, head, this.#options.hls.segmentTargetSeconds * 1000, mayOpen, (path) => this.#wrote(path));
    this.counters.chunkedOpened += 1;
    this.#open += 1;
    const unwatch = live.watch(group, rendition, (s) => answer.update(s));
    answer.done.then((outcome) => {
      unwatch();
      this.#open -= 1;
      if (outcome === 'complete') this.counters.chunkedCompleted += 1;
      else if (outcome === 'not-found') this.counters.heldNotFound += 1;
      else this.counters.chunkedAborted += 1;
    }, () => undefined);
    answer.update(snapshot);
    return true;
  }
}

type Outcome = 'complete' | 'not-found' | 'aborted';

/** A part file as one buffer, read from the store once and shared by every chunked answer. */
interface PartBytes {
  readonly bytes: Buffer;
  readonly contentType: string;
}

type PartReader = (path: string) => PartBytes | undefined | Promise<PartBytes | undefined>;

/** Sent after the last part: the answer ends. */
const END = Symbol('end');

/**
 * One chunked answer: the segment's parts in order, each as one write (one chunk) as soon as it is
 * listed. A part the store holds in memory is written in the same turn as its snapshot; a read
 * that waits (a store on disk) holds the parts after it, so they still go out in order.
 */
class ChunkedSegment {
  readonly done: Promise<Outcome>;
  #resolve!: (outcome: Outcome) => void;
  readonly #read: PartReader;
  readonly #folder: string;
  readonly #msn: number;
  readonly #res: ServerResponse;
  readonly #head: boolean;
  readonly #segmentMs: number;
  readonly #wrote: (path: string) => void;
  /** Parts written or queued. */
  #queued = 0;
  #started = false;
  #finished = false;
  readonly #pending: Array<string | typeof END> = [];
  #reading = false;
  #timer: NodeJS.Timeout;
  #stallArmed = false;
  readonly #mayOpen: boolean;
  readonly #since = Date.now();
  /** The publisher was away at the last snapshot. */
  #away = false;

  constructor(read: PartReader, folder: string, msn: number, res: ServerResponse, head: boolean, segmentMs: number, mayOpen: boolean, wrote: (path: string) => void) {
    this.#read = read;
    this.#mayOpen = mayOpen;
    this.#wrote = wrote;
    this.#folder = folder;
    this.#msn = msn;
    this.#res = res;
    this.#head = head;
    this.#segmentMs = segmentMs;
    this.done = new Promise((resolve) => (this.#resolve = resolve));
    res.once('close', () => {
      if (!this.#finished) this.#finish('aborted');
    });
    this.#timer = setTimeout(() => this.#held(), HOLD_NEXT_SEGMENTS * segmentMs);
    this.#timer.unref();
  }

  /** The wait for the first part is over: a 404, unless the publisher is away (then up to HOLD_AWAY_SEGMENTS). */
  #held(): void {
    if (this.#away && Date.now() - this.#since < HOLD_AWAY_SEGMENTS * this.#segmentMs) this.#timer.refresh();
    else this.#finish('not-found');
  }

  update(snapshot: LiveSnapshot): void {
    if (this.#finished) return;
    const { timeline } = snapshot;
    this.#away = timeline.away;
    const listed = timeline.segments.find((s) => s.msn === this.#msn) ?? timeline.retired.find((s) => s.msn === this.#msn);
    // The first segment of a new presentation (a republish, a codec change) asked for before its
    // Period was in any MPD: the player counted on from the previous Period, whose numbers stop
    // before it, and its media would land at the old Period's times. Never those bytes: the
    // request waits out its hold (the player, shown the old Period's end, usually gives it up).
    const opening = listed ?? (timeline.open?.msn === this.#msn ? timeline.open : undefined);
    if (opening?.discontinuity === true && !this.#mayOpen && !this.#started) return;
    if (listed !== undefined) {
      if (listed.parts === undefined || listed.parts.length < this.#queued) {
        // Written whole, not as its parts: only an answer not started yet can send it.
        if (!this.#started && this.#queued === 0) this.#enqueue([listed.uri], true);
        else this.#finish('aborted');
        return;
      }
      this.#enqueue(listed.parts.slice(this.#queued).map((p) => p.uri), true);
      return;
    }
    const open = timeline.open;
    if (open?.msn === this.#msn) {
      if (open.parts.length > this.#queued) this.#enqueue(open.parts.slice(this.#queued).map((p) => p.uri), false);
      return;
    }
    // Gone past it without listing it (an empty segment, a republish), or the stream ended.
    const writing = open?.msn ?? timeline.nextMsn;
    if (writing > this.#msn || timeline.ended) this.#finish(this.#started ? 'aborted' : 'not-found');
  }

  #enqueue(uris: readonly string[], last: boolean): void {
    this.#queued += uris.length;
    // From the first part on, the bound is a stall of the stream, not the wait for its first part.
    if (!this.#stallArmed) {
      this.#stallArmed = true;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#finish(this.#started ? 'aborted' : 'not-found'), STALL_SEGMENTS * this.#segmentMs);
      this.#timer.unref();
    } else this.#timer.refresh();
    for (const uri of uris) this.#pending.push(`${this.#folder}/${uri}`);
    if (last) this.#pending.push(END);
    this.#pump();
  }

  #pump(): void {
    while (!this.#reading && !this.#finished && this.#pending.length > 0) {
      const next = this.#pending.shift()!;
      if (next === END) return this.#finish('complete');
      let got: PartBytes | undefined | Promise<PartBytes | undefined>;
      try {
        got = this.#read(next);
      } catch {
        got = undefined;
      }
      if (got instanceof Promise) {
        this.#reading = true;
        got.then(
          (part) => {
            this.#reading = false;
            this.#emit(next, part);
            this.#pump();
          },
          () => {
            this.#reading = false;
            this.#emit(next, undefined);
          },
        );
        return;
      }
      this.#emit(next, got);
    }
  }

  #emit(path: string, part: PartBytes | undefined): void {
    if (this.#finished) return;
    if (part === undefined) return this.#finish(this.#started ? 'aborted' : 'not-found');
    const res = this.#res;
    if (!this.#started) {
      this.#started = true;
      // The bytes are the segment file's (its parts', in order), and an answer cut short is reset, not
      // ended, so no cache keeps it: immutable like the file, so Varnish coalesces and streams it.
      // X-Accel-Buffering: no makes nginx pass it on as it comes (nginx cannot stream a miss to
      // waiters; buffered, they would get nothing until the segment is whole, docs/cluster.md).
      res.writeHead(200, { 'content-type': part.contentType, 'cache-control': MEDIA_CACHE_CONTROL, 'x-accel-buffering': 'no', ...CORS_HEADERS });
      if (this.#head) return this.#finish('complete');
    }
    // One write: one chunk, the part's bytes whole.
    res.write(part.bytes);
    this.#wrote(path);
  }

  #finish(outcome: Outcome): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#pending.length = 0;
    const res = this.#res;
    if (!res.destroyed && !res.writableEnded) {
      if (outcome === 'complete') res.end();
      else if (!this.#started) {
        const body = JSON.stringify({ error: 'not found' });
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(body.length), ...CORS_HEADERS });
        res.end(this.#head ? undefined : body);
      } else res.destroy();
    }
    this.#resolve(outcome);
  }
}
