import { PACKAGE_SYNOPSIS } from './package.js';
import { DEFAULT_LOG_LEVEL } from './serve-output.js';
import { DEFAULT_SERVER_CONFIG, SERVER_CONFIG_FIELDS, SERVER_CONFIG_KEYS, type ServerConfigKey } from './server-config.js';
import { CONFIG_SECTIONS, CONFIG_SECTION_NAMES } from './control-config.js';

/**
 * `tidecast --help`, generated: every setting's line comes from its field (flag, placeholder,
 * text, variable, key) and its default from DEFAULT_SERVER_CONFIG (the modules' constants), so a
 * new setting, a changed default or a renamed flag changes the help with nothing else to edit.
 */

/** Where the text of an option starts, past its flag and placeholder. */
const COLUMN = 40;
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** One option: its flag and text, then its default, variable and config key. */
function option(flag: string, text: string, facts: string): string {
  const first = `  ${flag.padEnd(COLUMN)} ${text}`;
  return facts === '' ? first : `${first}\n  ${''.padEnd(COLUMN)} (${facts})`;
}

/** A default as the flag would say it: on/off, and byte counts also in whole MiB or GiB. */
export function defaultText(key: ServerConfigKey): string | undefined {
  const value = DEFAULT_SERVER_CONFIG[key];
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number' && SERVER_CONFIG_FIELDS[key].value === '<bytes>') {
    if (value >= GIB && value % GIB === 0) return `${value} = ${value / GIB} GiB`;
    if (value >= MIB && value % MIB === 0) return `${value} = ${value / MIB} MiB`;
  }
  return String(value);
}

function settingLine(key: ServerConfigKey): string {
  const field = SERVER_CONFIG_FIELDS[key];
  const byDefault = defaultText(key);
  const facts = [byDefault === undefined ? undefined : `default ${byDefault}`, field.env === undefined ? undefined : `env ${field.env}`, `key ${key}`];
  return option(`${field.flag} ${field.value}`, field.help, facts.filter((f) => f !== undefined).join(', '));
}

/** The config file's sections, each with its schema's title. */
export function sectionsHelp(): string {
  return CONFIG_SECTION_NAMES.map((name) => option(name, CONFIG_SECTIONS[name].title ?? '', '')).join('\n');
}

/** The lines of the settings that are limits (`limits`) or not. */
export function settingsHelp(limits: boolean): string {
  return SERVER_CONFIG_KEYS.filter((key) => (SERVER_CONFIG_FIELDS[key].limit === true) === limits)
    .map(settingLine)
    .join('\n');
}

export const HELP = `tidecast — live-streaming media server

Usage: tidecast [serve] [options]
       ${PACKAGE_SYNOPSIS}
       tidecast config example | config check <file>
       tidecast hash-key [key…]
       tidecast edge-config varnish | nginx | haproxy [--origin host:port]… [options]
       tidecast cluster demo [--rtmp-port p] [--varnish-port p] [--nginx-port p] [--scenario name|all]
       tidecast loadgen --url <playlist> [--viewers n] [--duration s] [--publishers m …]  (\`tidecast loadgen --help\`)

serve (the default) ingests RTMP (OBS, FFmpeg, GStreamer, librtmp), packages each stream as live
HLS (LL-HLS by default) and serves the playlists, segments and a player page over HTTP (HTTPS
with HTTP/2 when given a certificate and key).

${settingsHelp(false)}
${option('--config <file>', 'JSON or YAML file of settings by key (each option says its key)', '')}
${option('-h, --help', 'this text', '')}

Limits (each one's reason: docs/limits.md):
${settingsHelp(true)}

Config file sections (no flags; every key in docs/config.md and \`tidecast config example\`):
${sectionsHelp()}

Precedence: option > environment variable > config file > default. Every key of the file has a
variable, TIDECAST_ and its path in capitals: TIDECAST_AUTH_SESSIONS_SECRET, TIDECAST_API_TOKENS
(a list as a comma list).
Log level: env TIDECAST_LOG_LEVEL (default ${DEFAULT_LOG_LEVEL}; debug logs every segment).

package writes an HLS VOD (CMAF segments and playlists) from an FLV file.
config example prints the example config file (every key, its default and variable); config check
checks a file with the environment over it and says what it turns on. hash-key prints the
sha256:<hex> of stream keys or API tokens for the config file (read from stdin when not given).
edge-config writes a Varnish VCL, an nginx configuration or an HAProxy configuration for caching
edges and RTMP balancing in front of several origins (\`tidecast edge-config --help\`, docs/cluster.md).
cluster demo runs a whole cluster on loopback (redis-server, two origins, HAProxy, Varnish and nginx
edges from the Debian packages) and prints where to publish and play; Ctrl-C stops it. With --scenario
origin-kill|origin-freeze|redis-outage|publisher-move|all it runs the scripted faults instead and exits
0 when every check held (\`tidecast cluster --help\`).`;
