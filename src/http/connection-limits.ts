import type { Server } from 'node:net';
import { ConnectionSlots, checkNumberRange, integerRange } from '../config/index.js';

/**
 * 10 000: open HTTP connections in all. A player holds one to six (HTTP/1.1 browsers open up to
 * six per origin; LL-HLS keeps a blocking playlist request and a part request in flight), so this
 * is thousands of viewers per origin — past that, add origins behind an edge. It also stays under
 * the usual file-descriptor limits once raised for a server (ulimit -n 20 000 and up).
 */
export const DEFAULT_HTTP_MAX_CONNECTIONS = 10_000;

/**
 * 1 000: open HTTP connections from one IP address. Many viewers share one address (an office,
 * a school, carrier-grade NAT), so it is far above one household, while one address cannot take
 * more than a tenth of the default slots.
 */
export const DEFAULT_HTTP_MAX_CONNECTIONS_PER_ADDRESS = 1_000;

/** Either limit from 1 to a million connections (checked at start; `tidecast serve` takes its flags' ranges from here). */
export const HTTP_CONNECTION_LIMIT_RANGE = integerRange(1, 1_000_000);

export interface ConnectionLimitOptions {
  /** Open connections in all; further ones are closed at accept. Default DEFAULT_HTTP_MAX_CONNECTIONS. */
  maxConnections?: number;
  /** Open connections from one IP address. Default DEFAULT_HTTP_MAX_CONNECTIONS_PER_ADDRESS. */
  maxConnectionsPerAddress?: number;
}

/** What the limits did, for metrics and logs. */
export interface ConnectionLimitCounters {
  open: number;
  /** Closed at accept: the server was full. */
  refusedTotal: number;
  /** Closed at accept: the address had its share. */
  refusedPerAddress: number;
}

export function resolveConnectionLimits(o: ConnectionLimitOptions = {}): Required<ConnectionLimitOptions> {
  const resolved = {
    maxConnections: o.maxConnections ?? DEFAULT_HTTP_MAX_CONNECTIONS,
    maxConnectionsPerAddress: o.maxConnectionsPerAddress ?? DEFAULT_HTTP_MAX_CONNECTIONS_PER_ADDRESS,
  };
  checkNumberRange('http.maxConnections', resolved.maxConnections, HTTP_CONNECTION_LIMIT_RANGE);
  checkNumberRange('http.maxConnectionsPerAddress', resolved.maxConnectionsPerAddress, HTTP_CONNECTION_LIMIT_RANGE);
  return resolved;
}

/**
 * Counts the TCP connections of an HTTP(S) server by peer address and closes, at accept, those
 * past either limit (before a byte of them is read: TLS and HTTP/2 connections included, as
 * tls.Server and http2 servers see the raw socket here first).
 */
export function limitConnections(server: Server, options: ConnectionLimitOptions = {}): Readonly<ConnectionLimitCounters> {
  const { maxConnections, maxConnectionsPerAddress } = resolveConnectionLimits(options);
  const slots = new ConnectionSlots(maxConnections, maxConnectionsPerAddress);
  const counters = {
    get open() {
      return slots.open;
    },
    refusedTotal: 0,
    refusedPerAddress: 0,
  };
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? '';
    const refused = slots.take(address);
    if (refused !== undefined) {
      if (refused === 'total') counters.refusedTotal += 1;
      else counters.refusedPerAddress += 1;
      socket.destroy();
      return;
    }
    socket.once('close', () => slots.release(address));
  });
  return counters;
}
