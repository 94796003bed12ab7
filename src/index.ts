/**
 * tidecast — the package entry point. The media server (createMediaServer) lands here with the
 * live server; until then this re-exports the modules that exist, each also importable on its own
 * (`tidecast/rtmp`, `tidecast/amf`, `tidecast/flv`, `tidecast/errors`).
 */
export * as rtmp from './rtmp/index.js';
export * as amf from './amf/index.js';
export * as flv from './flv/index.js';
export * from './errors/index.js';
