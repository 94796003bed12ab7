import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtmpServer, type ServerSession } from '../../src/rtmp/index.js';
import { ffmpegPath, fixturePath, spawnFfmpeg } from '../helpers/ffmpeg.js';
import { delay, findOnPath, freePort, killByPid, spawnDaemon, withTimeout } from '../helpers/process.js';
import { serverEvent } from '../helpers/rtmp.js';

/**
 * The real chain of a cluster's ingest: ffmpeg publishes to Debian's haproxy (`mode tcp`,
 * `send-proxy-v2`), which relays to RtmpServer with `proxyProtocol` on. The oracle for "the
 * client's address" is the kernel: ffmpeg's own socket to haproxy, found in /proc by its PID,
 * gives the port the session must report; haproxy's socket to us gives the proxy port.
 * Skips without haproxy (.ci/run installs it), ffmpeg or /proc (Linux).
 */

const haproxy = findOnPath('haproxy');
const ffmpeg = await ffmpegPath();
const SKIP = haproxy === undefined ? 'no haproxy on PATH' : ffmpeg === undefined ? 'no ffmpeg' : !existsSync('/proc/net/tcp') ? 'no /proc/net/tcp' : '';

interface TcpRow {
  readonly localPort: number;
  readonly remotePort: number;
  readonly inode: string;
}

/** The kernel's TCP sockets (IPv4 and IPv6): ports and inode. */
function tcpRows(): TcpRow[] {
  return ['/proc/net/tcp', '/proc/net/tcp6'].filter(existsSync).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols.length > 9)
      .map((cols) => ({ localPort: parseInt(cols[1]!.split(':')[1]!, 16), remotePort: parseInt(cols[2]!.split(':')[1]!, 16), inode: cols[9]! })),
  );
}

/** The socket inodes process `pid` holds open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // The descriptor closed between the listing and the read.
    }
  }
  return inodes;
}

/** The local port of process `pid`'s TCP connection to `remotePort`. */
function localPortOf(pid: number, remotePort: number): number | undefined {
  const inodes = socketInodes(pid);
  return tcpRows().find((row) => inodes.has(row.inode) && row.remotePort === remotePort)?.localPort;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
async function listening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
      socket.once('close', () => socket.destroy());
      setTimeout(() => socket.destroy(), 200);
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
    await delay(50);
  }
}

describe.skipIf(SKIP !== '')(`RTMP through haproxy send-proxy-v2${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  let dir = '';
  let server: RtmpServer;
  let rtmpPort = 0;
  let frontPort = 0;
  let daemon: ReturnType<typeof spawnDaemon> | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tidecast-haproxy-'));
    server = new RtmpServer({ port: 0, host: '127.0.0.1', proxyProtocol: true });
    rtmpPort = (await server.listen()).port;
    frontPort = await freePort();
    const cfg = join(dir, 'haproxy.cfg');
    // What `tidecast edge-config haproxy` generates, cut to the part under test.
    writeFileSync(cfg, ['defaults', '  mode tcp', '  timeout connect 2s', '  timeout client 1h', '  timeout server 1h', 'frontend rtmp', `  bind 127.0.0.1:${frontPort}`, '  default_backend origins', 'backend origins', '  balance leastconn', `  server origin1 127.0.0.1:${rtmpPort} send-proxy-v2`, ''].join('\n'));
    daemon = spawnDaemon(haproxy!, ['-db', '-f', cfg], 2000);
    await listening(frontPort, 10_000);
  });

  afterAll(async () => {
    await daemon?.stop();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("ffmpeg's publish has ffmpeg's address and port, not haproxy's", async () => {
    const publish = serverEvent(server, 'publish', (request) => request.streamKey === 'viaproxy');
    let frames = 0;
    server.on('session', (s) => s.on('video', () => void frames++));
    const run = await spawnFfmpeg(['-v', 'error', '-re', '-i', fixturePath('media/h264-aac.flv'), '-t', '10', '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${frontPort}/live/viaproxy`], { timeoutMs: 30_000 });
    try {
      const [request] = await withTimeout(publish, 15_000, 'publish through haproxy');
      const session: ServerSession = request.session;
      const ffmpegPort = localPortOf(run.child.pid!, frontPort);
      const haproxyPort = localPortOf(daemon!.pid!, rtmpPort);
      expect(ffmpegPort, 'ffmpeg connection to haproxy in /proc').toBeDefined();
      expect({ address: session.remoteAddress, port: session.remotePort }).toEqual({ address: '127.0.0.1', port: ffmpegPort });
      expect({ address: session.proxyAddress, port: session.proxyPort }).toEqual({ address: '127.0.0.1', port: haproxyPort });
      expect(session.remotePort).not.toBe(session.proxyPort);
      expect(session.proxyHeader).toMatchObject({ version: 2, command: 'proxy', family: 'inet', transport: 'stream', destination: { address: '127.0.0.1', port: frontPort } });
      await expect.poll(() => frames, { timeout: 10_000 }).toBeGreaterThan(10);
    } finally {
      killByPid(run.child);
      await run.done;
    }
  });
});
