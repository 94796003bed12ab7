import { TranscodeError } from '../errors/index.js';
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
 */

export interface JobsOptions {
  /** Where jobs persist: JsonFileJobStore (the CLI's default) or RedisJobStore. */
  store: JobStore;
}

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

  private constructor(service: JobService, control: JobStreamControl) {
    this.service = service;
    this.#control = control;
  }

  static async open(options: JobsOptions, control: JobStreamControl): Promise<JobRuntime> {
    const service = await JobService.open({ store: options.store });
    const runtime = new JobRuntime(service, control);
    // Nothing runs at start: a job that was running waits for its publisher to come back.
    for (const job of service.list({ limit: Number.MAX_SAFE_INTEGER }).jobs) {
      if (job.state === 'running') await service.transition(job.id, 'waiting', 'the server restarted');
    }
    // A listener's rejection would be unhandled: ending a deleted job's stream is best effort, reported nowhere else.
    service.on('delete', (job) => void runtime.#end(job, 'deleted').catch(() => undefined));
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
    this.#enqueue(async () => {
      const current = this.service.get(job.id);
      if (state === 'running' && current.state === 'waiting') await this.service.transition(job.id, 'running', 'ffmpeg is encoding the ladder');
      else if (state === 'waiting' && current.state === 'running') await this.service.transition(job.id, 'waiting', 'the publisher left');
      // The source passes through: the ladder could not be planned for it (e.g. an HEVC source on ffmpeg 5.1).
      else if (state === 'passthrough' && message !== undefined) await this.service.recordError(job.id, message);
    });
  }

  /** The job's ffmpeg crashed: counted, with when it respawns (undefined: at once). */
  crashed(app: string, streamKey: string, message: string, retryAtMs: number | undefined): void {
    const job = this.activeJob(app, streamKey);
    if (job !== undefined) this.#enqueue(() => this.service.recordCrash(job.id, message, retryAtMs));
  }

  /** The job's ladder cannot run at all (transcoding is off): the job fails with why. */
  fail(app: string, streamKey: string, reason: string): void {
    const job = this.activeJob(app, streamKey);
    if (job !== undefined) this.#enqueue(() => this.service.transition(job.id, 'failed', reason));
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

  async #end(job: Job, why: 'stopped' | 'deleted'): Promise<void> {
    const error = new TranscodeError('ERR_TRANSCODE_JOB_STOPPED', `the live job of ${job.app}/${job.streamKey} was ${why}`, { id: job.id });
    await this.#control.endStream(job.app, job.streamKey, error);
  }

  #enqueue(run: () => Promise<unknown>): void {
    // A failed change (the store is down) is on the job's next read; it must not stop the next one.
    this.#queue = this.#queue.then(run).catch(() => undefined);
  }
}
