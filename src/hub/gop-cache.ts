import type { Sample } from '../media/index.js';

/**
 * The samples from the last restart point (video keyframe) on, audio included, so a new reader
 * starts decoding at once instead of waiting up to a GOP. Bounded: past `maxBytes` the cache is
 * emptied and stays empty until the next keyframe, because a partial GOP from its keyframe is
 * still fine but keeping a growing one (an encoder that never sends keyframes) is not.
 */
export class GopCache {
  readonly maxBytes: number;
  private cached: Sample[] = [];
  private bytes = 0;
  private active = false;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get samples(): readonly Sample[] {
    return this.cached;
  }

  get byteLength(): number {
    return this.bytes;
  }

  add(sample: Sample, restartPoint: boolean): void {
    const size = sample.data.byteLength;
    if (restartPoint) {
      this.clear();
      this.active = size <= this.maxBytes;
    } else if (this.active && this.bytes + size > this.maxBytes) {
      this.clear();
    }
    if (!this.active) return;
    this.cached.push(sample);
    this.bytes += size;
  }

  /** Forgets everything until the next restart point (new tracks, end of publish, overflow). */
  clear(): void {
    this.cached = [];
    this.bytes = 0;
    this.active = false;
  }
}
