import { inRange, rangeText, streamNameProblem, type NumberRange } from '../config/index.js';
import { LadderSpecError, MAX_PROBLEMS, describeValue, isRecord, ladderProblems, type LadderProblem, type LadderSpec, type RungSpec } from './ladder-spec.js';
import { LADDER_PRESETS, ladderPreset } from './ladder-presets.js';

/**
 * A live job request as `POST /api/jobs` receives it, in one of two formats, checked field by field
 * into a JobSpec; every bad field is reported with its path, all at once (LadderSpecError).
 *
 * - Ours: `{ app?, ladder: LadderSpec | '<preset>', output?: { segmentSeconds?, lowLatency? } }`.
 *   Every field is known: an unknown one is a problem, so a typo is never silently ignored.
 * - ezLiveStreaming's (its job/job.go `LiveJobSpec`, detected by a top-level `Output` or `Input`),
 *   so its users can post their specs unchanged. Each of its fields is mapped, refused with the
 *   reason (what tidecast does not do: DRM, object detection, AV1, DASH, MP3), or accepted without
 *   effect with a note saying why (`notes`, shown in the job's answer as ezLS shows its
 *   `Job_validation_warnings`). Keys are matched exactly as ezLS's samples spell them (Go's decoder
 *   would also take other letter cases); a key ezLS does not know is a problem, as in ours.
 */

export interface JobOutput {
  /** Segment target in seconds (JOB_SEGMENT_SECONDS_RANGE); default the server's segment duration. */
  readonly segmentSeconds?: number;
  /** LL-HLS (parts, blocking reloads); default the server's lowLatency. */
  readonly lowLatency?: boolean;
  /**
   * The output the job's playback URL (`playback.url`) names; every output is served either way.
   * 'hls' (default): the multivariant playlist, or with segmentFormat 'mpegts' the TS playlist;
   * 'dash': the low-latency MPD (the regular one with lowLatency false).
   */
  readonly streamType?: JobStreamType;
  /** 'fmp4' and 'cmaf' (default, the same CMAF segments) or 'mpegts' (HLS only: ts.m3u8). */
  readonly segmentFormat?: JobSegmentFormat;
}

export type JobStreamType = 'hls' | 'dash';
export type JobSegmentFormat = 'fmp4' | 'cmaf' | 'mpegts';
const STREAM_TYPES: readonly string[] = ['hls', 'dash'];
const SEGMENT_FORMATS: readonly string[] = ['fmp4', 'cmaf', 'mpegts'];

/** streamType and segmentFormat checked together (`path` names the request's fields). */
function checkOutputKind(streamType: unknown, segmentFormat: unknown, paths: { streamType: string; segmentFormat: string }, add: Add): { streamType?: JobStreamType; segmentFormat?: JobSegmentFormat } {
  const type = streamType === undefined ? undefined : typeof streamType === 'string' && STREAM_TYPES.includes(streamType) ? (streamType as JobStreamType) : add(paths.streamType, `must be "hls" or "dash", got ${describeValue(streamType)}`);
  const format = segmentFormat === undefined ? undefined : typeof segmentFormat === 'string' && SEGMENT_FORMATS.includes(segmentFormat) ? (segmentFormat as JobSegmentFormat) : add(paths.segmentFormat, `must be "fmp4", "cmaf" or "mpegts", got ${describeValue(segmentFormat)}`);
  if (type === 'dash' && format === 'mpegts') add(paths.segmentFormat, 'DASH is served from the CMAF segments: "mpegts" goes with "hls" only (ts.m3u8)');
  return defined({ streamType: type ?? undefined, segmentFormat: format ?? undefined });
}

export interface JobSpec {
  /** The app of the job's ingest and playback paths (`<app>/<streamKey>`); default DEFAULT_JOB_APP. */
  readonly app: string;
  /** The ladder, a preset's copied in when a preset was named: later preset changes leave the job as it was. */
  readonly ladder: LadderSpec;
  /** The preset the request named, if it named one. */
  readonly preset?: string;
  readonly output: JobOutput;
  /** The request's format. */
  readonly format: 'tidecast' | 'ezls';
  /** Fields accepted without effect, each with why (ezLS's S3_output, Crf, …); empty for ours. */
  readonly notes: readonly string[];
}

/** The app a job is in when the request names none: ezLS's ingest URLs are `rtmp://<host>/live/<key>`. */
export const DEFAULT_JOB_APP = 'live';

/**
 * A job's segment target: from 0.1 s (`tidecast serve`'s lower bound) to 30 s, ezLS's own upper
 * bound; beyond it a player three segments behind the live edge is minutes late.
 */
export const JOB_SEGMENT_SECONDS_RANGE: NumberRange = { integer: false, min: 0.1, max: 30 };

type Add = (path: string, message: string) => void;

/** `body` as a JobSpec, or LadderSpecError naming every bad field's path (`ladder.rungs[0].height`, `Output.Video_outputs[1].Bitrate`). */
export function parseJobRequest(body: unknown): JobSpec {
  const problems: LadderProblem[] = [];
  const add: Add = (path, message) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ path, message });
  };
  const spec = isRecord(body) && (Object.hasOwn(body, 'Output') || Object.hasOwn(body, 'Input')) ? fromEzls(body, add) : fromOurs(body, add);
  if (problems.length > 0) throw new LadderSpecError(problems);
  return spec;
}

const JOB_FIELDS = new Set(['app', 'ladder', 'output']);
const OUTPUT_FIELDS = new Set(['segmentSeconds', 'lowLatency', 'streamType', 'segmentFormat']);

function fromOurs(body: unknown, add: Add): JobSpec {
  const spec = { app: DEFAULT_JOB_APP, ladder: { rungs: [] }, output: {}, format: 'tidecast', notes: [] } as const;
  if (!isRecord(body)) {
    add('', `must be a job: an object with "ladder" (or ezLiveStreaming's "Output"), got ${describeValue(body)}`);
    return spec;
  }
  for (const key of Object.keys(body)) if (!JOB_FIELDS.has(key)) add(key, 'is not a field of a job (app, ladder, output)');
  const app = checkApp(body['app'], add);
  const { ladder, preset } = checkLadder(body['ladder'], add);
  const output = body['output'];
  if (output === undefined) return { ...spec, app, ladder, ...(preset === undefined ? {} : { preset }) };
  if (!isRecord(output)) {
    add('output', `must be an object (segmentSeconds, lowLatency, streamType, segmentFormat), got ${describeValue(output)}`);
    return spec;
  }
  for (const key of Object.keys(output)) if (!OUTPUT_FIELDS.has(key)) add(`output.${key}`, 'is not a field of output (segmentSeconds, lowLatency, streamType, segmentFormat)');
  const segmentSeconds = checkSegmentSeconds(output['segmentSeconds'], 'output.segmentSeconds', add);
  const lowLatency = output['lowLatency'];
  if (lowLatency !== undefined && typeof lowLatency !== 'boolean') add('output.lowLatency', `must be true or false, got ${describeValue(lowLatency)}`);
  const kind = checkOutputKind(output['streamType'], output['segmentFormat'], { streamType: 'output.streamType', segmentFormat: 'output.segmentFormat' }, add);
  const options = defined({ segmentSeconds, lowLatency: typeof lowLatency === 'boolean' ? lowLatency : undefined, ...kind });
  return { ...spec, app, ladder, ...(preset === undefined ? {} : { preset }), output: options };
}

function checkApp(app: unknown, add: Add): string {
  if (app === undefined) return DEFAULT_JOB_APP;
  const problem = typeof app === 'string' ? streamNameProblem(app) : 'is not a string';
  if (problem !== undefined) add('app', `must be an app name of [A-Za-z0-9._-] not starting with '.', got ${describeValue(app)}: it ${problem}`);
  return typeof app === 'string' ? app : DEFAULT_JOB_APP;
}

function checkLadder(ladder: unknown, add: Add): { ladder: LadderSpec; preset?: string } {
  const names = Object.keys(LADDER_PRESETS).join(', ');
  if (ladder === undefined) {
    add('ladder', `is required: a ladder spec ({ rungs, audio? }) or a preset name (${names})`);
    return { ladder: { rungs: [] } };
  }
  if (typeof ladder === 'string') {
    const preset = ladderPreset(ladder);
    if (preset === undefined) add('ladder', `must be a ladder spec or a preset name (${names}), got ${describeValue(ladder)}`);
    return { ladder: preset ?? { rungs: [] }, preset: ladder };
  }
  const problems = ladderProblems(ladder);
  for (const p of problems) add(p.path === '' ? 'ladder' : `ladder.${p.path}`, p.message);
  // A copy: the job must not change when the caller later changes the body it passed (a valid ladder is plain data).
  return { ladder: problems.length === 0 ? structuredClone(ladder as LadderSpec) : { rungs: [] } };
}

function checkSegmentSeconds(value: unknown, path: string, add: Add): number | undefined {
  if (value === undefined) return undefined;
  if (inRange(value, JOB_SEGMENT_SECONDS_RANGE)) return value;
  add(path, `must be ${rangeText(JOB_SEGMENT_SECONDS_RANGE)} (seconds), got ${describeValue(value)}`);
  return undefined;
}

// ---- ezLiveStreaming's format ----

const EZLS_FIELDS = new Set(['Input', 'Output', 'Api_test']);
const EZLS_INPUT_FIELDS = new Set(['Url', 'JobUdpPortBase']);
const EZLS_OUTPUT_FIELDS = new Set(['Stream_type', 'Segment_format', 'Segment_duration', 'Fragment_duration', 'Low_latency_mode', 'Time_shift_buffer_depth', 'Drm', 'Detection', 'S3_output', 'Video_outputs', 'Audio_outputs']);
/** ezLS's video output fields and the rung field each maps to ('' for the ones accepted without effect). */
const EZLS_VIDEO_FIELDS = new Map([
  ['Label', 'name'],
  ['Codec', 'codec'],
  ['Framerate', 'frameRate'],
  ['Width', 'width'],
  ['Height', 'height'],
  ['Bitrate', 'bitrateKbps'],
  ['Max_bitrate', 'maxRateKbps'],
  ['Buf_size', 'bufferSizeKbits'],
  ['Preset', 'preset'],
  ['Threads', 'threads'],
  ['Crf', ''],
  ['Gop_size', ''],
]);
const RUNG_TO_EZLS = new Map([...EZLS_VIDEO_FIELDS].filter(([, ours]) => ours !== '').map(([theirs, ours]) => [ours, theirs]));

const NOTES = {
  Api_test: "Api_test: ignored (ezLiveStreaming's switch for testing its API without a worker); the job runs",
  Input: "Input: ignored (ezLiveStreaming's worker fills it in); publish to the job's RTMP ingest URL",
  Fragment_duration: "Output.Fragment_duration: ignored; every rung's keyframes are the source's (-force_key_frames source), and LL-HLS parts follow the server's part target",
  Time_shift_buffer_depth: "Output.Time_shift_buffer_depth: ignored; the live playlist's window is the server's (windowSegments)",
  S3_output: "Output.S3_output: ignored; tidecast serves the job's output itself at its playback URLs, nothing is uploaded",
  Crf: "Output.Video_outputs[].Crf: ignored; tidecast's rungs are rate-controlled by Bitrate, Max_bitrate and Buf_size (VBV), not capped CRF",
  Gop_size: "Output.Video_outputs[].Gop_size: ignored (an older ezLiveStreaming field); every rung's keyframes are the source's",
  Audio: 'Output.Audio_outputs[0].Bitrate: used only when the source audio is not AAC; AAC audio passes through as it is',
} as const;

function fromEzls(body: Record<string, unknown>, addProblem: Add): JobSpec {
  const notes = new Set<string>();
  const mapped = new Set<string>();
  const add: Add = (path, message) => {
    mapped.add(path);
    addProblem(path, message);
  };
  for (const key of Object.keys(body)) if (!EZLS_FIELDS.has(key)) add(key, "is not a field of an ezLiveStreaming job (Input, Output; tidecast's own format is { app, ladder, output })");
  if (body['Api_test'] !== undefined) notes.add(NOTES.Api_test);
  const input = body['Input'];
  if (input !== undefined) {
    if (!isRecord(input)) add('Input', `must be an object, got ${describeValue(input)}`);
    else for (const key of Object.keys(input)) if (!EZLS_INPUT_FIELDS.has(key)) add(`Input.${key}`, 'is not a field of Input (Url, JobUdpPortBase)');
    notes.add(NOTES.Input);
  }
  const output = body['Output'];
  const empty: JobSpec = { app: DEFAULT_JOB_APP, ladder: { rungs: [] }, output: {}, format: 'ezls', notes: [] };
  if (!isRecord(output)) {
    add('Output', `must be an object with Video_outputs, got ${describeValue(output)}`);
    return empty;
  }
  for (const key of Object.keys(output)) if (!EZLS_OUTPUT_FIELDS.has(key)) add(`Output.${key}`, `is not a field of an ezLiveStreaming Output (${[...EZLS_OUTPUT_FIELDS].join(', ')})`);
  const jobOutput = ezlsOutputOptions(output, add, notes);
  refuseEzlsFeatures(output, add);
  const rungs = ezlsRungs(output['Video_outputs'], add, notes);
  const audio = ezlsAudio(output['Audio_outputs'], add, notes);
  const ladder: LadderSpec = audio === undefined ? { rungs } : { rungs, audio };
  // The ladder's own checks, with each path and message in ezLS's names; a field the mapping already refused keeps that one problem.
  for (const p of ladderProblems(ladder)) {
    const path = ezlsPath(p.path);
    if (!mapped.has(path)) addProblem(path, ezlsMessage(path, p.message));
  }
  return { ...empty, ladder, output: jobOutput, notes: [...notes] };
}

/** Stream_type, Segment_format, Segment_duration, Low_latency_mode, and the options accepted without effect. */
function ezlsOutputOptions(output: Record<string, unknown>, add: Add, notes: Set<string>): JobOutput {
  // ezLS requires Stream_type and turns an empty Segment_format into "fmp4". Every output is served; these pick the job's playback URL.
  const format = output['Segment_format'];
  const kind = checkOutputKind(output['Stream_type'], format === '' ? undefined : format, { streamType: 'Output.Stream_type', segmentFormat: 'Output.Segment_format' }, add);
  // 0 is Go's zero value, an absent field in ezLS (which then applies its default): here the server's.
  const duration = output['Segment_duration'];
  const segmentSeconds = duration === 0 ? undefined : checkSegmentSeconds(duration, 'Output.Segment_duration', add);
  // An int (0/1) in ezLS's current job.go, a bool in its earlier ones: both are taken.
  const mode = output['Low_latency_mode'];
  let lowLatency: boolean | undefined;
  if (mode === 0 || mode === false) lowLatency = false;
  else if (mode === 1 || mode === true) lowLatency = true;
  else if (mode !== undefined) add('Output.Low_latency_mode', `must be 0, 1, false or true, got ${describeValue(mode)}`);
  for (const field of ['Fragment_duration', 'Time_shift_buffer_depth'] as const) {
    const value = output[field];
    if (value === undefined || value === 0) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) add(`Output.${field}`, `must be a number of seconds, got ${describeValue(value)}`);
    notes.add(NOTES[field]);
  }
  const s3 = output['S3_output'];
  if (s3 !== undefined) {
    if (!isRecord(s3)) add('Output.S3_output', `must be an object, got ${describeValue(s3)}`);
    notes.add(NOTES.S3_output);
  }
  return defined({ segmentSeconds, lowLatency, ...kind });
}

/** DRM and object detection: an ezLS job asking for either is refused rather than streamed without it. */
function refuseEzlsFeatures(output: Record<string, unknown>, add: Add): void {
  // ezLS configures DRM when Protection_system or Protection_scheme is set (its validator.go); all
  // empty is "no DRM". Streaming in the clear what was meant to be encrypted would be a leak, so a set one is a 400.
  const drm = output['Drm'];
  if (drm !== undefined && (!isRecord(drm) || !isZero(drm['Protection_system']) || !isZero(drm['Protection_scheme']))) {
    add('Output.Drm', 'tidecast does not encrypt streams (no DRM, no key server): remove Drm, or leave Protection_system and Protection_scheme empty');
  }
  // ezLS runs detection when any Detection field differs from Go's zero value (NeedObjectDetection).
  const detection = output['Detection'];
  if (detection !== undefined && (!isRecord(detection) || !Object.values(detection).every(isZero))) {
    add('Output.Detection', 'tidecast does not run object detection: remove Detection (or leave all its fields empty)');
  }
}

function ezlsRungs(outputs: unknown, add: Add, notes: Set<string>): RungSpec[] {
  if (!Array.isArray(outputs)) {
    add('Output.Video_outputs', `must be an array of video outputs, got ${describeValue(outputs)}`);
    return [];
  }
  return outputs.map((vo: unknown, i) => {
    const at = `Output.Video_outputs[${i}]`;
    if (!isRecord(vo)) {
      add(at, `must be an object, got ${describeValue(vo)}`);
      return vo as RungSpec;
    }
    for (const key of Object.keys(vo)) if (!EZLS_VIDEO_FIELDS.has(key)) add(`${at}.${key}`, `is not a field of a video output (${[...EZLS_VIDEO_FIELDS.keys()].join(', ')})`);
    return ezlsRung(vo, at, add, notes);
  });
}

function ezlsRung(vo: Record<string, unknown>, at: string, add: Add, notes: Set<string>): RungSpec {
  const codec = vo['Codec'];
  if (codec === 'av1') add(`${at}.Codec`, 'tidecast encodes h264 and h265 only: "av1" is not encoded');
  else if (codec !== 'h264' && codec !== 'h265') add(`${at}.Codec`, `must be "h264" or "h265", got ${describeValue(codec)}`);
  // Go's zero values (0, "") are absent fields: Framerate 0 keeps the source's rate, as in ezLS's command.go.
  const given = (field: string): unknown => (vo[field] === 0 || vo[field] === '' ? undefined : vo[field]);
  const crf = vo['Crf'];
  if (crf !== undefined) {
    // Checked as ezLS checks it (x264's and x265's CRF scale), though not used: a wrong value is still a wrong spec.
    if (!Number.isInteger(crf) || (crf as number) < 0 || (crf as number) > 51) add(`${at}.Crf`, `must be an integer from 0 to 51, got ${describeValue(crf)}`);
    notes.add(NOTES.Crf);
  }
  if (vo['Gop_size'] !== undefined) notes.add(NOTES.Gop_size);
  return defined({
    name: given('Label'),
    codec: codec === 'h264' || codec === 'h265' ? codec : undefined,
    width: given('Width'),
    height: given('Height'),
    frameRate: given('Framerate'),
    bitrateKbps: bitrateKbps(vo['Bitrate'], `${at}.Bitrate`, add),
    maxRateKbps: bitrateKbps(vo['Max_bitrate'], `${at}.Max_bitrate`, add),
    bufferSizeKbits: bitrateKbps(vo['Buf_size'], `${at}.Buf_size`, add),
    preset: given('Preset'),
    threads: given('Threads'),
  }) as unknown as RungSpec;
}

/** ezLS allows up to 5 audio outputs (AAC, MP3); tidecast carries one AAC rendition, shared by every rung. */
function ezlsAudio(outputs: unknown, add: Add, notes: Set<string>): { bitrateKbps?: number } | undefined {
  if (outputs === undefined) return undefined;
  if (!Array.isArray(outputs)) {
    add('Output.Audio_outputs', `must be an array of audio outputs, got ${describeValue(outputs)}`);
    return undefined;
  }
  if (outputs.length > 1) add('Output.Audio_outputs', `tidecast carries one audio rendition (the source's AAC, re-encoded only when it is not AAC): give at most one, got ${outputs.length}`);
  const ao: unknown = outputs[0];
  if (ao === undefined) return undefined;
  if (!isRecord(ao)) {
    add('Output.Audio_outputs[0]', `must be an object, got ${describeValue(ao)}`);
    return undefined;
  }
  for (const key of Object.keys(ao)) if (key !== 'Codec' && key !== 'Bitrate') add(`Output.Audio_outputs[0].${key}`, 'is not a field of an audio output (Codec, Bitrate)');
  const codec = ao['Codec'];
  if (codec === 'mp3') add('Output.Audio_outputs[0].Codec', 'tidecast writes AAC audio only: "mp3" is not encoded');
  else if (codec !== undefined && codec !== 'aac') add('Output.Audio_outputs[0].Codec', `must be "aac", got ${describeValue(codec)}`);
  const kbps = bitrateKbps(ao['Bitrate'], 'Output.Audio_outputs[0].Bitrate', add);
  if (kbps === undefined) return {};
  notes.add(NOTES.Audio);
  return { bitrateKbps: kbps };
}

/**
 * ezLS's bit rate strings (`"365k"`) in kb/s. ezLS takes `k`/`K` only; `M` (10^6, as ffmpeg reads
 * it) is taken too. Lowercase `m` is refused: ffmpeg reads it as milli, so "4m" is not 4 Mb/s.
 */
const BITRATE = /^(\d+(?:\.\d+)?)([kKM])$/;

function bitrateKbps(value: unknown, path: string, add: Add): number | undefined {
  if (value === undefined || value === '') return undefined;
  const match = typeof value === 'string' ? BITRATE.exec(value) : null;
  if (match === null) {
    add(path, `must be a bit rate such as "3000k" or "4M" (k: 1000, M: 1000000 bits/s), got ${describeValue(value)}`);
    return undefined;
  }
  const kbps = Number(match[1]) * (match[2] === 'M' ? 1000 : 1);
  const whole = Math.round(kbps);
  if (Math.abs(kbps - whole) > 1e-6) {
    add(path, `must be a whole number of kb/s, got ${describeValue(value)}`);
    return undefined;
  }
  return whole;
}

/** A ladder problem's path in ezLS's names: `rungs[1].bitrateKbps` → `Output.Video_outputs[1].Bitrate`. */
function ezlsPath(path: string): string {
  if (path.startsWith('audio')) return 'Output.Audio_outputs[0].Bitrate';
  const match = /^rungs(?:\[(\d+)\](?:\.(\w+))?)?$/.exec(path);
  if (match === null) return 'Output';
  if (match[1] === undefined) return 'Output.Video_outputs';
  const at = `Output.Video_outputs[${match[1]}]`;
  return match[2] === undefined ? at : `${at}.${RUNG_TO_EZLS.get(match[2]) ?? match[2]}`;
}

/** A ladder problem's message in ezLS's names, its bit rates written as ezLS writes them ("16k"). */
function ezlsMessage(path: string, message: string): string {
  const named = message.replace(/rungs\[(\d+)\]/g, 'Output.Video_outputs[$1]').replace(/\b(bitrateKbps|maxRateKbps|bufferSizeKbits)\b/g, (name) => RUNG_TO_EZLS.get(name) ?? name);
  if (!/(Bitrate|Max_bitrate|Buf_size)$/.test(path)) return named;
  return named.replace(/an integer from (\d+) to (\d+), got (\d+)$/, 'a bit rate from "$1k" to "$2k", got "$3k"').replace(/\((\d+)\), got (\d+)$/, '("$1k"), got "$2k"');
}

// ---- helpers ----

/** Go's zero value of a field: absent, 0, "" or false. */
function isZero(value: unknown): boolean {
  return value === undefined || value === 0 || value === '' || value === false;
}

/** `fields` without its undefined ones, so a stored spec has no `"x": undefined` holes. */
function defined<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
