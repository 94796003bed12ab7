import { resolveAmfLimits } from '../amf/index.js';
import { PORT_RANGE, checkBooleanOption, checkNumberRange as check, integerRange, invalidOption } from '../config/index.js';
import { DEFAULT_MAX_TOTAL_PENDING_BYTES } from './chunk/index.js';
import { parseAddressRange, type AddressRange } from './proxy-address.js';
import type { SessionOptions } from './session/index.js';

/** 1935: RTMP's IANA-registered port, the one OBS and FFmpeg assume when a URL names none. */
export const DEFAULT_RTMP_PORT = 1935;

/** '0.0.0.0': every IPv4 interface, so encoders on other machines reach a server started as is. */
export const DEFAULT_RTMP_HOST = '0.0.0.0';

/** 10 000 ms: see `handshakeTimeoutMs`. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** 30 000 ms: see `idleTimeoutMs`. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** 1000 sessions: see `maxConnections`. */
export const DEFAULT_RTMP_MAX_CONNECTIONS = 1000;

/** 32 sessions from one address: see `maxConnectionsPerAddress`. */
export const DEFAULT_RTMP_MAX_CONNECTIONS_PER_ADDRESS = 32;

/** 10 000 ms: see `noStreamTimeoutMs`. */
export const DEFAULT_NO_STREAM_TIMEOUT_MS = 10_000;

/** Loopback only: see `proxyProtocolTrusted`. */
export const DEFAULT_PROXY_PROTOCOL_TRUSTED: readonly string[] = ['127.0.0.0/8', '::1'];

/** 5000 ms: see `proxyHeaderTimeoutMs`. */
export const DEFAULT_PROXY_HEADER_TIMEOUT_MS = 5000;

export interface RtmpServerOptions extends Partial<SessionOptions> {
  /** TCP port; 0 picks a free one (see `address()`). Default 1935 (DEFAULT_RTMP_PORT). */
  port?: number;
  /** Address to bind. Default '0.0.0.0' (DEFAULT_RTMP_HOST). */
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
  /**
   * Plain-TCP sessions read into one 64 KiB buffer of the server's (Node's `onread` mechanism,
   * shared-read.ts) instead of a new buffer per socket read; each session copies out only what
   * it has not parsed yet, at most about a chunk. Default true; false reads 'data' events.
   */
  sharedReadBuffer?: boolean;
  /**
   * Every connection begins with a PROXY protocol header (v1 or v2, haproxy
   * doc/proxy-protocol.txt) from a load balancer (HAProxy `send-proxy-v2`): the session's
   * `remoteAddress` and `remotePort` are the client's from the header — what publish auth, logs,
   * maxConnectionsPerAddress and the control API see — and `proxyAddress` the balancer's. A
   * connection without a valid header is closed (ERR_RTMP_PROXY_HEADER). All or none: the spec
   * forbids guessing whether a header is there (2). Plain TCP only (a header would precede TLS's
   * ClientHello). Default false.
   */
  proxyProtocol?: boolean;
  /**
   * With `proxyProtocol`: the addresses and ranges (`10.0.0.5`, `10.0.0.0/8`, `fd00::/8`) allowed
   * to connect and send a header; any other peer is closed at accept (ERR_RTMP_PROXY_UNTRUSTED),
   * so no one can claim another's address (the spec: "only trusted proxies are allowed to use
   * this protocol"). Default loopback only (127.0.0.0/8, ::1): a balancer on the same machine
   * works as is, one elsewhere must be named.
   */
  proxyProtocolTrusted?: readonly string[];
  /**
   * With `proxyProtocol`: time for the header to arrive. Default 5000 ms: a balancer sends it
   * with the connection's first segment; the spec asks for at least 3 s, one TCP retransmit.
   */
  proxyHeaderTimeoutMs?: number;
}

/**
 * The range of each numeric option, checked at start by resolveServerOptions (`tidecast serve`
 * takes its flags' ranges from here too): timeouts up to an hour (handshake) or a day, sessions
 * up to a million, byte bounds from 1 KiB to 1 TiB; the chunk reader's limits up to 2^31 − 1, the
 * largest chunk size RTMP allows (5.4.1); the outgoing chunk size from the initial 128 to the
 * 24-bit message length (5.3.1.2).
 */
export const RTMP_SERVER_OPTION_RANGES = {
  port: PORT_RANGE,
  handshakeTimeoutMs: integerRange(1, 3_600_000),
  idleTimeoutMs: integerRange(1, 86_400_000),
  maxConnections: integerRange(1, 1_000_000),
  maxConnectionsPerAddress: integerRange(1, 1_000_000),
  noStreamTimeoutMs: integerRange(1, 86_400_000),
  maxTotalPendingBytes: integerRange(1024, 2 ** 40),
  outgoingChunkSize: integerRange(128, 0xffffff),
  windowAckSize: integerRange(1, 0x7fffffff),
  chunk: integerRange(1, 0x7fffffff),
  maxOutgoingBufferBytes: integerRange(1024, 2 ** 40),
  maxStreamsPerSession: integerRange(1, 1024),
  proxyHeaderTimeoutMs: integerRange(1, 3_600_000),
} as const;

export interface ResolvedServerOptions {
  port: number;
  host: string;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  noStreamTimeoutMs: number;
  maxTotalPendingBytes: number;
  proxyProtocol: boolean;
  /** `proxyProtocolTrusted`, parsed. */
  proxyProtocolTrusted: readonly AddressRange[];
  proxyHeaderTimeoutMs: number;
}

export function resolveServerOptions(o: RtmpServerOptions): ResolvedServerOptions {
  const resolved = {
    port: o.port ?? DEFAULT_RTMP_PORT,
    host: o.host ?? DEFAULT_RTMP_HOST,
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxConnections: o.maxConnections ?? DEFAULT_RTMP_MAX_CONNECTIONS,
    maxConnectionsPerAddress: o.maxConnectionsPerAddress ?? DEFAULT_RTMP_MAX_CONNECTIONS_PER_ADDRESS,
    noStreamTimeoutMs: o.noStreamTimeoutMs ?? DEFAULT_NO_STREAM_TIMEOUT_MS,
    maxTotalPendingBytes: o.maxTotalPendingBytes ?? DEFAULT_MAX_TOTAL_PENDING_BYTES,
    proxyHeaderTimeoutMs: o.proxyHeaderTimeoutMs ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS,
  };
  const ranges = RTMP_SERVER_OPTION_RANGES;
  for (const key of ['port', 'handshakeTimeoutMs', 'idleTimeoutMs', 'maxConnections', 'maxConnectionsPerAddress', 'noStreamTimeoutMs', 'maxTotalPendingBytes', 'proxyHeaderTimeoutMs'] as const) {
    check(key, resolved[key], ranges[key]);
  }
  if (o.outgoingChunkSize !== undefined) check('outgoingChunkSize', o.outgoingChunkSize, ranges.outgoingChunkSize);
  if (o.windowAckSize !== undefined) check('windowAckSize', o.windowAckSize, ranges.windowAckSize);
  for (const [key, value] of Object.entries(o.chunk ?? {})) check(`chunk.${key}`, value, ranges.chunk);
  resolveAmfLimits(o.amf);
  if (o.maxOutgoingBufferBytes !== undefined) check('maxOutgoingBufferBytes', o.maxOutgoingBufferBytes, ranges.maxOutgoingBufferBytes);
  if (o.maxStreamsPerSession !== undefined) check('maxStreamsPerSession', o.maxStreamsPerSession, ranges.maxStreamsPerSession);
  if (o.sharedReadBuffer !== undefined) checkBooleanOption('sharedReadBuffer', o.sharedReadBuffer);
  const proxyProtocol = o.proxyProtocol === undefined ? false : checkBooleanOption('proxyProtocol', o.proxyProtocol);
  if (proxyProtocol && o.tls !== undefined) throw invalidOption('proxyProtocol', 'off with tls (the header would precede the TLS handshake: terminate TLS at the balancer, or pass it through to a plain listener)', 'true');
  return { ...resolved, proxyProtocol, proxyProtocolTrusted: trustedProxies(o.proxyProtocolTrusted ?? DEFAULT_PROXY_PROTOCOL_TRUSTED) };
}

/** `proxyProtocolTrusted` → ranges; a refusal names the entry. */
function trustedProxies(entries: unknown): AddressRange[] {
  const expected = 'a list of IPv4/IPv6 addresses or CIDR ranges (10.0.0.0/8, fd00::/8)';
  if (!Array.isArray(entries)) throw invalidOption('proxyProtocolTrusted', expected, typeof entries);
  return entries.map((entry: unknown, i) => {
    const range = typeof entry === 'string' ? parseAddressRange(entry) : undefined;
    if (range === undefined) throw invalidOption(`proxyProtocolTrusted[${i}]`, expected, JSON.stringify(entry) ?? String(entry));
    return range;
  });
}
