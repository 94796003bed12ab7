/**
 * Requests parked until something appears (RFC 8216bis 6.2.5.2 blocking playlist reload, 6.2.6
 * preload-hinted parts), or until their deadline passes. No polling: the owner calls release() when
 * a rendition's timeline changed, and a single timer — armed for the earliest deadline — expires
 * the ones that waited too long. So a thousand parked requests cost their entries and nothing else.
 *
 * Pure of I/O: the clock is injected (tests drive it by hand), and what "ready" means and what to
 * do on release or expiry belong to the caller.
 */

/** The time source and the one timer. */
export interface ParkingClock {
  /** Milliseconds, monotonic. */
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemParkingClock: ParkingClock = {
  now: () => performance.now(),
  setTimer: (callback, delayMs) => {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return timer;
  },
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Entry<T> {
  readonly group: string;
  /** Dropped when the entry is done: the deadline list may hold the entry a while longer, not the request. */
  item: T | undefined;
  readonly deadline: number;
  done: boolean;
}

export class ParkedRequests<T> {
  readonly #clock: ParkingClock;
  readonly #onExpire: (item: T) => void;
  readonly #groups = new Map<string, Set<Entry<T>>>();
  /** Entries by deadline, oldest first; entries done early stay until the timer passes them. */
  #deadlines: Entry<T>[] = [];
  #head = 0;
  #timer: unknown;
  #timerAt = Infinity;
  #size = 0;

  constructor(clock: ParkingClock, onExpire: (item: T) => void) {
    this.#clock = clock;
    this.#onExpire = onExpire;
  }

  /** Requests parked now. */
  get size(): number {
    return this.#size;
  }

  /** Parks `item` in `group` (a stream's rendition) for at most `timeoutMs`; returns a cancel (the client went away). */
  park(group: string, item: T, timeoutMs: number): () => void {
    const entry: Entry<T> = { group, item, deadline: this.#clock.now() + timeoutMs, done: false };
    let set = this.#groups.get(group);
    if (set === undefined) this.#groups.set(group, (set = new Set()));
    set.add(entry);
    this.#insert(entry);
    this.#size += 1;
    this.#arm();
    return () => this.#finish(entry);
  }

  /** Takes out and returns the items of `group` that `ready` accepts, in the order they were parked. */
  release(group: string, ready: (item: T) => boolean): T[] {
    const set = this.#groups.get(group);
    if (set === undefined) return [];
    const released: T[] = [];
    for (const entry of set) {
      const item = entry.item as T;
      if (!ready(item)) continue;
      this.#finish(entry);
      released.push(item);
    }
    return released;
  }

  /** Takes out every item of every group (shutdown), in the order they were parked. */
  drain(): T[] {
    const all: T[] = [];
    for (const set of this.#groups.values()) for (const entry of set) all.push(entry.item as T);
    for (const set of [...this.#groups.values()]) for (const entry of set) this.#finish(entry);
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    return all;
  }

  #finish(entry: Entry<T>): void {
    if (entry.done) return;
    entry.done = true;
    entry.item = undefined;
    this.#size -= 1;
    const set = this.#groups.get(entry.group);
    set?.delete(entry);
    if (set !== undefined && set.size === 0) this.#groups.delete(entry.group);
  }

  /** Deadlines mostly arrive in order (one timeout per stream): insertion from the end is O(1) then. */
  #insert(entry: Entry<T>): void {
    let i = this.#deadlines.length;
    while (i > this.#head && this.#deadlines[i - 1]!.deadline > entry.deadline) i -= 1;
    this.#deadlines.splice(i, 0, entry);
  }

  #arm(): void {
    while (this.#head < this.#deadlines.length && this.#deadlines[this.#head]!.done) this.#head += 1;
    this.#compact();
    const next = this.#deadlines[this.#head];
    if (next === undefined) return;
    if (this.#timer !== undefined && this.#timerAt <= next.deadline) return;
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timerAt = next.deadline;
    this.#timer = this.#clock.setTimer(() => this.#expire(), Math.max(0, next.deadline - this.#clock.now()));
  }

  #expire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#clock.now();
    const expired: T[] = [];
    while (this.#head < this.#deadlines.length) {
      const entry = this.#deadlines[this.#head]!;
      if (!entry.done && entry.deadline > now) break;
      this.#head += 1;
      if (entry.done) continue;
      const item = entry.item as T;
      this.#finish(entry);
      expired.push(item);
    }
    this.#arm();
    for (const item of expired) this.#onExpire(item);
  }

  /** Drops the passed-over front of the deadline list once it is most of it. */
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#deadlines.length) {
      this.#deadlines = this.#deadlines.slice(this.#head);
      this.#head = 0;
    }
  }
}
