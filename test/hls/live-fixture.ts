import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Sample, Track } from '../../src/media/index.js';
import { joinPieces, type MemoryStore } from '../../src/store/index.js';
import { loadSource } from '../helpers/packaging.js';

/**
 * fixtures/media/h264-aac.flv (10 s, 2 s GOPs, AAC at 44.1 kHz) as FlvToMedia makes it, played in
 * a loop: loop n is shifted by n × LOOP_SECONDS on every track, which is past the end of both
 * tracks (audio ends at 10.075 s), so decode times keep rising.
 */
export const LOOP_SECONDS = 10.1;

export interface TimedSample {
  readonly sample: Sample;
  readonly seconds: number;
}

export function fixtureTracks(): Track[] {
  return loadSource('h264-aac.flv').tracks;
}

/** Fresh sample objects (the segmenter fills in durations) in arrival order, `loops` times over. */
export function loopedFixture(loops: number): TimedSample[] {
  const source = loadSource('h264-aac.flv');
  const timescales = new Map(source.tracks.map((t) => [t.id, t.timescale]));
  const out: TimedSample[] = [];
  for (let loop = 0; loop < loops; loop++) {
    for (const [trackId, samples] of source.samples) {
      const timescale = timescales.get(trackId)!;
      const offset = Math.round(loop * LOOP_SECONDS * timescale);
      for (const s of samples) {
        const dts = s.dts + offset;
        out.push({ sample: { ...s, dts, pts: s.pts + offset, duration: trackId === 1 ? 0 : s.duration }, seconds: dts / timescale });
      }
    }
  }
  return out.sort((a, b) => a.seconds - b.seconds || a.sample.trackId - b.sample.trackId);
}

/** Writes every file of the store under `dir`, as an HTTP origin would serve them. */
export function writeStore(store: MemoryStore, dir: string): void {
  for (const path of store.list()) {
    const target = join(dir, ...path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, joinPieces(store.get(path)!));
  }
}
