/**
 * tidecast/media — the types every stage after the codec parsers shares (Track, Sample), exact
 * integer time arithmetic between timescales, and the mapping from RTMP's millisecond timestamps
 * to track ticks. Pure: no I/O, no clock, no dependency but the leaves src/errors and src/config
 * (the option checks).
 */
export { VIDEO_TIMESCALE } from './track.js';
export type { Track, VideoTrack, AudioTrack, VideoCodec, AudioCodec } from './track.js';
export { sameBytes, sameTrackSetup, sameTrackSetups } from './track-setup.js';
export type { Sample } from './sample.js';
export { rescale, secondsToTicks, ticksToSeconds, checkTimescale, MAX_TICKS, MAX_TIMESCALE } from './rescale.js';
export type { Rounding } from './rescale.js';
export { RtmpClock } from './rtmp-clock.js';
export { VideoTimestamps, AudioTimestamps, DEFAULT_MAX_TIMESTAMP_GAP_MS, DEFAULT_AUDIO_RESYNC_THRESHOLD_FRAMES } from './rtmp-timestamps.js';
export type {
  TimestampOptions,
  VideoTimestampOptions,
  AudioTimestampOptions,
  VideoTimestamp,
  AudioTimestamp,
  VideoTimestampCounters,
  AudioTimestampCounters,
} from './rtmp-timestamps.js';
export { MediaError } from '../errors/index.js';
