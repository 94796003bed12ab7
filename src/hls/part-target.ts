import type { Track } from '../media/index.js';
import { renderedSeconds } from './attributes.js';
import type { LivePart } from './live-timeline.js';

/**
 * The PART-TARGET a rendition announces, fitted to its frames. 4.4.4.9 wants every part (but the
 * last of a segment, and independent ones) to last between 85 % and 100 % of the part target, and
 * parts hold whole frames: at 29.97 fps six frames last 200.2 ms, over a 0.2 s target, and five
 * only 83 % of it. So the target becomes the whole number of frames nearest the nominal one, plus
 * a millisecond for RTMP's millisecond timestamps (a span of frames read from them is off by up to
 * 1 ms), rounded up to the millisecond: 0.202 s at 29.97 fps, 0.201 s at 25, 30 and 60 fps,
 * 0.193 s for 48 kHz AAC (9 × 1024 samples), 0.21 s at 44.1 kHz. A track whose frame duration is
 * unknown (no frame rate in the SPS or metadata) keeps the nominal target.
 */
export function fittedPartTarget(track: Track, nominalSeconds: number): number {
  const frameSeconds = track.kind === 'video' ? (track.frameRate !== undefined && track.frameRate > 0 ? 1 / track.frameRate : undefined) : track.samplesPerFrame / track.sampleRate;
  if (frameSeconds === undefined || !Number.isFinite(frameSeconds) || frameSeconds <= 0) return nominalSeconds;
  const frames = Math.max(1, Math.round(nominalSeconds / frameSeconds));
  return Math.ceil(Math.round((frames * frameSeconds + 0.001) * 1e6) / 1e3) / 1e3;
}

/**
 * Parts of a finished segment outside 4.4.4.9's duration bounds: above the target, or under 85 % of
 * it without being independent or the segment's last. What the encoder's timestamps did not let
 * fittedPartTarget prevent (a variable frame rate, a dropped frame); counted, not refused.
 */
export function partsOffTarget(parts: readonly LivePart[], targetSeconds: number): number {
  const target = renderedSeconds(targetSeconds);
  let count = 0;
  parts.forEach((p, i) => {
    const d = renderedSeconds(p.durationSeconds);
    if (d > target || (!p.independent && i < parts.length - 1 && d * 100 < target * 85)) count += 1;
  });
  return count;
}
