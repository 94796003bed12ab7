/**
 * tidecast — the package entry point: createMediaServer (RTMP in, HLS out) and the offline
 * packager, plus every module as a namespace, each also importable on its own (`tidecast/rtmp`,
 * `tidecast/amf`, `tidecast/flv`, `tidecast/codec`, `tidecast/media`, `tidecast/hub`,
 * `tidecast/cmaf`, `tidecast/hls`, `tidecast/store`, `tidecast/errors`).
 */
export * as rtmp from './rtmp/index.js';
export * as amf from './amf/index.js';
export * as flv from './flv/index.js';
export * as codec from './codec/index.js';
export * as media from './media/index.js';
export * as cmaf from './cmaf/index.js';
export * as hls from './hls/index.js';
export * as hub from './hub/index.js';
export * as store from './store/index.js';
export * as cluster from './cluster/index.js';
export { createMediaServer, MediaServer, packageFlv, Authorizer, hashKey, signToken, staticKeys, hmacTokens, httpCallback, jwtStrategy, scanRecordings, recordingFolder } from './server/index.js';
export type { RecordOptions, RecordingEvent, RecordingInfo, RecordingRendition } from './server/index.js';
export { ObjectStorageUploader } from './server/index.js';
export type { ObjectStorageOptions, UploadEvent } from './server/index.js';
export type { LadderChoice, MediaServerEvents, MediaServerOptions, PackageFlvOptions, PackageFlvProgress, TranscodeOptions, AuthAction, AuthDecision, AuthRequest, AuthStrategy, AppAuthPolicy, WebhookEvent, WebhookOptions } from './server/index.js';
export * from './errors/index.js';
