import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LiveStream, type ResolvedHubOptions } from '../hub/index.js';
import type { Track } from '../media/index.js';
import { ConfigError } from '../errors/index.js';
import { LADDER_PRESETS, checkLadderSpec, ladderPreset, LadderSession, locateFfmpeg, parseFfmpegVersion, versionAtLeast, type FfmpegVersion, type LadderSpec, type LadderState, type LadderStats } from '../transcode/index.js';
import { avcTrack, hevcTrack } from './tracks-from-configs.js';

/**
 * The transcode tier in the server (issue 10): which streams get a ladder, the ffmpeg that runs
 * them, and one LadderSession per laddered stream, whose output stream the HLS egress packages
 * instead of the source. Without a usable ffmpeg the server runs on and says transcoding is off.
 */

/** Where a stream's ladder comes from: a spec or preset name for all, or a choice per stream. */
export type LadderChoice = LadderSpec | string | ((app: string, streamKey: string) => LadderSpec | string | undefined);

export interface TranscodeOptions {
  /** Default none: no stream is transcoded. */
  ladder?: LadderChoice;
  /** The ffmpeg to run; default: FFMPEG_PATH, then ffmpeg on PATH, then the optional static binary. */
  ffmpegPath?: string;
  /** Seconds of media allowed between the hub and ffmpeg's output before the feed skips (default 2). */
  maxBacklogSeconds?: number;
  /**
   * The server's transcode budget: pixels per second all ladders together may decode and encode
   * (ladderPixelRate). A ladder that would pass it loses rungs from the largest down, said in its
   * stats and the log; one 4K publisher cannot take every core. Default DEFAULT_MAX_PIXELS_PER_SECOND.
   */
  maxPixelsPerSecond?: number;
}

/**
 * Default transcode budget: 2 × (1080p30 decoded + the default preset's four rungs encoded), about
 * 340 Mpx/s — two 1080p30 publishers with full ladders. A 4K60 source's ladder alone (500 Mpx/s
 * with the same rungs) is cut down to fit.
 */
export const DEFAULT_MAX_PIXELS_PER_SECOND = 2 * (1920 * 1080 + 1920 * 1080 + 1280 * 720 + 854 * 480 + 640 * 360) * 30;

export interface LadderTierEvents {
  warning(stream: { app: string; streamKey: string }, message: string, details: Record<string, unknown>): void;
  /** A session's state changed (the job runtime follows it). */
  state?(stream: { app: string; streamKey: string }, state: LadderState, stats: LadderStats): void;
  /** A session's ffmpeg crashed; respawned after delayMs. */
  crash?(stream: { app: string; streamKey: string }, message: string, delayMs: number): void;
  /** A stream has a ladder to run but transcoding is off (no usable ffmpeg): it passes through. */
  unavailable?(stream: { app: string; streamKey: string }, reason: string): void;
}

/** What a git build of ffmpeg (no release number) is taken for: newer than every release. */
const UNRELEASED_FFMPEG: FfmpegVersion = { major: 99, minor: 0 };

/** ffmpeg 5.1 is the floor: -fps_mode (research/transcode.md §2). */
export const MIN_FFMPEG_VERSION: FfmpegVersion = { major: 5, minor: 1 };

export class LadderTier {
  readonly sessions = new Map<LiveStream, LadderSession>();
  /** Why transcoding is off, when it is (no ffmpeg, too old); undefined when it is available or not asked for. */
  off: string | undefined;
  #ffmpeg: { path: string; version: FfmpegVersion } | undefined;
  readonly #options: TranscodeOptions;
  readonly #hub: ResolvedHubOptions;
  readonly #now: () => number;
  readonly #events: LadderTierEvents;
  /** The packager's segment target of a stream, for the ladder's keyframe-interval watch. */
  segmentTarget: ((stream: LiveStream) => number) | undefined;
  /** Live jobs' ladders, which come before the configured one (job-runtime.ts). */
  jobLadder: ((app: string, streamKey: string) => LadderSpec | undefined) | undefined;

  constructor(options: TranscodeOptions, hub: ResolvedHubOptions, now: () => number, events: LadderTierEvents) {
    this.#options = options;
    this.#hub = hub;
    this.#now = now;
    this.#events = events;
    // A fixed ladder is checked at start, not at the first publish.
    if (typeof options.ladder === 'string' && ladderPreset(options.ladder) === undefined) {
      throw new ConfigError('ERR_CONFIG_INVALID', `option transcode.ladder: no preset is named ${JSON.stringify(options.ladder)} (known: ${Object.keys(LADDER_PRESETS).join(', ')})`, { option: 'transcode.ladder', value: options.ladder });
    } else if (typeof options.ladder === 'object') checkLadderSpec(options.ladder);
  }

  get ffmpeg(): { readonly path: string; readonly version: FfmpegVersion } | undefined {
    return this.#ffmpeg;
  }

  /** Finds ffmpeg and checks its version, when a ladder is configured or `needed` (live jobs may bring one). */
  async init(needed = false): Promise<void> {
    if ((this.#options.ladder === undefined && !needed) || this.#ffmpeg !== undefined) return;
    const path = this.#options.ffmpegPath ?? (await locateFfmpeg())?.path;
    if (path === undefined) {
      this.off = 'no ffmpeg found (FFMPEG_PATH, PATH, @ffmpeg-installer/ffmpeg): transcoding is off';
      return;
    }
    let output: string;
    try {
      output = (await promisify(execFile)(path, ['-hide_banner', '-version'])).stdout;
    } catch (error) {
      this.off = `${path} does not run (${error instanceof Error ? error.message : String(error)}): transcoding is off`;
      return;
    }
    // A build from git names no release: it is newer than any release it would be compared with.
    const version = parseFfmpegVersion(output) ?? UNRELEASED_FFMPEG;
    if (!versionAtLeast(version, MIN_FFMPEG_VERSION)) {
      this.off = `${path} is ffmpeg ${version.major}.${version.minor}; the ladder needs ${MIN_FFMPEG_VERSION.major}.${MIN_FFMPEG_VERSION.minor} or later: transcoding is off`;
      return;
    }
    this.#ffmpeg = { path, version };
  }

  /** The stream the egress packages: the ladder's output when the stream has a ladder, else the stream itself. */
  packaged(stream: LiveStream): LiveStream {
    const existing = this.sessions.get(stream);
    if (existing !== undefined) {
      existing.start();
      return existing.output;
    }
    const spec = this.#ladderOf(stream);
    if (spec === undefined) return stream;
    if (this.#ffmpeg === undefined) {
      this.#events.unavailable?.({ app: stream.app, streamKey: stream.streamKey }, this.off ?? 'transcoding is off');
      return stream;
    }
    const output = new LiveStream(stream.app, stream.streamKey, this.#now(), this.#hub);
    const session = new LadderSession(stream, output, {
      ffmpegPath: this.#ffmpeg.path,
      ffmpegVersion: this.#ffmpeg.version,
      spec,
      videoTrack: (id, config, codec) => (codec === 'hevc' ? hevcTrack(id, config) : avcTrack(id, config)),
      now: this.#now,
      pixelBudget: () => this.#pixelBudgetFor(stream),
      ...(this.segmentTarget === undefined ? {} : { segmentTargetSeconds: this.segmentTarget(stream) }),
      ...(this.#options.maxBacklogSeconds === undefined ? {} : { maxBacklogSeconds: this.#options.maxBacklogSeconds }),
    });
    const name = { app: stream.app, streamKey: stream.streamKey };
    session.on('warning', (message, details) => this.#events.warning(name, message, details));
    session.on('state', (state) => this.#events.state?.(name, state, session.stats()));
    session.on('crash', (message, delayMs) => this.#events.crash?.(name, message, delayMs));
    this.sessions.set(stream, session);
    session.start();
    return output;
  }

  /** The rendition folder of a packaged track: its rung's name. */
  renditionName(stream: LiveStream, track: Track): string | undefined {
    return this.sessions.get(stream)?.renditionName(track);
  }

  stats(stream: LiveStream): LadderStats | undefined {
    return this.sessions.get(stream)?.stats();
  }

  /** Stops the ladder of app/key, if it has one (a stopped job): ffmpeg ends, the output ends. */
  async stop(app: string, streamKey: string): Promise<void> {
    for (const [stream, session] of this.sessions) if (stream.app === app && stream.streamKey === streamKey) await session.stop();
  }

  /** The stream is forgotten: its session stops. */
  async forget(stream: LiveStream): Promise<void> {
    const session = this.sessions.get(stream);
    this.sessions.delete(stream);
    await session?.stop();
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.stop()));
    this.sessions.clear();
  }

  /** The budget left for `stream`'s ladder: the server's, less what the other ladders use. */
  #pixelBudgetFor(stream: LiveStream): number {
    let used = 0;
    for (const [other, session] of this.sessions) if (other !== stream) used += session.pixelsPerSecond;
    return Math.max(0, (this.#options.maxPixelsPerSecond ?? DEFAULT_MAX_PIXELS_PER_SECOND) - used);
  }

  #ladderOf(stream: LiveStream): LadderSpec | undefined {
    const job = this.jobLadder?.(stream.app, stream.streamKey);
    if (job !== undefined) return job;
    const choice = this.#options.ladder;
    const chosen = typeof choice === 'function' ? choice(stream.app, stream.streamKey) : choice;
    if (chosen === undefined) return undefined;
    return typeof chosen === 'string' ? ladderPreset(chosen) : chosen;
  }
}
