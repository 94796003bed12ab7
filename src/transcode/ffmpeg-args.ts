import { versionAtLeast, type FfmpegVersion, type LadderPlan, type PlannedEncode } from './ladder-plan.js';

/**
 * The ffmpeg command of a planned ladder, as an argv (no shell ever sees it). One process, one
 * decode: FLV on stdin, a split into each encoded rung's scale, each rung's FLV on its own pipe
 * (fd 3, 4, … in plan order), and, only when the source audio is not AAC, the one AAC encode on
 * the next fd. A copy rung and AAC audio never go through ffmpeg: our packager serves them from
 * the source. The options are those research/transcode.md measured on ffmpeg 5.1.9 to keep every
 * rung's IDRs on the source's keyframes and every frame's PTS equal to the source's:
 *
 * - `-probesize 32768 -analyzeduration 0`: first rung frame ~0.2 s after spawn instead of ~1.4 s;
 *   no `-fflags nobuffer`, which dropped the first GOP;
 * - `-copyts`: the source's timestamps, not rebased to the input's start;
 * - `-force_key_frames source -forced-idr 1`, `-g`/`-keyint_min` far apart and `-sc_threshold 0`
 *   (x265: `keyint`, `min-keyint`, `scenecut=0`, `open-gop=0`): IDRs exactly at the source's
 *   keyframes and nowhere else;
 * - `-tune zerolatency`: no B-frames (which shifted the FLV output by 67 ms), no lookahead
 *   (steady latency 110 ms instead of 710 ms);
 * - `-fps_mode passthrough -enc_time_base -1` (`demux` from 6.1, where the value was renamed):
 *   one frame out per frame in, at the input's timestamps (the default time base rounded 320 of
 *   360 jittered frames);
 * - a frame-rate divisor n selects every n-th frame and every keyframe, so no source keyframe is lost.
 */

/**
 * -g and -keyint_min: far beyond any GOP a source may have, so only the forced keyframes are IDRs.
 * The lab's 600 was not: a source whose keyframes were 700 frames apart (the server allows 30 s)
 * got an encoder IDR at frame 600, a keyframe no source keyframe matched. 1 000 000 frames is over
 * nine hours at 30 fps.
 */
export const ENCODER_GOP_FRAMES = 1_000_000;

export interface FfmpegArgsOptions {
  readonly version: FfmpegVersion;
  /** -loglevel; default 'warning' (the supervisor logs what ffmpeg says). */
  readonly logLevel?: string;
  /**
   * Ask for `-progress` key=value blocks on the pipe after the outputs (`progressFd`), which the
   * supervisor turns into speed and per-rung quantizer figures. Default false.
   */
  readonly progress?: boolean;
}

/** An output pipe of the command: which fd carries what. */
export interface FfmpegOutput {
  readonly fd: number;
  /** The rung's name, or 'audio'. */
  readonly name: string;
}

export interface FfmpegCommand {
  readonly args: readonly string[];
  /** The pipes ffmpeg writes, in fd order (3 first); empty when nothing needs ffmpeg. */
  readonly outputs: readonly FfmpegOutput[];
  /** The pipe of the -progress blocks, when asked for. */
  readonly progressFd?: number;
}

/** The argv of `plan` (without the executable), and the pipe each output goes to. */
export function ffmpegArgs(plan: LadderPlan, options: FfmpegArgsOptions): FfmpegCommand {
  const encodes = plan.rungs.filter((r): r is PlannedEncode => r.kind === 'encode');
  const audioEncode = plan.audio.kind === 'encode' ? plan.audio : undefined;
  if (encodes.length === 0 && audioEncode === undefined) return { args: [], outputs: [] };
  const args = ['-hide_banner', '-nostdin', '-loglevel', options.logLevel ?? 'warning', '-probesize', '32768', '-analyzeduration', '0', '-f', 'flv', '-i', 'pipe:0', '-copyts'];
  const outputs: FfmpegOutput[] = [];
  let fd = 3;
  if (encodes.length > 0) args.push('-filter_complex', filterGraph(encodes));
  const timeBase = versionAtLeast(options.version, { major: 6, minor: 1 }) ? 'demux' : '-1';
  encodes.forEach((rung, i) => {
    args.push('-map', `[v${i}]`, ...encoderArgs(rung, plan.addedKeyframes), '-fps_mode', 'passthrough', '-enc_time_base', timeBase, '-an', '-flvflags', 'no_duration_filesize', '-f', 'flv', `pipe:${fd}`);
    outputs.push({ fd, name: rung.name });
    fd += 1;
  });
  if (audioEncode !== undefined) {
    args.push('-map', '0:a:0', '-c:a', 'aac', '-b:a', `${audioEncode.bitrateKbps}k`, '-vn', '-flvflags', 'no_duration_filesize', '-f', 'flv', `pipe:${fd}`);
    outputs.push({ fd, name: 'audio' });
    fd += 1;
  }
  if (options.progress === true) {
    args.push('-progress', `pipe:${fd}`, '-nostats');
    return { args, outputs, progressFd: fd };
  }
  return { args, outputs };
}

/** `[0:v:0]split=N[s0]…;[s0]<select,>scale=W:H[v0];…` (no split for one rung). */
export function filterGraph(encodes: readonly PlannedEncode[]): string {
  const chains = encodes.map((rung, i) => {
    const input = encodes.length === 1 ? '[0:v:0]' : `[s${i}]`;
    // Every n-th frame and every keyframe: the rung keeps an IDR at each source keyframe.
    const select = rung.frameRateDivisor > 1 ? `select='eq(key\\,1)+not(mod(n\\,${rung.frameRateDivisor}))',` : '';
    return `${input}${select}scale=${rung.width}:${rung.height}[v${i}]`;
  });
  if (encodes.length === 1) return chains[0]!;
  return [`[0:v:0]split=${encodes.length}${encodes.map((_, i) => `[s${i}]`).join('')}`, ...chains].join(';');
}

/**
 * The encoder options of one rung. IDRs: at the source's keyframes, or with `added`, at the first
 * frame of each `everySeconds` from the first frame fed (FEED_OFFSET_MS on ffmpeg's timeline,
 * -copyts): the same frames in every rung of the process.
 */
export function encoderArgs(rung: PlannedEncode, added?: { readonly everySeconds: number }): string[] {
  const rate = ['-b:v', `${rung.bitrateKbps}k`, '-maxrate', `${rung.maxRateKbps}k`, '-bufsize', `${rung.bufferSizeKbits}k`];
  const profile = rung.profile === undefined ? [] : ['-profile:v', rung.profile];
  const threads = rung.threads === 0 ? [] : ['-threads', String(rung.threads)];
  const forced = ['-force_key_frames', added === undefined ? 'source' : `expr:gte(t,n_forced*${added.everySeconds})`, '-forced-idr', '1'];
  if (rung.codec === 'h264') {
    return ['-c:v', 'libx264', '-preset', rung.preset, '-tune', 'zerolatency', ...profile, ...rate, '-g', String(ENCODER_GOP_FRAMES), '-keyint_min', String(ENCODER_GOP_FRAMES), '-sc_threshold', '0', ...forced, ...threads];
  }
  const params = `keyint=${ENCODER_GOP_FRAMES}:min-keyint=${ENCODER_GOP_FRAMES}:scenecut=0:open-gop=0`;
  return ['-c:v', 'libx265', '-preset', rung.preset, '-tune', 'zerolatency', ...profile, ...rate, '-x265-params', params, ...forced, ...threads];
}
