export type { AmfValue, AmfObject } from './types.js';
export { AmfEcmaArray, AmfTypedObject } from './types.js';
export type { AmfLimits } from './limits.js';
export {
  AMF_DEFAULT_LIMITS,
  AMF_DEFAULT_MAX_DEPTH,
  AMF_DEFAULT_MAX_ITEMS,
  AMF_DEFAULT_MAX_STRING_BYTES,
  AMF_DEPTH_CEILING,
  resolveAmfLimits,
} from './limits.js';
export { AMF0_MARKER, AMF3_MARKER } from './markers.js';
export { Amf0Decoder, decodeAmf0 } from './amf0-decode.js';
export { Amf3Decoder, decodeAmf3 } from './amf3-decode.js';
export { amf0ByteLength, writeAmf0, encodeAmf0 } from './amf0-encode.js';
