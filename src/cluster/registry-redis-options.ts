import { checkIntegerOption, invalidOption, redactedRedisUrl } from '../config/index.js';
import { isOriginId, type RegistryIdentity } from './registry.js';

/**
 * The Redis registry's options, their defaults with the reasons for the numbers, and the check
 * made at construction (every refusal names the option and the value).
 */

export interface RedisRegistryOptions extends RegistryIdentity {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). */
  readonly url: string;
  /** Prefix of every key and of the routes channel, so clusters can share a Redis. Default 'tc:'. */
  readonly prefix?: string;
  /** A lease lives this long without a refresh. Default 6000 ms. */
  readonly leaseMs?: number;
  /** Claims, the origin heartbeat and the route resync run this often. Default 2000 ms; at most leaseMs / 2. */
  readonly refreshMs?: number;
  /** A command without an answer after this long counts as an outage. Default 500 ms. */
  readonly commandTimeoutMs?: number;
  /** A connection attempt gives up after this long. Default 2000 ms. */
  readonly connectTimeoutMs?: number;
  /** The fencing record (epoch, last position) outlives the lease by this long. Default 86 400 000 ms (a day). */
  readonly retainMs?: number;
}

/**
 * 6 s lease, 2 s refresh: OME uses 10 s / 2.5 s, Ant Media 5 s node updates (research/cluster.md
 * §3.1); a dead origin's streams move after at most 6 s, and two refreshes may fail (a GC pause, a
 * Redis failover) before a live one loses its lease.
 */
export const DEFAULT_LEASE_MS = 6000;
export const DEFAULT_REFRESH_MS = 2000;
/** A LAN Redis answers in about a millisecond; 500 ms is an outage, not a slow reply (research §Recommendations 8). */
export const DEFAULT_COMMAND_TIMEOUT_MS = 500;
export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
/**
 * Epochs must only grow while any holder of an older one may still be alive: a day covers any
 * pause of a process that still thinks it owns a stream; the record is a few bytes per stream key.
 */
export const DEFAULT_RETAIN_MS = 86_400_000;
export const DEFAULT_REGISTRY_PREFIX = 'tc:';
/** Reconnection delays: 100 ms, 200 ms, … up to 1 s, so a returning Redis is seen within a refresh. */
export const MAX_RECONNECT_DELAY_MS = 1000;

const PREFIX = /^[A-Za-z0-9._:-]{0,64}$/;

export interface CheckedRedisRegistryOptions {
  readonly url: string;
  readonly where: string;
  readonly originId: string;
  readonly baseUrl: string;
  readonly now: () => number;
  readonly prefix: string;
  readonly leaseMs: number;
  readonly refreshMs: number;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly retainMs: number;
}

export function checkRedisRegistryOptions(options: RedisRegistryOptions): CheckedRedisRegistryOptions {
  const where = redactedRedisUrl(options.url);
  if (where === undefined) throw invalidOption('url', 'a redis:// or rediss:// URL', '(not a redis URL)');
  if (!isOriginId(options.originId)) throw invalidOption('originId', '1 to 128 of [A-Za-z0-9._:-]', String(options.originId));
  const prefix = options.prefix ?? DEFAULT_REGISTRY_PREFIX;
  if (!PREFIX.test(prefix)) throw invalidOption('prefix', 'up to 64 of [A-Za-z0-9._:-]', prefix);
  const leaseMs = checkIntegerOption('leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS, 200, 600_000);
  const refreshMs = checkIntegerOption('refreshMs', options.refreshMs ?? DEFAULT_REFRESH_MS, 50, Math.floor(leaseMs / 2));
  return {
    url: options.url,
    where,
    originId: options.originId,
    baseUrl: options.baseUrl ?? '',
    now: options.now ?? Date.now,
    prefix,
    leaseMs,
    refreshMs,
    commandTimeoutMs: checkIntegerOption('commandTimeoutMs', options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS, 10, 60_000),
    connectTimeoutMs: checkIntegerOption('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, 10, 60_000),
    retainMs: checkIntegerOption('retainMs', options.retainMs ?? DEFAULT_RETAIN_MS, leaseMs, 2_147_483_647),
  };
}
