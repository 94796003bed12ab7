import { resolveAmfLimits } from '../amf/index.js';
import { checkIntegerOption as integer } from '../config/check-option.js';
import { DEFAULT_MAX_TOTAL_PENDING_BYTES } from './chunk/index.js';
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
  /**
   * Open sessions from one IP address; further connections from it are closed at accept.
   * Default 32: a studio or a NAT with a few dozen encoders still connects, while one address
   * alone cannot take the server's slots (it would need 1000 / 32 = 32 addresses to fill them).
   */
  maxConnectionsPerAddress?: number;
  /**
   * A session that neither publishes nor plays for this long — after its handshake, or after its
   * last stream ended — is closed, whatever else it sends (pings, acks, commands). Default 10 000
   * ms: OBS, FFmpeg, GStreamer and librtmp publish or play within a second of connecting (an
   * authorization hook included); a session with no stream holds a slot and nothing more.
   */
  noStreamTimeoutMs?: number;
  /**
   * Bytes of incomplete incoming messages all sessions together may hold (see PendingBudget).
   * Default 128 MiB (DEFAULT_MAX_TOTAL_PENDING_BYTES).
   */
  maxTotalPendingBytes?: number;
}

export interface ResolvedServerOptions {
  port: number;
  host: string;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  noStreamTimeoutMs: number;
  maxTotalPendingBytes: number;
}

export function resolveServerOptions(o: RtmpServerOptions): ResolvedServerOptions {
  const resolved = {
    port: o.port ?? 1935,
    host: o.host ?? '0.0.0.0',
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? 10_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 30_000,
    maxConnections: o.maxConnections ?? 1000,
    maxConnectionsPerAddress: o.maxConnectionsPerAddress ?? 32,
    noStreamTimeoutMs: o.noStreamTimeoutMs ?? 10_000,
    maxTotalPendingBytes: o.maxTotalPendingBytes ?? DEFAULT_MAX_TOTAL_PENDING_BYTES,
  };
  integer('port', resolved.port, 0, 65535);
  integer('handshakeTimeoutMs', resolved.handshakeTimeoutMs, 1, 3_600_000);
  integer('idleTimeoutMs', resolved.idleTimeoutMs, 1, 86_400_000);
  integer('maxConnections', resolved.maxConnections, 1, 1_000_000);
  integer('maxConnectionsPerAddress', resolved.maxConnectionsPerAddress, 1, 1_000_000);
  integer('noStreamTimeoutMs', resolved.noStreamTimeoutMs, 1, 86_400_000);
  integer('maxTotalPendingBytes', resolved.maxTotalPendingBytes, 1024, 2 ** 40);
  if (o.outgoingChunkSize !== undefined) integer('outgoingChunkSize', o.outgoingChunkSize, 128, 0xffffff);
  if (o.windowAckSize !== undefined) integer('windowAckSize', o.windowAckSize, 1, 0x7fffffff);
  for (const [key, value] of Object.entries(o.chunk ?? {})) integer(`chunk.${key}`, value, 1, 0x7fffffff);
  resolveAmfLimits(o.amf);
  if (o.maxOutgoingBufferBytes !== undefined) integer('maxOutgoingBufferBytes', o.maxOutgoingBufferBytes, 1024, 2 ** 40);
  if (o.maxStreamsPerSession !== undefined) integer('maxStreamsPerSession', o.maxStreamsPerSession, 1, 1024);
  return resolved;
}
