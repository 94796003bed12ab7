/** Buckets per window: the estimate moves in steps of windowMs / 50 (100 ms for 5 s). */
const BUCKETS = 50;

/**
 * Bytes and counts over the last `windowMs`, in a fixed ring of time buckets: memory stays the
 * same whatever the sample rate (a per-sample log would grow with a hostile publisher's rate).
 * The window is the `BUCKETS` buckets ending with the one holding `nowMs`.
 */
export class RateWindow {
  readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly ids: number[] = new Array<number>(BUCKETS).fill(Number.NEGATIVE_INFINITY);
  private readonly bytes: number[] = new Array<number>(BUCKETS).fill(0);
  private readonly counts: number[] = new Array<number>(BUCKETS).fill(0);

  constructor(windowMs: number) {
    this.windowMs = windowMs;
    this.bucketMs = windowMs / BUCKETS;
  }

  add(nowMs: number, bytes: number): void {
    const id = Math.floor(nowMs / this.bucketMs);
    const slot = ((id % BUCKETS) + BUCKETS) % BUCKETS;
    if (this.ids[slot] !== id) {
      this.ids[slot] = id;
      this.bytes[slot] = 0;
      this.counts[slot] = 0;
    }
    this.bytes[slot]! += bytes;
    this.counts[slot]! += 1;
  }

  /** Totals of the buckets inside the window ending at `nowMs`. */
  totals(nowMs: number): { bytes: number; count: number } {
    const current = Math.floor(nowMs / this.bucketMs);
    let bytes = 0;
    let count = 0;
    for (let slot = 0; slot < BUCKETS; slot += 1) {
      const id = this.ids[slot]!;
      if (id <= current && id > current - BUCKETS) {
        bytes += this.bytes[slot]!;
        count += this.counts[slot]!;
      }
    }
    return { bytes, count };
  }

  /** Bits per second over the window. */
  bitsPerSecond(nowMs: number): number {
    return (this.totals(nowMs).bytes * 8 * 1000) / this.windowMs;
  }

  /** Events (samples) per second over the window. */
  perSecond(nowMs: number): number {
    return (this.totals(nowMs).count * 1000) / this.windowMs;
  }
}
