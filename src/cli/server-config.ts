import { inRange, integerRange, invalidOption, rangeText, type NumberRange } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { DEFAULT_SEGMENT_TARGET_SECONDS, MAX_SEGMENT_TARGET_SECONDS } from '../cmaf/segmenter-types.js';
import { DEFAULT_LL_PART_TARGET_SECONDS, DEFAULT_LOW_LATENCY, DEFAULT_WINDOW_SEGMENTS, MAX_DVR_WINDOW_SECONDS, MAX_WINDOW_SEGMENTS, MIN_PART_TARGET_SECONDS, MIN_WINDOW_SEGMENTS } from '../hls/live-options.js';
import { DEFAULT_HTTP_MAX_CONNECTIONS, DEFAULT_HTTP_MAX_CONNECTIONS_PER_ADDRESS, HTTP_CONNECTION_LIMIT_RANGE } from '../http/connection-limits.js';
import { DEFAULT_CHUNK_READER_LIMITS } from '../rtmp/chunk/limits.js';
import { DEFAULT_MAX_TOTAL_PENDING_BYTES } from '../rtmp/chunk/pending-budget.js';
import { DEFAULT_SESSION_OPTIONS } from '../rtmp/session/limits.js';
import {
  DEFAULT_NO_STREAM_TIMEOUT_MS,
  DEFAULT_PROXY_PROTOCOL_TRUSTED,
  DEFAULT_RTMP_HOST,
  DEFAULT_RTMP_MAX_CONNECTIONS,
  DEFAULT_RTMP_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_RTMP_PORT,
  RTMP_SERVER_OPTION_RANGES,
} from '../rtmp/server-options.js';
import { DEFAULT_HEAP_GROWING_PERCENT, HEAP_GROWING_PERCENT_RANGE } from '../server/heap-tuning.js';
import { DEFAULT_HTTP_WORKERS, HTTP_WORKERS_RANGE } from '../server/http-workers.js';
import { DEFAULT_MAX_BYTES_WITHOUT_KEYFRAME, DEFAULT_MAX_KEYFRAME_INTERVAL_MS } from '../server/keyframe-watch.js';
import {
  DEFAULT_END_GRACE_MS,
  DEFAULT_ENDED_RETENTION_MS,
  DEFAULT_HTTP_PORT,
  DEFAULT_RTMP_PLAY_ABSOLUTE_TIMESTAMPS,
  MEDIA_SERVER_OPTION_RANGES,
} from '../server/media-server-options.js';
import { DEFAULT_MEMORY_STORE_MAX_BYTES, MEMORY_STORE_MAX_BYTES_RANGE } from '../store/memory-store.js';
import { ROOT_PATH, checkValue, describeValue as describe, envVariable, propertyPath } from './config-schema.js';
import { applyEnv, booleanWord } from './config-env.js';
import { CONFIG_SECTIONS, CONFIG_SECTION_NAMES, isConfigSection, type ConfigSectionName, type ConfigSections } from './control-config.js';

/**
 * The `tidecast serve` settings and where each can come from. Every source is parsed by a pure
 * function into a partial layer; `resolveServerConfig` merges the layers with the precedence
 * flag > environment > config file > default. Nothing here reads a file or `process.env`: the
 * caller passes them in, so every rule is tested without a process.
 *
 * Each default is the module's own constant (where its reason is written), and `tidecast --help`
 * and the shipped example file are generated from SERVER_CONFIG_FIELDS and these defaults (help.ts,
 * config-example.ts): neither is written twice. The control plane's sections of the file (`auth`,
 * `webhooks`, `api`, `metrics`) are schemas of their own (control-config.ts), with variables but
 * no flags.
 */
export interface ServerConfig extends ConfigSections {
  /** RTMP ingest port. Default 1935 (the IANA port OBS assumes); 0 picks a free one. */
  rtmpPort: number;
  /** HTTP delivery port (playlists, segments, the page). Default 8080; 0 picks a free one. */
  httpPort: number;
  /** Address both servers bind. Default '0.0.0.0' (every IPv4 interface). */
  host: string;
  /** Live segment target in seconds, cut at the next keyframe. Default 2. */
  segmentDuration: number;
  /** Segments in a sliding live playlist. Default 6 (see DEFAULT_WINDOW_SEGMENTS in src/hls). */
  windowSegments: number;
  /** A DVR (rewind) window in seconds: the live playlists list this much, served from disk; 0 is off. Overrides windowSegments. Default 0. */
  dvrWindow: number;
  /** Time after a publisher leaves before its playlists end, in ms. Default 10 000. */
  endGraceMs: number;
  /** LL-HLS (parts, blocking reloads, delta updates, preload hints) on or off. Default true. */
  lowLatency: boolean;
  /**
   * Nominal LL-HLS part target in seconds. Default 0.2, or the segment duration when that is
   * shorter; set, it must not exceed the segment duration (with LL-HLS on; unused when off).
   */
  partDuration: number;
  /**
   * PEM certificate chain file. With `tlsKey` (both or neither) HTTP delivery is HTTPS, with
   * HTTP/2 and HTTP/1.1. A path, read by the caller (`tidecast serve`), not here.
   */
  tlsCert?: string;
  /** PEM private key file of `tlsCert`. */
  tlsKey?: string;
  /** How long an ended stream's last window stays served before it is deleted, in ms. Default 60 000. */
  endedRetentionMs: number;
  // Limits (docs/limits.md has each one's reason).
  /** RTMP sessions open at once. Default 1000. */
  rtmpMaxConnections: number;
  /** RTMP sessions open from one IP address. Default 32. */
  rtmpMaxConnectionsPerAddress: number;
  /** An RTMP session that neither publishes nor plays for this long is closed, in ms. Default 10 000. */
  rtmpNoStreamTimeoutMs: number;
  /** Bytes unsent to one RTMP peer before its reading pauses (1/8), players skip (1×), it is closed (2×). Default 4 MiB. */
  rtmpMaxOutgoingBytes: number;
  /** Streams one RTMP session may publish and play at once. Default 8. */
  rtmpMaxStreamsPerSession: number;
  /** Bytes of incomplete incoming messages one RTMP session may hold. Default 16 MiB. */
  rtmpMaxPendingBytes: number;
  /** Bytes of incomplete incoming messages all RTMP sessions together may hold. Default 128 MiB. */
  rtmpMaxTotalPendingBytes: number;
  /** HTTP connections open at once. Default 10 000. */
  httpMaxConnections: number;
  /** HTTP connections open from one IP address. Default 1000. */
  httpMaxConnectionsPerAddress: number;
  /** Bytes the in-memory segment store may hold in all. Default 2 GiB. */
  storeMaxBytes: number;
  /** A publisher whose video has no keyframe for this long is closed, in ms. Default 30 000. */
  maxKeyframeIntervalMs: number;
  /** … or for this many bytes of media. Default 64 MiB. */
  maxBytesWithoutKeyframe: number;
  /** RTMP players get the publisher's own timestamps (nginx-rtmp `atc`) instead of a timeline from 0. Default false. */
  rtmpPlayAbsoluteTimestamps: boolean;
  /** Every RTMP connection begins with a PROXY protocol header (HAProxy `send-proxy-v2`) naming the client. Default false. */
  rtmpProxyProtocol: boolean;
  /** With rtmpProxyProtocol: the balancers allowed to connect, a comma list of addresses and CIDR ranges. Default loopback. */
  rtmpProxyProtocolTrusted: string;
  /** V8's heap growing factor, 1 + p/100, set for the process at start; 0 leaves V8's own. Default 300 (src/server/heap-tuning.ts). */
  heapGrowingPercent: number;
  /**
   * HTTP worker processes sharing the public HTTP port, each a coalescing proxy to the media server
   * on an internal loopback port (src/server/http-workers.ts); 0 (the default): one process, the
   * media server on the public port itself. Not with TLS.
   */
  httpWorkers: number;
  /** ABR ladder: off, a preset name, or a ladder file (src/cli/ladder-config.ts). Default off. */
  ladder: string;
  /** Live jobs' state file (the job API's default store). */
  jobsFile: string;
  /** Keep live jobs in this Redis (a redis:// URL) instead of jobsFile; 'off' for none (the default). */
  redis: string;
  /**
   * `--record on`: record every stream (into `record.dir`, default ./recordings); off: no publish is
   * recorded by itself. Unset (the default): the `record` section decides (record-config.ts).
   */
  recordAll?: boolean;
}

export type ServerConfigLayer = Partial<ServerConfig>;
/** The flat settings: each has a flag, a variable and a key. */
export type ServerConfigKey = Exclude<keyof ServerConfig, ConfigSectionName>;

export const DEFAULT_SERVER_CONFIG: Readonly<ServerConfig> = {
  rtmpPort: DEFAULT_RTMP_PORT,
  httpPort: DEFAULT_HTTP_PORT,
  host: DEFAULT_RTMP_HOST,
  segmentDuration: DEFAULT_SEGMENT_TARGET_SECONDS,
  windowSegments: DEFAULT_WINDOW_SEGMENTS,
  dvrWindow: 0,
  endGraceMs: DEFAULT_END_GRACE_MS,
  lowLatency: DEFAULT_LOW_LATENCY,
  partDuration: DEFAULT_LL_PART_TARGET_SECONDS,
  endedRetentionMs: DEFAULT_ENDED_RETENTION_MS,
  rtmpMaxConnections: DEFAULT_RTMP_MAX_CONNECTIONS,
  rtmpMaxConnectionsPerAddress: DEFAULT_RTMP_MAX_CONNECTIONS_PER_ADDRESS,
  rtmpNoStreamTimeoutMs: DEFAULT_NO_STREAM_TIMEOUT_MS,
  rtmpMaxOutgoingBytes: DEFAULT_SESSION_OPTIONS.maxOutgoingBufferBytes,
  rtmpMaxStreamsPerSession: DEFAULT_SESSION_OPTIONS.maxStreamsPerSession,
  rtmpMaxPendingBytes: DEFAULT_CHUNK_READER_LIMITS.maxPendingBytes,
  rtmpMaxTotalPendingBytes: DEFAULT_MAX_TOTAL_PENDING_BYTES,
  httpMaxConnections: DEFAULT_HTTP_MAX_CONNECTIONS,
  httpMaxConnectionsPerAddress: DEFAULT_HTTP_MAX_CONNECTIONS_PER_ADDRESS,
  storeMaxBytes: DEFAULT_MEMORY_STORE_MAX_BYTES,
  maxKeyframeIntervalMs: DEFAULT_MAX_KEYFRAME_INTERVAL_MS,
  maxBytesWithoutKeyframe: DEFAULT_MAX_BYTES_WITHOUT_KEYFRAME,
  rtmpPlayAbsoluteTimestamps: DEFAULT_RTMP_PLAY_ABSOLUTE_TIMESTAMPS,
  rtmpProxyProtocol: false,
  rtmpProxyProtocolTrusted: DEFAULT_PROXY_PROTOCOL_TRUSTED.join(','),
  heapGrowingPercent: DEFAULT_HEAP_GROWING_PERCENT,
  httpWorkers: DEFAULT_HTTP_WORKERS,
  ladder: 'off',
  jobsFile: 'tidecast-jobs.json',
  redis: 'off',
};

/** How one setting is given and checked, and what `tidecast --help` says of it. */
type ServerConfigFieldSpec = {
  flag: string;
  /** `--help`: the placeholder after the flag ('<n>', '<file>'). */
  value: string;
  /** `--help`: one line, what the setting does (its default, variable and key are added). */
  help: string;
  /** Listed under "Limits" in `--help` (docs/limits.md has each one's reason). */
  limit?: true;
  /** A value the example file shows (commented out) for a setting without a default. */
  example?: string | boolean;
} & (
  | {
      /** Within `range`: the module's own where the setting is one of its options. */
      kind: 'number';
      range: NumberRange;
    }
  /** true/false from a file; on/off, true/false, yes/no, 1/0 from a flag or the environment. */
  | { kind: 'boolean' }
  /** Any non-empty text. */
  | { kind: 'string' }
);

export type ServerConfigField = ServerConfigFieldSpec & {
  /** Its environment variable: TIDECAST_ and the key in capitals (`rtmpPort` → TIDECAST_RTMP_PORT). */
  env: string;
};

const RTMP = RTMP_SERVER_OPTION_RANGES;
const SERVER = MEDIA_SERVER_OPTION_RANGES;

/**
 * Ranges are the modules' own (src/rtmp, src/http, src/hls, src/store, src/server check the same
 * ones at start), except where the command is stricter: segments from 0.1 s (below, the
 * per-segment overhead dominates) to an hour (MAX_SEGMENT_TARGET_SECONDS); parts up to 10 s (far
 * above any LL-HLS practice, 0.2 to 1 s; resolveServerConfig also holds them to the segment
 * duration).
 */
const FIELD_SPECS: Readonly<Record<ServerConfigKey, ServerConfigFieldSpec>> = {
  rtmpPort: { flag: '--rtmp-port', kind: 'number', range: RTMP.port, value: '<n>', help: 'RTMP ingest port (0: a free one)' },
  httpPort: { flag: '--http-port', kind: 'number', range: SERVER.httpPort, value: '<n>', help: 'HTTP port: playlists, segments, the page (0: a free one)' },
  host: { flag: '--host', kind: 'string', value: '<addr>', help: 'address both servers bind' },
  segmentDuration: {
    flag: '--segment-duration',
    kind: 'number',
    range: { integer: false, min: 0.1, max: MAX_SEGMENT_TARGET_SECONDS },
    value: '<s>',
    help: 'live segment target in seconds, cut at the next keyframe',
  },
  windowSegments: { flag: '--window-segments', kind: 'number', range: integerRange(MIN_WINDOW_SEGMENTS, MAX_WINDOW_SEGMENTS), value: '<n>', help: 'segments in a live playlist' },
  dvrWindow: { flag: '--dvr-window', kind: 'number', range: integerRange(0, MAX_DVR_WINDOW_SECONDS), value: '<s>', help: 'rewind window of the live playlists in seconds, kept on disk (0: off; overrides --window-segments)' },
  endGraceMs: { flag: '--end-grace-ms', kind: 'number', range: SERVER.endGraceMs, value: '<ms>', help: "wait before a stream's playlists end after its publisher left" },
  lowLatency: { flag: '--low-latency', kind: 'boolean', value: '<on|off>', help: 'LL-HLS: parts, blocking reloads, delta updates (also true/false, yes/no, 1/0)' },
  partDuration: {
    flag: '--part-duration',
    kind: 'number',
    range: { integer: false, min: MIN_PART_TARGET_SECONDS, max: 10 },
    value: '<s>',
    help: 'LL-HLS part target in seconds, at most the segment duration',
  },
  tlsCert: { flag: '--tls-cert', kind: 'string', value: '<file>', example: '/etc/tidecast/cert.pem', help: 'PEM certificate chain: with --tls-key, HTTPS with HTTP/2 and HTTP/1.1' },
  tlsKey: { flag: '--tls-key', kind: 'string', value: '<file>', example: '/etc/tidecast/key.pem', help: 'PEM private key of --tls-cert' },
  endedRetentionMs: { flag: '--ended-retention-ms', kind: 'number', range: SERVER.endedRetentionMs, value: '<ms>', help: 'how long an ended stream stays served before deletion', limit: true },
  rtmpMaxConnections: { flag: '--rtmp-max-connections', kind: 'number', range: RTMP.maxConnections, value: '<n>', help: 'RTMP sessions open at once', limit: true },
  rtmpMaxConnectionsPerAddress: { flag: '--rtmp-max-connections-per-address', kind: 'number', range: RTMP.maxConnectionsPerAddress, value: '<n>', help: 'RTMP sessions from one IP address', limit: true },
  rtmpNoStreamTimeoutMs: { flag: '--rtmp-no-stream-timeout-ms', kind: 'number', range: RTMP.noStreamTimeoutMs, value: '<ms>', help: 'close an RTMP session without a published or played stream', limit: true },
  rtmpMaxOutgoingBytes: { flag: '--rtmp-max-outgoing-bytes', kind: 'number', range: RTMP.maxOutgoingBufferBytes, value: '<bytes>', help: 'bytes unsent to one RTMP peer (players skip above it, closed at twice it)', limit: true },
  rtmpMaxStreamsPerSession: { flag: '--rtmp-max-streams-per-session', kind: 'number', range: RTMP.maxStreamsPerSession, value: '<n>', help: 'streams one RTMP session may publish and play at once', limit: true },
  rtmpMaxPendingBytes: { flag: '--rtmp-max-pending-bytes', kind: 'number', range: RTMP.chunk, value: '<bytes>', help: 'bytes of incomplete messages one RTMP session may hold', limit: true },
  rtmpMaxTotalPendingBytes: { flag: '--rtmp-max-total-pending-bytes', kind: 'number', range: RTMP.maxTotalPendingBytes, value: '<bytes>', help: 'bytes of incomplete messages all RTMP sessions may hold', limit: true },
  httpMaxConnections: { flag: '--http-max-connections', kind: 'number', range: HTTP_CONNECTION_LIMIT_RANGE, value: '<n>', help: 'HTTP connections open at once', limit: true },
  httpMaxConnectionsPerAddress: { flag: '--http-max-connections-per-address', kind: 'number', range: HTTP_CONNECTION_LIMIT_RANGE, value: '<n>', help: 'HTTP connections from one IP address', limit: true },
  storeMaxBytes: { flag: '--store-max-bytes', kind: 'number', range: MEMORY_STORE_MAX_BYTES_RANGE, value: '<bytes>', help: 'bytes the in-memory segment store may hold', limit: true },
  maxKeyframeIntervalMs: { flag: '--max-keyframe-interval-ms', kind: 'number', range: SERVER.maxKeyframeIntervalMs, value: '<ms>', help: 'close a publisher without a video keyframe for this long', limit: true },
  maxBytesWithoutKeyframe: { flag: '--max-bytes-without-keyframe', kind: 'number', range: SERVER.maxBytesWithoutKeyframe, value: '<bytes>', help: '… or for this many bytes of media', limit: true },
  rtmpPlayAbsoluteTimestamps: { flag: '--rtmp-play-absolute-timestamps', kind: 'boolean', value: '<on|off>', help: "RTMP players get the publisher's timestamps, not a timeline from 0 (nginx-rtmp atc)" },
  rtmpProxyProtocol: { flag: '--rtmp-proxy-protocol', kind: 'boolean', value: '<on|off>', help: "every RTMP connection begins with a PROXY protocol header (HAProxy send-proxy-v2): sessions see the client's address" },
  rtmpProxyProtocolTrusted: { flag: '--rtmp-proxy-protocol-trusted', kind: 'string', value: '<list>', help: 'with --rtmp-proxy-protocol: balancers allowed to connect, addresses and CIDR ranges separated by commas' },
  heapGrowingPercent: { flag: '--heap-growing-percent', kind: 'number', range: HEAP_GROWING_PERCENT_RANGE, value: '<p>', help: "V8's heap growing factor, 1 + p/100 (0: V8's own); fewer full collections, more memory between them" },
  httpWorkers: {
    flag: '--http-workers',
    kind: 'number',
    range: HTTP_WORKERS_RANGE,
    value: '<n>',
    help: 'worker processes sharing the HTTP port, each collapsing identical requests (blocking reloads) to the media server (0: one process; not with TLS)',
  },
  ladder: { flag: '--ladder', kind: 'string', value: '<preset|file|off>', help: 'ABR ladder (ffmpeg): off, a preset (default: 1080p/720p/480p/360p, capped at the source), or a JSON/YAML ladder file' },
  jobsFile: { flag: '--jobs-file', kind: 'string', value: '<file>', help: 'JSON state file of the live jobs (/api/jobs), written when a job changes' },
  redis: { flag: '--redis', kind: 'string', value: '<url>', help: 'keep live jobs in Redis (redis://host:port) instead of --jobs-file; off: the file' },
  recordAll: {
    flag: '--record',
    kind: 'boolean',
    value: '<on|off>',
    example: true,
    help: 'record every stream to the record section\'s dir (./recordings), crash-safe CMAF with VOD playlists; off: none by itself; unset: the record section decides',
  },
};

export const SERVER_CONFIG_FIELDS = Object.fromEntries(Object.entries(FIELD_SPECS).map(([key, spec]) => [key, { ...spec, env: envVariable(key) }])) as Readonly<
  Record<ServerConfigKey, ServerConfigField>
>;

export const SERVER_CONFIG_KEYS = Object.keys(SERVER_CONFIG_FIELDS) as ServerConfigKey[];

/**
 * A parsed config file (any value) → a layer. Unknown keys and wrong types throw
 * ERR_CONFIG_INVALID naming the key (its path in a section: `auth.apps.live.strategies[0].keys`),
 * the file and the value (a secret only by its length).
 */
export function configLayerFromObject(raw: unknown, source: string): ServerConfigLayer {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('ERR_CONFIG_INVALID', `config file ${source} must hold a mapping of options, got ${describe(raw)}`, { option: 'config', value: source });
  }
  const layer: ServerConfigLayer = {};
  for (const [key, value] of Object.entries(raw)) {
    if (isConfigSection(key)) {
      // Required keys are checked by resolveServerConfig: a secret may come from a variable alone.
      const checkedSection = checkValue(CONFIG_SECTIONS[key], value, propertyPath(ROOT_PATH, key), (path) => `${path.text} in ${source}`, false);
      (layer as Record<ConfigSectionName, unknown>)[key] = checkedSection;
      continue;
    }
    if (!isKey(key)) {
      const known = [...SERVER_CONFIG_KEYS, ...CONFIG_SECTION_NAMES].join(', ');
      throw new ConfigError('ERR_CONFIG_INVALID', `unknown option ${key} in ${source}; known options: ${known}`, { option: key, value: describe(value) });
    }
    set(layer, key, checked(key, `${key} in ${source}`, value, describe(value), 'true or false'));
  }
  return layer;
}

/**
 * Strings by setting (from command-line flags or the environment) → a layer. `name` says how the
 * message names a setting: by its flag or by its environment variable.
 */
export function configLayerFromStrings(values: Partial<Record<ServerConfigKey, string | undefined>>, name: 'flag' | 'env'): ServerConfigLayer {
  const layer: ServerConfigLayer = {};
  for (const key of SERVER_CONFIG_KEYS) {
    const raw = values[key];
    if (raw === undefined) continue;
    const field = SERVER_CONFIG_FIELDS[key];
    const label = name === 'flag' ? field.flag : field.env;
    const value = field.kind === 'string' ? raw : field.kind === 'boolean' ? booleanWord(raw) : raw.trim() === '' ? Number.NaN : Number(raw);
    set(layer, key, checked(key, label, value, raw, 'on or off (or true/false, yes/no, 1/0)'));
  }
  return layer;
}

/**
 * The settings the environment gives (pass `process.env`): each setting's variable, and in the
 * sections each key's (TIDECAST_ and its path in capitals: TIDECAST_AUTH_SESSIONS_SECRET, a list
 * as a comma list: TIDECAST_API_TOKENS). A section in the layer is the file's (`file`) with the
 * variables over it; a record's entries and a list's items are set from the environment only
 * where the file has them (config-schema.ts applyEnv). Unset and empty variables are ignored.
 */
export function configLayerFromEnv(env: Readonly<Record<string, string | undefined>>, file: ServerConfigLayer = {}): ServerConfigLayer {
  const values: Partial<Record<ServerConfigKey, string>> = {};
  for (const key of SERVER_CONFIG_KEYS) {
    const raw = env[SERVER_CONFIG_FIELDS[key].env];
    if (raw !== undefined && raw !== '') values[key] = raw;
  }
  const layer = configLayerFromStrings(values, 'env');
  for (const section of CONFIG_SECTION_NAMES) {
    const merged = applyEnv(CONFIG_SECTIONS[section], file[section], propertyPath(ROOT_PATH, section), env);
    if (merged !== file[section]) (layer as Record<ConfigSectionName, unknown>)[section] = merged;
  }
  return layer;
}

/**
 * Precedence: flags > environment > config file > defaults; then the rules between settings. A
 * refusal is ERR_CONFIG_INVALID naming the setting by where it came from (flag, variable or key):
 *
 * - `partDuration` unset anywhere is the default 0.2 s, lowered to the segment duration when that
 *   is shorter (as the packager does); set, with LL-HLS on, it must not exceed the segment duration.
 * - `tlsCert` and `tlsKey` go together: HTTPS needs both the certificate and its private key.
 * - `httpWorkers` above 0 is refused with TLS: the workers speak plain HTTP/1.1.
 * - A section's required keys (a strategy's secret, a webhook's URL) are there, from the file or a
 *   variable.
 */
export function resolveServerConfig(layers: { flags?: ServerConfigLayer; env?: ServerConfigLayer; file?: ServerConfigLayer }): ServerConfig {
  const file = defined(layers.file);
  const env = defined(layers.env);
  const flags = defined(layers.flags);
  const config: ServerConfig = { ...DEFAULT_SERVER_CONFIG, ...file, ...env, ...flags };
  const from = (key: ServerConfigKey): string | undefined => {
    const field = SERVER_CONFIG_FIELDS[key];
    return key in flags ? field.flag : key in env ? field.env : key in file ? key : undefined;
  };
  for (const section of CONFIG_SECTION_NAMES) {
    if (config[section] !== undefined) checkValue(CONFIG_SECTIONS[section], config[section], propertyPath(ROOT_PATH, section), (path) => path.text);
  }
  const partFrom = from('partDuration');
  if (partFrom === undefined) config.partDuration = Math.min(DEFAULT_SERVER_CONFIG.partDuration, config.segmentDuration);
  else if (config.lowLatency && config.partDuration > config.segmentDuration) {
    throw invalidOption(partFrom, `at most the segment duration (${config.segmentDuration} s) with LL-HLS on`, String(config.partDuration));
  }
  for (const [present, missing] of [['tlsCert', 'tlsKey'], ['tlsKey', 'tlsCert']] as const) {
    const presentFrom = from(present);
    if (presentFrom !== undefined && from(missing) === undefined) {
      const field = SERVER_CONFIG_FIELDS[missing];
      throw new ConfigError(
        'ERR_CONFIG_INVALID',
        `option ${missing} (${field.flag}, ${field.env}) must be set with ${present} (given by ${presentFrom}): HTTPS needs both the certificate and its private key`,
        { option: missing, value: '' },
      );
    }
  }
  const workersFrom = from('httpWorkers');
  if (workersFrom !== undefined && config.httpWorkers > 0 && config.tlsCert !== undefined) {
    throw new ConfigError(
      'ERR_CONFIG_INVALID',
      `option httpWorkers (given by ${workersFrom}) must be 0 with HTTPS (tlsCert, tlsKey): the HTTP workers serve plain HTTP/1.1; put a TLS terminator in front of them, or leave httpWorkers at 0`,
      { option: 'httpWorkers', value: String(config.httpWorkers) },
    );
  }
  return config;
}

function checked(key: ServerConfigKey, label: string, value: unknown, shown: string, booleanExpected: string): number | string | boolean {
  const field = SERVER_CONFIG_FIELDS[key];
  if (field.kind === 'string') {
    if (typeof value === 'string' && value.trim() !== '') return value;
    throw invalidOption(label, 'a non-empty string', shown);
  }
  if (field.kind === 'boolean') {
    if (typeof value === 'boolean') return value;
    throw invalidOption(label, booleanExpected, shown);
  }
  if (!inRange(value, field.range)) throw invalidOption(label, rangeText(field.range), shown);
  return value;
}

function isKey(key: string): key is ServerConfigKey {
  return Object.hasOwn(SERVER_CONFIG_FIELDS, key);
}

function set(layer: ServerConfigLayer, key: ServerConfigKey, value: number | string | boolean): void {
  (layer as Record<ServerConfigKey, number | string | boolean>)[key] = value;
}

function defined(layer: ServerConfigLayer | undefined): ServerConfigLayer {
  return Object.fromEntries(Object.entries(layer ?? {}).filter(([, v]) => v !== undefined));
}
