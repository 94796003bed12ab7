import { MediaError } from '../errors/index.js';

const WRAP = 2 ** 32;
const HALF = 2 ** 31;

/**
 * Turns RTMP's 32-bit millisecond timestamps into one 53-bit timeline. RTMP 1.0 §4 (time format):
 * timestamps roll over every 49.7 days, and an application "SHOULD use serial number arithmetic
 * [RFC1982]", assuming adjacent timestamps lie within 2^31 − 1 ms of each other — so 10 000 comes
 * after 4 000 000 000, and 3 000 000 000 before it.
 *
 * The clock only unwraps: a step back comes out as a smaller number, and deciding what a backward
 * step means (jitter between tracks, an encoder restart) is left to VideoTimestamps and
 * AudioTimestamps. One clock may be shared by every track of a publish, so that tracks whose first
 * timestamps straddle a wrap still land on one timeline; audio and video interleave within a few
 * hundred milliseconds, far inside the 2^31 window.
 */
export class RtmpClock {
  #lastRaw: number | undefined;
  #lastMs = 0;
  #wraps = 0;

  /** The timestamp on the unwrapped timeline (integer ms, may go below the first one). */
  unwrap(rtmpMs: number): number {
    if (!Number.isInteger(rtmpMs) || rtmpMs < 0 || rtmpMs >= WRAP) {
      throw new MediaError('ERR_MEDIA_INVALID', `RTMP timestamp must be an unsigned 32-bit integer, got ${rtmpMs}`, { rtmpMs });
    }
    if (this.#lastRaw === undefined) {
      this.#lastMs = rtmpMs;
    } else {
      const forward = (rtmpMs - this.#lastRaw + WRAP) % WRAP;
      const delta = forward >= HALF ? forward - WRAP : forward;
      if (delta > 0 && rtmpMs < this.#lastRaw) this.#wraps += 1;
      this.#lastMs += delta;
    }
    this.#lastRaw = rtmpMs;
    return this.#lastMs;
  }

  /** How many times the 32-bit field rolled over forwards (once per 49.7 days of stream). */
  get wraps(): number {
    return this.#wraps;
  }
}
