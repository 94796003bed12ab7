/**
 * The RTMP timestamps one player sees. By default each player gets a timeline of its own that
 * starts at 0 with its first sample: a player joining an hour into a stream otherwise gets its
 * sequence headers at 0 and its first frame at 3 600 000 ms, and a reader that bounds what it reads
 * by time (`ffprobe -read_intervals %+10`, a player's buffer-length logic) sees an hour-long gap.
 * nginx-rtmp does the same unless `atc` is on; `absolute` is that option: the publisher's own
 * timestamps, passed through.
 *
 * A run is what one set of tracks plays on. Its base is the earliest timestamp of its first
 * samples (the first of each track, so audio stamped a few ms before the keyframe is not cut), and
 * audio and video keep their offsets to each other. A run after the first (a republish, new
 * codec parameters) continues one step after the last timestamp given, so the player's clock never
 * goes back; no timestamp of a run is below its start. Pure: no clock, no I/O.
 */
export class PlayerTimeline {
  readonly absolute: boolean;
  #open = false;
  /** Added to source timestamps in the current run. */
  #offsetMs = 0;
  /** The current run's start: nothing of it is given an earlier timestamp. */
  #floorMs = 0;
  /** The largest timestamp given so far. */
  #lastMs: number | undefined;
  /** The last forward step of one track, in ms: the gap left between two runs. */
  #stepMs = DEFAULT_RUN_GAP_MS;
  readonly #lastByTrack = new Map<number, number>();

  constructor(absolute = false) {
    this.absolute = absolute;
  }

  /** A run is open: samples can be mapped. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** New tracks of a new publish: the next sample opens a new run. */
  restart(): void {
    this.#open = false;
    this.#lastByTrack.clear();
  }

  /**
   * Opens a run whose earliest sample is at `firstSourceMs` (if none is open) and returns where
   * that sample lands: the time the run's onMetaData and sequence headers are sent at.
   */
  start(firstSourceMs: number): number {
    if (!this.#open) {
      this.#open = true;
      const runStart = this.absolute ? Math.max(0, firstSourceMs) : this.#lastMs === undefined ? 0 : this.#lastMs + this.#stepMs;
      this.#offsetMs = this.absolute ? 0 : runStart - firstSourceMs;
      this.#floorMs = this.absolute ? 0 : runStart;
    }
    return this.#place(firstSourceMs);
  }

  /** The player's timestamp of a sample of `trackId` at `sourceMs`; opens a run there if none is open. */
  map(trackId: number, sourceMs: number): number {
    if (!this.#open) this.start(sourceMs);
    const ms = this.#place(sourceMs);
    const previous = this.#lastByTrack.get(trackId);
    if (previous !== undefined && ms > previous) this.#stepMs = ms - previous;
    this.#lastByTrack.set(trackId, ms);
    if (this.#lastMs === undefined || ms > this.#lastMs) this.#lastMs = ms;
    return ms;
  }

  #place(sourceMs: number): number {
    return Math.max(this.#floorMs, sourceMs + this.#offsetMs);
  }
}

/** Gap between two runs before any step was seen: 1 ms, the least that keeps decode order strict. */
const DEFAULT_RUN_GAP_MS = 1;
