import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../../src/cli/serve.js';
import { isTidecastError } from '../../src/errors/index.js';
import { RtmpClient } from '../../src/rtmp/index.js';
import { ffmpegPath, fixturePath, spawnFfmpeg } from '../helpers/ffmpeg.js';
import { killByPid, spawnTool } from '../helpers/process.js';

const root = new URL('../../', import.meta.url).pathname;
/** tsx as a loader in the one node process (the tsx CLI would start a second one, which a SIGKILL of the first would orphan). */
const tsx = '--import=tsx';
const started: ChildProcess[] = [];
const temps: string[] = [];
const ffmpeg = await ffmpegPath();
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

afterEach(async () => {
  for (const child of started.splice(0)) killByPid(child);
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

interface Served {
  child: ChildProcess;
  /** Everything written to stdout so far: the settings block, then JSON log lines (stdout is a pipe). */
  out: () => string;
  logs: () => Array<Record<string, unknown>>;
  exit: Promise<number | null>;
}

/** `tidecast …args` with stdout a pipe (not a TTY), so pino writes one JSON object a line. */
function serveCli(args: string[], env: Record<string, string> = {}): Served {
  const child = spawn(process.execPath, [tsx, 'src/cli/main.ts', ...args], { cwd: root, env: { ...process.env, ...env } });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logs = (): Array<Record<string, unknown>> =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { child, out: () => out, logs, exit };
}

/**
 * The line `tidecast …args` prints on stderr before it exits with code 1, for a refusal serve()
 * throws: main prints a TidecastError as `tidecast: <message>` (anything else as it is).
 */
async function refusal(args: string[]): Promise<string> {
  const err = await serve(args).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isTidecastError(err), `serve(${args.join(' ')}) threw ${String(err)}`).toBe(true);
  return `tidecast: ${(err as Error).message}`;
}

function listeningPorts(out: string): { rtmp: number; http: number } {
  return { rtmp: Number(/RTMP ingest listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]), http: Number(/HTTP listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]) };
}

describe('tidecast command', () => {
  it('serves RTMP and HTTP, prints the OBS settings and URLs, logs a publish as JSON, exits 0 on SIGTERM', async () => {
    const served = serveCli(['--rtmp-port', '0', '--http-port', '0', '--host', '127.0.0.1']);
    await expect.poll(() => served.logs().some((l) => l['msg'] === 'listening'), { timeout: 20_000 }).toBe(true);
    const out = served.out();
    const ports = listeningPorts(out);
    expect(out).toContain(`OBS settings (Settings → Stream → Service: Custom…):
  Server:     rtmp://127.0.0.1:${ports.rtmp}/live
  Stream Key: any name, e.g. mystream

Playback (HLS): http://127.0.0.1:${ports.http}/live/<key>/index.m3u8
Dashboard:      http://127.0.0.1:${ports.http}/
`);
    const page = await fetch(`http://127.0.0.1:${ports.http}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/assets/hls.min.js');

    const client = await RtmpClient.connect(`rtmp://127.0.0.1:${ports.rtmp}/live`);
    await client.publish('clitest');
    await expect.poll(() => served.logs().find((l) => l['msg'] === 'publish live/clitest'), { timeout: 5_000 }).toMatchObject({ level: 30, app: 'live', streamKey: 'clitest' });
    await client.close();
    await expect.poll(() => served.logs().some((l) => l['msg'] === 'unpublish live/clitest'), { timeout: 5_000 }).toBe(true);

    served.child.kill('SIGTERM');
    expect(await served.exit).toBe(0);
    expect(served.logs().map((l) => l['msg'])).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  });

  it.skipIf(ffmpeg === undefined)('logs each segment at debug level (TIDECAST_LOG_LEVEL=debug)', async () => {
    const served = serveCli(['--rtmp-port', '0', '--http-port', '0', '--host', '127.0.0.1'], { TIDECAST_LOG_LEVEL: 'debug' });
    await expect.poll(() => served.logs().some((l) => l['msg'] === 'listening'), { timeout: 20_000 }).toBe(true);
    const { rtmp } = listeningPorts(served.out());
    // As fast as ffmpeg sends (no -re): the keyframe at 2 s closes segment #0 at once.
    const run = await spawnFfmpeg(['-loglevel', 'error', '-i', fixturePath('media/h264-aac.flv'), '-t', '4', '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmp}/live/seg`], { timeoutMs: 20_000 });
    started.push(run.child);
    await expect.poll(() => served.logs().find((l) => l['msg'] === 'segment live/seg/video #0'), { timeout: 15_000 }).toMatchObject({ level: 20, track: 'video', msn: 0 });
    killByPid(run.child);
  });

  it('takes its settings from a YAML config file beneath the environment and the flags', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidecast-cli-'));
    temps.push(dir);
    const file = join(dir, 'tidecast.yaml');
    await writeFile(file, 'host: 127.0.0.1\nrtmpPort: 1\nhttpPort: 0\nsegmentDuration: 4\n');
    const served = serveCli(['--config', file, '--rtmp-port', '0'], { TIDECAST_SEGMENT_DURATION: '3' });
    await expect.poll(() => served.logs().find((l) => l['msg'] === 'listening'), { timeout: 20_000 }).toMatchObject({ host: '127.0.0.1', segmentDuration: 3 });
    expect(listeningPorts(served.out()).rtmp).toBeGreaterThan(1);
    served.child.kill('SIGINT');
    expect(await served.exit).toBe(0);
  });

  it('refuses a bad option value, naming it, with exit code 1', async () => {
    const run = spawnTool(process.execPath, [tsx, 'src/cli/main.ts', '--rtmp-port', 'x'], { timeoutMs: 20_000, cwd: root });
    started.push(run.child);
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('option --rtmp-port must be a port number from 0 to 65535, got x');
  });

  // The other refusals run serve() in this process (each is refused before anything listens);
  // `refusal` gives the line main prints for what it throws (the case above runs main itself).
  it('refuses a config file with an unknown key, naming the key and the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidecast-cli-'));
    temps.push(dir);
    const file = join(dir, 'tidecast.json');
    await writeFile(file, '{ "rtmpPort": 0, "segmentSeconds": 2 }');
    expect(await refusal(['--config', file])).toContain(`tidecast: unknown option segmentSeconds in ${file}; known options: rtmpPort, httpPort, host, segmentDuration, windowSegments, dvrWindow, endGraceMs, lowLatency, partDuration, tlsCert, tlsKey`);
  });

  it('refuses a certificate without its key, naming the missing setting', async () => {
    expect(await refusal(['--tls-cert', 'cert.pem'])).toContain('tidecast: option tlsKey (--tls-key, TIDECAST_TLS_KEY) must be set with tlsCert (given by --tls-cert)');
  });

  it('refuses unreadable TLS files before listening', async () => {
    expect(await refusal(['--rtmp-port', '0', '--http-port', '0', '--host', '127.0.0.1', '--tls-cert', '/nonexistent/c.pem', '--tls-key', '/nonexistent/k.pem'])).toMatch(
      /tidecast: option tls(Cert|Key) \(--tls-(cert|key)\): cannot read \/nonexistent\/[ck]\.pem \(ENOENT\)/,
    );
  });

  it.skipIf(!hasOpenssl)('with --tls-cert and --tls-key (env for the LL-HLS settings) serves HTTPS with HTTP/2 and prints https:// URLs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tidecast-cli-tls-'));
    temps.push(dir);
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const served = serveCli(['--rtmp-port', '0', '--http-port', '0', '--host', '127.0.0.1', '--tls-cert', cert, '--tls-key', key], { TIDECAST_PART_DURATION: '0.5', TIDECAST_LOW_LATENCY: 'yes' });
    await expect.poll(() => served.logs().find((l) => l['msg'] === 'listening'), { timeout: 20_000 }).toMatchObject({ tls: true, lowLatency: true, partDuration: 0.5 });
    const out = served.out();
    const port = Number(/HTTPS \(HTTP\/2, HTTP\/1\.1\) listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
    expect(out).toContain(`Playback (HLS): https://127.0.0.1:${port}/live/<key>/index.m3u8
Dashboard:      https://127.0.0.1:${port}/
LL-HLS:         on, parts of 0.5 s (plain HLS for older players: https://127.0.0.1:${port}/live/<key>/plain.m3u8)
`);
    const session = connect(`https://127.0.0.1:${port}`, { ca: await readFile(cert) });
    try {
      const page = await new Promise<{ status: number; body: string; alpn: string | false | undefined }>((resolve, reject) => {
        const req = session.request({ ':path': '/' });
        let body = '';
        let status = 0;
        req.setEncoding('utf8');
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (c: string) => (body += c));
        req.on('end', () => resolve({ status, body, alpn: session.alpnProtocol }));
        req.on('error', reject);
        req.end();
      });
      expect(page.alpn).toBe('h2');
      expect(page.status).toBe(200);
      expect(page.body).toContain('/assets/hls.min.js');
    } finally {
      session.close();
    }
    served.child.kill('SIGTERM');
    expect(await served.exit).toBe(0);
  });

  it('prints LL-HLS off with --low-latency off', async () => {
    const served = serveCli(['--rtmp-port', '0', '--http-port', '0', '--host', '127.0.0.1', '--low-latency', 'off']);
    await expect.poll(() => served.logs().find((l) => l['msg'] === 'listening'), { timeout: 20_000 }).toMatchObject({ lowLatency: false, tls: false });
    expect(served.out()).toContain('LL-HLS:         off (whole segments only)\n');
    served.child.kill('SIGTERM');
    expect(await served.exit).toBe(0);
  });
});
