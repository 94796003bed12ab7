import type { Sample } from '../media/index.js';
import type { HubItem } from './items.js';

/**
 * Where a new reader starts. 'gop' (default): the current tracks and the cached GOP, so a player
 * shows a picture at once. 'live': the current tracks, then the next keyframe.
 */
export type ReaderStart = 'gop' | 'live';

export interface ReaderOptions {
  /** Bound of the sample bytes waiting in this reader's queue. Default: the hub's `defaultMaxQueuedBytes`. */
  maxQueuedBytes?: number;
  /** Default 'gop'. */
  startWith?: ReaderStart;
}

export interface ReaderCounters {
  /** Items waiting (tracks, samples, end). */
  queuedItems: number;
  /** Payload bytes of the samples waiting; never above `maxQueuedBytes`. */
  queuedBytes: number;
  deliveredSamples: number;
  deliveredBytes: number;
  /** Samples thrown away because the queue was full, and those after them up to the next keyframe. */
  droppedSamples: number;
  droppedBytes: number;
  /** How many times the queue overflowed (each starts a run of drops). */
  dropRuns: number;
  /** Samples passed over before this reader's first keyframe (joined mid-GOP); not losses. */
  skippedBeforeStart: number;
}

/**
 * One subscriber's bounded queue. The publisher never waits on it: an offer is O(1), and when a
 * sample would push the queued bytes over the bound the reader drops it and every sample after it
 * until the next restart point (a video keyframe, or for audio-only streams any frame that fits),
 * so what it delivers always decodes: audio is dropped along with video to stay in sync.
 * Lifetime: queued samples are the publisher's own objects; a reader must not modify them.
 */
export class Reader {
  readonly maxQueuedBytes: number;
  readonly counters: ReaderCounters = {
    queuedItems: 0,
    queuedBytes: 0,
    deliveredSamples: 0,
    deliveredBytes: 0,
    droppedSamples: 0,
    droppedBytes: 0,
    dropRuns: 0,
    skippedBeforeStart: 0,
  };
  /** What the onReadable callback threw; the reader was closed so the publisher goes on. */
  failure: unknown = undefined;

  // A head index instead of shift(): shift is O(n) on large arrays, and the publisher's cost must not
  // grow with a slow reader's backlog.
  private items: Array<HubItem | undefined> = [];
  private head = 0;
  private waitingForRestart = true;
  private started = false;
  private notified = false;
  private callback: (() => void) | undefined = undefined;
  private isClosed = false;
  private readonly detach: (reader: Reader) => void;

  constructor(maxQueuedBytes: number, detach: (reader: Reader) => void) {
    this.maxQueuedBytes = maxQueuedBytes;
    this.detach = detach;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Called by the stream for each published sample. `restartPoint`: a decoder can start here (the
   * stream decides: a video keyframe, or any audio frame when the stream has no video).
   */
  offerSample(sample: Sample, restartPoint: boolean, arrivedMs?: number): void {
    if (this.isClosed) return;
    const size = sample.data.byteLength;
    const fits = this.counters.queuedBytes + size <= this.maxQueuedBytes;
    if (this.waitingForRestart) {
      if (!restartPoint || !fits) return this.pass(size);
      this.waitingForRestart = false;
      this.started = true;
    } else if (!fits) {
      this.waitingForRestart = true;
      this.counters.dropRuns += 1;
      return this.pass(size);
    }
    this.counters.queuedBytes += size;
    this.enqueue(arrivedMs === undefined ? { type: 'sample', sample } : { type: 'sample', sample, arrivedMs });
  }

  /** Tracks and end items are never dropped: they carry no payload and the packager needs each one. */
  offerControl(item: Exclude<HubItem, { type: 'sample' }>): void {
    if (this.isClosed) return;
    const last = this.items[this.items.length - 1];
    // Tracks replaced before any sample used them: only the newest matters, and a stuck reader's
    // queue does not grow with an encoder that re-sends changing headers.
    if (item.type === 'tracks' && last?.type === 'tracks' && this.items.length > this.head) {
      this.items[this.items.length - 1] = item;
      return;
    }
    this.enqueue(item);
  }

  read(): HubItem | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head] = undefined;
    this.head += 1;
    this.counters.queuedItems -= 1;
    if (item.type === 'sample') {
      const size = item.sample.data.byteLength;
      this.counters.queuedBytes -= size;
      this.counters.deliveredSamples += 1;
      this.counters.deliveredBytes += size;
    }
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      this.notified = false;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Up to `max` items (all by default), oldest first. */
  drain(max = Number.POSITIVE_INFINITY): HubItem[] {
    const out: HubItem[] = [];
    while (out.length < max) {
      const item = this.read();
      if (item === undefined) break;
      out.push(item);
    }
    return out;
  }

  /**
   * `cb` runs synchronously inside the publisher's push, at most once until the queue has been read
   * empty; so it should only schedule the reading. Registered on a non-empty queue, it runs at once.
   * If it throws, the reader closes (see `failure`): a subscriber's bug never stops the publisher.
   */
  onReadable(cb: () => void): void {
    this.callback = cb;
    if (this.counters.queuedItems > 0) this.notify();
  }

  /** Leaves the stream and frees the queue. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.items = [];
    this.head = 0;
    this.counters.queuedItems = 0;
    this.counters.queuedBytes = 0;
    this.detach(this);
  }

  private pass(size: number): void {
    if (this.started) {
      this.counters.droppedSamples += 1;
      this.counters.droppedBytes += size;
    } else {
      this.counters.skippedBeforeStart += 1;
    }
  }

  private enqueue(item: HubItem): void {
    this.items.push(item);
    this.counters.queuedItems += 1;
    this.notify();
  }

  private notify(): void {
    if (this.notified || this.callback === undefined) return;
    this.notified = true;
    try {
      this.callback();
    } catch (error) {
      this.failure = error;
      this.close();
    }
  }
}
