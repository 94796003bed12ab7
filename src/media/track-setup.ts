import type { Track } from './track.js';

/**
 * Whether two byte strings hold the same bytes. The one byte-equality rule of the stages after the
 * parsers (decoder configuration records, sequence headers); it lives here, with Track, because
 * media/ is the lowest stage the hub, the packagers and the server adapters all import.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether a decoder set up for `a` can go on with `b`'s samples: same id, codec, configuration
 * record and timescale, and the same size, aspect, frame rate or sample rate, channels and frame
 * length (what the multivariant playlist and the init segment say about it). Anything else needs
 * a new init segment and, RFC 8216bis 4.4.4.3, an EXT-X-DISCONTINUITY ("a change in ... encoding
 * parameters"). An encoder re-sending an identical sequence header (RTMP encoders do, some on every
 * keyframe) is the same setup: no new generation in the hub, no new init segment in the packager.
 */
export function sameTrackSetup(a: Track, b: Track): boolean {
  if (a.id !== b.id || a.kind !== b.kind || a.codec !== b.codec || a.timescale !== b.timescale || a.codecString !== b.codecString) return false;
  if (!sameBytes(a.decoderConfig, b.decoderConfig)) return false;
  if (a.kind === 'video' && b.kind === 'video') {
    return a.width === b.width && a.height === b.height && a.sarWidth === b.sarWidth && a.sarHeight === b.sarHeight && a.frameRate === b.frameRate;
  }
  if (a.kind === 'audio' && b.kind === 'audio') return a.sampleRate === b.sampleRate && a.channels === b.channels && a.samplesPerFrame === b.samplesPerFrame;
  return false;
}

/** `sameTrackSetup` track by track, in order: the same list of decoders. */
export function sameTrackSetups(a: readonly Track[], b: readonly Track[]): boolean {
  return a.length === b.length && a.every((track, i) => sameTrackSetup(track, b[i]!));
}
