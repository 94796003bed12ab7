import { TranscodeError, isTidecastError } from '../errors/index.js';
import type { LivePackagerOptions } from '../hls/index.js';
import { JobService, type Job, type JobStore, type LadderSpec, type LadderState } from '../transcode/index.js';

/**
 * Live jobs in the server (issue 10, the job API learned from ezLiveStreaming): a job is a stream
 * key with its own ladder and output options. Its publish runs that ladder; stop ends ffmpeg and
 * the playlists and keeps the job (its key is refused until resume); delete does the same and
 * forgets it. The JobService persists every change (a JSON state file or Redis); this runtime
 * follows each laddered stream's state into its job: running while ffmpeg runs, waiting while no
 * publisher is there, crashes and back-off as they happen. After a restart, jobs that were running
 * wait for their publisher again, with the same key and URLs.
 *
 * Several origins sharing a store (docs/cluster.md "Jobs across origins"): every origin knows every
 * job (its publish can land anywhere, and runs the job's ladder there), and the job's running state
 * is written by one origin only, the one running its ladder:
 * - `running` is written by the origin whose ladder gave its first rung; it remembers the history
 *   event it wrote, and is the job's runner while that event is the job's last `running` one.
 * - The publisher left, a crash, an error: written only when this origin is the runner, or when no
 *   origin is (the job is not running). An origin whose publish was taken over, or that wakes from a
 *   pause, finds a newer runner's `running` in the store and writes nothing: each write is decided on
 *   the job as stored (the service's compare-and-set), not on a copy.
 * - A publish that lands here while the job is `running` elsewhere (that origin died, or its
 *   publisher moved) takes the job over: `waiting` ("the publisher moved to another origin"), then
 *   `running` when the ladder here gives its first rung. The job's URLs do not name an origin.
 * - Another origin's stop or delete ends the job's stream here when it is published here.
 * - At open, `running` jobs are left as they are (their ladder may run on another origin).
 */

export interface JobsOptions {
  /** Where jobs persist: JsonFileJobStore (the CLI's default) or RedisJobStore. */
  store: JobStore;
  /**
   * Other servers run this store's jobs too (the origins of a cluster): a `running` job found at
   * open is left as it is, not made `waiting`, since its ladder may run on another origin. Default
   * false: one server, whose running jobs wait for their publisher again after a restart.
   */
  shared?: boolean;
}

/** How long an origin waits at start for a shared job store it cannot reach (then listen() fails, as for one server). */
export const SHARED_OPEN_WAIT_MS = 10_000;

/** The reason of the `waiting` a publish on this origin writes over another origin's `running`. */
export const LADDER_MOVED_REASON = 'the publisher moved to another origin';

/** What the runtime asks of the server to end a job's stream. */
export interface JobStreamControl {
  /** Closes the RTMP publish of app/key (the publisher hears why), stops its ladder and ends its playlists now. */
  endStream(app: string, streamKey: string, error: TranscodeError): Promise<void>;
}

export class JobRuntime {
  readonly service: JobService;
  readonly #control: JobStreamControl;
  /** Job changes are made one after another, in the order the events came. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Job id → the time of the `running` history event this origin wrote: the runner while it is the job's last. */
  readonly #ranAt = new Map<string, number>();

  private constructor(service: JobService, control: JobStreamControl) {
    this.service = service;
    this.#control = control;
  }

  static async open(options: JobsOptions, control: JobStreamControl): Promise<JobRuntime> {
    const service = await openService(options);
    const runtime = new JobRuntime(service, control);
    // Nothing runs at start: a job that was running waits for its publisher to come back (unless other origins may run it).
    if (options.shared !== true) {
      for (const job of service.list({ limit: Number.MAX_SAFE_INTEGER }).jobs) {
        if (job.state === 'running') await service.transition(job.id, 'waiting', 'the server restarted');
      }
    }
    // A listener's rejection would be unhandled: ending a deleted job's stream is best effort, reported nowhere else.
    service.on('delete', (job) => void runtime.#end(job, 'deleted').catch(() => undefined));
    // Another origin's stop (through its API) ends the stream here, if it is published here.
    service.on('change', (job, origin) => {
      if (origin === 'remote' && job.state === 'stopped') void runtime.#end(job, 'stopped').catch(() => undefined);
      if (origin === 'remote' && runtime.#ranAt.has(job.id) && job.state !== 'running') runtime.#ranAt.delete(job.id);
    });
    return runtime;
  }

  /** The job of a stream key that may run: waiting or running. */
  activeJob(app: string, streamKey: string): Job | undefined {
    const job = this.service.byStreamKey(app, streamKey);
    return job !== undefined && (job.state === 'waiting' || job.state === 'running') ? job : undefined;
  }

  ladderFor(app: string, streamKey: string): LadderSpec | undefined {
    return this.activeJob(app, streamKey)?.spec.ladder;
  }

  /** A job's output options for its stream's packager. */
  packagerOptions(app: string, streamKey: string): Partial<Pick<LivePackagerOptions, 'segmentTargetSeconds' | 'lowLatency'>> {
    const output = this.service.byStreamKey(app, streamKey)?.spec.output;
    return {
      ...(output?.segmentSeconds === undefined ? {} : { segmentTargetSeconds: output.segmentSeconds }),
      ...(output?.lowLatency === undefined ? {} : { lowLatency: output.lowLatency }),
    };
  }

  /** Why a publish of this key is refused: its job is stopped or failed. */
  refusal(app: string, streamKey: string): string | undefined {
    const job = this.service.byStreamKey(app, streamKey);
    if (job === undefined || job.state === 'waiting' || job.state === 'running' || job.state === 'created') return undefined;
    return `the live job of this stream key is ${job.state}; resume it first`;
  }

  /** A laddered stream's state changed; its job follows (`message`: the ladder's last error). */
  ladderState(app: string, streamKey: string, state: LadderState, message: string | undefined): void {
    const job = this.activeJob(app, streamKey);
    if (job === undefined) return;
    const id = job.id;
    const service = this.service;
    this.#enqueue(async () => {
      if (state === 'starting' || state === 'passthrough') {
        // The publish is here now: a `running` of another origin (dead, or fenced by this publish) is over.
        await service.transition(id, 'waiting', LADDER_MOVED_REASON, (stored) => stored.state === 'running' && !this.#runs(stored));
      }
      if (state === 'running') {
        let wrote = false;
        const running = await service.transition(id, 'running', 'ffmpeg is encoding the ladder', (stored) => (wrote = stored.state === 'waiting'));
        if (wrote) this.#ranAt.set(id, lastRunningAt(running) ?? -1);
      } else if (state === 'waiting') {
        await service.transition(id, 'waiting', 'the publisher left', (stored) => stored.state === 'running' && this.#runs(stored));
        this.#ranAt.delete(id);
      } else if (state === 'passthrough' && message !== undefined) {
        // The source passes through: the ladder could not be planned for it (e.g. an HEVC source on ffmpeg 5.1).
        await service.recordError(id, message, (stored) => !this.#runsElsewhere(stored));
      }
    });
  }

  /** The job's ffmpeg crashed: counted, with when it respawns (undefined: at once). */
  crashed(app: string, streamKey: string, message: string, retryAtMs: number | undefined): void {
    const job = this.activeJob(app, streamKey);
    if (job !== undefined) this.#enqueue(() => this.service.recordCrash(job.id, message, retryAtMs, (stored) => !this.#runsElsewhere(stored)));
  }

  /** The job's ladder cannot run at all (transcoding is off): the job fails with why. */
  fail(app: string, streamKey: string, reason: string): void {
    const job = this.activeJob(app, streamKey);
    if (job !== undefined) this.#enqueue(() => this.service.transition(job.id, 'failed', reason, (stored) => !this.#runsElsewhere(stored)));
  }

  async stop(id: string): Promise<Job> {
    const job = await this.service.stop(id);
    await this.#end(job, 'stopped');
    return job;
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.service.close();
  }

  /** Whether this origin wrote the stored job's current `running`. */
  #runs(stored: Job): boolean {
    const at = this.#ranAt.get(stored.id);
    return stored.state === 'running' && at !== undefined && lastRunningAt(stored) === at;
  }

  /** Whether the stored job is `running` by another origin's write. */
  #runsElsewhere(stored: Job): boolean {
    return stored.state === 'running' && !this.#runs(stored);
  }

  async #end(job: Job, why: 'stopped' | 'deleted'): Promise<void> {
    const error = new TranscodeError('ERR_TRANSCODE_JOB_STOPPED', `the live job of ${job.app}/${job.streamKey} was ${why}`, { id: job.id });
    await this.#control.endStream(job.app, job.streamKey, error);
  }

  #enqueue(run: () => Promise<unknown>): void {
    // A failed change (the store is down) is on the job's next read; it must not stop the next one.
    this.#queue = this.#queue.then(run).catch(() => undefined);
  }
}

/**
 * The service over the store; a shared store that cannot be reached yet (Redis starting beside the
 * origins, or restarting) is tried again every 500 ms for SHARED_OPEN_WAIT_MS before listen() fails.
 */
async function openService(options: JobsOptions): Promise<JobService> {
  const deadline = performance.now() + (options.shared === true ? SHARED_OPEN_WAIT_MS : 0);
  for (;;) {
    try {
      return await JobService.open({ store: options.store });
    } catch (err) {
      if (!isTidecastError(err) || err.code !== 'ERR_TRANSCODE_JOB_STORE_UNAVAILABLE' || performance.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** When the job last became `running` (its history's last such event), if it is in the history. */
function lastRunningAt(job: Job): number | undefined {
  for (let i = job.history.length - 1; i >= 0; i--) if (job.history[i]!.state === 'running') return job.history[i]!.atMs;
  return undefined;
}
