export { VIDEO_TIMESCALE } from './track.js';
export type { Track, VideoTrack, AudioTrack, VideoCodec, AudioCodec } from './track.js';
export type { Sample } from './sample.js';
