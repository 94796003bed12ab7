import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { haproxyArgs, haproxyCfg, nginxArgs, nginxConf, varnishdArgs, varnishVcl, type EdgeDescription, type HostPort } from '../cluster/edge-config/index.js';
import { invalidOption } from '../config/index.js';
import { DEFAULT_LL_PART_TARGET_SECONDS, DEFAULT_SEGMENT_TARGET_SECONDS } from '../hls/index.js';

/**
 * A whole cluster on loopback from the Debian packages, no containers (docs/cluster.md "The demo"):
 * redis-server, two origins (`tidecast serve` with the `cluster` section and the PROXY protocol on
 * RTMP), HAProxy in front of their RTMP ports, a Varnish edge and an nginx edge in front of their
 * HTTP ports, each configuration written into a temporary directory. `tidecast cluster demo` and its
 * scenarios (cluster-scenarios.ts), the cluster tests and bench/cluster.ts start it; `stop()` ends
 * every process it started, by PID, and removes the directory.
 */

export interface LocalClusterOptions {
  /** HAProxy's RTMP port; 0 picks a free one. */
  readonly rtmpPort: number;
  /** The Varnish edge's HTTP port; 0 picks a free one. */
  readonly varnishPort: number;
  /** The nginx edge's HTTP port; 0 picks a free one. */
  readonly nginxPort: number;
  /**
   * The command and first arguments that run the tidecast CLI for the origins (default: this
   * process's node, its loader flags and entry point, as `tidecast cluster demo` runs); a test
   * under vitest passes `[process.execPath, '--import', 'tsx', 'src/cli/main.ts']`.
   */
  readonly originCommand?: readonly string[];
  /** Extra `tidecast serve` arguments for both origins. */
  readonly originArgs?: readonly string[];
  /** Extra environment of both origins (TIDECAST_CLUSTER_LEASE_MS, …). */
  readonly originEnv?: Readonly<Record<string, string>>;
  /** Each line a process writes (default: none). */
  readonly log?: (name: string, line: string) => void;
  /** A process ended while the cluster was not stopping (default: nothing). */
  readonly onExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface LocalOrigin {
  readonly id: string;
  /** Its HTTP port (origins are reached directly too: the cluster API, /metrics). */
  readonly http: number;
  readonly rtmp: number;
}

export interface LocalCluster {
  readonly dir: string;
  readonly redisPort: number;
  readonly rtmpPort: number;
  readonly varnishPort: number;
  readonly nginxPort: number;
  readonly origins: readonly LocalOrigin[];
  /** The processes by name: redis, origin-a, origin-b, haproxy, varnish, nginx. */
  readonly processes: ReadonlyMap<string, ChildProcess>;
  /** The PIDs by name. */
  pids(): Record<string, number | undefined>;
  /**
   * Starts origin `id` again on its ports (the edges' and HAProxy's configurations name them) once
   * its process has ended (a scenario SIGKILLed it); resolves when it listens. The new process
   * replaces the old one in `processes`.
   */
  restartOrigin(id: string): Promise<void>;
  /**
   * One command on HAProxy's runtime API (its admin socket in the run directory), e.g.
   * `set server tc_rtmp_origins/origin0 state maint`; resolves with its answer. The servers are
   * `origin0`, `origin1` in the order of `origins`.
   */
  haproxyCommand(command: string): Promise<string>;
  /** Ends every process (SIGTERM, SIGKILL after 3 s; a stopped one is continued first) and removes the directory. */
  stop(): Promise<void>;
}

/** The binaries the cluster runs, and the Debian package of each. */
export const CLUSTER_BINARIES = [
  ['redis-server', 'redis-server'],
  ['haproxy', 'haproxy'],
  ['varnishd', 'varnish'],
  ['nginx', 'nginx'],
] as const;

/** How long a child has after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3000;
/** How long an origin may take to say it listens. */
const START_TIMEOUT_MS = 30_000;

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const paths = Object.fromEntries(CLUSTER_BINARIES.map(([name, pkg]) => [name, findBinary(name, pkg)])) as Record<(typeof CLUSTER_BINARIES)[number][0], string>;
  const dir = mkdtempSync(join(tmpdir(), 'tidecast-cluster-'));
  // nginx's workers and Varnish's children run as other users: they must read the configurations.
  chmodSync(dir, 0o755);
  const processes = new Map<string, ChildProcess>();
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await Promise.all([...processes.values()].reverse().map((child) => stopChild(child)));
    rmSync(dir, { recursive: true, force: true });
  };
  const start = (name: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess => {
    // This process's working directory: an origin's loader flags (tsx) resolve from it.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    processes.set(name, child);
    eachLine(child, (line) => options.log?.(name, line));
    child.once('exit', (code, signal) => {
      if (!stopping) options.onExit?.(name, code, signal);
    });
    return child;
  };
  try {
    const [redisPort, aHttp, aRtmp, bHttp, bRtmp, rtmpPort, varnishPort, nginxPort] = (await freePorts([0, 0, 0, 0, 0, options.rtmpPort, options.varnishPort, options.nginxPort])) as [number, number, number, number, number, number, number, number];
    start('redis', paths['redis-server'], ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
    const origins: LocalOrigin[] = [
      { id: 'origin-a', http: aHttp, rtmp: aRtmp },
      { id: 'origin-b', http: bHttp, rtmp: bRtmp },
    ];
    const startOrigin = (o: LocalOrigin): Promise<void> => {
      const env = { ...process.env, ...options.originEnv, TIDECAST_CLUSTER_REDIS_URL: `redis://127.0.0.1:${redisPort}`, TIDECAST_CLUSTER_ORIGIN_ID: o.id };
      // The same entry point and loader flags as this process (dist/cli/main.js, or src with tsx).
      const [command, ...first] = options.originCommand ?? [process.execPath, ...process.execArgv, process.argv[1]!];
      const child = start(o.id, command!, [...first, 'serve', '--host', '127.0.0.1', '--http-port', String(o.http), '--rtmp-port', String(o.rtmp), '--rtmp-proxy-protocol', 'on', ...(options.originArgs ?? [])], env);
      return waitForLine(child, '"msg":"listening"', START_TIMEOUT_MS, o.id);
    };
    await Promise.all(origins.map(startOrigin));
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
    const haproxy = description(rtmpPort, 'haproxy');
    // The generated configuration plus an admin socket, for the scenarios' planned moves (a server set to maint).
    const haproxySocket = join(haproxy.runDir, 'admin.sock');
    writeFileSync(join(haproxy.runDir, 'haproxy.cfg'), haproxyCfg(haproxy).replace(/^global\n/m, `global\n    stats socket ${haproxySocket} mode 600 level admin\n`));
    start('haproxy', paths.haproxy, haproxyArgs(join(haproxy.runDir, 'haproxy.cfg')));
    const varnish = description(varnishPort, 'varnish');
    writeFileSync(join(dir, 'edge.vcl'), varnishVcl(varnish));
    start('varnish', paths.varnishd, varnishdArgs(varnish, join(dir, 'edge.vcl'), { noJail: process.getuid?.() === 0 }));
    const nginx = description(nginxPort, 'nginx');
    writeFileSync(join(nginx.runDir, 'nginx.conf'), nginxConf(nginx));
    start('nginx', paths.nginx, nginxArgs(nginx, join(nginx.runDir, 'nginx.conf')));
    await Promise.all([waitForPort(rtmpPort), waitForPort(varnishPort), waitForPort(nginxPort)]);
    return {
      dir,
      redisPort,
      rtmpPort,
      varnishPort,
      nginxPort,
      origins,
      processes,
      pids: () => Object.fromEntries([...processes].map(([name, child]) => [name, child.pid])),
      restartOrigin: async (id) => {
        const origin = origins.find((o) => o.id === id);
        if (origin === undefined) throw new Error(`no origin ${id}`);
        const old = processes.get(id);
        if (old !== undefined && old.exitCode === null && old.signalCode === null) throw new Error(`${id} is still running (pid ${old.pid})`);
        await startOrigin(origin);
      },
      haproxyCommand: (command) => unixCommand(haproxySocket, command),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The path of `name` on PATH (or /usr/sbin, /usr/bin); an error naming its Debian package when absent. */
export function findBinary(name: string, pkg: string): string {
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

/** Calls `onLine` with each line the child writes, stdout and stderr. */
function eachLine(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.setEncoding('utf8').on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.trim() !== '') onLine(line);
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
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${name} ended before it listened`));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port` (within 15 s). */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
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
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGCONT (a frozen child would never handle SIGTERM), SIGTERM, then SIGKILL after STOP_GRACE_MS; resolves once the child is gone. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGCONT');
    child.kill('SIGTERM');
  });
}

/** Sends one line to a UNIX socket (HAProxy's runtime API) and resolves with everything it answers before it closes. */
function unixCommand(path: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let answer = '';
    const timer = setTimeout(() => socket.destroy(new Error(`${path}: no answer to '${command}' in ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (answer += text));
    socket.once('connect', () => socket.write(`${command}\n`));
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(answer.trim());
    });
  });
}
