import type { Sample, Track } from '../media/index.js';

/**
 * What a reader's queue carries, in publish order. A 'tracks' item opens a generation: the
 * packager writes a new init segment and marks a discontinuity when `generation` changes. 'end'
 * says the publisher left; the stream may come back with a higher generation.
 */
export type HubItem =
  | { type: 'tracks'; tracks: readonly Track[]; generation: number }
  | {
      type: 'sample';
      sample: Sample;
      /**
       * When the sample reached the hub (epoch ms), as the publisher said; undefined for samples
       * replayed from the GOP cache. A packager dates its media from it (PROGRAM-DATE-TIME), so a
       * stage that hands samples on later (a ladder holding the source until its rungs start) keeps
       * the source's time.
       */
      arrivedMs?: number;
    }
  | { type: 'end'; generation: number };
