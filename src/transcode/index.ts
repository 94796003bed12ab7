export { locateFfmpeg, locateFfprobe } from './ffmpeg-locate.js';
export type { FfmpegLocation, FfmpegSource, LocateOptions } from './ffmpeg-locate.js';
