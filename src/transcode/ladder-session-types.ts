import type { VideoTrack } from '../media/index.js';
import type { FfmpegVersion, LadderPlan } from './ladder-plan.js';
import type { LadderSpec } from './ladder-spec.js';
import type { RestartBackoff } from './restart-backoff.js';

/** What a LadderSession is given, what it reports and how it says so (ladder-session.ts). */

export interface LadderSessionOptions {
  readonly ffmpegPath: string;
  readonly ffmpegVersion: FfmpegVersion;
  readonly spec: LadderSpec;
  /** A video track from a rung's decoder configuration record (tidecast's `avcTrack` / `hevcTrack`). */
  readonly videoTrack: (id: number, config: Uint8Array, codec: 'avc' | 'hevc') => VideoTrack;
  readonly now: () => number;
  /** Seconds of source media allowed between the hub and ffmpeg's output. Default 2. */
  readonly maxBacklogSeconds?: number;
  /** After stdin is closed, time for ffmpeg to finish before SIGKILL. Default 2000. */
  readonly stopTimeoutMs?: number;
  /** The first crash respawns at once; then these delays (RestartBackoff). */
  readonly backoff?: RestartBackoff;
  /**
   * What the server's transcode budget has left for this ladder, in pixels per second
   * (ladderPixelRate), asked at each plan; default no limit.
   */
  readonly pixelBudget?: () => number;
  /**
   * The packager's segment target: when the source's keyframes turn out further apart than
   * 1.25 × this, the ladder is planned again with keyframes added every segment target in the
   * encoded rungs (planLadder's addKeyframes; the copy rung goes). Default: never.
   */
  readonly segmentTargetSeconds?: number;
}

export type LadderState = 'waiting' | 'starting' | 'running' | 'backoff' | 'passthrough' | 'stopped';

export interface RungStats {
  readonly name: string;
  readonly kind: 'copy' | 'encode';
  readonly width: number | undefined;
  readonly height: number | undefined;
  /** Frames carried per second over the last second. */
  readonly fps: number;
  readonly frames: number;
  readonly keyframes: number;
  /** ffmpeg's last quantizer for this rung (-progress). */
  readonly q: number | undefined;
}

export interface LadderStats {
  readonly state: LadderState;
  readonly plan: { readonly rungs: readonly string[]; readonly dropped: LadderPlan['dropped'] } | undefined;
  readonly rungs: readonly RungStats[];
  readonly pid: number | undefined;
  /** Frames per second ffmpeg decodes, from -progress (its speed and out_time say 0 with -copyts on pipes). */
  readonly ffmpegFps: number | undefined;
  readonly restarts: number;
  /** Crashes in the current streak and the delay before the next spawn (0 when none is waiting). */
  readonly crashes: number;
  readonly backoffMs: number;
  /** Rung frames whose time no source frame had (each an error). */
  readonly ptsMismatches: number;
  /** Times the feed skipped to the next keyframe because ffmpeg fell behind. */
  readonly backlogSkips: number;
  /** Milliseconds from a source frame's arrival to its rung frame's, over the last 300 rung frames: median and 95th percentile. */
  readonly latencyMs: number | undefined;
  readonly latencyP95Ms: number | undefined;
  /** After the last crash: milliseconds from ffmpeg's exit to the respawned process's first rung frame. */
  readonly respawnToFirstFrameMs: number | undefined;
  readonly lastError: { readonly message: string; readonly atMs: number } | undefined;
}

export interface LadderSessionEvents {
  /** A problem worth a log line and the stream's health: a crash, a mismatch, a skip. */
  warning: [message: string, details: Record<string, unknown>];
  state: [state: LadderState];
  /** ffmpeg died unasked; it is respawned after `delayMs` (0: at once). */
  crash: [message: string, delayMs: number];
}
