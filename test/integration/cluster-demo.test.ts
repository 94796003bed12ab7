import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegPath, fixturePath, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import { waitUntil } from '../helpers/live.js';
import { alive, findOnPath, killByPid } from '../helpers/process.js';

/*
 * Issue 14, Done-when 4: `tidecast cluster demo` from the Debian packages (redis-server, haproxy,
 * varnish, nginx). The demo starts; ffmpeg publishes through its HAProxy; the stream's playlist is
 * served through both edges, and the cluster API names its owner; SIGINT stops the demo, every
 * process it started (by the PIDs it printed) and its directory.
 *
 * `TIDECAST_CLUSTER=1 npx vitest run test/integration/cluster-demo.test.ts` (.ci/run runs it).
 */

const ffmpeg = await ffmpegPath();
const root = new URL('../../', import.meta.url).pathname;
const missing = ['redis-server', 'haproxy', 'varnishd', 'nginx'].filter((name) => findOnPath(name) === undefined && !existsSync(`/usr/sbin/${name}`));
const skipReason = process.env['TIDECAST_CLUSTER'] !== '1' ? 'TIDECAST_CLUSTER=1 runs it (.ci/run)' : ffmpeg === undefined ? 'no ffmpeg' : missing.length > 0 ? `missing ${missing.join(', ')} (.ci/run installs them)` : undefined;

interface Ready {
  dir: string;
  rtmpPort: number;
  varnishPort: number;
  nginxPort: number;
  origins: Array<{ id: string; http: number; rtmp: number }>;
  pids: Record<string, number>;
}

let demo: ChildProcess | undefined;
let publisher: FfmpegRun | undefined;

afterAll(() => {
  if (publisher !== undefined) killByPid(publisher.child);
  if (demo !== undefined && demo.exitCode === null && demo.signalCode === null) killByPid(demo);
});


describe.skipIf(skipReason !== undefined)(`tidecast cluster demo${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('starts the cluster, serves a publish through both edges, and stops everything on SIGINT', { timeout: 90_000 }, async () => {
    demo = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'cluster', 'demo', '--rtmp-port', '0', '--varnish-port', '0', '--nginx-port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    demo.stdout!.setEncoding('utf8').on('data', (text: string) => (out += text));
    demo.stderr!.setEncoding('utf8').on('data', (text: string) => (out += text));
    const exited = new Promise<number | null>((resolve) => demo!.once('exit', (code) => resolve(code)));
    await waitUntil(() => out.includes('"msg":"cluster demo ready"'), 45_000, 'the demo ready').catch((error: Error) => {
      throw new Error(`${error.message}; its output: ${out.slice(-3000)}`);
    });
    const ready = JSON.parse(out.split('\n').find((l) => l.includes('"msg":"cluster demo ready"'))!) as Ready;
    expect(Object.keys(ready.pids).sort()).toEqual(['haproxy', 'nginx', 'origin-a', 'origin-b', 'redis', 'varnish']);
    expect(out).toContain(`rtmp://127.0.0.1:${ready.rtmpPort}/live`);

    publisher = await spawnFfmpeg(['-v', 'error', '-re', '-stream_loop', '-1', '-i', fixturePath('media/h264-aac.flv'), '-t', '30', '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${ready.rtmpPort}/live/demo`], { timeoutMs: 60_000 });
    const playlist = async (port: number): Promise<{ status: number; segments: number; cache: string | null }> => {
      const response = await fetch(`http://127.0.0.1:${port}/live/demo/video/index.m3u8`);
      const body = await response.text();
      return { status: response.status, segments: (body.match(/^(?:e\d+-)?\d+\.m4s$/gm) ?? []).length, cache: response.headers.get('x-cache') ?? response.headers.get('x-cache-status') };
    };
    for (const port of [ready.varnishPort, ready.nginxPort]) await waitUntil(async () => (await playlist(port)).segments >= 2, 20_000, `segments through the edge on ${port}`);
    const [viaVarnish, viaNginx] = await Promise.all([playlist(ready.varnishPort), playlist(ready.nginxPort)]);
    const cluster = (await (await fetch(`http://127.0.0.1:${ready.origins[0]!.http}/api/cluster`)).json()) as { streams: Array<{ key: string; owner: string }>; origins: Array<{ id: string }> };
    console.log(`cluster demo: Varnish ${JSON.stringify(viaVarnish)}, nginx ${JSON.stringify(viaNginx)}; live/demo owned by ${cluster.streams.find((s) => s.key === 'live/demo')?.owner}; origins ${cluster.origins.map((o) => o.id).join(', ')}`);
    expect(viaVarnish.status).toBe(200);
    expect(viaNginx.status).toBe(200);
    expect(cluster.origins.map((o) => o.id).sort()).toEqual(['origin-a', 'origin-b']);
    expect(['origin-a', 'origin-b']).toContain(cluster.streams.find((s) => s.key === 'live/demo')?.owner);

    killByPid(publisher.child);
    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const [name, pid] of Object.entries(ready.pids)) expect({ name, alive: alive(pid) }).toEqual({ name, alive: false });
    expect(existsSync(ready.dir)).toBe(false);
  });
});
