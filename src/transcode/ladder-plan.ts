import { TranscodeError } from '../errors/index.js';
import { DEFAULT_AUDIO_BITRATE_KBPS, DEFAULT_ENCODER_PRESET, checkLadderSpec, rungName, type EncoderPreset, type LadderSpec } from './ladder-spec.js';

/**
 * A ladder spec planned against one source: which rungs run, at which exact size and rate, and
 * what audio does. Pure: the supervisor plans again (with a DISCONTINUITY) when the source's
 * resolution or codec changes, and the same spec always gives the same plan for the same source.
 *
 * Rules (issue 10, research/transcode.md):
 * - no rung above the source's height: such rungs are dropped and said so (`dropped`), never upscaled;
 * - a size given by one side keeps the source's aspect, rounded to even (4:2:0);
 * - a frame rate must divide the source's exactly (30 → 15, 10; 60 → 30): every source keyframe
 *   is kept (the filter selects keyframes too), so a divided rung still has an IDR at each one;
 * - a copy rung is the source itself: no encode, always aligned;
 * - audio: the source's AAC passes through as the one audio rendition; any other codec is
 *   re-encoded to AAC once; no audio, no audio group. No video, no video rungs.
 */

/** What the plan needs of the source: its tracks as the sequence headers describe them. */
export interface LadderSource {
  readonly video?: { readonly codec: 'avc' | 'hevc'; readonly width: number; readonly height: number; readonly frameRate?: number };
  readonly audio?: { readonly codec: string };
}

/** ffmpeg's version as `ffmpeg -version` reports it (major, minor). */
export interface FfmpegVersion {
  readonly major: number;
  readonly minor: number;
}

/** ffmpeg 6.1 writes HEVC in (enhanced) FLV; 5.1 refuses "Video codec hevc not compatible with flv". */
export const HEVC_FLV_OUTPUT_VERSION: FfmpegVersion = { major: 6, minor: 1 };

export interface PlannedEncode {
  readonly kind: 'encode';
  readonly name: string;
  readonly codec: 'h264' | 'h265';
  readonly width: number;
  readonly height: number;
  /** 1 keeps every frame; n keeps every n-th (and every keyframe). */
  readonly frameRateDivisor: number;
  /** Frames per second, when the source's is known. */
  readonly frameRate: number | undefined;
  readonly bitrateKbps: number;
  readonly maxRateKbps: number;
  readonly bufferSizeKbits: number;
  readonly preset: EncoderPreset;
  readonly profile: string | undefined;
  readonly threads: number;
}

export interface PlannedCopy {
  readonly kind: 'copy';
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly frameRate: number | undefined;
}

export type PlannedRung = PlannedEncode | PlannedCopy;

export type PlannedAudio = { readonly kind: 'none' } | { readonly kind: 'passthrough' } | { readonly kind: 'encode'; readonly bitrateKbps: number };

export interface LadderPlan {
  /** Rungs that run, in the spec's order. */
  readonly rungs: readonly PlannedRung[];
  /**
   * Where the encoded rungs' IDRs go: undefined, at the source's keyframes (the rule); or, when
   * the source's keyframes are too far apart for the segment target, every `everySeconds`, the
   * same frames in every rung (the copy rung and divided frame rates cannot follow: dropped).
   */
  readonly addedKeyframes?: { readonly everySeconds: number };
  readonly audio: PlannedAudio;
  /** Rungs of the spec left out, with why ("above the source's 360p"). */
  readonly dropped: readonly { readonly name: string; readonly reason: string }[];
}

/** Whether ffmpeg `version` is at least `floor`. */
export function versionAtLeast(version: FfmpegVersion, floor: FfmpegVersion): boolean {
  return version.major > floor.major || (version.major === floor.major && version.minor >= floor.minor);
}

/**
 * `spec` planned for `source` with the ffmpeg of `version`. The spec is checked first (a library
 * caller may build one by hand): ERR_TRANSCODE_LADDER_INVALID. Throws ERR_TRANSCODE_UNSUPPORTED
 * for what that ffmpeg cannot do.
 *
 * `maxPixelsPerSecond` is what the server's transcode budget has left for this ladder
 * (ladderPixelRate counts it): encoded rungs are dropped from the largest down until the ladder
 * fits, each with the reason, so one 4K publisher cannot take every core from the others.
 */
export interface PlanOptions {
  /** What the server's transcode budget has left for this ladder, in pixels per second (ladderPixelRate). */
  readonly maxPixelsPerSecond?: number;
  /**
   * The source's keyframes are `sourceGopSeconds` apart, longer than the segment target: the
   * encoded rungs get an IDR every `everySeconds` instead (LadderPlan.addedKeyframes).
   */
  readonly addKeyframes?: { readonly everySeconds: number; readonly sourceGopSeconds: number };
}

export function planLadder(spec: LadderSpec, source: LadderSource, version: FfmpegVersion, options: PlanOptions = {}): LadderPlan {
  checkLadderSpec(spec);
  const rungs: PlannedRung[] = [];
  const dropped: { name: string; reason: string }[] = [];
  const video = source.video;
  for (const rung of spec.rungs) {
    const name = rungName(rung);
    if (video === undefined) {
      dropped.push({ name, reason: 'the source has no video' });
      continue;
    }
    if (rung.codec === 'copy') {
      rungs.push({ kind: 'copy', name, width: video.width, height: video.height, frameRate: video.frameRate });
      continue;
    }
    if (rung.codec === 'h265' && !versionAtLeast(version, HEVC_FLV_OUTPUT_VERSION)) {
      throw new TranscodeError('ERR_TRANSCODE_UNSUPPORTED', `rung ${name}: h265 needs ffmpeg ${HEVC_FLV_OUTPUT_VERSION.major}.${HEVC_FLV_OUTPUT_VERSION.minor} or later (HEVC in FLV), this one is ${version.major}.${version.minor}`, { rung: name, major: version.major, minor: version.minor });
    }
    const size = rungSize(rung.width, rung.height, video.width, video.height);
    if (size.height > video.height || size.width > video.width) {
      dropped.push({ name, reason: `above the source's ${video.width}x${video.height}` });
      continue;
    }
    const divisor = frameRateDivisor(rung.frameRate, video.frameRate);
    if (typeof divisor === 'string') {
      dropped.push({ name, reason: divisor });
      continue;
    }
    // Checked above: an encoded rung has its bit rate.
    const bitrateKbps = rung.bitrateKbps!;
    const maxRateKbps = rung.maxRateKbps ?? bitrateKbps;
    rungs.push({
      kind: 'encode',
      name,
      codec: rung.codec,
      width: size.width,
      height: size.height,
      frameRateDivisor: divisor,
      frameRate: video.frameRate === undefined ? undefined : video.frameRate / divisor,
      bitrateKbps,
      maxRateKbps,
      bufferSizeKbits: rung.bufferSizeKbits ?? maxRateKbps,
      preset: rung.preset ?? DEFAULT_ENCODER_PRESET,
      profile: rung.profile,
      threads: rung.threads ?? 0,
    });
  }
  const budget = options.maxPixelsPerSecond;
  if (budget !== undefined && video !== undefined) {
    while (ladderPixelRate(rungs, video) > budget) {
      const largest = rungs.filter((r): r is PlannedEncode => r.kind === 'encode').sort((a, b) => b.width * b.height - a.width * a.height)[0];
      if (largest === undefined) break;
      rungs.splice(rungs.indexOf(largest), 1);
      dropped.push({ name: largest.name, reason: `over the server's transcode budget (${(Math.max(0, budget) / 1e6).toFixed(1)} Mpx/s left)` });
    }
  }
  const added = options.addKeyframes;
  let addedKeyframes: LadderPlan['addedKeyframes'];
  if (added !== undefined && rungs.some((r) => r.kind === 'encode' && r.frameRateDivisor === 1)) {
    addedKeyframes = { everySeconds: added.everySeconds };
    const gop = `the source's keyframes are ${added.sourceGopSeconds.toFixed(1)} s apart, over the ${added.everySeconds} s segment target`;
    for (const rung of [...rungs]) {
      if (rung.kind === 'copy') dropped.push({ name: rung.name, reason: `${gop}: the encoded rungs get a keyframe every ${added.everySeconds} s, which the source cannot follow` });
      else if (rung.frameRateDivisor > 1) dropped.push({ name: rung.name, reason: `${gop}: keyframes are added, and a divided frame rate may not have the frames they fall on` });
      else continue;
      rungs.splice(rungs.indexOf(rung), 1);
    }
  }
  const audio: PlannedAudio = source.audio === undefined ? { kind: 'none' } : source.audio.codec === 'aac' ? { kind: 'passthrough' } : { kind: 'encode', bitrateKbps: spec.audio?.bitrateKbps ?? DEFAULT_AUDIO_BITRATE_KBPS };
  return { rungs, audio, dropped, ...(addedKeyframes === undefined ? {} : { addedKeyframes }) };
}

/** Frames per second assumed for a source that does not say (the common encoder default). */
const ASSUMED_FRAME_RATE = 30;

/**
 * Pixels per second a ladder costs ffmpeg: the source decoded once, plus each encoded rung's
 * size times its frame rate (copy rungs cost nothing). 0 when nothing is encoded.
 */
export function ladderPixelRate(rungs: readonly PlannedRung[], source: { readonly width: number; readonly height: number; readonly frameRate?: number | undefined }): number {
  const encodes = rungs.filter((r): r is PlannedEncode => r.kind === 'encode');
  if (encodes.length === 0) return 0;
  const sourceRate = source.frameRate ?? ASSUMED_FRAME_RATE;
  return source.width * source.height * sourceRate + encodes.reduce((sum, r) => sum + r.width * r.height * (r.frameRate ?? sourceRate / r.frameRateDivisor), 0);
}

/** The even size of a rung given its width and/or height, the other side from the source's aspect. */
export function rungSize(width: number | undefined, height: number | undefined, sourceWidth: number, sourceHeight: number): { width: number; height: number } {
  if (width !== undefined && height !== undefined) return { width, height };
  if (height !== undefined) return { width: even((height * sourceWidth) / sourceHeight), height };
  if (width !== undefined) return { width, height: even((width * sourceHeight) / sourceWidth) };
  return { width: even(sourceWidth), height: even(sourceHeight) };
}

/** Nearest even integer, at least 2. */
function even(x: number): number {
  return Math.max(2, 2 * Math.round(x / 2));
}

/**
 * The divisor that gives `frameRate` from the source's rate: 1 for 'source'; n when the source's
 * rate is n times it, within 0.1 % (14.985 divides 29.97, 15 does not); else why not.
 */
export function frameRateDivisor(frameRate: 'source' | number | undefined, sourceFrameRate: number | undefined): number | string {
  if (frameRate === undefined || frameRate === 'source') return 1;
  if (sourceFrameRate === undefined || !(sourceFrameRate > 0)) return `the source's frame rate is unknown, so ${frameRate} fps cannot be checked against it`;
  if (frameRate > sourceFrameRate * 1.001) return `${frameRate} fps is above the source's ${sourceFrameRate}`;
  const n = Math.round(sourceFrameRate / frameRate);
  if (n < 1 || Math.abs(sourceFrameRate / n - frameRate) > frameRate * 0.001) return `${frameRate} fps does not divide the source's ${sourceFrameRate} exactly`;
  return n;
}
