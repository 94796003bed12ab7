export { ServerHandshake } from './server-handshake.js';
export { ClientHandshake } from './client-handshake.js';
export type { ClientHandshakeOptions } from './client-handshake.js';
export type { HandshakeOptions, HandshakeOutput } from './signature.js';
export {
  complexResponse,
  complexResponseValid,
  computeDigest,
  digestOffset,
  findDigest,
  responseHmac,
  writeDigest,
} from './digest.js';
export type { DigestLocation, DigestScheme } from './digest.js';
export {
  C0_C1_SIZE,
  CLIENT_VERSION,
  FMS_KEY,
  FMS_KEY_TEXT,
  FP_KEY,
  FP_KEY_TEXT,
  RTMP_VERSION,
  S0_S1_S2_SIZE,
  SERVER_VERSION,
  SIGNATURE_SIZE,
} from './constants.js';
