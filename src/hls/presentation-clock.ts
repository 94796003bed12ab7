import type { Sample } from '../media/index.js';
import { declaredMilliseconds } from './declared-time.js';

/**
 * The wall clock of a live presentation since its segmenter started (setTracks, resume): the first
 * sample's arrival and decode time. Every PROGRAM-DATE-TIME is this anchor plus media time, so
 * each rendition's dates advance exactly with its EXTINF durations and all renditions agree on
 * one clock (players align alternate renditions by date, hls.js among them); stamping each
 * segment with its own arrival instead would add the encoder's send jitter to every date.
 * Dates are whole milliseconds of declared time (declared-time.ts): exact for a time on the
 * millisecond grid, rounded down otherwise, so a player that aligns renditions by date never
 * places a segment later than its media.
 *
 * Encoder clock drift. An encoder whose clock runs slow or fast against the server's sends media
 * time that falls behind or runs ahead of the wall clock: dates from media time then drift away
 * from when the media really arrived (and a DASH player, which finds segments by the wall clock,
 * asks for them too early or too late). The clock measures it per segment: a sample's lateness is
 * its arrival − its date on the clock; jitter only ever makes a sample later, so the smallest
 * lateness of a segment is the clock's offset, and the largest of the last DRIFT_SEGMENTS segments'
 * smallest is the drift (one segment sent in a burst cannot move it). Past DRIFT_BOUND_MS it is
 * taken out: the dates of every segment after the last one dated move later by it (a re-anchor,
 * which the DASH MPD shows as a new Period), and the count goes up. Only later: media arriving
 * ahead of its dates (an encoder clock running fast, or media pushed faster than real time, which
 * look the same) is measured (driftMs below 0) but never moves dates back, which would date a
 * segment before the end of the one it follows.
 */

/** The drift the clock lets be before re-anchoring: a quarter of a second. */
export const DRIFT_BOUND_MS = 250;
/** Segments whose smallest lateness is taken together (the smallest of them is the drift). */
export const DRIFT_SEGMENTS = 3;

export class PresentationClock {
  #anchor: { wallMs: number; mediaMs: number } | undefined;
  /** Re-anchors so far, oldest first: from segment `fromMsn` on, dates move by `shiftMs` (cumulative). */
  #shifts: Array<{ fromMsn: number; shiftMs: number }> = [];
  #maxDatedMsn = -1;
  /** The smallest lateness seen in the segment being received, and in the last finished ones. */
  #segmentMin = Number.POSITIVE_INFINITY;
  #recentMins: number[] = [];
  /** The smallest lateness of the presentation's first DRIFT_SEGMENTS segments: drift is measured from it. */
  #baseline: number | undefined;
  /** Re-anchors of this clock (all presentations), and the drift last measured, ms. */
  reanchors = 0;
  driftMs = 0;

  /** Anchors the clock at the first sample after a reset; later samples measure the drift. */
  observe(sample: Sample, timescale: number, nowMs: number): void {
    if (this.#anchor === undefined) {
      this.#anchor = { wallMs: nowMs, mediaMs: declaredMilliseconds(sample.dts, timescale) };
      return;
    }
    const lateness = nowMs - (this.#anchor.wallMs + this.#shiftFor(Number.POSITIVE_INFINITY) + declaredMilliseconds(sample.dts, timescale) - this.#anchor.mediaMs);
    if (lateness < this.#segmentMin) this.#segmentMin = lateness;
  }

  /**
   * A segment of the leading track was cut: its smallest lateness joins the measure, and past the
   * bound the clock re-anchors for the segments not dated yet. Returns the shift made (0: none).
   */
  segmentCut(): number {
    if (this.#anchor === undefined || !Number.isFinite(this.#segmentMin)) return 0;
    this.#recentMins.push(this.#segmentMin);
    this.#segmentMin = Number.POSITIVE_INFINITY;
    if (this.#recentMins.length > DRIFT_SEGMENTS) this.#recentMins.shift();
    if (this.#recentMins.length < DRIFT_SEGMENTS) return 0;
    const floor = Math.min(...this.#recentMins);
    // The first segments set the baseline: how late the first frame came against the publisher's
    // later pace (a connection's start, a burst) is the presentation's, not drift, and stays.
    if (this.#baseline === undefined) {
      this.#baseline = floor;
      return 0;
    }
    // Negative: media arrives before its date (a fast encoder clock); positive: after (slow).
    const drift = Math.round(floor - this.#baseline);
    this.driftMs = drift;
    // Only later: media arriving ahead of its dates is an encoder clock running fast, or a publisher
    // sending faster than real time (a file pushed without -re, a replay), which cannot be told
    // apart; moving dates back would date a segment before the end of the one it follows.
    if (drift <= DRIFT_BOUND_MS) return 0;
    this.#shifts.push({ fromMsn: this.#maxDatedMsn + 1, shiftMs: this.#shiftFor(Number.POSITIVE_INFINITY) + drift });
    this.reanchors += 1;
    this.#recentMins = [];
    this.driftMs = 0;
    return drift;
  }

  /** A new presentation (new segmenter): the next sample anchors the clock again. */
  reset(): void {
    this.#anchor = undefined;
    this.#shifts = [];
    this.#maxDatedMsn = -1;
    this.#segmentMin = Number.POSITIVE_INFINITY;
    this.#recentMins = [];
    this.#baseline = undefined;
    this.driftMs = 0;
  }

  /**
   * The date of segment (or part of segment) `msn` made of `samples`: its earliest presentation
   * time on the clock, moved by the re-anchors in force from that segment on; `fallbackMs` before
   * any anchor.
   */
  dateOf(samples: readonly Sample[], timescale: number, fallbackMs: number, msn: number): number {
    const anchor = this.#anchor;
    if (anchor === undefined || samples.length === 0) return fallbackMs;
    if (msn > this.#maxDatedMsn) this.#maxDatedMsn = msn;
    let earliest = samples[0]!.pts;
    for (const sample of samples) if (sample.pts < earliest) earliest = sample.pts;
    return Math.round(anchor.wallMs) + this.#shiftFor(msn) + declaredMilliseconds(earliest, timescale) - anchor.mediaMs;
  }

  #shiftFor(msn: number): number {
    for (let i = this.#shifts.length - 1; i >= 0; i--) if (msn >= this.#shifts[i]!.fromMsn) return this.#shifts[i]!.shiftMs;
    return 0;
  }
}
