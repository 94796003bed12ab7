import { HlsLivePackager, type LivePackagerOptions, type LiveSnapshot } from '../../src/hls/index.js';
import type { Sample, Track } from '../../src/media/index.js';
import type { DashRendition } from '../../src/dash/index.js';
import { MemoryStore } from '../../src/store/index.js';

/** A live packager whose snapshots are kept as a DASH renderer sees them (the latest per rendition). */
export function dashPackager(options: LivePackagerOptions = {}): { p: HlsLivePackager; store: MemoryStore; renditions: () => DashRendition[]; snapshots: Map<string, LiveSnapshot> } {
  const store = new MemoryStore();
  const p = new HlsLivePackager(store, options);
  const snapshots = new Map<string, LiveSnapshot>();
  p.subscribe((s) => snapshots.set(s.rendition, s));
  return { p, store, snapshots, renditions: () => [...snapshots.values()].map((s) => ({ name: s.rendition, track: s.track, timeline: s.timeline })) };
}

/** 48 kHz AAC frames (1024 samples) covering [fromSeconds, toSeconds), track 2, from `originTicks`. */
export function audioFrames(fromSeconds: number, toSeconds: number, originTicks = 0): Sample[] {
  const out: Sample[] = [];
  for (let i = Math.ceil((fromSeconds * 48_000) / 1024); (i * 1024) / 48_000 < toSeconds; i++) {
    const dts = originTicks + i * 1024;
    out.push({ trackId: 2, dts, pts: dts, duration: 1024, keyframe: true, data: new Uint8Array(20).fill(i % 256) });
  }
  return out;
}

/** Samples of several tracks in arrival order (by media time). */
export function interleave(tracks: readonly Track[], ...lists: Sample[][]): Sample[] {
  const scale = new Map(tracks.map((t) => [t.id, t.timescale]));
  return lists.flat().sort((a, b) => a.dts / scale.get(a.trackId)! - b.dts / scale.get(b.trackId)! || a.trackId - b.trackId);
}
