import { ConfigError } from '../errors/index.js';

/**
 * The `tidecast serve` settings and where each can come from. Every source is parsed by a pure
 * function into a partial layer; `resolveServerConfig` merges the layers with the precedence
 * flag > environment > config file > default. Nothing here reads a file or `process.env`: the
 * caller passes them in, so every rule is tested without a process.
 */
export interface ServerConfig {
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
}

export type ServerConfigLayer = Partial<ServerConfig>;
export type ServerConfigKey = keyof ServerConfig;

const MIB = 1024 * 1024;

export const DEFAULT_SERVER_CONFIG: Readonly<ServerConfig> = {
  rtmpPort: 1935,
  httpPort: 8080,
  host: '0.0.0.0',
  segmentDuration: 2,
  windowSegments: 6,
  endGraceMs: 10_000,
  lowLatency: true,
  partDuration: 0.2,
  endedRetentionMs: 60_000,
  rtmpMaxConnections: 1000,
  rtmpMaxConnectionsPerAddress: 32,
  rtmpNoStreamTimeoutMs: 10_000,
  rtmpMaxOutgoingBytes: 4 * MIB,
  rtmpMaxStreamsPerSession: 8,
  rtmpMaxPendingBytes: 16 * MIB,
  rtmpMaxTotalPendingBytes: 128 * MIB,
  httpMaxConnections: 10_000,
  httpMaxConnectionsPerAddress: 1000,
  storeMaxBytes: 2048 * MIB,
  maxKeyframeIntervalMs: 30_000,
  maxBytesWithoutKeyframe: 64 * MIB,
  rtmpPlayAbsoluteTimestamps: false,
};

interface Field {
  flag: string;
  /** Environment variable, when the setting has one. */
  env?: string;
  /** 'boolean': true/false from a file; on/off, true/false, yes/no, 1/0 from a flag or the environment. */
  kind: 'integer' | 'number' | 'string' | 'boolean';
  min?: number;
  max?: number;
  /** One line for `tidecast --help` (the limits section is generated from these). */
  help?: string;
}

/**
 * Ranges: ports are 16-bit; segments from 0.1 s (below, the per-segment overhead dominates) to
 * an hour; windows from 3 (RFC 8216bis 6.2.2: three target durations) to 1800 (an hour of 2 s
 * segments); the end grace up to an hour, the same bounds src/hls and src/server check. Parts
 * from 0.033 s (MIN_PART_TARGET_SECONDS in src/hls: one frame at 30 fps) to 10 s (far above any
 * LL-HLS practice, 0.2 to 1 s; resolveServerConfig also holds it to the segment duration).
 */
export const SERVER_CONFIG_FIELDS: Readonly<Record<ServerConfigKey, Field>> = {
  rtmpPort: { flag: '--rtmp-port', env: 'TIDECAST_RTMP_PORT', kind: 'integer', min: 0, max: 65535 },
  httpPort: { flag: '--http-port', env: 'TIDECAST_HTTP_PORT', kind: 'integer', min: 0, max: 65535 },
  host: { flag: '--host', env: 'TIDECAST_HOST', kind: 'string' },
  segmentDuration: { flag: '--segment-duration', env: 'TIDECAST_SEGMENT_DURATION', kind: 'number', min: 0.1, max: 3600 },
  windowSegments: { flag: '--window-segments', kind: 'integer', min: 3, max: 1800 },
  endGraceMs: { flag: '--end-grace-ms', kind: 'integer', min: 0, max: 3_600_000 },
  lowLatency: { flag: '--low-latency', env: 'TIDECAST_LOW_LATENCY', kind: 'boolean' },
  partDuration: { flag: '--part-duration', env: 'TIDECAST_PART_DURATION', kind: 'number', min: 0.033, max: 10 },
  tlsCert: { flag: '--tls-cert', env: 'TIDECAST_TLS_CERT', kind: 'string' },
  tlsKey: { flag: '--tls-key', env: 'TIDECAST_TLS_KEY', kind: 'string' },
  endedRetentionMs: { flag: '--ended-retention-ms', kind: 'integer', min: 0, max: 86_400_000, help: 'how long an ended stream stays served before deletion (ms)' },
  rtmpMaxConnections: { flag: '--rtmp-max-connections', env: 'TIDECAST_RTMP_MAX_CONNECTIONS', kind: 'integer', min: 1, max: 1_000_000, help: 'RTMP sessions open at once' },
  rtmpMaxConnectionsPerAddress: { flag: '--rtmp-max-connections-per-address', kind: 'integer', min: 1, max: 1_000_000, help: 'RTMP sessions from one IP address' },
  rtmpNoStreamTimeoutMs: { flag: '--rtmp-no-stream-timeout-ms', kind: 'integer', min: 1, max: 86_400_000, help: 'close an RTMP session without a published or played stream (ms)' },
  rtmpMaxOutgoingBytes: { flag: '--rtmp-max-outgoing-bytes', kind: 'integer', min: 1024, max: 2 ** 40, help: 'bytes unsent to one RTMP peer (players skip above it, closed at twice it)' },
  rtmpMaxStreamsPerSession: { flag: '--rtmp-max-streams-per-session', kind: 'integer', min: 1, max: 1024, help: 'streams one RTMP session may publish and play at once' },
  rtmpMaxPendingBytes: { flag: '--rtmp-max-pending-bytes', kind: 'integer', min: 1024, max: 2 ** 40, help: 'bytes of incomplete messages one RTMP session may hold' },
  rtmpMaxTotalPendingBytes: { flag: '--rtmp-max-total-pending-bytes', kind: 'integer', min: 1024, max: 2 ** 40, help: 'bytes of incomplete messages all RTMP sessions may hold' },
  httpMaxConnections: { flag: '--http-max-connections', env: 'TIDECAST_HTTP_MAX_CONNECTIONS', kind: 'integer', min: 1, max: 1_000_000, help: 'HTTP connections open at once' },
  httpMaxConnectionsPerAddress: { flag: '--http-max-connections-per-address', kind: 'integer', min: 1, max: 1_000_000, help: 'HTTP connections from one IP address' },
  storeMaxBytes: { flag: '--store-max-bytes', kind: 'integer', min: 0, max: 2 ** 50, help: 'bytes the in-memory segment store may hold' },
  maxKeyframeIntervalMs: { flag: '--max-keyframe-interval-ms', kind: 'integer', min: 100, max: 3_600_000, help: 'close a publisher without a video keyframe for this long (ms)' },
  maxBytesWithoutKeyframe: { flag: '--max-bytes-without-keyframe', kind: 'integer', min: 1024, max: 2 ** 40, help: '… or for this many bytes of media' },
  rtmpPlayAbsoluteTimestamps: { flag: '--rtmp-play-absolute-timestamps', kind: 'boolean', help: "RTMP players get the publisher's timestamps, not a timeline from 0 (nginx-rtmp atc)" },
};

/** The `--help` lines of the settings that have a `help` text: flag, text, default, config key. */
export function limitsHelp(): string {
  return KEYS.filter((key) => SERVER_CONFIG_FIELDS[key].help !== undefined)
    .map((key) => {
      const field = SERVER_CONFIG_FIELDS[key];
      const env = field.env === undefined ? '' : `, env ${field.env}`;
      return `  ${`${field.flag} ${field.kind === 'boolean' ? '<on|off>' : '<n>'}`.padEnd(40)} ${field.help}\n  ${''.padEnd(40)} (default ${String(DEFAULT_SERVER_CONFIG[key])}${env}; key ${key})`;
    })
    .join('\n');
}

/** The words a flag or an environment variable may say a boolean setting with (case-insensitive). */
const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { on: true, off: false, true: true, false: false, yes: true, no: false, '1': true, '0': false };

const KEYS = Object.keys(SERVER_CONFIG_FIELDS) as ServerConfigKey[];

/**
 * A parsed config file (any value) → a layer. Unknown keys and wrong types throw
 * ERR_CONFIG_INVALID naming the key, the file and the value.
 */
export function configLayerFromObject(raw: unknown, source: string): ServerConfigLayer {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('ERR_CONFIG_INVALID', `config file ${source} must hold a mapping of options, got ${describe(raw)}`, { option: 'config', value: source });
  }
  const layer: ServerConfigLayer = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!isKey(key)) {
      throw new ConfigError('ERR_CONFIG_INVALID', `unknown option ${key} in ${source}; known options: ${KEYS.join(', ')}`, { option: key, value: describe(value) });
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
  for (const key of KEYS) {
    const raw = values[key];
    if (raw === undefined) continue;
    const field = SERVER_CONFIG_FIELDS[key];
    const label = name === 'flag' ? field.flag : (field.env ?? field.flag);
    const value = field.kind === 'string' ? raw : field.kind === 'boolean' ? booleanWord(raw) : raw.trim() === '' ? Number.NaN : Number(raw);
    set(layer, key, checked(key, label, value, raw, 'on or off (or true/false, yes/no, 1/0)'));
  }
  return layer;
}

/** Settings with an environment variable, read from `env` (pass `process.env`). */
export function configLayerFromEnv(env: Readonly<Record<string, string | undefined>>): ServerConfigLayer {
  const values: Partial<Record<ServerConfigKey, string>> = {};
  for (const key of KEYS) {
    const name = SERVER_CONFIG_FIELDS[key].env;
    const raw = name === undefined ? undefined : env[name];
    if (raw !== undefined && raw !== '') values[key] = raw;
  }
  return configLayerFromStrings(values, 'env');
}

/**
 * Precedence: flags > environment > config file > defaults; then the rules between settings. A
 * refusal is ERR_CONFIG_INVALID naming the setting by where it came from (flag, variable or key):
 *
 * - `partDuration` unset anywhere is the default 0.2 s, lowered to the segment duration when that
 *   is shorter (as the packager does); set, with LL-HLS on, it must not exceed the segment duration.
 * - `tlsCert` and `tlsKey` go together: HTTPS needs both the certificate and its private key.
 */
export function resolveServerConfig(layers: { flags?: ServerConfigLayer; env?: ServerConfigLayer; file?: ServerConfigLayer }): ServerConfig {
  const file = defined(layers.file);
  const env = defined(layers.env);
  const flags = defined(layers.flags);
  const config: ServerConfig = { ...DEFAULT_SERVER_CONFIG, ...file, ...env, ...flags };
  const from = (key: ServerConfigKey): string | undefined => {
    const field = SERVER_CONFIG_FIELDS[key];
    return key in flags ? field.flag : key in env ? (field.env ?? field.flag) : key in file ? key : undefined;
  };
  const partFrom = from('partDuration');
  if (partFrom === undefined) config.partDuration = Math.min(DEFAULT_SERVER_CONFIG.partDuration, config.segmentDuration);
  else if (config.lowLatency && config.partDuration > config.segmentDuration) {
    throw invalid(partFrom, `at most the segment duration (${config.segmentDuration} s) with LL-HLS on`, String(config.partDuration));
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
  return config;
}

function checked(key: ServerConfigKey, label: string, value: unknown, shown: string, booleanExpected: string): number | string | boolean {
  const field = SERVER_CONFIG_FIELDS[key];
  if (field.kind === 'string') {
    if (typeof value === 'string' && value.trim() !== '') return value;
    throw invalid(label, 'a non-empty string', shown);
  }
  if (field.kind === 'boolean') {
    if (typeof value === 'boolean') return value;
    throw invalid(label, booleanExpected, shown);
  }
  const range = `from ${field.min} to ${field.max}`;
  const expected = key === 'rtmpPort' || key === 'httpPort' ? `a port number ${range}` : field.kind === 'integer' ? `an integer ${range}` : `a number ${range}`;
  const ok = typeof value === 'number' && Number.isFinite(value) && (field.kind !== 'integer' || Number.isInteger(value));
  if (!ok || value < field.min! || value > field.max!) throw invalid(label, expected, shown);
  return value;
}

function invalid(label: string, expected: string, shown: string): ConfigError {
  return new ConfigError('ERR_CONFIG_INVALID', `option ${label} must be ${expected}, got ${shown}`, { option: label, value: shown });
}

function isKey(key: string): key is ServerConfigKey {
  return Object.hasOwn(SERVER_CONFIG_FIELDS, key);
}

function set(layer: ServerConfigLayer, key: ServerConfigKey, value: number | string | boolean): void {
  (layer as Record<ServerConfigKey, number | string | boolean>)[key] = value;
}

/** A flag's or a variable's boolean word, or the text itself (refused by `checked`) when it is none. */
function booleanWord(raw: string): boolean | string {
  const word = raw.trim().toLowerCase();
  return Object.hasOwn(BOOLEAN_WORDS, word) ? BOOLEAN_WORDS[word]! : raw;
}

function defined(layer: ServerConfigLayer | undefined): ServerConfigLayer {
  return Object.fromEntries(Object.entries(layer ?? {}).filter(([, v]) => v !== undefined));
}

/** A config value as a message shows it: strings quoted, so `"8080"` is told apart from 8080. */
function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'object' ? 'a mapping' : String(value);
}
