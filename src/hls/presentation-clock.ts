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
 */
export class PresentationClock {
  #anchor: { wallMs: number; mediaMs: number } | undefined;

  /** Anchors the clock at the first sample after a reset; later calls do nothing. */
  observe(sample: Sample, timescale: number, nowMs: number): void {
    this.#anchor ??= { wallMs: nowMs, mediaMs: declaredMilliseconds(sample.dts, timescale) };
  }

  /** A new presentation (new segmenter): the next sample anchors the clock again. */
  reset(): void {
    this.#anchor = undefined;
  }

  /** The date of a segment or part made of `samples`: its earliest presentation time on the clock; `fallbackMs` before any anchor. */
  dateOf(samples: readonly Sample[], timescale: number, fallbackMs: number): number {
    const anchor = this.#anchor;
    if (anchor === undefined || samples.length === 0) return fallbackMs;
    let earliest = samples[0]!.pts;
    for (const sample of samples) if (sample.pts < earliest) earliest = sample.pts;
    return Math.round(anchor.wallMs) + declaredMilliseconds(earliest, timescale) - anchor.mediaMs;
  }
}
