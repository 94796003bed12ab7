import { blockingReloadState, parsePartUri, partFileState, partState, type BlockingRequest, type LiveSnapshot, type LiveTimeline } from '../hls/index.js';
import { checkIntegerOption } from '../config/index.js';
import { BLOCKING_PLAYLIST_CACHE_CONTROL, GONE_CACHE_CONTROL, LIVE_PLAYLIST_CACHE_CONTROL, MEDIA_CACHE_CONTROL, NO_STORE_CACHE_CONTROL } from './cache-control.js';
import { ParkedRequests, systemParkingClock, type ParkingClock } from './parked-requests.js';

/**
 * LL-HLS delivery (RFC 8216bis 6.2.5 Delivery Directives, 6.2.6 preload hints): the latest
 * published snapshot of every live rendition, and the decisions made on it. A blocking playlist
 * request whose segment or part is not there yet is parked on the rendition and answered the
 * moment the packager pushes the snapshot that has it; so is a request for the hinted part. Every
 * answer is the text of a playlist the packager decided once per change (LiveSnapshot: rendered
 * when first read, then shared); delivery renders nothing itself and never calls the packager.
 */

/** What to send back. */
export interface LiveResponse {
  readonly status: 200 | 400 | 404 | 503;
  /**
   * 200 playlist: the snapshot's text (playlists are ASCII), which Node writes in the same write as
   * the header block; one string shared by every request answered from the same snapshot.
   */
  readonly body?: string;
  /** 200: a playlist, or a part's file to read from the store. */
  readonly kind?: 'playlist' | 'part';
  readonly cacheControl: string;
}

/** The Delivery Directives of a playlist request; `error` when they are malformed (400). */
export interface Directives {
  readonly blocking?: BlockingRequest;
  readonly skip: boolean;
  readonly error?: string;
}

const DECIMAL_INTEGER = /^(0|[1-9]\d{0,15})$/;

/**
 * 6.2.5: `_HLS_msn=<M>` (with `_HLS_part=<N>`: blocking reload), `_HLS_skip=YES|v2` (delta update).
 * `_HLS_part` without `_HLS_msn` is a Bad Request (6.2.5.2); other query parameters are ignored
 * (players add cache busters).
 */
export function parseDirectives(query: Readonly<Record<string, unknown>>): Directives {
  const one = (name: string): string | undefined => {
    const value = query[name];
    return Array.isArray(value) ? String(value[0]) : value === undefined ? undefined : String(value);
  };
  const msn = one('_HLS_msn');
  const part = one('_HLS_part');
  const skip = one('_HLS_skip');
  if (skip !== undefined && skip !== 'YES' && skip !== 'v2') return { skip: false, error: '_HLS_skip must be YES or v2' };
  if (part !== undefined && msn === undefined) return { skip: false, error: '_HLS_part needs _HLS_msn' };
  if (msn === undefined) return { skip: skip !== undefined };
  if (!DECIMAL_INTEGER.test(msn) || (part !== undefined && !DECIMAL_INTEGER.test(part))) return { skip: false, error: '_HLS_msn and _HLS_part must be decimal integers' };
  const blocking = { msn: Number(msn), ...(part === undefined ? {} : { part: Number(part) }) };
  if (!Number.isSafeInteger(blocking.msn)) return { skip: false, error: '_HLS_msn is out of range' };
  return { blocking, skip: skip !== undefined };
}

/** Whether the query names any Delivery Directive, so the store's copy of the playlist will not do. */
export function hasDirectives(query: Readonly<Record<string, unknown>>): boolean {
  return query['_HLS_msn'] !== undefined || query['_HLS_part'] !== undefined || query['_HLS_skip'] !== undefined;
}

export interface LiveDeliveryOptions {
  /** Injected in tests; default performance.now and setTimeout. */
  clock?: ParkingClock;
  /**
   * Requests parked at once, all streams; one more is answered 503 at once. Default 100 000: about
   * 1.3 GB at the ~13 KB a parked request costs with its connection — far above what the process
   * can hold connections for anyway, so only a flood reaches it.
   */
  maxParked?: number;
}

export const DEFAULT_MAX_PARKED = 100_000;

interface Waiter {
  readonly group: string;
  readonly rendition: string;
  readonly kind: 'playlist' | 'part';
  readonly msn: number;
  readonly part: number | undefined;
  readonly skip: boolean;
  readonly respond: (response: LiveResponse) => void;
}

const NO_STORE = NO_STORE_CACHE_CONTROL;

export class LiveDelivery {
  readonly #parked: ParkedRequests<Waiter>;
  /** Requests released so far, and expired with 503. */
  readonly counters = { released: 0, expired: 0, tooFar: 0, refused: 0 };
  readonly #maxParked: number;
  /** The latest snapshot per `<group>\n<rendition>`. */
  readonly #latest = new Map<string, LiveSnapshot>();
  /** Streams whose publish was admitted and whose first snapshot has not come (expect): until when their playlist requests wait, and who waits. */
  readonly #starting = new Map<string, { untilMs: number; waiters: Set<() => void> }>();
  /** The same snapshots by stream: `snapshots(group)` without a walk over every stream's. */
  readonly #snapshotsByGroup = new Map<string, Map<string, LiveSnapshot>>();
  readonly #forgetListeners = new Set<(group: string) => void>();
  /** Per `<group>\n<rendition>`: who follows its snapshots (watch). */
  readonly #watchers = new Map<string, Set<(snapshot: LiveSnapshot) => void>>();
  /** Per stream: parked requests that got 503 after three target durations, or at once because the parking was full. */
  readonly #byGroup = new Map<string, { expired: number; refused: number }>();

  constructor(options: LiveDeliveryOptions = {}) {
    this.#maxParked = checkIntegerOption('maxParked', options.maxParked ?? DEFAULT_MAX_PARKED, 0, Number.MAX_SAFE_INTEGER);
    this.#parked = new ParkedRequests<Waiter>(options.clock ?? systemParkingClock, (w) => {
      this.counters.expired += 1;
      this.#groupCounters(w.group).expired += 1;
      w.respond({ status: 503, cacheControl: NO_STORE });
    });
  }

  /** Requests parked now. */
  get parked(): number {
    return this.#parked.size;
  }

  /**
   * The packager of stream `group` ('<app>/<key>') published `snapshot`: it becomes the one requests
   * are answered from, and every parked request it satisfies is answered now.
   */
  publish(group: string, snapshot: LiveSnapshot): void {
    if (this.#starting.size > 0) this.#wake(group);
    const key = `${group}\n${snapshot.rendition}`;
    this.#latest.set(key, snapshot);
    let renditions = this.#snapshotsByGroup.get(group);
    if (renditions === undefined) this.#snapshotsByGroup.set(group, (renditions = new Map()));
    renditions.set(snapshot.rendition, snapshot);
    const watchers = this.#watchers.get(key);
    if (watchers !== undefined) {
      for (const watcher of [...watchers]) {
        // One answer's failure (a socket gone mid-write) must not stop the packager's publish or the others.
        try {
          watcher(snapshot);
        } catch {
          // the watcher's own answer ends by its close or its timer
        }
      }
    }
    const { timeline } = snapshot;
    const released = this.#parked.release(key, (w) =>
      w.kind === 'playlist' ? blockingReloadState(timeline, { msn: w.msn, ...(w.part === undefined ? {} : { part: w.part }) }) === 'ready' : partState(timeline, w.msn, w.part!) !== 'pending',
    );
    if (released.length === 0) return;
    this.counters.released += released.length;
    // One answer per variant for everyone released together.
    let full: LiveResponse | undefined;
    let delta: LiveResponse | undefined;
    for (const w of released) {
      if (w.kind === 'part') {
        const state = partState(timeline, w.msn, w.part!);
        w.respond(state === 'listed' ? { status: 200, kind: 'part', cacheControl: MEDIA_CACHE_CONTROL } : notFound(timeline, w.msn));
      } else if (w.skip) w.respond((delta ??= playlistResponse(snapshot, true, true)));
      else w.respond((full ??= playlistResponse(snapshot, false, true)));
    }
  }

  /** The stream `group` is gone (its files deleted): its snapshots and counters are dropped. */
  /**
   * A publish of `group` was admitted (a new stream, or one taken over from another origin,
   * docs/cluster.md): until its first snapshot, or `waitMs` (three target durations at the default
   * segment target), a request for one of its playlists waits for it (`whenStarted`, again after
   * each snapshot until that playlist exists) instead of a 404 the moment before it exists. Nothing to wait for when the stream already has
   * snapshots (a publisher back within the end grace).
   */
  expect(group: string, waitMs = DEFAULT_START_WAIT_MS): void {
    if (this.#snapshotsByGroup.has(group)) return;
    const untilMs = Date.now() + waitMs;
    const entry = this.#starting.get(group);
    if (entry === undefined) this.#starting.set(group, { untilMs, waiters: new Set() });
    else entry.untilMs = untilMs;
  }

  /** Resolves at `group`'s next snapshot or when its wait ends; undefined when it is not starting (or too many wait already). */
  whenStarted(group: string): Promise<void> | undefined {
    const entry = this.#starting.get(group);
    if (entry === undefined) return undefined;
    const left = entry.untilMs - Date.now();
    if (left <= 0 || entry.waiters.size >= MAX_START_WAITERS) {
      if (left <= 0) this.#started(group);
      return undefined;
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        entry.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, left);
      entry.waiters.add(done);
    });
  }

  /**
   * A snapshot of starting `group` came: its waiters look again (each rendition's first playlist
   * comes with its own first snapshot, the audio one a little after the video one). The group
   * stays starting until its wait ends, for the playlists that do not exist yet.
   */
  #wake(group: string): void {
    const entry = this.#starting.get(group);
    if (entry === undefined) return;
    if (Date.now() >= entry.untilMs) return this.#started(group);
    for (const done of [...entry.waiters]) done();
  }

  /** `group` is no longer starting: its wait ended, or it was forgotten. */
  #started(group: string): void {
    const entry = this.#starting.get(group);
    if (entry === undefined) return;
    this.#starting.delete(group);
    for (const done of [...entry.waiters]) done();
  }

  forget(group: string): void {
    this.#started(group);
    for (const listener of this.#forgetListeners) listener(group);
    for (const rendition of this.#snapshotsByGroup.get(group)?.keys() ?? []) this.#latest.delete(`${group}\n${rendition}`);
    this.#snapshotsByGroup.delete(group);
    this.#byGroup.delete(group);
  }

  /** Stream `group`'s parked requests answered 503: expired (waited three target durations) and refused (parking full). */
  streamCounters(group: string): { readonly expired: number; readonly refused: number } {
    return this.#byGroup.get(group) ?? { expired: 0, refused: 0 };
  }

  #groupCounters(group: string): { expired: number; refused: number } {
    let counters = this.#byGroup.get(group);
    if (counters === undefined) this.#byGroup.set(group, (counters = { expired: 0, refused: 0 }));
    return counters;
  }

  /** Calls `listener` with each stream group forgotten from now on (its files are gone). */
  onForget(listener: (group: string) => void): void {
    this.#forgetListeners.add(listener);
  }

  /** The latest snapshot of every rendition of stream `group`, in the order they were first published. */
  snapshots(group: string): LiveSnapshot[] {
    return [...(this.#snapshotsByGroup.get(group)?.values() ?? [])];
  }

  /**
   * Calls `watcher` with each snapshot of the rendition published from now on (before the parked
   * requests it releases are answered); returns the unsubscribe. Chunked DASH segment answers
   * follow an open segment this way.
   */
  watch(group: string, rendition: string, watcher: (snapshot: LiveSnapshot) => void): () => void {
    const key = `${group}\n${rendition}`;
    let set = this.#watchers.get(key);
    if (set === undefined) this.#watchers.set(key, (set = new Set()));
    set.add(watcher);
    return () => {
      set.delete(watcher);
      if (set.size === 0 && this.#watchers.get(key) === set) this.#watchers.delete(key);
    };
  }

  /** The latest snapshot of a rendition of stream `group`; undefined before the first. */
  snapshot(group: string, rendition: string): LiveSnapshot | undefined {
    return this.#latest.get(`${group}\n${rendition}`);
  }

  /**
   * A media playlist request with Delivery Directives. `respond` is called once: now (ready, 400,
   * or a plain answer when the stream has no LL-HLS) or later (released, or 503 after three target
   * durations). Returns a cancel for a client that goes away first.
   */
  playlist(group: string, rendition: string, directives: Directives, respond: (response: LiveResponse) => void): () => void {
    const snapshot = this.snapshot(group, rendition);
    if (snapshot === undefined) {
      respond({ status: 404, cacheControl: NO_STORE });
      return noop;
    }
    if (directives.error !== undefined) {
      respond({ status: 400, cacheControl: NO_STORE });
      return noop;
    }
    const { timeline } = snapshot;
    const blocking = directives.blocking;
    // A server without LL-HLS ignores directives it did not advertise (6.2.5).
    const lowLatency = timeline.partTargetSeconds !== undefined;
    if (blocking === undefined || !lowLatency) {
      respond(playlistResponse(snapshot, lowLatency && directives.skip, false));
      return noop;
    }
    const state = blockingReloadState(timeline, blocking);
    if (state === 'too-far') {
      this.counters.tooFar += 1;
      respond({ status: 400, cacheControl: NO_STORE });
      return noop;
    }
    if (state === 'ready') {
      respond(playlistResponse(snapshot, directives.skip, true));
      return noop;
    }
    return this.#park(group, timeline, { group, rendition, kind: 'playlist', msn: blocking.msn, part: blocking.part, skip: directives.skip, respond });
  }

  /**
   * A request for a part file the store does not have: held when it is the hinted part (or one
   * just past it), answered with `kind: 'part'` once it is listed — the caller reads the store
   * then — else 404. Undefined when `file` is not a part name (the caller answers 404 itself).
   */
  part(group: string, rendition: string, file: string, respond: (response: LiveResponse) => void): (() => void) | undefined {
    const name = parsePartUri(file);
    if (name === undefined) return undefined;
    const timeline = this.snapshot(group, rendition)?.timeline;
    const state = timeline === undefined ? 'never' : partFileState(timeline, name);
    if (state === 'listed') {
      respond({ status: 200, kind: 'part', cacheControl: MEDIA_CACHE_CONTROL });
      return noop;
    }
    if (state === 'never') {
      respond(timeline === undefined ? { status: 404, cacheControl: NO_STORE } : notFound(timeline, name.msn));
      return noop;
    }
    return this.#park(group, timeline!, { group, rendition, kind: 'part', msn: name.msn, part: name.index, skip: false, respond });
  }

  /** Parks for three target durations (6.2.5.2: then 503), or refuses at once when full. */
  #park(group: string, timeline: LiveTimeline, waiter: Waiter): () => void {
    if (this.#parked.size >= this.#maxParked) {
      this.counters.refused += 1;
      this.#groupCounters(group).refused += 1;
      waiter.respond({ status: 503, cacheControl: NO_STORE });
      return noop;
    }
    return this.#parked.park(`${group}\n${waiter.rendition}`, waiter, 3 * timeline.targetDurationSeconds * 1000);
  }

  /**
   * Answers stream `group`'s parked requests with 503 (not cached) now: the stream moved to another
   * origin (docs/cluster.md), whose parts these requests would otherwise wait out the hold for;
   * asked again, they are forwarded there.
   */
  unpark(group: string): number {
    let answered = 0;
    for (const rendition of this.#snapshotsByGroup.get(group)?.keys() ?? []) {
      for (const w of this.#parked.release(`${group}\n${rendition}`, () => true)) {
        w.respond({ status: 503, cacheControl: NO_STORE });
        answered += 1;
      }
    }
    return answered;
  }

  /** Answers every parked request with 503 (the server is closing). */
  close(): void {
    for (const group of [...this.#starting.keys()]) this.#started(group);
    for (const w of this.#parked.drain()) w.respond({ status: 503, cacheControl: NO_STORE });
  }
}

/** How long a starting stream's playlist requests wait for its first playlist: three target durations of the default 2 s segment. */
export const DEFAULT_START_WAIT_MS = 6000;
/** Requests that may wait for one stream's first playlist; past it they get the 404 at once. */
const MAX_START_WAITERS = 10_000;

/** A snapshot's playlist (or its delta update, when one is due) as a 200. */
function playlistResponse(snapshot: LiveSnapshot, skip: boolean, blocking: boolean): LiveResponse {
  const body = skip ? (snapshot.delta ?? snapshot.playlist) : snapshot.playlist;
  return { status: 200, kind: 'playlist', body, cacheControl: blocking ? BLOCKING_PLAYLIST_CACHE_CONTROL : LIVE_PLAYLIST_CACHE_CONTROL };
}

/**
 * The 404 of a part that will not appear (partState 'never'). Of a segment number the rendition has
 * gone past (closed, or slid out of the window), it stays true: a cache may keep it a second. Of
 * one ahead of the live edge (more parts ahead than a player is hinted), the part may exist a few
 * part targets later: nobody may keep that answer (cache-control.ts).
 */
function notFound(timeline: LiveTimeline, msn: number): LiveResponse {
  const frontier = Math.max(timeline.nextMsn, timeline.open?.msn ?? 0);
  return { status: 404, cacheControl: msn < frontier ? GONE_CACHE_CONTROL : NO_STORE };
}

function noop(): void {}
