import { sortFindings, statusOf, type HealthFinding, type HealthMeasures, type HealthReport } from './health-finding.js';

/**
 * The stream-health analyzer (docs/health.md): a pure, incremental judge of one publish's
 * encoder settings, over the demuxed frames as the encoder timed them (before the server repairs
 * any timestamp). No clock of its own: frames carry their arrival time and `report(nowMs)` looks at
 * the last `windowSeconds` of arrivals, so a problem that stops clears by itself.
 */

/** A track as the analyzer reads it (media's VideoTrack and AudioTrack fit it). */
export type HealthTrack =
  | { readonly kind: 'video'; readonly codecString: string }
  | { readonly kind: 'audio'; readonly codecString: string; readonly sampleRate: number; readonly samplesPerFrame: number };

/** One audio or video frame as it came in (an FLV tag or RTMP message), sequence headers left out. */
export interface HealthFrame {
  readonly kind: 'video' | 'audio';
  /** The FLV/RTMP timestamp, ms, as the encoder sent it. */
  readonly timestampMs: number;
  /** Video: the composition time offset, ms (non-zero with B-frames). */
  readonly compositionTimeMs?: number;
  /** Video: an IDR (or IRAP) frame. */
  readonly keyframe?: boolean;
  /** Payload bytes. */
  readonly bytes: number;
  /** When it reached the server, epoch ms. */
  readonly arrivalMs: number;
}

export interface HealthAnalyzerOptions {
  /** The packagers' segment target, seconds: the keyframe interval the stream should have. */
  readonly segmentTargetSeconds: number;
  /** How much of the stream a report judges, by arrival. Default 30 s. */
  readonly windowSeconds?: number;
}

/** A report needs this much media before it judges anything (status `noData` before). */
const MIN_JUDGE_MS = 4000;
/** A track missing this long after the first frame is reported missing. */
const MISSING_TRACK_MS = 5000;
/** A forward step in one track's timestamps at least this long is a jump, not a gap. */
const JUMP_MS = 1000;
/** RTMP timestamps are 32-bit milliseconds: a step back by more than half the range is a wrap, not a reversal. */
const WRAP_MS = 2 ** 31;
/** Frame intervals further than this fraction from the median are irregular (with at least a few ms of slack: RTMP has whole ms). */
const VFR_DEVIATION = 0.25;
/** More than this share of irregular intervals is a variable frame rate. */
const VFR_SHARE = 0.1;
/** The audio clock may wander this far from the video one over the window before it is drift. */
const AV_DRIFT_MS = 300;
/** A second of media above this multiple of the encoder's advertised rate is a spike. */
const SPIKE_FACTOR = 2;
/**
 * Frames kept per kind, whatever the window: a peer decides its frame rate, so the memory a publish
 * costs here is bounded by count too (30 s of 240 fps video fits; beyond it the oldest go).
 */
const MAX_FRAMES_KEPT = 8192;

interface Recorded {
  readonly arrivalMs: number;
  readonly timestampMs: number;
  /** Timestamp minus the previous frame's of the same kind (NaN for the first). */
  readonly deltaMs: number;
  readonly compositionTimeMs: number;
  readonly keyframe: boolean;
  readonly bytes: number;
}

/** The encoder's onMetaData, as far as the analyzer reads it. */
export interface EncoderMetadata {
  readonly framerate?: number;
  /** kbit/s, as FLV onMetaData has them. */
  readonly videodatarate?: number;
  readonly audiodatarate?: number;
}

export class StreamHealthAnalyzer {
  readonly #targetMs: number;
  readonly #windowMs: number;
  readonly #frames: { video: Recorded[]; audio: Recorded[] } = { video: [], audio: [] };
  readonly #last: { video: number | undefined; audio: number | undefined } = { video: undefined, audio: undefined };
  #video: HealthTrack | undefined;
  #audio: HealthTrack | undefined;
  #metadata: EncoderMetadata = {};
  #firstArrivalMs: number | undefined;
  /** Frames dropped because no sequence header came before them: arrival times. */
  readonly #beforeConfig: { video: number[]; audio: number[] } = { video: [], audio: [] };

  constructor(options: HealthAnalyzerOptions) {
    this.#targetMs = options.segmentTargetSeconds * 1000;
    this.#windowMs = (options.windowSeconds ?? 30) * 1000;
  }

  /** A sequence header: the track the frames after it belong to. */
  track(track: HealthTrack): void {
    if (track.kind === 'video') this.#video = track;
    else this.#audio = track;
  }

  /** The encoder's onMetaData (advertised frame rate and bit rates). */
  metadata(value: EncoderMetadata): void {
    this.#metadata = value;
  }

  /** A frame the server could not use: it came before its track's sequence header. */
  beforeConfig(kind: 'video' | 'audio', arrivalMs: number): void {
    const list = this.#beforeConfig[kind];
    list.push(arrivalMs);
    if (list.length > MAX_FRAMES_KEPT) list.shift();
    this.#firstArrivalMs ??= arrivalMs;
  }

  frame(frame: HealthFrame): void {
    this.#firstArrivalMs ??= frame.arrivalMs;
    const previous = this.#last[frame.kind];
    this.#last[frame.kind] = frame.timestampMs;
    this.#frames[frame.kind].push({
      arrivalMs: frame.arrivalMs,
      timestampMs: frame.timestampMs,
      deltaMs: previous === undefined ? Number.NaN : frame.timestampMs - previous,
      compositionTimeMs: frame.compositionTimeMs ?? 0,
      keyframe: frame.kind === 'audio' || frame.keyframe === true,
      bytes: frame.bytes,
    });
    // Pruned a second's worth at a time: one splice per second, not one per frame.
    const list = this.#frames[frame.kind];
    if (list[0]!.arrivalMs < frame.arrivalMs - this.#windowMs - 1000) this.#prune(frame.arrivalMs);
    if (list.length > MAX_FRAMES_KEPT + 1024) list.splice(0, list.length - MAX_FRAMES_KEPT);
  }

  /** The findings over the last window of arrivals before `nowMs`. */
  report(nowMs: number): HealthReport {
    this.#prune(nowMs);
    const { video, audio } = this.#frames;
    const all = [...video, ...audio];
    const spanMs = all.length === 0 ? 0 : Math.max(...all.map((f) => f.arrivalMs)) - Math.min(...all.map((f) => f.arrivalMs));
    const measures = this.#measures(spanMs);
    if (this.#firstArrivalMs === undefined || nowMs - this.#firstArrivalMs < MIN_JUDGE_MS || spanMs < MIN_JUDGE_MS / 2) {
      return { status: 'noData', findings: [], measures };
    }
    const findings: HealthFinding[] = [
      ...this.#tracksPresent(nowMs),
      ...this.#codec(),
      ...this.#sequenceHeaders(nowMs),
      ...this.#timestamps(),
      ...this.#keyframes(),
      ...this.#frameRate(),
      ...this.#bFrames(),
      ...this.#audioContinuity(),
      ...this.#avDrift(),
      ...this.#bitrate(),
    ];
    const sorted = sortFindings(findings);
    return { status: statusOf(sorted), findings: sorted, measures };
  }

  #prune(nowMs: number): void {
    const from = nowMs - this.#windowMs;
    for (const list of [this.#frames.video, this.#frames.audio]) {
      let drop = 0;
      while (drop < list.length && list[drop]!.arrivalMs < from) drop++;
      if (drop > 0) list.splice(0, drop);
    }
    for (const list of [this.#beforeConfig.video, this.#beforeConfig.audio]) {
      while (list.length > 0 && list[0]! < from) list.shift();
    }
  }

  #measures(spanMs: number): HealthMeasures {
    const { video, audio } = this.#frames;
    const intervals = keyframeIntervals(video);
    const bytes = [...video, ...audio].reduce((sum, f) => sum + f.bytes, 0);
    const median = medianFrameInterval(video);
    return {
      windowSeconds: spanMs / 1000,
      frameRate: median === undefined ? undefined : round(1000 / median, 2),
      keyframeIntervalSeconds: intervals.length === 0 ? undefined : Math.max(...intervals) / 1000,
      bitsPerSecond: spanMs > 0 ? Math.round((bytes * 8 * 1000) / spanMs) : 0,
      maxCompositionOffsetMs: video.reduce((max, f) => Math.max(max, f.compositionTimeMs), 0),
    };
  }

  #tracksPresent(nowMs: number): HealthFinding[] {
    if (nowMs - this.#firstArrivalMs! < MISSING_TRACK_MS) return [];
    const out: HealthFinding[] = [];
    if (this.#video === undefined) {
      out.push({ type: 'noVideoStream', severity: 'warning', actual: 'no video track', expected: 'H.264 or HEVC video', advice: 'OBS: add a video source to the scene; ffmpeg: do not pass -vn, and encode with -c:v libx264.' });
    }
    if (this.#audio === undefined) {
      out.push({ type: 'noAudioStream', severity: 'info', actual: 'no audio track', expected: 'AAC audio', advice: 'OBS: Settings → Audio, enable a Desktop or Mic/Aux device (some players wait for audio that never comes); ffmpeg: -c:a aac.' });
    }
    return out;
  }

  #codec(): HealthFinding[] {
    const out: HealthFinding[] = [];
    const codec = this.#video?.codecString;
    if (codec !== undefined && codec.startsWith('avc1.')) {
      const profile = Number.parseInt(codec.slice(5, 7), 16);
      if (profile === 110 || profile === 122 || profile === 244) {
        const name = profile === 110 ? 'High 10' : profile === 122 ? 'High 4:2:2' : 'High 4:4:4';
        out.push({ type: 'codecUnsupported', severity: 'error', actual: `H.264 ${name} profile (${codec})`, expected: 'H.264 Baseline, Main or High, 8-bit 4:2:0', advice: 'OBS: Settings → Advanced → Video, Color Format NV12 (not I444/P010); x264 Profile "high" or "main"; ffmpeg: -pix_fmt yuv420p -profile:v high.' });
      }
    } else if (codec !== undefined && (codec.startsWith('hvc1.') || codec.startsWith('hev1.'))) {
      out.push({ type: 'codecUnsupported', severity: 'info', actual: `HEVC (${codec})`, expected: 'H.264 for every browser', advice: 'Firefox and older browsers cannot play HEVC: OBS: Settings → Output → Encoder x264 or NVENC H.264, unless your viewers all use Safari, Chrome or Edge.' });
    }
    return out;
  }

  #sequenceHeaders(nowMs: number): HealthFinding[] {
    const out: HealthFinding[] = [];
    for (const kind of ['video', 'audio'] as const) {
      const dropped = this.#beforeConfig[kind].filter((t) => t >= nowMs - this.#windowMs).length;
      if (dropped === 0) continue;
      out.push({
        type: 'missingSequenceHeader',
        severity: 'error',
        actual: `${dropped} ${kind} frame${dropped === 1 ? '' : 's'} before the ${kind === 'video' ? 'AVC/HEVC' : 'AAC'} sequence header (dropped)`,
        expected: 'the sequence header first, then frames',
        advice: 'The encoder sent frames no decoder can use: restart the stream; with ffmpeg, publish with -f flv (it writes the headers first) and do not copy a stream that starts mid-GOP.',
      });
    }
    return out;
  }

  #timestamps(): HealthFinding[] {
    const out: HealthFinding[] = [];
    for (const kind of ['video', 'audio'] as const) {
      const deltas = this.#frames[kind].map((f) => f.deltaMs).filter((d) => Number.isFinite(d));
      const backwards = deltas.filter((d) => d < 0 && d > -WRAP_MS);
      const jumps = deltas.filter((d) => d >= JUMP_MS);
      if (jumps.length > 0) {
        const largest = Math.max(...jumps);
        out.push({ type: 'timestampJump', severity: 'error', actual: `${kind} timestamps jumped ${seconds(largest)} forward${jumps.length > 1 ? ` (${jumps.length} times)` : ''}`, expected: `steps of one ${kind === 'video' ? 'frame' : 'audio frame'}`, advice: 'The encoder restarted its clock or skipped media (a dropped capture device, a paused source): OBS: check Stats for skipped frames and keep sources active; ffmpeg: add -use_wallclock_as_timestamps 1 for live captures.' });
      }
      if (backwards.length > 0) {
        const largest = Math.min(...backwards);
        out.push({ type: 'timestampBackwards', severity: 'error', actual: `${kind} timestamps went back ${seconds(-largest)}${backwards.length > 1 ? ` (${backwards.length} times)` : ''}`, expected: 'timestamps that never decrease', advice: 'The encoder reset or reordered its timestamps: restart the stream; ffmpeg: do not concatenate inputs without -re and a continuous clock (-fflags +genpts).' });
      }
    }
    return out;
  }

  #keyframes(): HealthFinding[] {
    const video = this.#frames.video;
    const intervals = keyframeIntervals(video);
    // The keyframe still awaited counts too: a 10 s GOP shows after 2 s, not after 20.
    let open = 0;
    for (let i = video.length - 1; i >= 0 && !video[i]!.keyframe; i--) {
      if (discontinuous(video[i]!)) {
        open = Number.NaN;
        break;
      }
    }
    const lastKey = [...video].reverse().find((f) => f.keyframe);
    open = Number.isNaN(open) || lastKey === undefined ? 0 : video.at(-1)!.timestampMs - lastKey.timestampMs;
    const longest = Math.max(0, open, ...intervals);
    const targetSeconds = this.#targetMs / 1000;
    const advice = `OBS: Settings → Output → Streaming, Keyframe Interval ${targetSeconds} s (not 0 = auto); ffmpeg: -g <fps × ${targetSeconds}> -keyint_min <same> -sc_threshold 0.`;
    if (longest > this.#targetMs * 1.1 && (intervals.length > 0 || open > this.#targetMs * 2)) {
      return [{ type: 'gopLongerThanSegment', severity: longest > this.#targetMs * 2 ? 'error' : 'warning', actual: `${seconds(longest)} between keyframes`, expected: `${targetSeconds} s (the segment target)`, advice }];
    }
    if (intervals.length >= 3) {
      const shortest = Math.min(...intervals);
      if (longest > shortest * 1.5 && longest - shortest > 250) {
        return [{ type: 'gopIrregular', severity: 'warning', actual: `keyframes ${seconds(shortest)} to ${seconds(longest)} apart`, expected: `every ${targetSeconds} s`, advice: `${advice} Scene-cut keyframes make segments uneven: in OBS's x264 options add scenecut=0.` }];
      }
    }
    return [];
  }

  #frameRate(): HealthFinding[] {
    const video = this.#frames.video;
    const deltas = video.map((f) => f.deltaMs).filter((d) => Number.isFinite(d) && d > 0 && d < JUMP_MS);
    const median = medianOf(deltas);
    if (median === undefined || deltas.length < 30) return [];
    const out: HealthFinding[] = [];
    const slack = Math.max(VFR_DEVIATION * median, 4);
    const irregular = deltas.filter((d) => Math.abs(d - median) > slack).length;
    if (irregular / deltas.length > VFR_SHARE) {
      out.push({ type: 'variableFrameRate', severity: 'warning', actual: `${Math.round((irregular * 100) / deltas.length)} % of frame intervals off the median ${round(median, 1)} ms (${Math.min(...deltas)}–${Math.max(...deltas)} ms)`, expected: 'a constant frame rate', advice: 'OBS: Settings → Video, Common FPS Values 30 or 60, and no "Variable Framerate" in the encoder; a game capture that cannot keep up drops frames (see Stats); ffmpeg: -fps_mode cfr -r 30.' });
    }
    const advertised = this.#metadata.framerate;
    const fps = 1000 / median;
    if (advertised !== undefined && advertised > 0 && fps < advertised * 0.9) {
      out.push({ type: 'frameRateLow', severity: 'warning', actual: `${round(fps, 1)} frames per second`, expected: `${round(advertised, 2)} (the encoder's own setting)`, advice: 'The encoder cannot keep up: OBS: Settings → Output, a faster CPU Usage Preset or a hardware encoder (NVENC, QuickSync, AMF), or a lower Output (Scaled) Resolution.' });
    }
    return out;
  }

  #bFrames(): HealthFinding[] {
    const offset = this.#frames.video.reduce((max, f) => Math.max(max, f.compositionTimeMs), 0);
    if (offset <= 0) return [];
    return [{ type: 'bFramesPresent', severity: 'info', actual: `B-frames: frames shown up to ${offset} ms after they are decoded`, expected: 'no B-frames for the lowest latency', advice: 'Each B-frame adds a frame of delay before a part can be sent: OBS: x264 options bframes=0, or NVENC Max B-frames 0; ffmpeg: -bf 0.' }];
  }

  #audioContinuity(): HealthFinding[] {
    const track = this.#audio;
    if (track === undefined || track.kind !== 'audio') return [];
    const frameMs = (track.samplesPerFrame * 1000) / track.sampleRate;
    const deltas = this.#frames.audio.map((f) => f.deltaMs).filter((d) => Number.isFinite(d) && d >= 0 && d < JUMP_MS);
    // RTMP timestamps are whole milliseconds: 2 ms of slack either way.
    const gaps = deltas.filter((d) => d > frameMs * 1.5 + 2);
    const overlaps = deltas.filter((d) => d < frameMs * 0.5 - 2);
    const out: HealthFinding[] = [];
    if (gaps.length > 0) {
      const missing = gaps.reduce((sum, d) => sum + d - frameMs, 0);
      out.push({ type: 'audioGap', severity: 'warning', actual: `${gaps.length} gap${gaps.length === 1 ? '' : 's'} in the audio, ${Math.round(missing)} ms missing (largest ${Math.round(Math.max(...gaps))} ms between frames)`, expected: `an AAC frame every ${round(frameMs, 2)} ms`, advice: 'The audio device stalls or drops samples: OBS: Settings → Audio, the same Sample Rate as the device (48 kHz), and check the device in Windows/macOS sound settings; ffmpeg: -af aresample=async=1.' });
    }
    if (overlaps.length > 0) {
      out.push({ type: 'audioOverlap', severity: 'warning', actual: `${overlaps.length} audio frame${overlaps.length === 1 ? '' : 's'} less than half a frame after the previous one`, expected: `an AAC frame every ${round(frameMs, 2)} ms`, advice: 'The audio clock runs ahead of real time: OBS: Settings → Advanced → Audio Monitoring off for the device, and a matching Sample Rate; ffmpeg: -af aresample=async=1.' });
    }
    return out;
  }

  #avDrift(): HealthFinding[] {
    const { video, audio } = this.#frames;
    if (video.length === 0 || audio.length === 0) return [];
    // A jump already explains any offset change.
    if ([...video, ...audio].some(discontinuous)) return [];
    // At each video frame, the newest audio timestamp that had arrived minus the video one: it wanders
    // with interleaving, but stays within a few frames unless the two clocks run at different speeds.
    const offsets: number[] = [];
    let a = 0;
    for (const v of video) {
      while (a + 1 < audio.length && audio[a + 1]!.arrivalMs <= v.arrivalMs) a++;
      if (audio[a]!.arrivalMs <= v.arrivalMs) offsets.push(audio[a]!.timestampMs - v.timestampMs);
    }
    if (offsets.length < 60) return [];
    // Thirds of the window, by median, so one late burst is not drift.
    const third = Math.floor(offsets.length / 3);
    const first = medianOf(offsets.slice(0, third))!;
    const last = medianOf(offsets.slice(-third))!;
    const drift = last - first;
    if (Math.abs(drift) <= AV_DRIFT_MS) return [];
    const spanSeconds = (video.at(-1)!.timestampMs - video[0]!.timestampMs) / 1000;
    return [{ type: 'avDrift', severity: 'warning', actual: `audio ${drift > 0 ? 'ahead of' : 'behind'} video by ${Math.abs(Math.round(drift))} ms more than ${round(spanSeconds, 0)} s earlier`, expected: `within ${AV_DRIFT_MS} ms`, advice: 'The audio and video devices run on different clocks: OBS: Settings → Advanced, enable "Use device timestamps" for the capture device or set the audio Sync Offset; ffmpeg: -af aresample=async=1 with -use_wallclock_as_timestamps 1.' }];
  }

  #bitrate(): HealthFinding[] {
    // Only against an advertised video rate: ffmpeg without -b:v says 0 (CRF), and audio alone says nothing of video.
    if (!((this.#metadata.videodatarate ?? 0) > 0)) return [];
    const advertisedKbps = this.#metadata.videodatarate! + (this.#metadata.audiodatarate ?? 0);
    // Bits per second of media time, by whole seconds of timestamps.
    const buckets = new Map<number, number>();
    for (const f of [...this.#frames.video, ...this.#frames.audio]) {
      const second = Math.floor(f.timestampMs / 1000);
      buckets.set(second, (buckets.get(second) ?? 0) + f.bytes * 8);
    }
    // The first and last seconds are partial.
    const full = [...buckets.entries()].sort((x, y) => x[0] - y[0]).slice(1, -1).map(([, bits]) => bits);
    if (full.length < 3) return [];
    const peak = Math.max(...full);
    if (peak <= advertisedKbps * 1000 * SPIKE_FACTOR) return [];
    return [{ type: 'bitrateSpike', severity: 'warning', actual: `${round(peak / 1e6, 2)} Mbit/s in one second`, expected: `at most ${SPIKE_FACTOR}× the encoder's ${round(advertisedKbps / 1000, 2)} Mbit/s`, advice: 'Peaks beyond what the viewers\' connections carry stall them: OBS: Settings → Output, Rate Control CBR (not VBR/CRF); ffmpeg: -b:v <rate> -maxrate <rate> -bufsize <rate>.' }];
  }
}

/** Intervals between consecutive keyframes, ms; none across a jump or reversal of the timestamps (timestampJump says that). */
function keyframeIntervals(video: readonly Recorded[]): number[] {
  const intervals: number[] = [];
  let previous: number | undefined;
  for (const f of video) {
    if (discontinuous(f)) previous = undefined;
    if (!f.keyframe) continue;
    if (previous !== undefined) intervals.push(f.timestampMs - previous);
    previous = f.timestampMs;
  }
  return intervals;
}

/** The frame's timestamp jumped or went back from the previous one's. */
function discontinuous(f: Recorded): boolean {
  return Number.isFinite(f.deltaMs) && (f.deltaMs >= JUMP_MS || f.deltaMs < 0);
}

function medianFrameInterval(video: readonly Recorded[]): number | undefined {
  return medianOf(video.map((f) => f.deltaMs).filter((d) => Number.isFinite(d) && d > 0 && d < JUMP_MS));
}

function medianOf(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
