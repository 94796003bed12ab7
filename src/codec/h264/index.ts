export { parseAvcC, buildAvcC, avcConfigFromParameterSets } from './avcc.js';
export type { AvcConfig, AvcConfigExt } from './avcc.js';
export { parseH264Sps } from './sps.js';
export type { H264Sps } from './sps.js';
export type { H264FrameGeometry } from './sps-geometry.js';
export type { H264Vui } from './sps-vui.js';
export { H264_NAL_TYPE, h264NalType, isH264Keyframe } from './nal-types.js';
export { avcCodecString } from './codec-string.js';
// NAL framing is shared with H.265 (src/codec/nal/); exported here, where H.264 users look for it.
export { removeEmulationPrevention, addEmulationPrevention, splitNalUnits, joinNalUnits, splitAnnexB, annexBToAvcc, avccToAnnexB } from '../nal/index.js';
export type { NalLengthSize } from '../nal/index.js';
