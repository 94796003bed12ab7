import { EventEmitter } from 'eventemitter3';
import { TranscodeError } from '../errors/index.js';
import type { HubItem, LiveStream, Reader } from '../hub/index.js';
import type { AudioTrack, Sample, Track, VideoTrack } from '../media/index.js';
import { ffmpegArgs } from './ffmpeg-args.js';
import { FfmpegProcess, type FfmpegExit } from './ffmpeg-process.js';
import type { FfmpegProgress } from './ffmpeg-progress.js';
import { FlvFeed } from './flv-feed.js';
import { LadderOutput, type OutputRung } from './ladder-output.js';
import { HEVC_FLV_OUTPUT_VERSION, ladderPixelRate, planLadder, versionAtLeast, type LadderPlan, type PlannedRung } from './ladder-plan.js';
import { rungName } from './ladder-spec.js';
import { RestartBackoff } from './restart-backoff.js';
import { RungReader } from './rung-reader.js';
import type { LadderSessionEvents, LadderSessionOptions, LadderState, LadderStats, RungStats } from './ladder-session-types.js';

export type { LadderSessionEvents, LadderSessionOptions, LadderState, LadderStats, RungStats } from './ladder-session-types.js';

/**
 * One stream's ladder (issue 10): the supervisor of its ffmpeg process. It reads the source from
 * the hub, plans the ladder when the sequence headers say which tracks exist, feeds the source's
 * video to ffmpeg as FLV, reads each rung back from its pipe and hands the ladder presentation
 * (copy rung, encoded rungs, the source's audio) to `output`, a hub stream the HLS egress reads
 * instead of the source.
 *
 * - Timestamps are the contract: a rung frame must carry the presentation time of a frame fed to
 *   ffmpeg, and a rung keyframe that of a source keyframe; anything else is counted and reported
 *   as an error, and the frame is not carried.
 * - A new source generation (republish) or new sequence headers (a resolution or codec change)
 *   re-plans: ffmpeg restarts with the new plan, and the output's new tracks are a new generation,
 *   so every playlist gets one EXT-X-DISCONTINUITY.
 * - A crash respawns ffmpeg (at once the first time, then with RestartBackoff's delays), replays
 *   the source from the last keyframe, and drops the rung frames already carried.
 * - The backlog between the hub and ffmpeg is bounded in seconds of media: past it the feed skips
 *   to the next source keyframe and reports it.
 *
 * Over 400 lines on purpose: one state machine around one child process, whose steps (plan,
 * spawn, feed, read back, respawn, finish) share its fields; the pure parts live apart (flv-feed,
 * rung-reader, ladder-output, ladder-plan, ffmpeg-args, restart-backoff, ladder-session-types).
 */

/** A fed frame, kept until every rung has passed it: its arrival time and whether it was a keyframe. */
interface FedFrame {
  readonly arrivedMs: number;
  readonly keyframe: boolean;
}

interface RungRun {
  readonly rung: OutputRung;
  readonly reader: RungReader;
  readonly fd: number;
  /** Presentation time (source ticks) of the last frame carried, across processes. */
  lastPts: number | undefined;
  frames: number;
  keyframes: number;
  q: number | undefined;
  recent: number[];
}

/** Ids of the output's video tracks: after the source's own (1 video, 2 audio in tidecast's ingest). */
const FIRST_RUNG_TRACK_ID = 10;
const LATENCY_SAMPLES = 300;
/**
 * The backlog allowed until a process has caught up: its probe of 32 KiB lasts 10 s of a 26 kb/s
 * source, far below any video worth a ladder; past it a process stuck at startup is no longer fed.
 */
const MAX_STARTUP_BACKLOG_SECONDS = 10;

export class LadderSession extends EventEmitter<LadderSessionEvents> {
  /** The ladder presentation: what the packager reads. */
  readonly output: LiveStream;
  readonly #source: LiveStream;
  readonly #options: LadderSessionOptions;
  readonly #backoff: RestartBackoff;
  readonly #ids = new Map<string, number>();
  #reader: Reader | undefined;
  #state: LadderState = 'waiting';
  #plan: LadderPlan | undefined;
  #ladder: LadderOutput | undefined;
  #video: VideoTrack | undefined;
  #audio: AudioTrack | undefined;
  #runs: RungRun[] = [];
  #process: FfmpegProcess | undefined;
  #feed: FlvFeed | undefined;
  /** Video samples since the last source keyframe: what a respawned ffmpeg is fed first. */
  #gop: Sample[] = [];
  #fed = new Map<number, FedFrame>();
  /** Feeding is suspended until the next keyframe (after a backlog skip, or before the first). */
  #skipToKeyframe = true;
  /** The current process has written a rung frame: its probe is done (see #backlogLimitSeconds). */
  #producing = false;
  /** ... and has since been within maxBacklogSeconds once. */
  #caughtUp = false;
  #respawnTimer: NodeJS.Timeout | undefined;
  /** The delay #respawnTimer was set with. */
  #respawnDelayMs = 0;
  #latencies: number[] = [];
  /** Rung frames carried, all rungs: where the next latency goes in the ring. */
  #frameCount = 0;
  #ffmpegFps: number | undefined;
  #restarts = 0;
  /** When the last crash was seen, until the respawned process's first rung frame. */
  #crashedAtMs: number | undefined;
  #respawnToFirstFrameMs: number | undefined;
  #ptsMismatches = 0;
  #backlogSkips = 0;
  #lastError: { message: string; atMs: number } | undefined;
  #stopped = false;
  #outputStarted = false;
  /** Processes ended for a failure of ours (a broken pipe, a refused sample, killProcess): crashes, not stops. */
  readonly #failed = new WeakSet<FfmpegProcess>();
  /** The source's tracks, for a re-plan within the same generation (added keyframes). */
  #sourceTracks: readonly Track[] = [];
  /** Set once the source's keyframes proved too far apart: the plan adds keyframes. */
  #addKeyframes: { everySeconds: number; sourceGopSeconds: number } | undefined;
  /** The last source keyframe's pts, to measure the source's keyframe interval. */
  #lastKeyPts: number | undefined;
  /** Counts 'tracks' items: a finish that outlived its generation does nothing. */
  #epoch = 0;

  constructor(source: LiveStream, output: LiveStream, options: LadderSessionOptions) {
    super();
    this.#source = source;
    this.output = output;
    this.#options = options;
    this.#backoff = options.backoff ?? new RestartBackoff();
  }

  get state(): LadderState {
    return this.#state;
  }

  /** The rendition folder of an output track: its rung's name (audio keeps the default). */
  renditionName(track: Track): string | undefined {
    for (const [name, id] of this.#ids) if (id === track.id) return name;
    return undefined;
  }

  /** Reads the source from its live edge (a stream that is already live joins at its GOP cache). */
  start(): void {
    if (this.#reader !== undefined && !this.#reader.closed) return;
    this.#stopped = false;
    const reader = this.#source.subscribe({ startWith: 'gop', maxQueuedBytes: 256 * 1024 * 1024 });
    this.#reader = reader;
    const drain = (): void => {
      for (const item of reader.drain()) this.#item(item);
    };
    reader.onReadable(drain);
    drain();
  }

  /** Stops ffmpeg (stdin closed, SIGKILL after the bound) and ends the output; the session can start() again. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#reader?.close();
    this.#reader = undefined;
    this.#cancelRespawn();
    await this.#stopProcess();
    this.#endOutput();
    this.#setState('stopped');
  }

  stats(): LadderStats {
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const nowMs = this.#options.now();
    const copyRung = this.#ladder?.rungs.find((r) => r.plan.kind === 'copy');
    const sourceVideo = this.#source.counters.tracks.find((t) => t.kind === 'video');
    const rungs: RungStats[] = (this.#ladder?.rungs ?? []).map((r) => {
      const run = this.#runs.find((x) => x.rung === r);
      const copy = r === copyRung;
      return {
        name: r.plan.name,
        kind: r.plan.kind,
        width: copy ? this.#video?.width : (r.track?.width ?? r.plan.width),
        height: copy ? this.#video?.height : (r.track?.height ?? r.plan.height),
        fps: copy ? (this.#source.rates(nowMs).frameRate ?? 0) : (run?.recent.filter((t) => nowMs - t <= 1000).length ?? 0),
        // The copy rung is the source's video: the hub counts its frames (this publish's).
        frames: copy ? (sourceVideo?.samples ?? 0) : (run?.frames ?? 0),
        keyframes: copy ? (sourceVideo?.keyframes ?? 0) : (run?.keyframes ?? 0),
        q: run?.q,
      };
    });
    return {
      state: this.#state,
      plan: this.#plan === undefined ? undefined : { rungs: this.#plan.rungs.map((r) => r.name), dropped: this.#plan.dropped },
      rungs,
      pid: this.#process?.pid,
      ffmpegFps: this.#ffmpegFps,
      restarts: this.#restarts,
      crashes: this.#backoff.crashes,
      // The wait that runs, not RestartBackoff's nextDelayMs: after crashed() that is already the
      // delay of the streak's next crash (twice the one pending).
      backoffMs: this.#respawnTimer === undefined ? 0 : this.#respawnDelayMs,
      ptsMismatches: this.#ptsMismatches,
      backlogSkips: this.#backlogSkips,
      latencyMs: sorted.length === 0 ? undefined : sorted[Math.floor(sorted.length / 2)],
      latencyP95Ms: sorted.length === 0 ? undefined : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))],
      respawnToFirstFrameMs: this.#respawnToFirstFrameMs,
      lastError: this.#lastError,
    };
  }

  /** SIGKILLs ffmpeg now, as a crash would (tests and the bench use it to measure the respawn). */
  killProcess(): void {
    const process = this.#process;
    if (process !== undefined) this.#fail(process);
  }

  /** What this ladder's ffmpeg costs the server's transcode budget now (0 when none runs). */
  get pixelsPerSecond(): number {
    const video = this.#video;
    if (video === undefined || this.#plan === undefined || this.#state === 'waiting' || this.#state === 'stopped' || this.#state === 'passthrough') return 0;
    return ladderPixelRate(this.#plan.rungs, video);
  }

  /** Ends `process` for a failure of ours: its exit is a crash, respawned as one. */
  #fail(process: FfmpegProcess): void {
    this.#failed.add(process);
    process.kill();
  }

  #item(item: HubItem): void {
    if (item.type === 'tracks') {
      this.#addKeyframes = undefined;
      this.#tracks(item.tracks);
    }
    else if (item.type === 'sample') this.#sample(item.sample);
    else void this.#finish();
  }

  /**
   * The publisher left: ffmpeg gets EOF and writes out the frames it still holds, which are
   * carried, then the output ends (bounded by stopTimeoutMs). Unless new tracks came meanwhile.
   */
  async #finish(): Promise<void> {
    const epoch = this.#epoch;
    // A respawn pending in backoff was for the source that left: left to fire, it started an
    // ffmpeg nobody fed or stopped until the stream was forgotten (a minute by default).
    this.#cancelRespawn();
    const process = this.#process;
    if (process !== undefined) await process.stop();
    if (epoch !== this.#epoch) return;
    this.#process = undefined;
    this.#feed = undefined;
    this.#endOutput();
    this.#setState('waiting');
  }

  /** New tracks (a publish, a republish, new sequence headers): plan the ladder again. */
  #tracks(tracks: readonly Track[]): void {
    this.#epoch += 1;
    this.#sourceTracks = tracks;
    this.#lastKeyPts = undefined;
    void this.#stopProcess();
    this.#cancelRespawn();
    this.#video = tracks.find((t): t is VideoTrack => t.kind === 'video');
    this.#audio = tracks.find((t): t is AudioTrack => t.kind === 'audio');
    this.#gop = [];
    this.#fed.clear();
    // lastPts guards a respawn of the same source against frames already carried; a new source
    // generation's clock may start again (a republish starts from 0), and a guard kept across it
    // dropped every rung frame until the new clock passed the old one.
    for (const run of this.#runs) run.lastPts = undefined;
    this.#skipToKeyframe = true;
    const video = this.#video;
    let plan: LadderPlan;
    try {
      plan = planLadder(this.#options.spec, {
        ...(video === undefined ? {} : { video: { codec: video.codec === 'hevc' ? 'hevc' : 'avc', width: video.width, height: video.height, ...(video.frameRate === undefined ? {} : { frameRate: video.frameRate }) } }),
        ...(this.#audio === undefined ? {} : { audio: { codec: this.#audio.codec } }),
      }, this.#options.ffmpegVersion, {
        ...(this.#options.pixelBudget === undefined ? {} : { maxPixelsPerSecond: this.#options.pixelBudget() }),
        ...(this.#addKeyframes === undefined ? {} : { addKeyframes: this.#addKeyframes }),
      });
      if (video !== undefined && video.codec !== 'avc' && plan.rungs.some((r) => r.kind === 'encode') && !versionAtLeast(this.#options.ffmpegVersion, HEVC_FLV_OUTPUT_VERSION)) {
        const { major, minor } = this.#options.ffmpegVersion;
        throw new TranscodeError('ERR_TRANSCODE_UNSUPPORTED', `ffmpeg ${major}.${minor} cannot read ${video.codec} in FLV (6.1 can): this source passes through without a ladder`, { codec: video.codec });
      }
    } catch (error) {
      this.#error(error instanceof Error ? error.message : String(error));
      plan = { rungs: video === undefined ? [] : [this.#sourceRung(video)], audio: this.#audio === undefined ? { kind: 'none' } : { kind: 'passthrough' }, dropped: [] };
    }
    if (video !== undefined && plan.rungs.length === 0) {
      // Every rung was above the source (or over the budget): the source itself is the ladder, never an upscale.
      plan = { ...plan, rungs: [this.#sourceRung(video)] };
      this.emit('warning', 'no rung can run for this source; the source passes through alone', { dropped: plan.dropped });
    }
    for (const d of plan.dropped) this.emit('warning', `rung ${d.name} left out: ${d.reason}`, { rung: d.name });
    this.#plan = plan;
    const rungs: OutputRung[] = plan.rungs.map((p) => ({ plan: p, id: this.#idOf(p.name), track: undefined }));
    if (this.#outputStarted) this.output.beginPublish(this.#options.now(), false);
    this.#outputStarted = true;
    this.#ladder = new LadderOutput(this.output, { video, audio: this.#audio }, rungs);
    const encodes = rungs.filter((r) => r.plan.kind === 'encode');
    this.#setState(encodes.length === 0 ? 'passthrough' : 'starting');
    if (encodes.length > 0) this.#spawn();
  }

  /** The copy rung the source passes through as when no plan runs: the spec's copy rung's name, else 'source'. */
  #sourceRung(video: VideoTrack): PlannedRung {
    const copy = this.#options.spec.rungs.find((r) => r.codec === 'copy');
    return { kind: 'copy', name: copy === undefined ? 'source' : rungName(copy), width: video.width, height: video.height, frameRate: video.frameRate };
  }

  /**
   * Measures the source's keyframe interval; the first one over 1.25 segment targets plans the
   * ladder again with keyframes added (when it has full-rate encoded rungs), from this keyframe on.
   */
  #watchGop(sample: Sample): void {
    const target = this.#options.segmentTargetSeconds;
    const video = this.#video;
    if (!sample.keyframe || video === undefined || sample.trackId !== video.id) return;
    const last = this.#lastKeyPts;
    this.#lastKeyPts = sample.pts;
    if (target === undefined || last === undefined || this.#addKeyframes !== undefined) return;
    const gop = (sample.pts - last) / video.timescale;
    if (gop <= target * 1.25 || !this.#plan?.rungs.some((r) => r.kind === 'encode' && r.frameRateDivisor === 1)) return;
    this.#addKeyframes = { everySeconds: target, sourceGopSeconds: gop };
    this.emit('warning', `the source's keyframes are ${gop.toFixed(1)} s apart, over the ${target} s segment target: keyframes are added to the encoded rungs`, { sourceGopSeconds: gop });
    this.#tracks(this.#sourceTracks);
    this.#lastKeyPts = sample.pts;
  }

  #sample(sample: Sample): void {
    this.#watchGop(sample);
    const ladder = this.#ladder;
    if (ladder === undefined) return;
    const nowMs = this.#options.now();
    ladder.source(sample, nowMs);
    if (this.#video === undefined || sample.trackId !== this.#video.id || this.#plan?.rungs.every((r) => r.kind === 'copy') === true) return;
    if (sample.keyframe) this.#gop = [sample];
    else if (this.#gop.length > 0) this.#gop.push(sample);
    this.#feedFrame(sample, nowMs);
  }

  /** `replaying`: the GOP a respawned ffmpeg starts from, fed at once (no backlog check). */
  #feedFrame(sample: Sample, nowMs: number, replaying = false): void {
    const process = this.#process;
    const feed = this.#feed;
    if (process === undefined || feed === undefined) return;
    if (this.#skipToKeyframe) {
      if (!sample.keyframe) return;
      this.#skipToKeyframe = false;
    }
    if (!feed.exact(sample.pts) || !feed.exact(sample.dts)) {
      this.#error(`a source frame at ${sample.pts} ticks is not on the millisecond grid the FLV feed carries`);
      return;
    }
    const backlogSeconds = replaying ? 0 : this.#backlogSeconds(sample);
    if (backlogSeconds > this.#backlogLimitSeconds(backlogSeconds)) {
      this.#backlogSkips += 1;
      this.#skipToKeyframe = true;
      this.emit('warning', 'ffmpeg fell behind the source: skipping to the next keyframe', { backlogSeconds });
      return;
    }
    this.#fed.set(sample.pts, { arrivedMs: nowMs, keyframe: sample.keyframe });
    process.write(feed.frame(sample));
  }

  /**
   * maxBacklogSeconds once the process has caught up: written a frame, and been within the bound
   * since. Before, ffmpeg reads its probe (-probesize 32768: 1.7 s of a 150 kb/s source) and then
   * encodes what it held; a skip then starved the very read it waited on, and the rungs lost a GOP
   * or, in a short publish, everything up to its end.
   */
  #backlogLimitSeconds(backlogSeconds: number): number {
    const limit = this.#options.maxBacklogSeconds ?? 2;
    if (!this.#caughtUp && this.#producing && backlogSeconds <= limit) this.#caughtUp = true;
    return this.#caughtUp ? limit : Math.max(limit, MAX_STARTUP_BACKLOG_SECONDS);
  }

  /** Source media time between this frame and the oldest frame not yet out of every rung. */
  #backlogSeconds(sample: Sample): number {
    const video = this.#video!;
    const oldest = this.#fed.keys().next();
    return oldest.done === true ? 0 : (sample.pts - oldest.value) / video.timescale;
  }

  #spawn(): void {
    const plan = this.#plan!;
    const video = this.#video!;
    this.#respawnTimer = undefined;
    const command = ffmpegArgs(plan, { version: this.#options.ffmpegVersion, progress: true });
    const replay = this.#gop;
    const feed = new FlvFeed(video);
    const process = new FfmpegProcess({
      path: this.#options.ffmpegPath,
      args: command.args,
      outputFds: command.outputs.map((o) => o.fd),
      ...(command.progressFd === undefined ? {} : { progressFd: command.progressFd }),
      ...(this.#options.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: this.#options.stopTimeoutMs }),
    });
    const previous = new Map(this.#runs.map((r) => [r.rung.plan.name, r]));
    this.#runs = command.outputs.map((o) => {
      const rung = this.#ladder!.rungs.find((r) => r.plan.name === o.name)!;
      const before = previous.get(o.name);
      return { rung, reader: new RungReader(o.name), fd: o.fd, lastPts: before?.lastPts, frames: before?.frames ?? 0, keyframes: before?.keyframes ?? 0, q: undefined, recent: [] };
    });
    this.#process = process;
    this.#feed = feed;
    // What a handler throws (a hub refusing a sample) ends this process, never the server.
    const guard = (run: () => void): void => {
      try {
        run();
      } catch (error) {
        this.#error(error instanceof Error ? error.message : String(error));
        this.#fail(process);
      }
    };
    process.on('output', (fd, chunk) => guard(() => this.#output(process, fd, chunk)));
    process.on('progress', (p) => guard(() => this.#progress(process, p)));
    process.on('exit', (exit) => this.#exit(process, exit));
    process.write(feed.start());
    this.#fed.clear();
    this.#skipToKeyframe = replay.length === 0;
    this.#producing = false;
    this.#caughtUp = false;
    const nowMs = this.#options.now();
    for (const sample of replay) this.#feedFrame(sample, nowMs, true);
  }

  #output(process: FfmpegProcess, fd: number, chunk: Buffer): void {
    if (process !== this.#process) return;
    const run = this.#runs.find((r) => r.fd === fd);
    if (run === undefined) return;
    let events;
    try {
      events = run.reader.push(chunk);
    } catch (error) {
      this.#error(`rung ${run.rung.plan.name}: ${error instanceof Error ? error.message : String(error)}`);
      this.#fail(process);
      return;
    }
    const nowMs = this.#options.now();
    for (const event of events) {
      if (event.kind === 'config') {
        const current = run.rung.track;
        if (current === undefined || !sameBytes(current.decoderConfig, event.config)) {
          const track = this.#options.videoTrack(run.rung.id, event.config, event.codec);
          // A respawned ffmpeg of the same plan writes the same SPS but for its VUI timing, which
          // comes from ffmpeg's guess of the input's frame rate from what it probed (a 30 fps
          // source: 1/60 from the first process, 1001/60000 from a respawn): keeping the first
          // configuration carries its frames on in the same generation, where a new one cost every
          // playlist a DISCONTINUITY and each rung its frames up to the next keyframe.
          if (current === undefined || !sameDecoding(current, track)) this.#ladder!.rungTrack(run.rung, track, nowMs);
        }
        if (this.#state === 'starting') this.#setState('running');
        continue;
      }
      this.#producing = true;
      this.#rungFrame(run, this.#feed!.sourcePts(event.ptsMs), event.keyframe, event.data, nowMs);
    }
  }

  #rungFrame(run: RungRun, pts: number, keyframe: boolean, data: Uint8Array, nowMs: number): void {
    // A respawned ffmpeg re-encodes the GOP it was replayed: what was carried already stays.
    if (run.lastPts !== undefined && pts <= run.lastPts) return;
    const fed = this.#fed.get(pts);
    // With added keyframes (a long source GOP) a rung keyframe falls where ffmpeg was told, not on a source keyframe.
    if (fed === undefined || (keyframe && !fed.keyframe && this.#plan?.addedKeyframes === undefined)) {
      this.#ptsMismatches += 1;
      this.#error(`rung ${run.rung.plan.name}: a ${keyframe ? 'keyframe' : 'frame'} at ${pts} ticks matches no ${keyframe ? 'source keyframe' : 'source frame'}`);
      return;
    }
    run.lastPts = pts;
    run.frames += 1;
    if (this.#crashedAtMs !== undefined) {
      this.#respawnToFirstFrameMs = nowMs - this.#crashedAtMs;
      this.#crashedAtMs = undefined;
    }
    if (keyframe) run.keyframes += 1;
    run.recent.push(nowMs);
    while (run.recent.length > 0 && nowMs - run.recent[0]! > 1000) run.recent.shift();
    // A ring of the last LATENCY_SAMPLES: no array shift per rung frame.
    if (this.#latencies.length < LATENCY_SAMPLES) this.#latencies.push(nowMs - fed.arrivedMs);
    else this.#latencies[this.#frameCount % LATENCY_SAMPLES] = nowMs - fed.arrivedMs;
    this.#frameCount += 1;
    // Dated by its source frame's arrival, as the copy rung and the audio are: PROGRAM-DATE-TIME is the same in every rung.
    if (this.#ladder?.anchored === true) this.#ladder.rungFrame(run.rung, pts, keyframe, data, fed.arrivedMs);
    this.#forget();
  }

  /** Fed frames every rung has passed are no longer needed for the checks. */
  #forget(): void {
    let oldest = Number.POSITIVE_INFINITY;
    for (const run of this.#runs) oldest = Math.min(oldest, run.lastPts ?? Number.NEGATIVE_INFINITY);
    for (const pts of this.#fed.keys()) {
      if (pts >= oldest) break;
      this.#fed.delete(pts);
    }
  }

  #progress(process: FfmpegProcess, progress: FfmpegProgress): void {
    if (process !== this.#process) return;
    // With -copyts on pipes ffmpeg 5.1 reports speed 0x and out_time 0: frames are the signal.
    this.#ffmpegFps = progress.fps;
    for (const s of progress.streams) {
      const run = this.#runs[s.file];
      if (run !== undefined) run.q = s.q;
    }
    if (progress.frame !== undefined && progress.frame > 0) this.#backoff.healthy(this.#options.now());
  }

  #exit(process: FfmpegProcess, exit: FfmpegExit): void {
    if (process !== this.#process) return;
    this.#process = undefined;
    this.#feed = undefined;
    if ((exit.stopped && !this.#failed.has(process)) || this.#stopped) return;
    const why = exit.spawnError?.message ?? `ffmpeg exited (${exit.signal ?? `code ${exit.code}`}): ${exit.stderrTail.slice(-3).join(' | ')}`;
    this.#error(why);
    this.#restarts += 1;
    this.#crashedAtMs = this.#options.now();
    const delay = this.#backoff.crashed(this.#options.now());
    this.emit('warning', 'ffmpeg crashed; respawning', { delayMs: delay, crashes: this.#backoff.crashes, reason: why });
    if (delay === 0) {
      this.emit('crash', why, 0);
      this.#spawn();
      return;
    }
    this.#respawnDelayMs = delay;
    this.emit('crash', why, delay);
    this.#setState('backoff');
    this.#respawnTimer = setTimeout(() => {
      this.#setState('starting');
      this.#spawn();
    }, delay);
    this.#respawnTimer.unref();
  }

  /** Calls off a respawn pending in backoff; stats then say no wait (backoffMs 0). */
  #cancelRespawn(): void {
    clearTimeout(this.#respawnTimer);
    this.#respawnTimer = undefined;
  }

  async #stopProcess(): Promise<void> {
    const process = this.#process;
    this.#process = undefined;
    this.#feed = undefined;
    if (process === undefined) return;
    await process.stop();
  }

  #endOutput(): void {
    if (this.output.state === 'live' && this.#outputStarted) this.output.applyEnd(this.#options.now());
  }

  #idOf(name: string): number {
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = FIRST_RUNG_TRACK_ID + this.#ids.size;
      this.#ids.set(name, id);
    }
    return id;
  }

  #error(message: string): void {
    this.#lastError = { message, atMs: this.#options.now() };
    this.emit('warning', message, {});
  }

  #setState(state: LadderState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.emit('state', state);
  }
}

/**
 * Whether frames coded for `b` decode with `a`'s configuration: the same codec, profile and level,
 * size and aspect, as the same ffmpeg arguments give for the same source. What is left to differ
 * (the VUI's timing and frame rate) does not take part in decoding (ISO/IEC 14496-10 Annex E).
 */
function sameDecoding(a: VideoTrack, b: VideoTrack): boolean {
  return a.codec === b.codec && a.codecString === b.codecString && a.width === b.width && a.height === b.height && a.sarWidth === b.sarWidth && a.sarHeight === b.sarHeight;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
