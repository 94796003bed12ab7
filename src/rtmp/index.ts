/**
 * tidecast/rtmp — RTMP 1.0 (Adobe, 2012) as a library: handshake, chunk stream, messages,
 * sessions, and the TCP/TLS server and client built on them. The parsers are sans-I/O; only
 * RtmpServer and RtmpClient touch sockets and timers.
 */
export { RtmpServer } from './server.js';
export type { RtmpServerEvents } from './server.js';
export type { RtmpServerOptions } from './server-options.js';
export { RtmpClient, PublishingStream } from './client.js';
export type { RtmpClientOptions, RtmpClientEvents } from './client.js';
export { parseRtmpUrl } from './url.js';
export { ProxyHeaderReader, decodeProxyHeader, clientEndpoint, PROXY_V1_MAX_BYTES, PROXY_V2_SIGNATURE, DEFAULT_PROXY_V2_MAX_BYTES } from './proxy-protocol.js';
export type { ProxyHeader, ProxyHeaderFields, ProxyHeaderStep, ProxyEndpoint, ProxyTlv, ProxyCommand, ProxyFamily, ProxyTransport } from './proxy-protocol.js';
export { encodeProxyHeaderV1, encodeProxyHeaderV2 } from './proxy-protocol-encode.js';
export type { RtmpUrl } from './url.js';
export * from './chunk/index.js';
export * from './message/index.js';
export * from './session/index.js';
export { ServerHandshake, ClientHandshake } from './handshake/index.js';
export type { HandshakeOutput, ClientHandshakeOptions } from './handshake/index.js';
export { RtmpError } from '../errors/index.js';
