import type { Sample, Track } from '../media/index.js';

/**
 * What a reader's queue carries, in publish order. A 'tracks' item opens a generation: the
 * packager writes a new init segment and marks a discontinuity when `generation` changes. 'end'
 * says the publisher left; the stream may come back with a higher generation.
 */
export type HubItem =
  | { type: 'tracks'; tracks: readonly Track[]; generation: number }
  | { type: 'sample'; sample: Sample }
  | { type: 'end'; generation: number };
