import { rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { haproxyCfg, nginxConf, parseHostPort, varnishVcl, type EdgeDescription, type EdgeEngine } from '../cluster/edge-config/index.js';
import { invalidOption } from '../config/index.js';
import { DEFAULT_LL_PART_TARGET_SECONDS, DEFAULT_SEGMENT_TARGET_SECONDS } from '../hls/index.js';

/**
 * `tidecast edge-config varnish|nginx|haproxy …`: one edge's configuration from the cluster's
 * description (src/cluster/edge-config), printed or written to `--out`. docs/cluster.md "Edge
 * configurations" explains the output and how to run each engine on it.
 */

export const EDGE_CONFIG_USAGE =
  'tidecast edge-config varnish|nginx|haproxy [--origin host:port]... [--rtmp-origin host:port]... [--listen [host:]port] ' +
  '[--segment-target s] [--part-target s] [--cache-dir dir] [--cache-size MiB] [--run-dir dir] [--out file]';

const EDGE_CONFIG_HELP = `Usage: ${EDGE_CONFIG_USAGE}

Writes a Varnish VCL or an nginx configuration (caching LL-HLS edges in front of the origins' HTTP
listeners) or an HAProxy configuration (TCP balancing of RTMP publishers over the origins' RTMP
listeners, with PROXY protocol v2). Every edge of a cluster gets the same origins in the same order.

  --origin host:port        an origin's HTTP listener (varnish, nginx; repeat for each origin)
  --rtmp-origin host:port   an origin's RTMP listener (haproxy; repeat for each origin)
  --listen [host:]port      where the edge listens (default 0.0.0.0 and varnish 8090, nginx 8091, haproxy 1935)
  --segment-target s        the streams' segment target (default ${DEFAULT_SEGMENT_TARGET_SECONDS}): blocking timeouts
  --part-target s           the streams' part target (default ${DEFAULT_LL_PART_TARGET_SECONDS}): playlist grace
  --cache-dir dir           nginx's cache directory (default <run-dir>/cache)
  --cache-size MiB          the cache's size (default 256)
  --run-dir dir             pid file, temporary files, logs, Varnish's -n (default /tmp/tidecast-edge)
  --out file                write the configuration there (default: standard output)`;

const ENGINES: readonly EdgeEngine[] = ['varnish', 'nginx', 'haproxy'];
/** The one-machine layout of research/cluster.md (Recommendations 11): Varnish :8090, nginx :8091, HAProxy :1935. */
const DEFAULT_LISTEN_PORTS: Readonly<Record<EdgeEngine, number>> = { varnish: 8090, nginx: 8091, haproxy: 1935 };
const DEFAULT_LISTEN_HOST = '0.0.0.0';
const DEFAULT_RUN_DIR = '/tmp/tidecast-edge';
const DEFAULT_CACHE_SIZE_MIB = 256;

const GENERATORS: Readonly<Record<EdgeEngine, (description: EdgeDescription) => string>> = { varnish: varnishVcl, nginx: nginxConf, haproxy: haproxyCfg };

export interface EdgeConfigRequest {
  readonly engine: EdgeEngine;
  readonly description: EdgeDescription;
  /** Absolute path of --out, when given. */
  readonly out?: string;
}

/**
 * The command line after `edge-config` → what to generate, or 'help' (-h, --help); ERR_CONFIG_INVALID
 * naming the option. `cwd` resolves relative paths.
 */
export function parseEdgeConfigArgs(args: readonly string[], cwd: string): EdgeConfigRequest | 'help' {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(args);
  } catch (err) {
    throw invalidOption('arguments', EDGE_CONFIG_USAGE, `${args.join(' ')} (${(err as Error).message})`);
  }
  const { values, positionals } = parsed;
  const engine = positionals[0] as EdgeEngine | undefined;
  if (values.help === true) return 'help';
  if (positionals.length !== 1 || !ENGINES.includes(engine!)) throw invalidOption('engine', 'varnish, nginx or haproxy', positionals.join(' ') || 'none');
  const runDir = resolve(cwd, values['run-dir'] ?? DEFAULT_RUN_DIR);
  const description: EdgeDescription = {
    origins: (values.origin ?? []).map((text) => parseHostPort('--origin', text)),
    rtmpOrigins: (values['rtmp-origin'] ?? []).map((text) => parseHostPort('--rtmp-origin', text)),
    listen: parseHostPort('--listen', values.listen ?? String(DEFAULT_LISTEN_PORTS[engine!]), DEFAULT_LISTEN_HOST),
    cacheDir: resolve(cwd, values['cache-dir'] ?? `${runDir}/cache`),
    cacheSizeMiB: decimal('--cache-size', values['cache-size'], DEFAULT_CACHE_SIZE_MIB),
    runDir,
    segmentTargetSeconds: decimal('--segment-target', values['segment-target'], DEFAULT_SEGMENT_TARGET_SECONDS),
    partTargetSeconds: decimal('--part-target', values['part-target'], DEFAULT_LL_PART_TARGET_SECONDS),
  };
  return { engine: engine!, description, ...(values.out === undefined ? {} : { out: resolve(cwd, values.out) }) };
}

function parseFlags(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      origin: { type: 'string', multiple: true },
      'rtmp-origin': { type: 'string', multiple: true },
      listen: { type: 'string' },
      'segment-target': { type: 'string' },
      'part-target': { type: 'string' },
      'cache-dir': { type: 'string' },
      'cache-size': { type: 'string' },
      'run-dir': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** A decimal flag's value (the generator checks its range, naming the field). */
function decimal(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(text)) throw invalidOption(option, 'a decimal number', text);
  return Number(text);
}

/** The generated configuration for `request` (checked: ERR_CONFIG_INVALID for a bad description). */
export function renderEdgeConfig(request: EdgeConfigRequest): string {
  return GENERATORS[request.engine](request.description);
}

export async function runEdgeConfig(args: readonly string[], cwd = process.cwd()): Promise<void> {
  const request = parseEdgeConfigArgs(args, cwd);
  if (request === 'help') {
    process.stdout.write(`${EDGE_CONFIG_HELP}\n`);
    return;
  }
  const text = renderEdgeConfig(request);
  if (request.out === undefined) {
    process.stdout.write(text);
    return;
  }
  // A running engine reloading the file never reads half of it.
  const temporary = `${request.out}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, request.out);
  console.error(`tidecast: ${request.engine} configuration written to ${request.out}`);
}
