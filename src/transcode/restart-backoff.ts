import { checkNumberOption, invalidOption } from '../config/index.js';

/**
 * When to respawn a ladder's ffmpeg after it crashed. The rule: on a crash respawn at once,
 * since every second without the ladder is a second of live video the viewers of those renditions
 * miss; after repeated crashes back off exponentially, since an ffmpeg that dies at start (a bad
 * source, a missing encoder) would otherwise be spawned in a tight loop.
 *
 * Peers wait a fixed pause before every respawn: MediaMTX's external commands 5 s (restartPause),
 * nginx-rtmp's exec respawn_timeout 5 s, SRS's encoder loop 3 s. Too slow for live: a segment or
 * two of every rendition lost to one crash that a respawn at once would have bridged.
 *
 * With the defaults, a streak of crashes waits 0, 500, 1000, 2000, … ms, at most 30 s. A streak
 * ends when a process ran resetAfterMs: measured from its respawn, not from the crash before, so
 * a process that waited the longest delay and died at once still counts as the same streak.
 *
 * Pure: time comes in as `nowMs` (a monotonic clock: performance.now()), the caller owns the timer.
 */

export interface RestartBackoffOptions {
  /** Delay after the first crash of a streak; default 0 (respawn at once). */
  readonly initialMs?: number;
  /** Delay after the second crash of a streak, doubled after each further one; default 500. */
  readonly baseMs?: number;
  /** Longest delay; default 30 000. */
  readonly maxMs?: number;
  /** A process that ran this long ends the streak; default 30 000. */
  readonly resetAfterMs?: number;
}

export const DEFAULT_RESTART_INITIAL_MS = 0;
/** Half a second: a second crash is likely a cause that repeats, yet a transient one costs little. */
export const DEFAULT_RESTART_BASE_MS = 500;
/** 30 s: a ladder that cannot run is still retried twice a minute, without loading the machine. */
export const DEFAULT_RESTART_MAX_MS = 30_000;
/** As long as the longest delay: a run that outlasts the worst wait was healthy. */
export const DEFAULT_RESTART_RESET_AFTER_MS = 30_000;

/** 2^1023 is the largest finite power of two: a long streak's delay stays a number (0 × it is 0, not NaN). */
const MAX_DOUBLING_EXPONENT = 1023;

/** Bound of every option: a day. */
const OPTION_MAX_MS = 86_400_000;

export class RestartBackoff {
  private readonly initialMs: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly resetAfterMs: number;
  private streak = 0;
  /** When the process of the current streak was due to respawn: its run starts there. */
  private respawnAtMs = 0;

  constructor(options: RestartBackoffOptions = {}) {
    this.initialMs = checkNumberOption('initialMs', options.initialMs ?? DEFAULT_RESTART_INITIAL_MS, 0, OPTION_MAX_MS);
    this.baseMs = checkNumberOption('baseMs', options.baseMs ?? DEFAULT_RESTART_BASE_MS, 0, OPTION_MAX_MS);
    this.maxMs = checkNumberOption('maxMs', options.maxMs ?? DEFAULT_RESTART_MAX_MS, 0, OPTION_MAX_MS);
    this.resetAfterMs = checkNumberOption('resetAfterMs', options.resetAfterMs ?? DEFAULT_RESTART_RESET_AFTER_MS, 0, OPTION_MAX_MS, true);
    if (this.maxMs < Math.max(this.initialMs, this.baseMs)) {
      throw invalidOption('maxMs', `at least initialMs (${this.initialMs}) and baseMs (${this.baseMs})`, String(this.maxMs));
    }
  }

  /** The process crashed at `nowMs`: the delay before spawning the next one. */
  crashed(nowMs: number): number {
    this.healthy(nowMs);
    const delayMs = this.nextDelayMs;
    this.streak += 1;
    this.respawnAtMs = nowMs + delayMs;
    return delayMs;
  }

  /**
   * The process is running at `nowMs`: ends the streak if it has run resetAfterMs, so `crashes`
   * and `nextDelayMs` read as healthy. Returns whether it did.
   */
  healthy(nowMs: number): boolean {
    if (this.streak === 0 || nowMs - this.respawnAtMs < this.resetAfterMs) return false;
    this.reset();
    return true;
  }

  /** Crashes in the current streak. */
  get crashes(): number {
    return this.streak;
  }

  /** The delay the next crash gets if it is part of the current streak. */
  get nextDelayMs(): number {
    if (this.streak === 0) return this.initialMs;
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.streak - 1, MAX_DOUBLING_EXPONENT));
  }

  /** Ends the streak: the next crash respawns after initialMs. */
  reset(): void {
    this.streak = 0;
  }
}
