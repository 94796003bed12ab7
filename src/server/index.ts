/**
 * The composition root: the one place that wires stages together (design.md) — createMediaServer,
 * the FLV → media adapter and the offline packager.
 */
export { createMediaServer, MediaServer } from './media-server.js';
export type { MediaServerCounters, MediaServerEvents } from './media-server-events.js';
export type { MediaServerOptions } from './media-server-options.js';
export { FlvToMedia, VIDEO_TRACK_ID, AUDIO_TRACK_ID } from './flv-to-media.js';
export type { MediaEvent, FlvToMediaCounters } from './flv-to-media.js';
export { avcTrack, hevcTrack, aacTrack } from './tracks-from-configs.js';
export { packageFlv } from './package-flv.js';
export type { PackageFlvOptions, PackageFlvProgress } from './package-flv.js';
export { gatherStreamCounters, movedCounters } from './stream-counters.js';
export type { StreamCounterSources } from './stream-counters.js';
export { tuneHeapGrowing, DEFAULT_HEAP_GROWING_PERCENT, HEAP_GROWING_PERCENT_RANGE } from './heap-tuning.js';
export { LadderTier, MIN_FFMPEG_VERSION } from './ladder-tier.js';
export type { LadderChoice, LadderTierEvents, TranscodeOptions } from './ladder-tier.js';
export { Authorizer, hashKey, signToken, staticKeys, hmacTokens, httpCallback, jwtStrategy } from './authorization.js';
export type { AuthAction, AuthDecision, AuthRequest, AuthStrategy, AppAuthPolicy, AuthorizerOptions, CallbackOptions, JwtOptions } from './authorization.js';
export type { WebhookEvent, WebhookEventType, WebhookEndpoint, WebhookOptions, WebhookCounters } from './webhooks.js';
export type { ControlPlane, AuthDenial } from './control-plane.js';
export { ObjectStorageUploader } from './object-storage.js';
export type { ObjectStorageCounters, ObjectStorageEvents, UploadEvent } from './object-storage-events.js';
export type { ObjectStorageOptions } from './object-storage-options.js';
export { Recorder } from './recorder.js';
export type { RecorderHost } from './recorder.js';
export type { RecordOptions } from './recorder-options.js';
export type { RecordingEvent } from './recorder-recording.js';
export { scanRecordings, recordingFolder } from './recording-catalog.js';
export type { RecordingInfo, RecordingRendition } from './recording-catalog.js';
