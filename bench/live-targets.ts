import { fork, type ChildProcess } from 'node:child_process';
import { findNginxRtmp, NginxRtmp } from './nginx-rtmp.js';
import { killPid, procUsage, type ProcUsage } from './proc-usage.js';

/**
 * The servers the live benches compare, behind one shape: start one alone in its own process,
 * publish to `rtmpUrl`/<key>, read `playlistUrls(key)`, read its CPU and RSS from /proc, stop it.
 */

/** A segment as the tidecast child reported it: its rendition, size, and when it was listed, epoch ms. */
export interface ListedSegment {
  streamKey: string;
  track: string;
  byteLength: number;
  msn: number;
  durationSeconds: number;
  listedAtMs: number;
}

export interface RunningServer {
  /** rtmp://127.0.0.1:<port>/live: publish with the stream key as the stream name. */
  readonly rtmpUrl: string;
  readonly httpPort: number;
  /** The plain (non-blocking, no LL-HLS tags) media playlists a viewer of `key` reloads. */
  playlistUrls(key: string): string[];
  usage(): ProcUsage;
  /** tidecast: a full garbage collection in the child, so the RSS read next is what it holds. */
  settle?(): Promise<void>;
  /** tidecast only: every segment listed so far, all renditions. */
  readonly listed: ListedSegment[] | undefined;
  stop(): Promise<void>;
}

export interface LiveTarget {
  readonly name: 'tidecast' | 'nginx-rtmp';
  start(): Promise<RunningServer>;
}

/** How long the tidecast child may take to listen. */
const READY_TIMEOUT_MS = 20_000;
/** How long the tidecast child may take to close before it is killed. */
const STOP_TIMEOUT_MS = 3000;

export const tidecastTarget: LiveTarget = {
  name: 'tidecast',
  async start() {
    // TIDECAST_BENCH_CPU_PROF=<dir>: the child writes a V8 CPU profile there when it stops.
    // TIDECAST_BENCH_NODE_ARGS='<flags>': more Node/V8 flags for the child (--trace-gc …), its stdout shown.
    const profileDir = process.env['TIDECAST_BENCH_CPU_PROF'];
    const profile = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
    const child = fork(new URL('./live-server-child.ts', import.meta.url).pathname, [], { execArgv: ['--expose-gc', ...profile, ...(process.env['TIDECAST_BENCH_NODE_ARGS']?.split(' ') ?? []), '--import', 'tsx'], stdio: ['ignore', process.env['TIDECAST_BENCH_NODE_ARGS'] ? 'inherit' : 'ignore', 'inherit', 'ipc'] });
    const listed: ListedSegment[] = [];
    child.on('message', (m: { type: string }) => {
      if (m.type === 'segments') listed.push(...(m as unknown as { segments: ListedSegment[] }).segments);
    });
    let ports: { rtmpPort: number; httpPort: number };
    try {
      ports = await ready(child);
    } catch (error) {
      killPid(child.pid);
      throw error;
    }
    const http = `http://127.0.0.1:${ports.httpPort}/live`;
    return {
      rtmpUrl: `rtmp://127.0.0.1:${ports.rtmpPort}/live`,
      httpPort: ports.httpPort,
      playlistUrls: (key) => [`${http}/${key}/video/plain.m3u8`, `${http}/${key}/audio/plain.m3u8`],
      usage: () => procUsage([child.pid!]),
      settle: () =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5000);
          const onMessage = (m: { type: string }): void => {
            if (m.type !== 'collected') return;
            child.off('message', onMessage);
            clearTimeout(timer);
            resolve();
          };
          child.on('message', onMessage);
          child.send({ type: 'collect' });
        }),
      listed,
      async stop() {
        if (child.connected) child.send({ type: 'stop' });
        await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS))]);
        if (child.exitCode === null && child.signalCode === null) killPid(child.pid);
      },
    };
  },
};

function ready(child: ChildProcess): Promise<{ rtmpPort: number; httpPort: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench child: not ready in ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`bench child exited (${code}) before it was ready`)));
    child.on('message', (m: { type: string; rtmpPort: number; httpPort: number }) => {
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      resolve(m);
    });
  });
}

export function nginxTarget(found: { nginx: string; loadModule: string | undefined }): LiveTarget {
  return {
    name: 'nginx-rtmp',
    async start() {
      const nginx = await NginxRtmp.start(found);
      return {
        rtmpUrl: nginx.rtmpUrl(),
        httpPort: nginx.httpPort,
        playlistUrls: (key) => [nginx.playlistUrl(key)],
        usage: () => nginx.usage(),
        listed: undefined,
        stop: () => nginx.stop(),
      };
    },
  };
}

/**
 * tidecast, and nginx-rtmp when it is installed. Without it a full run fails (the comparison is
 * the point) and a `quick` one goes on with tidecast alone, saying so in `notes`.
 */
export function liveTargets(quick: boolean): { targets: LiveTarget[]; notes: string[] } {
  const found = findNginxRtmp();
  if (!('missing' in found)) return { targets: [tidecastTarget, nginxTarget(found)], notes: [] };
  if (!quick) throw new Error(`the live benches compare with nginx-rtmp: ${found.missing}`);
  return { targets: [tidecastTarget], notes: [`nginx-rtmp skipped: ${found.missing}`] };
}
