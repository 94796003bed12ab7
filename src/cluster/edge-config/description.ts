import { checkIntegerOption, checkNumberOption, invalidOption } from '../../config/index.js';

/**
 * One description of a tidecast cluster's edges, from which the Varnish VCL, the nginx
 * configuration and the HAProxy configuration are generated (docs/cluster.md "Edge
 * configurations"). Pure: strings in, strings out; nothing here opens a file or a socket.
 */

/** A TCP endpoint: a host name, an IPv4 address or an IPv6 address (without brackets). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface EdgeDescription {
  /** The origins' HTTP listeners. Their order is the hash ring's: keep it the same on every edge. */
  readonly origins: readonly HostPort[];
  /** The origins' RTMP listeners, for HAProxy (each must read the PROXY v2 header). */
  readonly rtmpOrigins: readonly HostPort[];
  /** Where the edge listens: HTTP for Varnish and nginx, RTMP for HAProxy. */
  readonly listen: HostPort;
  /** nginx's proxy_cache_path (created by nginx). Absolute. */
  readonly cacheDir: string;
  /** The cache's size in MiB: nginx's max_size, Varnish's malloc storage (varnishdArgs). */
  readonly cacheSizeMiB: number;
  /** Pid file, temporary files and logs of nginx and HAProxy, Varnish's -n directory. Absolute. */
  readonly runDir: string;
  /** The streams' segment target (EXT-X-TARGETDURATION is its ceiling), seconds. */
  readonly segmentTargetSeconds: number;
  /** The streams' part target (EXT-X-PART-INF PART-TARGET), seconds. */
  readonly partTargetSeconds: number;
}

/**
 * The timings every engine derives from the stream's targets. An origin holds a blocking reload
 * for at most three target durations before it answers 503 (RFC 8216bis 6.2.5.2); an edge that
 * gave up earlier would turn a slow part into an error, and one that locked a key for less would
 * let a second request through to the origin while the first still waits.
 */
export interface EdgeTimings {
  /** EXT-X-TARGETDURATION: the segment target rounded up to whole seconds (4.4.3.1). */
  readonly targetDurationSeconds: number;
  /** How long the origin parks a blocking request: 3 × target duration. */
  readonly blockingHoldSeconds: number;
  /** nginx proxy_cache_lock_timeout / _age: the hold plus 1 s for the answer to arrive. */
  readonly cacheLockSeconds: number;
  /** Upstream read / first-byte / between-bytes timeouts: above the lock, the hold plus 2 s. */
  readonly upstreamTimeoutSeconds: number;
  /**
   * How long an edge keeps a live playlist asked without directives (the origin's `max-age=0`,
   * src/http/cache-control.ts), and the grace of a blocking answer: half a part, in whole
   * milliseconds rounded down, so no viewer gets a playlist more than half a part behind.
   */
  readonly livePlaylistSeconds: number;
}

export function edgeTimings(description: EdgeDescription): EdgeTimings {
  const targetDurationSeconds = Math.ceil(description.segmentTargetSeconds);
  const blockingHoldSeconds = 3 * targetDurationSeconds;
  return {
    targetDurationSeconds,
    blockingHoldSeconds,
    cacheLockSeconds: blockingHoldSeconds + 1,
    upstreamTimeoutSeconds: blockingHoldSeconds + 2,
    livePlaylistSeconds: Math.floor((description.partTargetSeconds / 2) * 1000 + 1e-6) / 1000,
  };
}

/** The segment target's range: the origin's own (1–30 s keeps 3 × target within a minute and a half). */
const SEGMENT_TARGET_RANGE = { min: 0.5, max: 30 };
/** PART-TARGET: LL-HLS parts are well under a second; more than 5 s is a configuration mistake. */
const PART_TARGET_RANGE = { min: 0.05, max: 5 };
/** The cache: at least a few seconds of a ladder, at most what a 64-bit host's memory holds. */
const CACHE_SIZE_RANGE_MIB = { min: 16, max: 1_048_576 };

/** Host names (RFC 1123 labels), IPv4 and IPv6 addresses; nothing a config's syntax would read as its own. */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
/** An absolute path without what VCL, nginx or HAProxy would split or comment on. */
const SAFE_PATH = /^\/[A-Za-z0-9._\-/]*$/;

/** `host:port`, `[v6]:port` or (`defaultHost` given) `port` → HostPort; ERR_CONFIG_INVALID naming `option`. */
export function parseHostPort(option: string, text: string, defaultHost?: string): HostPort {
  if (defaultHost !== undefined && /^\d{1,5}$/.test(text)) return checkHostPort(option, { host: defaultHost, port: Number(text) }, text);
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (match === null) throw invalidOption(option, defaultHost === undefined ? 'host:port' : 'port or host:port', text);
  return checkHostPort(option, { host: match[1] ?? match[2]!, port: Number(match[3]) }, text);
}

function checkHostPort(option: string, endpoint: HostPort, shown: string): HostPort {
  const v6 = endpoint.host.includes(':');
  if (!(v6 ? IPV6.test(endpoint.host) : HOST_NAME.test(endpoint.host))) throw invalidOption(option, 'a host name or an IP address', shown);
  if (!Number.isInteger(endpoint.port) || endpoint.port < 1 || endpoint.port > 65535) throw invalidOption(option, 'a port from 1 to 65535', shown);
  return endpoint;
}

/** `endpoint` as a config writes it: IPv6 in brackets. */
export function formatHostPort(endpoint: HostPort): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

/** Which list each engine needs: HTTP origins for the caches, RTMP origins for the balancer. */
export type EdgeEngine = 'varnish' | 'nginx' | 'haproxy';

/**
 * `description` when every field is in range and safe to write into `engine`'s configuration,
 * else ERR_CONFIG_INVALID naming the field (style.md practice 5: checked at the start).
 */
export function checkEdgeDescription(description: EdgeDescription, engine: EdgeEngine): EdgeDescription {
  const list = engine === 'haproxy' ? 'rtmpOrigins' : 'origins';
  if (description[list].length === 0) throw invalidOption(list, 'at least one host:port', 'none');
  for (const [name, endpoints] of [['origins', description.origins], ['rtmpOrigins', description.rtmpOrigins]] as const) {
    endpoints.forEach((endpoint, i) => checkHostPort(`${name}[${i}]`, endpoint, formatHostPort(endpoint)));
  }
  checkHostPort('listen', description.listen, formatHostPort(description.listen));
  for (const name of ['cacheDir', 'runDir'] as const) {
    if (!SAFE_PATH.test(description[name]) || description[name].includes('..')) throw invalidOption(name, 'an absolute path of letters, digits, ".", "_", "-" and "/"', description[name]);
  }
  checkIntegerOption('cacheSizeMiB', description.cacheSizeMiB, CACHE_SIZE_RANGE_MIB.min, CACHE_SIZE_RANGE_MIB.max);
  checkNumberOption('segmentTargetSeconds', description.segmentTargetSeconds, SEGMENT_TARGET_RANGE.min, SEGMENT_TARGET_RANGE.max);
  checkNumberOption('partTargetSeconds', description.partTargetSeconds, PART_TARGET_RANGE.min, PART_TARGET_RANGE.max);
  if (description.partTargetSeconds > description.segmentTargetSeconds) throw invalidOption('partTargetSeconds', `at most the segment target (${description.segmentTargetSeconds})`, String(description.partTargetSeconds));
  return description;
}

/** A duration as the three engines write it: whole seconds as `7s`, else milliseconds (`250ms`). */
export function duration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.round(seconds * 1000)}ms`;
}

/** The first lines of every generated file: what made it, from what, and how to run it. */
export function header(engine: EdgeEngine, description: EdgeDescription, runLine: string): string {
  const t = edgeTimings(description);
  const list = (endpoints: readonly HostPort[]): string => endpoints.map(formatHostPort).join(', ');
  const about =
    engine === 'haproxy'
      ? [`RTMP origins: ${list(description.rtmpOrigins)}.`]
      : [
          `HTTP origins: ${list(description.origins)}.`,
          `Segment target ${description.segmentTargetSeconds} s (target duration ${t.targetDurationSeconds} s), part target ${description.partTargetSeconds} s:`,
          `an origin parks a blocking reload up to ${t.blockingHoldSeconds} s (3 x target duration), then answers 503.`,
        ];
  return [`tidecast ${engine} edge, generated by \`tidecast edge-config ${engine}\`: regenerate it, do not edit it.`, ...about, `Run: ${runLine}`].map((line) => `# ${line}`).join('\n');
}

/** `args` as one shell command line, for the run line of a header: quoted where a shell would split. */
export function shellLine(command: string, args: readonly string[]): string {
  return [command, ...args].map((arg) => (/^[A-Za-z0-9._\-/:=,<>@[\]]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}
