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

/**
 * True when two track lists describe the same decoders: an encoder re-sending an identical
 * sequence header (RTMP does this on every keyframe with some encoders) is not a new generation.
 */
export function sameTracks(a: readonly Track[], b: readonly Track[]): boolean {
  return a.length === b.length && a.every((track, i) => sameTrack(track, b[i]!));
}

function sameTrack(a: Track, b: Track): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const x: unknown = (a as unknown as Record<string, unknown>)[key];
    const y: unknown = (b as unknown as Record<string, unknown>)[key];
    if (x instanceof Uint8Array && y instanceof Uint8Array) {
      if (!sameBytes(x, y)) return false;
    } else if (x !== y) {
      return false;
    }
  }
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
