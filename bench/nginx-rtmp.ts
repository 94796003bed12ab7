import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { killPid, processFamily, procUsage, type ProcUsage } from './proc-usage.js';

/**
 * nginx with nginx-rtmp-module (Debian: nginx + libnginx-mod-rtmp) as the reference server of the
 * live benches, run by the bench in a temporary folder with its own nginx.conf:
 *
 *   daemon off, one worker     the master is our child; the worker does the work, like tidecast's one
 *                              event loop; CPU and RSS are summed over master and worker (/proc)
 *   rtmp  :<rtmpPort>/live     live on, hls on, hls_fragment 2s, hls_playlist_length 12s (a window
 *                              of 6 two-second fragments, tidecast's windowSegments default), the
 *                              fragments and playlists in <dir>/hls on tmpfs (/dev/shm) when there is one
 *   http  :<httpPort>/hls/     that folder, served as files: /hls/<key>.m3u8, /hls/<key>-<n>.ts
 *
 * Both ports are free ports of 127.0.0.1 found just before the start. `stop` sends SIGQUIT (a
 * graceful stop) to the master by its PID and, if it is still there after 3 s, SIGKILL to its
 * workers and to it by theirs.
 */

/** Where Debian's libnginx-mod-rtmp puts the module when `nginx -V` names no --modules-path. */
const DEFAULT_MODULES_PATH = '/usr/lib/nginx/modules';
/** How long nginx may take to listen on both ports. */
const START_TIMEOUT_MS = 10_000;
/** How long the master may take to stop its worker after SIGQUIT before both are killed. */
const STOP_TIMEOUT_MS = 3000;
/** Fragment length and playlist window (seconds): tidecast's 2 s segments, 6 listed. */
const HLS_FRAGMENT_SECONDS = 2;
const HLS_PLAYLIST_SECONDS = 12;

/** nginx's binary and how to load the RTMP module, or why the benches cannot run it. */
export function findNginxRtmp(): { nginx: string; loadModule: string | undefined } | { missing: string } {
  const nginx = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find((p) => existsSync(p)) ?? 'nginx';
  // `nginx -V` prints its build options to stderr.
  const run = spawnSync(nginx, ['-V'], { encoding: 'utf8' });
  if (run.error !== undefined) return { missing: 'nginx is not installed (Debian: apt-get install nginx libnginx-mod-rtmp)' };
  const version = `${run.stdout}${run.stderr}`;
  if (/nginx-rtmp-module|--add-module=\S*rtmp/.test(version)) return { nginx, loadModule: undefined };
  const modules = /--modules-path=(\S+)/.exec(version)?.[1] ?? DEFAULT_MODULES_PATH;
  const module = path.join(modules, 'ngx_rtmp_module.so');
  if (!existsSync(module)) return { missing: `nginx has no RTMP module (${module} is missing; Debian: apt-get install libnginx-mod-rtmp)` };
  return { nginx, loadModule: module };
}

function nginxConf(dir: string, loadModule: string | undefined, rtmpPort: number, httpPort: number): string {
  const temp = (name: string): string => `${name}_temp_path ${path.join(dir, 'temp', name)};`;
  return `${loadModule === undefined ? '' : `load_module ${loadModule};\n`}${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;
master_process on;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 8192; }
rtmp {
  server {
    listen 127.0.0.1:${rtmpPort};
    chunk_size 4096;
    application live {
      live on;
      hls on;
      hls_path ${path.join(dir, 'hls')};
      hls_fragment ${HLS_FRAGMENT_SECONDS}s;
      hls_playlist_length ${HLS_PLAYLIST_SECONDS}s;
    }
  }
}
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  server {
    listen 127.0.0.1:${httpPort};
    location /hls {
      types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
      root ${dir};
      add_header Cache-Control no-cache;
    }
  }
}
`;
}

/** A port of 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Folder for nginx's files: tmpfs when there is one, so HLS writes cost what tidecast's memory store does. */
function scratchFolder(): string {
  const root = existsSync('/dev/shm') && statSync('/dev/shm').isDirectory() ? '/dev/shm' : tmpdir();
  return mkdtempSync(path.join(root, 'tidecast-bench-nginx-'));
}

export class NginxRtmp {
  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    readonly rtmpPort: number,
    readonly httpPort: number,
  ) {}

  static async start(found: { nginx: string; loadModule: string | undefined }): Promise<NginxRtmp> {
    const dir = scratchFolder();
    for (const sub of ['hls', 'temp']) mkdirSync(path.join(dir, sub));
    const rtmpPort = await freePort();
    const httpPort = await freePort();
    const conf = path.join(dir, 'nginx.conf');
    writeFileSync(conf, nginxConf(dir, found.loadModule, rtmpPort, httpPort));
    const child = spawn(found.nginx, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
    const server = new NginxRtmp(child, dir, rtmpPort, httpPort);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!((await accepts(rtmpPort)) && (await accepts(httpPort)))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        const log = existsSync(path.join(dir, 'error.log')) ? readFileSync(path.join(dir, 'error.log'), 'utf8').slice(-500) : '';
        await server.stop();
        throw new Error(`nginx did not start (exit ${child.exitCode}): ${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return server;
  }

  /** The master's PID: our child. */
  get pid(): number {
    return this.child.pid!;
  }

  /** CPU and RSS of the master and its workers. */
  usage(): ProcUsage {
    return procUsage(processFamily(this.pid));
  }

  rtmpUrl(): string {
    return `rtmp://127.0.0.1:${this.rtmpPort}/live`;
  }

  playlistUrl(key: string): string {
    return `http://127.0.0.1:${this.httpPort}/hls/${key}.m3u8`;
  }

  async stop(): Promise<void> {
    const running = (): boolean => this.child.exitCode === null && this.child.signalCode === null;
    if (running()) {
      killPid(this.pid, 'SIGQUIT');
      await Promise.race([new Promise((r) => this.child.once('exit', r)), new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS))]);
    }
    // A master that is still there after its grace has its workers as children: kill them all.
    if (running()) for (const pid of processFamily(this.pid).reverse()) killPid(pid);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
