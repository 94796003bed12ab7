import { parseArgs } from 'node:util';
import { invalidOption } from '../config/index.js';
import { startLocalCluster, type LocalCluster } from './cluster-local.js';
import { SCENARIOS, runScenario, scenarioTable, type ScenarioName, type ScenarioResult } from './cluster-scenarios.js';

/**
 * `tidecast cluster demo` (docs/cluster.md "The demo"): a whole cluster on loopback from the Debian
 * packages, no containers. It writes the configurations into a temporary directory, starts
 * redis-server, two origins (`tidecast serve` with the `cluster` section and the PROXY protocol on
 * RTMP), HAProxy in front of their RTMP ports, a Varnish edge and an nginx edge in front of their
 * HTTP ports, prints the publish and playback URLs, prefixes and streams their logs, and stops
 * everything (by PID) on Ctrl-C or SIGTERM. A process that ends by itself is reported, and ends the
 * demo. With `--scenario`, it runs the scripted faults (cluster-scenarios.ts) on that cluster instead
 * of waiting for Ctrl-C, prints each result as a JSON line and a table, stops everything and exits
 * 0 when every check held, 1 otherwise.
 */

export const CLUSTER_USAGE = 'tidecast cluster demo [--rtmp-port p] [--varnish-port p] [--nginx-port p] [--key name] [--scenario name|all] [--redis-outage-seconds s] [--trace file]';

const CLUSTER_HELP = `Usage: ${CLUSTER_USAGE}

Starts on 127.0.0.1: redis-server, two tidecast origins, HAProxy (RTMP, PROXY v2 to the origins),
a Varnish edge and an nginx edge (LL-HLS caches), from the Debian packages redis-server, haproxy,
varnish and nginx. Prints where to publish and play; Ctrl-C stops everything.

  --rtmp-port p      HAProxy's RTMP port (default 1935; 0: a free one)
  --varnish-port p   the Varnish edge's HTTP port (default 8090; 0: a free one)
  --nginx-port p     the nginx edge's HTTP port (default 8091; 0: a free one)
  --key name         the stream key the printed URLs use (default demo)
  --scenario name    run a scripted fault with ffmpeg publishing through HAProxy and 5 virtual
                     LL-HLS viewers through each edge, print its checks and figures, stop
                     everything; exit 0 when every check held (docs/cluster.md "Faults"):
                       origin-kill     SIGKILL of the stream's owner
                       origin-freeze   SIGSTOP of the owner for 20 s, then SIGCONT
                       redis-outage    SIGSTOP of redis-server, then SIGCONT; a new publish meanwhile
                       publisher-move  a planned move of the publisher to the other origin
                       all             the four in a row on one cluster
  --redis-outage-seconds s
                     how long redis-outage stops Redis (default 60; 300 for the long suite)
  --trace file       with --scenario: every viewer request (time, viewer, status, path) as JSON lines`;

export async function runClusterCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') return void console.log(CLUSTER_HELP);
  if (sub !== 'demo') throw invalidOption('cluster', "'demo'", sub);
  const { values } = parseArgs({
    args: rest,
    options: { 'rtmp-port': { type: 'string' }, 'varnish-port': { type: 'string' }, 'nginx-port': { type: 'string' }, key: { type: 'string' }, scenario: { type: 'string' }, 'redis-outage-seconds': { type: 'string' }, trace: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help === true) return void console.log(CLUSTER_HELP);
  const port = (name: string, text: string | undefined, fallback: number): number => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(value) || value < 0 || value > 65_535) throw invalidOption(`--${name}`, 'a port, 0 to 65535', String(text));
    return value;
  };
  const scenario = values.scenario;
  if (scenario !== undefined && scenario !== 'all' && !(SCENARIOS as readonly string[]).includes(scenario)) throw invalidOption('--scenario', `one of ${SCENARIOS.join(', ')}, all`, scenario);
  const outageText = values['redis-outage-seconds'];
  const redisOutageSeconds = outageText === undefined ? 60 : Number(outageText);
  if (!(redisOutageSeconds > 0 && redisOutageSeconds <= 3600)) throw invalidOption('--redis-outage-seconds', 'seconds, above 0 and at most 3600', String(outageText));
  const options = { rtmpPort: port('rtmp-port', values['rtmp-port'], 1935), varnishPort: port('varnish-port', values['varnish-port'], 8090), nginxPort: port('nginx-port', values['nginx-port'], 8091), key: values.key ?? 'demo' };
  if (scenario === undefined) return runDemo(options);
  await runScenarios({ ...options, scenarios: scenario === 'all' ? [...SCENARIOS] : [scenario as ScenarioName], redisOutageSeconds, ...(values.trace === undefined ? {} : { traceFile: values.trace }) });
}

interface ScenarioRunOptions extends DemoOptions {
  readonly scenarios: readonly ScenarioName[];
  readonly redisOutageSeconds: number;
  readonly traceFile?: string;
}

/** `--scenario`: the cluster, the scenarios one after another on it, each result printed; the exit code says whether every check held. */
async function runScenarios(options: ScenarioRunOptions): Promise<void> {
  let cluster: LocalCluster | undefined;
  const interrupted = (): void => {
    console.log('[demo] interrupted: stopping');
    void (cluster?.stop() ?? Promise.resolve()).then(() => process.exit(1));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  process.once('SIGHUP', interrupted);
  const results: ScenarioResult[] = [];
  let failure: string | undefined;
  try {
    cluster = await startLocalCluster({
      rtmpPort: options.rtmpPort,
      varnishPort: options.varnishPort,
      nginxPort: options.nginxPort,
      // The origins' lines only: the edges' access logs would bury the scenario's progress.
      log: (name, line) => {
        if (name.startsWith('origin') && !line.includes('"level":"debug"')) console.log(`[${name}] ${line}`);
      },
      // The scenarios end processes on purpose (and start them again): said, not fatal.
      onExit: (name, code, signal) => console.log(`[demo] ${name} ended (${signal ?? `exit ${code}`})`),
    });
    console.log(JSON.stringify({ msg: 'cluster demo ready', dir: cluster.dir, redisPort: cluster.redisPort, rtmpPort: cluster.rtmpPort, varnishPort: cluster.varnishPort, nginxPort: cluster.nginxPort, origins: cluster.origins, pids: cluster.pids() }));
    for (const name of options.scenarios) {
      const outcome = await runScenario(cluster, name, { redisOutageSeconds: options.redisOutageSeconds, ...(options.traceFile === undefined ? {} : { traceFile: options.traceFile }) });
      results.push(outcome);
      console.log(JSON.stringify({ msg: 'cluster scenario result', ...outcome }));
      console.log(scenarioTable(outcome));
    }
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    console.error(`[demo] ${failure}`);
  } finally {
    await cluster?.stop();
  }
  const ok = failure === undefined && results.length === options.scenarios.length && results.every((r) => r.ok);
  console.log(`[demo] ${results.filter((r) => r.ok).length} of ${options.scenarios.length} scenario(s) held every check${failure === undefined ? '' : `; stopped by: ${failure}`}`);
  process.exit(ok ? 0 : 1);
}

interface DemoOptions {
  readonly rtmpPort: number;
  readonly varnishPort: number;
  readonly nginxPort: number;
  readonly key: string;
}

async function runDemo(options: DemoOptions): Promise<void> {
  let cluster: LocalCluster | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('[demo] stopping');
    await cluster?.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGHUP', () => void stop(0));
  try {
    cluster = await startLocalCluster({
      rtmpPort: options.rtmpPort,
      varnishPort: options.varnishPort,
      nginxPort: options.nginxPort,
      log: (name, line) => console.log(`[${name}] ${line}`),
      onExit: (name, code, signal) => {
        console.log(`[demo] ${name} ended by itself (${signal ?? `exit ${code}`}): stopping the demo`);
        void stop(1);
      },
    });
    const { dir, redisPort, rtmpPort, varnishPort, nginxPort, origins } = cluster;
    const key = options.key;
    console.log(`
tidecast cluster demo: redis-server, 2 origins, HAProxy, a Varnish edge and an nginx edge on 127.0.0.1
  configurations:  ${dir}
  publish (OBS):   server rtmp://127.0.0.1:${rtmpPort}/live, stream key ${key}
  publish (test):  ffmpeg -re -f lavfi -i testsrc2=size=640x360:rate=30 -f lavfi -i sine -c:v libx264 -preset ultrafast -g 60 -c:a aac -f flv rtmp://127.0.0.1:${rtmpPort}/live/${key}
  play (Varnish):  http://127.0.0.1:${varnishPort}/live/${key}/index.m3u8
  play (nginx):    http://127.0.0.1:${nginxPort}/live/${key}/index.m3u8
  origins:         ${origins.map((o) => `${o.id} http://127.0.0.1:${o.http} (rtmp ${o.rtmp})`).join(', ')}
  the cluster:     http://127.0.0.1:${origins[0]!.http}/api/cluster
Ctrl-C stops everything.`);
    console.log(JSON.stringify({ msg: 'cluster demo ready', dir, redisPort, rtmpPort, varnishPort, nginxPort, origins, pids: cluster.pids() }));
  } catch (error) {
    console.error(`[demo] ${error instanceof Error ? error.message : String(error)}`);
    await stop(1);
  }
}
