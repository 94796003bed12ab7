export { locateFfmpeg, locateFfprobe } from './ffmpeg-locate.js';
export type { FfmpegLocation, FfmpegSource, LocateOptions } from './ffmpeg-locate.js';
export {
  AUDIO_BITRATE_KBPS_RANGE,
  DEFAULT_AUDIO_BITRATE_KBPS,
  DEFAULT_ENCODER_PRESET,
  ENCODER_PRESETS,
  LadderSpecError,
  MAX_PROBLEMS,
  MAX_RUNGS,
  RUNG_BITRATE_KBPS_RANGE,
  RUNG_BUFFER_KBITS_RANGE,
  RUNG_CODECS,
  RUNG_FRAME_RATE_RANGE,
  RUNG_HEIGHT_RANGE,
  RUNG_PROFILES,
  RUNG_THREADS_RANGE,
  RUNG_WIDTH_RANGE,
  checkLadderSpec,
  ladderProblems,
  rungName,
} from './ladder-spec.js';
export type { AudioSpec, EncoderPreset, LadderProblem, LadderSpec, RungCodec, RungSpec } from './ladder-spec.js';
export { HEVC_FLV_OUTPUT_VERSION, frameRateDivisor, planLadder, rungSize, versionAtLeast } from './ladder-plan.js';
export type { FfmpegVersion, LadderPlan, LadderSource, PlannedAudio, PlannedCopy, PlannedEncode, PlannedRung } from './ladder-plan.js';
export { ENCODER_GOP_FRAMES, encoderArgs, ffmpegArgs, filterGraph } from './ffmpeg-args.js';
export type { FfmpegArgsOptions, FfmpegCommand, FfmpegOutput } from './ffmpeg-args.js';
export { parseFfmpegVersion } from './ffmpeg-version.js';
export { LADDER_PRESETS, ladderPreset } from './ladder-presets.js';
