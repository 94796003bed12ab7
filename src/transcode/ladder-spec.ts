import { inRange, integerRange, rangeText, type NumberRange } from '../config/index.js';
import { TranscodeError } from '../errors/index.js';

/**
 * The ladder spec: what a user (config file, CLI preset, job API) asks the transcode tier for.
 * Plain data, checked field by field: every problem is reported with the path of its field
 * (`rungs[1].height`), all at once, so a job API can answer one 400 that names each of them.
 *
 * A rung is either a passthrough of the source video (`codec: 'copy'`, the "source" rung: our own
 * packager serves the publisher's frames, ffmpeg never sees them) or an encode (h264 with libx264,
 * h265 with libx265). Audio is not a rung: the source's AAC is one shared rendition, re-encoded
 * once (at `audio.bitrateKbps`) only when the source audio is not AAC.
 */

export const RUNG_CODECS = ['h264', 'h265', 'copy'] as const;
export type RungCodec = (typeof RUNG_CODECS)[number];

/** x264's and x265's preset names (the same list in both). */
export const ENCODER_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow', 'placebo'] as const;
export type EncoderPreset = (typeof ENCODER_PRESETS)[number];

/** Profiles each encoder is asked for by name (`-profile:v`); 8-bit only, as the source is. */
export const RUNG_PROFILES = { h264: ['baseline', 'main', 'high'], h265: ['main'] } as const;

/** The default preset: x264's fastest that still keeps its rate control honest at low bit rates. */
export const DEFAULT_ENCODER_PRESET: EncoderPreset = 'veryfast';

/** At most this many problems are reported for one spec. */
export const MAX_PROBLEMS = 50;

/** At most this many rungs: each is an encode on the same machine. */
export const MAX_RUNGS = 8;

/** Picture size bounds (ffmpeg's scale and both encoders accept these; sizes are even for 4:2:0). */
export const RUNG_WIDTH_RANGE = integerRange(16, 7680);
export const RUNG_HEIGHT_RANGE = integerRange(16, 4320);
/** Bit rates in kb/s, buffer sizes in kbit. */
export const RUNG_BITRATE_KBPS_RANGE = integerRange(16, 100_000);
export const RUNG_BUFFER_KBITS_RANGE = integerRange(16, 400_000);
export const RUNG_FRAME_RATE_RANGE: NumberRange = { integer: false, min: 1, max: 240 };
export const RUNG_THREADS_RANGE = integerRange(0, 64);
export const AUDIO_BITRATE_KBPS_RANGE = integerRange(16, 512);
export const DEFAULT_AUDIO_BITRATE_KBPS = 128;

/** A rung's name is its folder under the stream (`<app>/<key>/<name>/index.m3u8`): short, path-safe, not the audio folder's. */
const RUNG_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const RESERVED_NAMES = new Set(['audio']);

export interface RungSpec {
  /** The rung's folder and variant name; default `<height>p` (`source` for a copy rung). */
  readonly name?: string;
  readonly codec: RungCodec;
  /** Picture size; give one and the other keeps the source's aspect (rounded to even). Never above the source. */
  readonly width?: number;
  readonly height?: number;
  /** 'source' (default) or frames per second, which the plan requires to divide the source's rate exactly. */
  readonly frameRate?: 'source' | number;
  /** Target bit rate, kb/s; required for an encode. */
  readonly bitrateKbps?: number;
  /** VBV maximum rate, kb/s; default the bit rate. */
  readonly maxRateKbps?: number;
  /** VBV buffer, kbit; default the max rate (one second). */
  readonly bufferSizeKbits?: number;
  readonly preset?: EncoderPreset;
  readonly profile?: string;
  /** Encoder threads; 0 (default) lets the encoder choose. */
  readonly threads?: number;
}

export interface AudioSpec {
  /** The one re-encode's bit rate when the source audio is not AAC; default DEFAULT_AUDIO_BITRATE_KBPS. */
  readonly bitrateKbps?: number;
}

export interface LadderSpec {
  readonly rungs: readonly RungSpec[];
  readonly audio?: AudioSpec;
}

export interface LadderProblem {
  /** The field, as a path into the spec: `rungs[1].height`, `audio.bitrateKbps`, `rungs`. */
  readonly path: string;
  readonly message: string;
}

/** A spec that failed its checks: `problems` has every one of them, `message` the first few. */
export class LadderSpecError extends TranscodeError {
  readonly problems: readonly LadderProblem[];

  constructor(problems: readonly LadderProblem[]) {
    const shown = problems.slice(0, 3).map((p) => `${p.path}: ${p.message}`);
    super('ERR_TRANSCODE_LADDER_INVALID', `invalid ladder spec: ${shown.join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`, { problems: problems.length, first: problems[0]?.path });
    this.problems = problems;
  }
}

const RUNG_FIELDS = new Set(['name', 'codec', 'width', 'height', 'frameRate', 'bitrateKbps', 'maxRateKbps', 'bufferSizeKbits', 'preset', 'profile', 'threads']);
/** Fields that mean an encode: a copy rung carries the source's pictures as they are. */
const ENCODE_ONLY = ['width', 'height', 'bitrateKbps', 'maxRateKbps', 'bufferSizeKbits', 'preset', 'profile', 'threads'] as const;

/** The name a rung goes by: its own, else `<height>p`, `source` for a copy, `<width>w` for one given only a width. */
export function rungName(rung: RungSpec): string {
  if (rung.name !== undefined) return rung.name;
  if (rung.codec === 'copy') return 'source';
  if (rung.height !== undefined) return `${rung.height}p`;
  return rung.width !== undefined ? `${rung.width}w` : 'video';
}

/** Every problem of `input` as a ladder spec; none means `checkLadderSpec` accepts it. */
export function ladderProblems(input: unknown): LadderProblem[] {
  const problems: LadderProblem[] = [];
  // A body of thousands of unknown fields (the job API takes specs from the network) gets MAX_PROBLEMS, not one each.
  const add = (path: string, message: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push({ path, message });
  };
  if (!isRecord(input)) {
    add('', `must be an object with "rungs", got ${describeValue(input)}`);
    return problems;
  }
  for (const key of Object.keys(input)) if (key !== 'rungs' && key !== 'audio') add(key, 'is not a field of a ladder spec (rungs, audio)');
  const rungs = input['rungs'];
  if (!Array.isArray(rungs)) add('rungs', `must be an array of rungs, got ${describeValue(rungs)}`);
  else {
    if (rungs.length === 0) add('rungs', 'must have at least one rung');
    if (rungs.length > MAX_RUNGS) add('rungs', `must have at most ${MAX_RUNGS} rungs, got ${rungs.length}`);
    rungs.forEach((rung, i) => rungProblems(rung, `rungs[${i}]`, add));
    if (rungs.filter((r) => isRecord(r) && r['codec'] === 'copy').length > 1) add('rungs', 'may have one copy (source) rung only');
    const seen = new Map<string, number>();
    rungs.forEach((rung, i) => {
      if (!isRecord(rung) || !RUNG_CODECS.includes(rung['codec'] as RungCodec)) return;
      const name = rungName(rung as unknown as RungSpec);
      const first = seen.get(name);
      if (first === undefined) seen.set(name, i);
      else add(`rungs[${i}].name`, `"${name}" is also rungs[${first}]'s name: give each rung its own`);
    });
  }
  const audio = input['audio'];
  if (audio !== undefined) {
    if (!isRecord(audio)) add('audio', `must be an object, got ${describeValue(audio)}`);
    else {
      for (const key of Object.keys(audio)) if (key !== 'bitrateKbps') add(`audio.${key}`, 'is not a field of audio (bitrateKbps)');
      checkIn(audio['bitrateKbps'], 'audio.bitrateKbps', AUDIO_BITRATE_KBPS_RANGE, add);
    }
  }
  return problems;
}

/** `input` as a LadderSpec when it has no problem, else LadderSpecError with all of them. */
export function checkLadderSpec(input: unknown): LadderSpec {
  const problems = ladderProblems(input);
  if (problems.length > 0) throw new LadderSpecError(problems);
  return input as LadderSpec;
}

function rungProblems(rung: unknown, at: string, add: (path: string, message: string) => void): void {
  if (!isRecord(rung)) {
    add(at, `must be an object, got ${describeValue(rung)}`);
    return;
  }
  for (const key of Object.keys(rung)) if (!RUNG_FIELDS.has(key)) add(`${at}.${key}`, `is not a field of a rung (${[...RUNG_FIELDS].join(', ')})`);
  const codec = rung['codec'];
  if (!RUNG_CODECS.includes(codec as RungCodec)) add(`${at}.codec`, `must be one of ${RUNG_CODECS.join(', ')}, got ${describeValue(codec)}`);
  const name = rung['name'];
  if (name !== undefined) {
    if (typeof name !== 'string' || !RUNG_NAME.test(name)) add(`${at}.name`, `must be 1–32 letters, digits, '_' or '-' (starting with a letter or digit), got ${describeValue(name)}`);
    else if (RESERVED_NAMES.has(name)) add(`${at}.name`, `"${name}" is the audio rendition's folder`);
  }
  const frameRate = rung['frameRate'];
  if (frameRate !== undefined && frameRate !== 'source' && !inRange(frameRate, RUNG_FRAME_RATE_RANGE)) {
    add(`${at}.frameRate`, `must be 'source' or frames per second (${RUNG_FRAME_RATE_RANGE.min} to ${RUNG_FRAME_RATE_RANGE.max}), got ${describeValue(frameRate)}`);
  }
  if (codec === 'copy') {
    for (const field of ENCODE_ONLY) if (rung[field] !== undefined) add(`${at}.${field}`, 'does not apply to a copy rung (the source passes through as it is)');
    if (frameRate !== undefined && frameRate !== 'source') add(`${at}.frameRate`, "must be 'source' for a copy rung");
    return;
  }
  if (rung['width'] === undefined && rung['height'] === undefined) add(`${at}.height`, 'is required (or width): the picture size of an encoded rung');
  evenIn(rung['width'], `${at}.width`, RUNG_WIDTH_RANGE, add);
  evenIn(rung['height'], `${at}.height`, RUNG_HEIGHT_RANGE, add);
  if (rung['bitrateKbps'] === undefined) add(`${at}.bitrateKbps`, 'is required for an encoded rung');
  const bitrate = checkIn(rung['bitrateKbps'], `${at}.bitrateKbps`, RUNG_BITRATE_KBPS_RANGE, add);
  const maxRate = checkIn(rung['maxRateKbps'], `${at}.maxRateKbps`, RUNG_BITRATE_KBPS_RANGE, add);
  if (bitrate !== undefined && maxRate !== undefined && maxRate < bitrate) add(`${at}.maxRateKbps`, `must be at least bitrateKbps (${bitrate}), got ${maxRate}`);
  checkIn(rung['bufferSizeKbits'], `${at}.bufferSizeKbits`, RUNG_BUFFER_KBITS_RANGE, add);
  checkIn(rung['threads'], `${at}.threads`, RUNG_THREADS_RANGE, add);
  const preset = rung['preset'];
  if (preset !== undefined && !ENCODER_PRESETS.includes(preset as EncoderPreset)) add(`${at}.preset`, `must be one of ${ENCODER_PRESETS.join(', ')}, got ${describeValue(preset)}`);
  const profile = rung['profile'];
  if (profile !== undefined && (codec === 'h264' || codec === 'h265')) {
    const allowed: readonly string[] = RUNG_PROFILES[codec];
    if (typeof profile !== 'string' || !allowed.includes(profile)) add(`${at}.profile`, `must be one of ${allowed.join(', ')} for ${codec}, got ${describeValue(profile)}`);
  }
}

/** `value` when it is in `range` (config's check, a problem here instead of a throw), else undefined. */
function checkIn(value: unknown, path: string, range: NumberRange, add: (path: string, message: string) => void): number | undefined {
  if (value === undefined) return undefined;
  if (inRange(value, range)) return value;
  add(path, `must be ${rangeText(range)}, got ${describeValue(value)}`);
  return undefined;
}

/** An even integer in `range`: a picture side of 4:2:0 video. */
function evenIn(value: unknown, path: string, range: NumberRange, add: (path: string, message: string) => void): void {
  if (value === undefined || (inRange(value, range) && value % 2 === 0)) return;
  add(path, `must be an even integer from ${range.min} to ${range.max}, got ${describeValue(value)}`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a message shows it: JSON where it has one, at most 60 characters (also job-spec.ts's). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = typeof value === 'number' && !Number.isFinite(value) ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
