import type { AudioTrack, Sample, Track, VideoTrack } from '../../src/media/index.js';
import type { HubItem } from '../../src/hub/index.js';

export const VIDEO: VideoTrack = {
  id: 1,
  kind: 'video',
  codec: 'avc',
  timescale: 90_000,
  codecString: 'avc1.64001f',
  decoderConfig: new Uint8Array([1, 0x64, 0, 0x1f]),
  width: 1280,
  height: 720,
  frameRate: 30,
  sarWidth: 1,
  sarHeight: 1,
};

export const AUDIO: AudioTrack = {
  id: 2,
  kind: 'audio',
  codec: 'aac',
  timescale: 48_000,
  codecString: 'mp4a.40.2',
  decoderConfig: new Uint8Array([0x11, 0x90]),
  sampleRate: 48_000,
  channels: 2,
  samplesPerFrame: 1024,
};

export const AV: Track[] = [VIDEO, AUDIO];

/** A sample of `bytes` payload bytes; `n` goes into dts so each sample is recognisable. */
export function video(n: number, keyframe: boolean, bytes = 100): Sample {
  return { trackId: 1, dts: n * 3000, pts: n * 3000, duration: 3000, keyframe, data: new Uint8Array(bytes) };
}

export function audio(n: number, bytes = 10): Sample {
  return { trackId: 2, dts: n * 1024, pts: n * 1024, duration: 1024, keyframe: true, data: new Uint8Array(bytes) };
}

export function samplesOf(items: readonly HubItem[]): Sample[] {
  return items.flatMap((i) => (i.type === 'sample' ? [i.sample] : []));
}
