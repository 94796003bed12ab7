/** HTTP delivery: routes for playlists, segments and the streams API (docs/http.md). */
export { registerDelivery } from './delivery.js';
export type { FrontHandler } from './delivery.js';
export type { DeliveryOptions } from './delivery.js';
export { summarizeStreams } from './streams-api.js';
export type { StreamCounters, StreamSummary } from './streams-api.js';
export { deliveryPath, isSafeSegment } from './path-rules.js';
export { cacheControlFor, LIVE_PLAYLIST_CACHE_CONTROL, PLAYLIST_CACHE_CONTROL, MEDIA_CACHE_CONTROL, BLOCKING_PLAYLIST_CACHE_CONTROL, GONE_CACHE_CONTROL, NO_STORE_CACHE_CONTROL } from './cache-control.js';
export { CORS_HEADERS, PREFLIGHT_HEADERS, registerCors } from './cors.js';
export { LiveDelivery, DEFAULT_MAX_PARKED, parseDirectives, hasDirectives } from './live-delivery.js';
export type { LiveResponse, Directives, LiveDeliveryOptions } from './live-delivery.js';
export { ParkedRequests, systemParkingClock } from './parked-requests.js';
export type { ParkingClock } from './parked-requests.js';
export { limitConnections, resolveConnectionLimits, DEFAULT_HTTP_MAX_CONNECTIONS, DEFAULT_HTTP_MAX_CONNECTIONS_PER_ADDRESS } from './connection-limits.js';
export type { ConnectionLimitOptions, ConnectionLimitCounters } from './connection-limits.js';
export { DashDelivery, DEFAULT_LOW_LATENCY_DASH, MPD_CONTENT_TYPE } from './dash-delivery.js';
export type { DashDeliveryOptions, MpdFlavour } from './dash-delivery.js';
