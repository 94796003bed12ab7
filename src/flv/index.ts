export {
  FlvFileReader,
  readFlvFile,
  DEFAULT_FLV_MAX_TAG_BYTES,
  FLV_MAX_DATA_OFFSET,
} from './file-reader.js';
export type { FlvFileHeader, FlvFileTag, FlvFileReaderOptions } from './file-reader.js';
export { FlvFileWriter, writeFlvFile, FLV_MAX_TAG_BODY_BYTES } from './file-writer.js';
export type { FlvFileWriterOptions, FlvTagInput } from './file-writer.js';
export { parseVideoTag, VIDEO_FOURCCS } from './tags/video-tag.js';
export type { VideoTag, VideoMediaTag, VideoCommandTag, VideoCodec, VideoFrameType, VideoPacketType } from './tags/video-tag.js';
export { buildVideoTag, buildVideoTagParts } from './tags/video-tag-builder.js';
export type { VideoTagInit, VideoMediaTagInit, VideoCommandTagInit } from './tags/video-tag-builder.js';
export { parseAudioTag, AUDIO_FOURCCS } from './tags/audio-tag.js';
export type { AudioTag, AudioCodec, AudioPacketType } from './tags/audio-tag.js';
export { buildAudioTag, buildAudioTagParts } from './tags/audio-tag-builder.js';
export { joinTagParts } from './tags/tag-fields.js';
export type { FlvTagParts } from './tags/tag-fields.js';
export type { AudioTagInit } from './tags/audio-tag-builder.js';
export { parseScriptTag, buildScriptTag, SET_DATA_FRAME } from './tags/script-tag.js';
export type { ScriptTag } from './tags/script-tag.js';
export { FlvError } from '../errors/index.js';
