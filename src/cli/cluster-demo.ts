import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parseArgs } from 'node:util';
import { haproxyArgs, haproxyCfg, nginxArgs, nginxConf, varnishdArgs, varnishVcl, type EdgeDescription, type HostPort } from '../cluster/edge-config/index.js';
import { invalidOption } from '../config/index.js';
import { DEFAULT_LL_PART_TARGET_SECONDS, DEFAULT_SEGMENT_TARGET_SECONDS } from '../hls/index.js';

/**
 * `tidecast cluster demo` (docs/cluster.md "The demo"): a whole cluster on loopback from the Debian
 * packages, no containers. It writes the configurations into a temporary directory, starts
 * redis-server, two origins (`tidecast serve` with the `cluster` section and the PROXY protocol on
 * RTMP), HAProxy in front of their RTMP ports, a Varnish edge and an nginx edge in front of their
 * HTTP ports, prints the publish and playback URLs, prefixes and streams their logs, and stops
 * everything (by PID) on Ctrl-C or SIGTERM. A process that ends by itself is reported, and ends the
 * demo.
 */

export const CLUSTER_USAGE = 'tidecast cluster demo [--rtmp-port p] [--varnish-port p] [--nginx-port p] [--key name]';

const CLUSTER_HELP = `Usage: ${CLUSTER_USAGE}

Starts on 127.0.0.1: redis-server, two tidecast origins, HAProxy (RTMP, PROXY v2 to the origins),
a Varnish edge and an nginx edge (LL-HLS caches), from the Debian packages redis-server, haproxy,
varnish and nginx. Prints where to publish and play; Ctrl-C stops everything.

  --rtmp-port p      HAProxy's RTMP port (default 1935; 0: a free one)
  --varnish-port p   the Varnish edge's HTTP port (default 8090; 0: a free one)
  --nginx-port p     the nginx edge's HTTP port (default 8091; 0: a free one)
  --key name         the stream key the printed URLs use (default demo)`;

/** The binaries the demo runs, and the Debian package of each. */
const BINARIES = [
  ['redis-server', 'redis-server'],
  ['haproxy', 'haproxy'],
  ['varnishd', 'varnish'],
  ['nginx', 'nginx'],
] as const;

/** How long a child has after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3000;
/** How long an origin may take to say it listens. */
const START_TIMEOUT_MS = 30_000;

export async function runClusterCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') return void console.log(CLUSTER_HELP);
  if (sub !== 'demo') throw invalidOption('cluster', "'demo'", sub);
  const { values } = parseArgs({ args: rest, options: { 'rtmp-port': { type: 'string' }, 'varnish-port': { type: 'string' }, 'nginx-port': { type: 'string' }, key: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help === true) return void console.log(CLUSTER_HELP);
  const port = (name: string, text: string | undefined, fallback: number): number => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(value) || value < 0 || value > 65_535) throw invalidOption(`--${name}`, 'a port, 0 to 65535', String(text));
    return value;
  };
  await runDemo({ rtmpPort: port('rtmp-port', values['rtmp-port'], 1935), varnishPort: port('varnish-port', values['varnish-port'], 8090), nginxPort: port('nginx-port', values['nginx-port'], 8091), key: values.key ?? 'demo' });
}

interface DemoOptions {
  readonly rtmpPort: number;
  readonly varnishPort: number;
  readonly nginxPort: number;
  readonly key: string;
}

async function runDemo(options: DemoOptions): Promise<void> {
  const paths = Object.fromEntries(BINARIES.map(([name, pkg]) => [name, findBinary(name, pkg)])) as Record<(typeof BINARIES)[number][0], string>;
  const dir = mkdtempSync(join(tmpdir(), 'tidecast-cluster-'));
  // nginx's workers and Varnish's children run as other users: they must read the configurations.
  chmodSync(dir, 0o755);
  const children: Array<{ name: string; child: ChildProcess }> = [];
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('[demo] stopping');
    await Promise.all(children.reverse().map(({ child }) => stopChild(child)));
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGHUP', () => void stop(0));
  const start = (name: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess => {
    // This process's working directory: an origin's loader flags (tsx) resolve from it.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    children.push({ name, child });
    prefixLines(child, name);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      console.log(`[demo] ${name} ended by itself (${signal ?? `exit ${code}`}): stopping the demo`);
      void stop(1);
    });
    return child;
  };
  try {
    const [redisPort, aHttp, aRtmp, bHttp, bRtmp, rtmpPort, varnishPort, nginxPort] = await freePorts([0, 0, 0, 0, 0, options.rtmpPort, options.varnishPort, options.nginxPort]);
    start('redis', paths['redis-server'], ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
    const origins: Array<{ id: string; http: number; rtmp: number }> = [
      { id: 'origin-a', http: aHttp!, rtmp: aRtmp! },
      { id: 'origin-b', http: bHttp!, rtmp: bRtmp! },
    ];
    const listening = origins.map((o) => {
      const env = { ...process.env, TIDECAST_CLUSTER_REDIS_URL: `redis://127.0.0.1:${redisPort}`, TIDECAST_CLUSTER_ORIGIN_ID: o.id };
      // The same entry point and loader flags as this process (dist/cli/main.js, or src with tsx).
      const child = start(o.id, process.execPath, [...process.execArgv, process.argv[1]!, 'serve', '--host', '127.0.0.1', '--http-port', String(o.http), '--rtmp-port', String(o.rtmp), '--rtmp-proxy-protocol', 'on'], env);
      return waitForLine(child, '"msg":"listening"', START_TIMEOUT_MS, o.id);
    });
    await Promise.all(listening);
    const description = (listen: number, engine: string): EdgeDescription => {
      const runDir = join(dir, engine);
      mkdirSync(runDir, { recursive: true, mode: 0o755 });
      chmodSync(runDir, 0o755);
      return {
        origins: origins.map((o): HostPort => ({ host: '127.0.0.1', port: o.http })),
        rtmpOrigins: origins.map((o): HostPort => ({ host: '127.0.0.1', port: o.rtmp })),
        listen: { host: '127.0.0.1', port: listen },
        cacheDir: join(runDir, 'cache'),
        cacheSizeMiB: 64,
        runDir,
        segmentTargetSeconds: DEFAULT_SEGMENT_TARGET_SECONDS,
        partTargetSeconds: DEFAULT_LL_PART_TARGET_SECONDS,
      };
    };
    const haproxy = description(rtmpPort!, 'haproxy');
    writeFileSync(join(haproxy.runDir, 'haproxy.cfg'), haproxyCfg(haproxy));
    start('haproxy', paths.haproxy, haproxyArgs(join(haproxy.runDir, 'haproxy.cfg')));
    const varnish = description(varnishPort!, 'varnish');
    writeFileSync(join(dir, 'edge.vcl'), varnishVcl(varnish));
    const root = process.getuid?.() === 0;
    start('varnish', paths.varnishd, varnishdArgs(varnish, join(dir, 'edge.vcl'), { noJail: root }));
    const nginx = description(nginxPort!, 'nginx');
    writeFileSync(join(nginx.runDir, 'nginx.conf'), nginxConf(nginx));
    start('nginx', paths.nginx, nginxArgs(nginx, join(nginx.runDir, 'nginx.conf')));
    await Promise.all([waitForPort(rtmpPort!), waitForPort(varnishPort!), waitForPort(nginxPort!)]);
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
    const pids = Object.fromEntries(children.map(({ name, child }) => [name, child.pid]));
    console.log(JSON.stringify({ msg: 'cluster demo ready', dir, redisPort, rtmpPort, varnishPort, nginxPort, origins, pids }));
  } catch (error) {
    console.error(`[demo] ${error instanceof Error ? error.message : String(error)}`);
    await stop(1);
  }
}

function findBinary(name: string, pkg: string): string {
  for (const folder of (process.env['PATH'] ?? '').split(delimiter).concat(['/usr/sbin', '/usr/bin'])) {
    if (folder === '') continue;
    try {
      accessSync(join(folder, name), constants.X_OK);
      return join(folder, name);
    } catch {
      // not in this folder
    }
  }
  throw invalidOption('cluster demo', `${name} on PATH (Debian: apt-get install ${pkg})`, 'not found');
}

/** Ports for the wanted ones: 0 picks a free one, any other is taken as is. */
async function freePorts(wanted: readonly number[]): Promise<number[]> {
  return Promise.all(
    wanted.map(
      (port) =>
        new Promise<number>((resolve, reject) => {
          if (port !== 0) return resolve(port);
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const chosen = (server.address() as { port: number }).port;
            server.close(() => resolve(chosen));
          });
        }),
    ),
  );
}

/** Each line the child writes, prefixed with its name. */
function prefixLines(child: ChildProcess, name: string): void {
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8').on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.trim() !== '') console.log(`[${name}] ${line}`);
    });
  }
}

function waitForLine(child: ChildProcess, needle: string, timeoutMs: number, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on('data', (text: string) => {
      seen = (seen + text).slice(-65_536);
      if (seen.includes(needle)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`${name} ended before it listened`)));
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port` (within 15 s). */
async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after 15 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, then SIGKILL after STOP_GRACE_MS; resolves once the child is gone. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
