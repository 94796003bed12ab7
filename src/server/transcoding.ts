import type { FastifyInstance } from 'fastify';
import type { TidecastError } from '../errors/index.js';
import { DEFAULT_SEGMENT_TARGET_SECONDS } from '../cmaf/index.js';
import type { LivePackagerOptions } from '../hls/index.js';
import type { Hub, LiveStream } from '../hub/index.js';
import type { RtmpServer } from '../rtmp/index.js';
import type { LadderStats } from '../transcode/index.js';
import { JobRuntime, type JobsOptions } from './job-runtime.js';
import { registerJobRoutes } from './jobs-api.js';
import { LadderTier, type TranscodeOptions } from './ladder-tier.js';

/**
 * The transcode tier's wiring in the server: the ladders (LadderTier) and the live jobs
 * (JobRuntime and its API), and how they meet — a job's key gets the job's ladder and output
 * options, a laddered stream's state goes into its job, a stopped job's publish is refused and
 * its stream ended. The composition root holds one and calls it at listen, close and publish.
 */

export interface TranscodingDeps {
  readonly hub: Hub;
  readonly rtmp: RtmpServer;
  readonly now: () => number;
  readonly warning: (stream: { app: string; streamKey: string }, message: string, details: Record<string, unknown>) => void;
  /** Closes the RTMP publish of app/key with `error`; ends its playlists now. */
  readonly kick: (app: string, streamKey: string, error: TidecastError) => void;
  readonly endPlaylists: (stream: LiveStream) => Promise<void>;
}

export class Transcoding {
  readonly ladders: LadderTier;
  /** Open from listen() on, when jobs were asked for. */
  jobs: JobRuntime | undefined;
  readonly #jobs: JobsOptions | undefined;
  readonly #deps: TranscodingDeps;

  constructor(options: { transcode?: TranscodeOptions; jobs?: JobsOptions; hls?: Pick<LivePackagerOptions, 'segmentTargetSeconds'> }, deps: TranscodingDeps) {
    this.#deps = deps;
    this.#jobs = options.jobs;
    this.ladders = new LadderTier(options.transcode ?? {}, deps.hub.options, deps.now, {
      warning: deps.warning,
      state: (name, state, stats) => this.jobs?.ladderState(name.app, name.streamKey, state, stats.lastError?.message),
      crash: (name, message, delayMs) => this.jobs?.crashed(name.app, name.streamKey, message, delayMs > 0 ? deps.now() + delayMs : undefined),
      unavailable: (name, reason) => this.jobs?.fail(name.app, name.streamKey, reason),
    });
    this.ladders.segmentTarget = (stream) => this.packagerOptions(stream).segmentTargetSeconds ?? options.hls?.segmentTargetSeconds ?? DEFAULT_SEGMENT_TARGET_SECONDS;
  }

  /** The job API's routes, when jobs were asked for: the control API registers them (they answer 503 until the store is open). */
  jobRoutes(): ((api: FastifyInstance) => void) | undefined {
    if (this.#jobs === undefined) return undefined;
    return (api) => registerJobRoutes(api, { runtime: () => this.jobs, stats: (app, key) => this.stats(app, key), rtmpPort: () => this.#deps.rtmp.address()?.port });
  }

  /** Finds ffmpeg, opens the job store. */
  async open(): Promise<void> {
    await this.ladders.init(this.#jobs !== undefined);
    if (this.#jobs === undefined || this.jobs !== undefined) return;
    this.jobs = await JobRuntime.open(this.#jobs, { endStream: (app, key, error) => this.#endStream(app, key, error) });
    this.ladders.jobLadder = (app, key) => this.jobs?.ladderFor(app, key);
  }

  async close(): Promise<void> {
    await this.ladders.close();
    await this.jobs?.close();
  }

  /** Why a publish of app/key is refused: its job is stopped or failed. */
  refusal(app: string, streamKey: string): string | undefined {
    return this.jobs?.refusal(app, streamKey);
  }

  /** A job's output options (segment duration, low latency) over the server's. */
  packagerOptions(stream: LiveStream): Partial<LivePackagerOptions> {
    return this.jobs?.packagerOptions(stream.app, stream.streamKey) ?? {};
  }

  stats(app: string, streamKey: string): LadderStats | undefined {
    const stream = this.#deps.hub.stream(app, streamKey);
    return stream === undefined ? undefined : this.ladders.stats(stream);
  }

  /** A stopped or deleted job's stream: its publisher closed, its ladder stopped, its playlists ended now. */
  async #endStream(app: string, streamKey: string, error: TidecastError): Promise<void> {
    this.#deps.kick(app, streamKey, error);
    await this.ladders.stop(app, streamKey);
    const stream = this.#deps.hub.stream(app, streamKey);
    if (stream !== undefined) await this.#deps.endPlaylists(stream);
  }
}
