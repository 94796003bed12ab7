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
}

export type ServerConfigLayer = Partial<ServerConfig>;
export type ServerConfigKey = keyof ServerConfig;

export const DEFAULT_SERVER_CONFIG: Readonly<ServerConfig> = {
  rtmpPort: 1935,
  httpPort: 8080,
  host: '0.0.0.0',
  segmentDuration: 2,
  windowSegments: 6,
  endGraceMs: 10_000,
};

interface Field {
  flag: string;
  /** Environment variable, when the setting has one. */
  env?: string;
  kind: 'integer' | 'number' | 'string';
  min?: number;
  max?: number;
}

/**
 * Ranges: ports are 16-bit; segments from 0.1 s (below, the per-segment overhead dominates) to
 * an hour; windows from 3 (RFC 8216bis 6.2.2: three target durations) to 1800 (an hour of 2 s
 * segments); the end grace up to an hour, the same bounds src/hls and src/server check.
 */
export const SERVER_CONFIG_FIELDS: Readonly<Record<ServerConfigKey, Field>> = {
  rtmpPort: { flag: '--rtmp-port', env: 'TIDECAST_RTMP_PORT', kind: 'integer', min: 0, max: 65535 },
  httpPort: { flag: '--http-port', env: 'TIDECAST_HTTP_PORT', kind: 'integer', min: 0, max: 65535 },
  host: { flag: '--host', env: 'TIDECAST_HOST', kind: 'string' },
  segmentDuration: { flag: '--segment-duration', env: 'TIDECAST_SEGMENT_DURATION', kind: 'number', min: 0.1, max: 3600 },
  windowSegments: { flag: '--window-segments', kind: 'integer', min: 3, max: 1800 },
  endGraceMs: { flag: '--end-grace-ms', kind: 'integer', min: 0, max: 3_600_000 },
};

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
    set(layer, key, checked(key, `${key} in ${source}`, value));
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
    const value = field.kind === 'string' ? raw : raw.trim() === '' ? Number.NaN : Number(raw);
    set(layer, key, checked(key, label, value, raw));
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

/** Precedence: flags > environment > config file > defaults. */
export function resolveServerConfig(layers: { flags?: ServerConfigLayer; env?: ServerConfigLayer; file?: ServerConfigLayer }): ServerConfig {
  return { ...DEFAULT_SERVER_CONFIG, ...defined(layers.file), ...defined(layers.env), ...defined(layers.flags) };
}

function checked(key: ServerConfigKey, label: string, value: unknown, shown: string = describe(value)): number | string {
  const field = SERVER_CONFIG_FIELDS[key];
  if (field.kind === 'string') {
    if (typeof value === 'string' && value.trim() !== '') return value;
    throw invalid(label, 'a non-empty string', shown);
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

function set(layer: ServerConfigLayer, key: ServerConfigKey, value: number | string): void {
  (layer as Record<ServerConfigKey, number | string>)[key] = value;
}

function defined(layer: ServerConfigLayer | undefined): ServerConfigLayer {
  return Object.fromEntries(Object.entries(layer ?? {}).filter(([, v]) => v !== undefined));
}

/** A config value as a message shows it: strings quoted, so `"8080"` is told apart from 8080. */
function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'object' ? 'a mapping' : String(value);
}
