import type { AudioTrack, Sample, VideoTrack } from '../../src/media/index.js';
import { joinPieces, type MemoryStore } from '../../src/store/index.js';

/** 2026-01-01T00:00:00.000Z: the injected wall clock of the live tests. */
export const T0 = Date.UTC(2026, 0, 1);

/** A 320x240 AVC track; the configuration record's bytes only travel into avcC, so any will do. */
export function videoTrack(config = [1, 0x64, 0, 0x0d, 0xff, 0xe0]): VideoTrack {
  return { id: 1, kind: 'video', codec: 'avc', timescale: 90_000, codecString: 'avc1.64000d', decoderConfig: Uint8Array.from(config), width: 320, height: 240, frameRate: 30, sarWidth: 1, sarHeight: 1 };
}

export function audioTrack(): AudioTrack {
  return { id: 2, kind: 'audio', codec: 'aac', timescale: 48_000, codecString: 'mp4a.40.2', decoderConfig: Uint8Array.from([0x11, 0x90]), sampleRate: 48_000, channels: 2, samplesPerFrame: 1024 };
}

/** 30 fps frames `from` … `to − 1` of a stream with a keyframe every `gop` frames, 100 bytes each, dts from `dtsOrigin`. */
export function videoFrames(from: number, to: number, gop = 60, dtsOrigin = 0): Sample[] {
  const out: Sample[] = [];
  for (let i = from; i < to; i++) {
    const dts = dtsOrigin + i * 3000;
    out.push({ trackId: 1, dts, pts: dts, duration: 0, keyframe: i % gop === 0, data: new Uint8Array(100).fill(i % 256) });
  }
  return out;
}

/** Wall-clock arrival of frame `i` at 30 fps after `startMs`. */
export function arrival(i: number, startMs = T0): number {
  return startMs + Math.round((i * 1000) / 30);
}

export function text(store: MemoryStore, path: string): string {
  const file = store.get(path);
  if (file === undefined) throw new Error(`${path} is not in the store`);
  return new TextDecoder().decode(joinPieces(file));
}
