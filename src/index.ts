/**
 * tidecast — the package entry point. The media server (createMediaServer) lands here with the
 * live server; until then this re-exports the modules that exist, each also importable on its own
 * (`tidecast/rtmp`, `tidecast/amf`, `tidecast/flv`, `tidecast/codec`, `tidecast/media`,
 * `tidecast/cmaf`, `tidecast/hls`, `tidecast/errors`).
 */
export * as rtmp from './rtmp/index.js';
export * as amf from './amf/index.js';
export * as flv from './flv/index.js';
export * as codec from './codec/index.js';
export * as media from './media/index.js';
export * as cmaf from './cmaf/index.js';
export * as hls from './hls/index.js';
export { packageFlv } from './server/index.js';
export type { PackageFlvOptions, PackageFlvProgress } from './server/index.js';
export * from './errors/index.js';
