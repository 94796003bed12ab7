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
  describeValue,
  isRecord,
  ladderProblems,
  rungName,
} from './ladder-spec.js';
export type { AudioSpec, EncoderPreset, LadderProblem, LadderSpec, RungCodec, RungSpec } from './ladder-spec.js';
export { HEVC_FLV_OUTPUT_VERSION, frameRateDivisor, ladderPixelRate, planLadder, rungSize, versionAtLeast } from './ladder-plan.js';
export type { FfmpegVersion, LadderPlan, LadderSource, PlanOptions, PlannedAudio, PlannedCopy, PlannedEncode, PlannedRung } from './ladder-plan.js';
export { ENCODER_GOP_FRAMES, encoderArgs, ffmpegArgs, filterGraph } from './ffmpeg-args.js';
export type { FfmpegArgsOptions, FfmpegCommand, FfmpegOutput } from './ffmpeg-args.js';
export { parseFfmpegVersion } from './ffmpeg-version.js';
export { LADDER_PRESETS, ladderPreset } from './ladder-presets.js';
export { FEED_OFFSET_MS, FlvFeed } from './flv-feed.js';
export { RungReader } from './rung-reader.js';
export type { RungEvent } from './rung-reader.js';
export { LadderOutput } from './ladder-output.js';
export type { LadderOutputSink, OutputRung } from './ladder-output.js';
export { LadderSession } from './ladder-session.js';
export type { LadderSessionEvents, LadderSessionOptions, LadderState, LadderStats, RungStats } from './ladder-session.js';
export { DEFAULT_STDERR_LINES, DEFAULT_STOP_TIMEOUT_MS, FfmpegProcess, MAX_PIPE_FD, MAX_STDERR_LINE_CHARS } from './ffmpeg-process.js';
export type { FfmpegExit, FfmpegProcessEvents, FfmpegProcessOptions, SpawnFunction } from './ffmpeg-process.js';
export { FfmpegProgressParser, LineSplitter, MAX_PROGRESS_LINE_CHARS, MAX_PROGRESS_STREAMS } from './ffmpeg-progress.js';
export type { FfmpegProgress } from './ffmpeg-progress.js';
export { DEFAULT_RESTART_BASE_MS, DEFAULT_RESTART_INITIAL_MS, DEFAULT_RESTART_MAX_MS, DEFAULT_RESTART_RESET_AFTER_MS, RestartBackoff } from './restart-backoff.js';
export type { RestartBackoffOptions } from './restart-backoff.js';
export { DEFAULT_JOB_APP, JOB_SEGMENT_SECONDS_RANGE, parseJobRequest } from './job-spec.js';
export type { JobOutput, JobSpec } from './job-spec.js';
export { JOB_ID_BYTES, JOB_STATES, JOB_TRANSITIONS, MAX_JOB_HISTORY, STREAM_KEY_BYTES, canTransition, randomToken } from './job-model.js';
export type { Job, JobError, JobEvent, JobState } from './job-model.js';
export type { JobStore, JobStoreWatcher } from './job-store.js';
export { JsonFileJobStore } from './job-store-file.js';
export { DEFAULT_REDIS_JOB_PREFIX, RedisJobStore } from './job-store-redis.js';
export type { RedisJobStoreOptions } from './job-store-redis.js';
export { DEFAULT_JOB_LIST_LIMIT, JobService, MAX_JOBS, MAX_JOB_LIST_LIMIT } from './job-service.js';
export type { JobChangeOrigin, JobCondition, JobListOptions, JobPage, JobServiceEvents, JobServiceOptions } from './job-service.js';
