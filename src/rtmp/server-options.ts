import { resolveAmfLimits } from '../amf/index.js';
import { checkIntegerOption as integer } from '../config/check-option.js';
import type { SessionOptions } from './session/index.js';

export interface RtmpServerOptions extends Partial<SessionOptions> {
  /** TCP port; 0 picks a free one (see `address()`). Default 1935, RTMP's registered port. */
  port?: number;
  /** Address to bind. Default '0.0.0.0' (every IPv4 interface). */
  host?: string;
  /** PEM certificate and key: the server speaks RTMPS (RTMP over TLS). Default: plain TCP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * Time for C0/C1/C2 to arrive. Default 10 000 ms: a real client finishes in one round trip; a
   * peer that connects and says nothing holds a socket and must be cut off.
   */
  handshakeTimeoutMs?: number;
  /**
   * Time without a byte in either direction before the session is closed. Default 30 000 ms:
   * encoders send frames many times a second and players receive them; 30 s rides out a stall.
   */
  idleTimeoutMs?: number;
  /**
   * Open sessions at once; further connections are closed at accept. Default 1000: each session
   * costs its buffers (tens of KiB idle, up to the chunk limits under attack) and a socket.
   */
  maxConnections?: number;
}

export interface ResolvedServerOptions {
  port: number;
  host: string;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
}

export function resolveServerOptions(o: RtmpServerOptions): ResolvedServerOptions {
  const resolved = {
    port: o.port ?? 1935,
    host: o.host ?? '0.0.0.0',
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? 10_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 30_000,
    maxConnections: o.maxConnections ?? 1000,
  };
  integer('port', resolved.port, 0, 65535);
  integer('handshakeTimeoutMs', resolved.handshakeTimeoutMs, 1, 3_600_000);
  integer('idleTimeoutMs', resolved.idleTimeoutMs, 1, 86_400_000);
  integer('maxConnections', resolved.maxConnections, 1, 1_000_000);
  if (o.outgoingChunkSize !== undefined) integer('outgoingChunkSize', o.outgoingChunkSize, 128, 0xffffff);
  if (o.windowAckSize !== undefined) integer('windowAckSize', o.windowAckSize, 1, 0x7fffffff);
  for (const [key, value] of Object.entries(o.chunk ?? {})) integer(`chunk.${key}`, value, 1, 0x7fffffff);
  resolveAmfLimits(o.amf);
  if (o.maxOutgoingBufferBytes !== undefined) integer('maxOutgoingBufferBytes', o.maxOutgoingBufferBytes, 1024, 2 ** 40);
  return resolved;
}
