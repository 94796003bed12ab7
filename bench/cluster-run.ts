import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLocalCluster, type LocalCluster } from '../src/cli/cluster-local.js';

/**
 * The cluster under bench (bench/cluster.ts, test/cluster/edge-collapse.test.ts,
 * test/browser/cluster-hlsjs.test.ts): a local cluster (src/cli/cluster-local.ts: redis-server, two
 * `tidecast serve` origins, HAProxy for RTMP, a Varnish edge and an nginx edge on loopback), ffmpeg
 * publishing the fixture through HAProxy in real time, and the two ways of counting what reaches
 * the origins from each edge: Varnish's backend transactions as `varnishncsa -b` logs them, and
 * nginx's access log (the generated configuration logs `origin=$upstream_addr`).
 */

const root = fileURLToPath(new URL('../', import.meta.url));
const execFileAsync = promisify(execFile);

/** What the bench needs of a running cluster, however it was started. */
export interface BenchCluster {
  readonly dir: string;
  readonly rtmpPort: number;
  readonly varnishPort: number;
  readonly nginxPort: number;
  readonly origins: ReadonlyArray<{ readonly id: string; readonly http: number; readonly rtmp: number }>;
  /** varnishd's `-n` (what varnishstat and varnishncsa are given). */
  readonly varnishName: string;
  /** The nginx edge's access log (the generated `log_format tidecast`). */
  readonly nginxAccessLog: string;
  pids(): Record<string, number | undefined>;
  /** Lines the cluster's processes wrote (the last few hundred), for a failure's message. */
  tail(): string;
  stop(): Promise<void>;
}

function handle(base: { dir: string; rtmpPort: number; varnishPort: number; nginxPort: number; origins: BenchCluster['origins'] }, pids: () => Record<string, number | undefined>, tail: () => string, stop: () => Promise<void>): BenchCluster {
  return { ...base, varnishName: join(base.dir, 'varnish', 'varnish'), nginxAccessLog: join(base.dir, 'nginx', 'access.log'), pids, tail, stop };
}

function lineKeeper(): { keep: (line: string) => void; tail: () => string } {
  const lines: string[] = [];
  return {
    keep: (line) => {
      lines.push(line);
      if (lines.length > 400) lines.splice(0, lines.length - 300);
    },
    tail: () => lines.join('\n'),
  };
}

/**
 * startLocalCluster in this process. It starts each origin as `node <this process's loader flags>
 * <process.argv[1]> serve …`, i.e. it expects to run inside the tidecast CLI; from a tsx script the
 * entry is set to src/cli/main.ts for the call (origins then run the working tree's sources).
 */
export async function startClusterInProcess(): Promise<BenchCluster> {
  if (!process.execArgv.some((a) => a.includes('tsx'))) throw new Error('bench/cluster: run it with tsx (npx tsx bench/cluster.ts, or npm run bench -- cluster)');
  const { keep, tail } = lineKeeper();
  const saved = process.argv[1];
  process.argv[1] = join(root, 'src/cli/main.ts');
  let cluster: LocalCluster;
  try {
    cluster = await startLocalCluster({
      // The bench is one address opening up to 10 000 connections (the parked baseline straight to
      // an origin): above the per-address default of 1 000 (docs/limits.md). The edges' own
      // connections to the origins are a few dozen either way.
      originArgs: ['--http-max-connections-per-address', '100000', '--http-max-connections', '100000'],
      rtmpPort: 0,
      varnishPort: 0,
      nginxPort: 0,
      log: (name, line) => keep(`[${name}] ${line}`),
      onExit: (name, code, signal) => keep(`[bench] ${name} ended by itself (${signal ?? `exit ${code}`})`),
    });
  } finally {
    process.argv[1] = saved!;
  }
  return handle(cluster, () => cluster.pids(), tail, () => cluster.stop());
}

/**
 * The cluster in a child process (bench/cluster-child.ts: startClusterInProcess), for vitest, whose
 * process is not the tidecast CLI. Stopped with SIGINT (the child stops every process of the
 * cluster by PID), SIGKILL after 10 s.
 */
export async function startClusterChild(timeoutMs = 60_000): Promise<BenchCluster> {
  const { keep, tail } = lineKeeper();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/cluster-child.ts'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let partial = '';
  let ready: { dir: string; rtmpPort: number; varnishPort: number; nginxPort: number; origins: BenchCluster['origins']; pids: Record<string, number> } | undefined;
  const onData = (text: string): void => {
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      keep(line);
      if (ready === undefined && line.includes('"msg":"cluster ready"')) ready = JSON.parse(line) as typeof ready;
    }
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  while (ready === undefined) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the cluster child ended before it was ready:\n${tail()}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the cluster child was not ready in ${timeoutMs} ms:\n${tail()}`);
    }
    await sleep(100);
  }
  const r = ready;
  return handle(r, () => ({ child: child.pid, ...r.pids }), tail, stop);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The fixture the publisher loops: 320x240 H.264 + AAC, 2 s GOP, 10 s. */
export const FIXTURE = join(root, 'fixtures/media/h264-aac.flv');

/** ffmpeg `-re -stream_loop -1 -c copy` of the fixture to HAProxy's RTMP port; stopped by PID. */
export function publishThroughHaproxy(rtmpPort: number, key: string): { child: ChildProcess; stderr: () => string; stop: () => Promise<void> } {
  const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', FIXTURE, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/${key}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr = (stderr + t).slice(-4000)));
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    },
  };
}

async function status(url: string): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

/** Waits until `live/<key>` has an owner in the registry and its video playlist lists ≥ 2 segments through both edges; the owner origin. */
export async function waitForStream(cluster: BenchCluster, key: string, timeoutMs = 30_000): Promise<{ owner: string; ownerHttp: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const api = await status(`http://127.0.0.1:${cluster.origins[0]!.http}/api/cluster`);
    const owner = api.status === 200 ? (JSON.parse(api.body) as { streams: Array<{ key: string; owner: string }> }).streams.find((s) => s.key === `live/${key}`)?.owner : undefined;
    const listed = await Promise.all([cluster.varnishPort, cluster.nginxPort].map(async (port) => (await status(`http://127.0.0.1:${port}/live/${key}/video/index.m3u8`)).body.split('\n').filter((l) => l.startsWith('#EXTINF')).length));
    const origin = cluster.origins.find((o) => o.id === owner);
    if (origin !== undefined && listed.every((n) => n >= 2)) return { owner: origin.id, ownerHttp: origin.http };
    if (Date.now() > deadline) throw new Error(`live/${key}: no owner or no playlist through the edges in ${timeoutMs} ms (owner ${owner}, segments ${listed.join('/')})\n${cluster.tail()}`);
    await sleep(250);
  }
}

/** One origin request as an edge logged it: the URL it asked the origin for, and where it went. */
export interface OriginRequest {
  readonly url: string;
  readonly status: number;
  /** host:port of the origin, when the edge logs it (nginx). */
  readonly origin: string | undefined;
}

/** Counts the requests an edge sends to the origins from `start()` to `stop()`. */
export interface OriginRequestCounter {
  readonly engine: 'varnish' | 'nginx';
  start(): Promise<void>;
  stop(): Promise<OriginRequest[]>;
}

/**
 * Varnish: `varnishncsa -b` (backend transactions: each is one request to an origin, coalesced
 * waiters have none) with `%U%q %s`, read from its standard output while it runs. It reads the
 * shared memory log as it is written; `varnishstat`'s MAIN.backend_req gives the same total
 * (checked in the bench's output).
 */
export function varnishCounter(name: string): OriginRequestCounter {
  let child: ChildProcess | undefined;
  let lines: string[] = [];
  let partial = '';
  return {
    engine: 'varnish',
    async start() {
      lines = [];
      child = spawn('varnishncsa', ['-n', name, '-b', '-F', '%U%q %s'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.setEncoding('utf8').on('data', (text: string) => {
        const all = (partial + text).split('\n');
        partial = all.pop()!;
        lines.push(...all);
      });
      // varnishncsa starts reading at the log's head: give it a moment to attach.
      await sleep(500);
      if (child.exitCode !== null) throw new Error(`varnishncsa -n ${name} exited (${child.exitCode})`);
    },
    async stop() {
      // Transactions end in the log when the answer is done: a moment for the last ones.
      await sleep(500);
      const c = child!;
      const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGINT');
      const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
      if (partial !== '') lines.push(partial);
      partial = '';
      return lines.filter((l) => l.trim() !== '').map((l) => {
        const space = l.lastIndexOf(' ');
        return { url: l.slice(0, space), status: Number(l.slice(space + 1)), origin: undefined };
      });
    },
  };
}

/** nginx: the lines its access log gained between start() and stop() whose `origin=` names an upstream (not `-`: a cache hit). */
export function nginxCounter(accessLog: string): OriginRequestCounter {
  let offset = 0;
  return {
    engine: 'nginx',
    async start() {
      offset = existsSync(accessLog) ? statSync(accessLog).size : 0;
    },
    async stop() {
      await sleep(300);
      const size = statSync(accessLog).size;
      const buffer = Buffer.alloc(size - offset);
      const fd = openSync(accessLog, 'r');
      try {
        readSync(fd, buffer, 0, buffer.length, offset);
      } finally {
        closeSync(fd);
      }
      const out: OriginRequest[] = [];
      for (const line of buffer.toString('utf8').split('\n')) {
        const m = /"GET (\S+) HTTP\/[\d.]+" (\d+) .* origin=(\S+)/.exec(line);
        if (m === null || m[3] === '-') continue;
        out.push({ url: m[1]!, status: Number(m[2]), origin: m[3] });
      }
      return out;
    },
  };
}

/** `varnishstat -1 -j` → counter name → value (Varnish 7's JSON has them under `counters`). */
export async function varnishStats(name: string): Promise<Record<string, number>> {
  const { stdout } = await execFileAsync('varnishstat', ['-n', name, '-1', '-j'], { maxBuffer: 16 * 1024 * 1024 });
  const json = JSON.parse(stdout) as { counters?: Record<string, { value: number }> } & Record<string, { value?: number }>;
  const counters = json.counters ?? json;
  const out: Record<string, number> = {};
  for (const [key, c] of Object.entries(counters)) if (typeof c === 'object' && c !== null && typeof c.value === 'number') out[key] = c.value;
  return out;
}

/** `varnishadm -n <name> param.set <param> <value>`: a runtime parameter, without editing the generated files or the varnishd arguments. */
export async function varnishParam(name: string, param: string, value: string): Promise<void> {
  await execFileAsync('varnishadm', ['-n', name, 'param.set', param, value]);
}

/** What a request to an origin was, from its URL alone (never from tidecast's object names: `e<epoch>-` prefixes or not). */
export type OriginKind = 'blocking' | 'playlist' | 'part' | 'segment' | 'init' | 'other';

export function classify(url: string): { rendition: string | undefined; kind: OriginKind } {
  const [path = '', query = ''] = url.split('?');
  const m = /^(?:\/t\/[^/]+)?\/[^/]+\/[^/]+\/([^/]+)\/([^/]+)$/.exec(path);
  const file = m?.[2] ?? path.slice(path.lastIndexOf('/') + 1);
  const kind: OriginKind = file.endsWith('.m3u8') ? (/(^|&)_HLS_msn=/.test(query) ? 'blocking' : 'playlist') : /\d+\.\d+\.m4s$/.test(file) ? 'part' : file.endsWith('.m4s') ? 'segment' : file.endsWith('.mp4') ? 'init' : 'other';
  return { rendition: m?.[1], kind };
}
