import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegPath, fixturePath, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import { waitUntil } from '../helpers/live.js';
import { alive, killByPid, withTimeout } from '../helpers/process.js';

/*
 * The multi-process origin (issue 14, What-to-build 8): `tidecast serve --http-workers 2` with an
 * ffmpeg -re publisher. Through the public port (the two workers' coalescing proxies): LL-HLS
 * blocking reloads, all answered with the same playlist listing the awaited part; a part fetched;
 * /api/streams and /metrics passed through (the same statuses as the media server's internal port).
 * A worker SIGKILLed is started again; SIGTERM to the primary leaves no process: the primary and
 * every worker it ever started are gone. A primary killed with SIGKILL leaves no worker either (each
 * exits when its IPC channel closes).
 * `TIDECAST_CLUSTER=1 npx vitest run test/integration/http-workers.test.ts` (about 12 s; .ci/run runs it).
 */

const ffmpeg = await ffmpegPath();
const root = new URL('../../', import.meta.url).pathname;

const children: ChildProcess[] = [];
const publishers: FfmpegRun[] = [];
const workerPids = new Set<number>();


afterAll(() => {
  for (const p of publishers) killByPid(p.child);
  for (const c of children) killByPid(c);
  for (const pid of workerPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET on a connection of its own (so that N of them are N requests in flight at once). */
function get(port: number, path: string): Promise<Got> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

/** The newest part `<msn>.<index>.m4s` a media playlist lists. */
function newestPart(playlist: string): { msn: number; index: number } | undefined {
  const parts = [...playlist.matchAll(/#EXT-X-PART:[^\n]*URI="(\d+)\.(\d+)\.m4s"/g)];
  const last = parts.at(-1);
  return last === undefined ? undefined : { msn: Number(last[1]), index: Number(last[2]) };
}

const skipReason = process.env['TIDECAST_CLUSTER'] !== '1' ? 'TIDECAST_CLUSTER=1 runs it (.ci/run, with the other scale-out suites)' : ffmpeg === undefined ? 'no ffmpeg' : undefined;

describe.skipIf(skipReason !== undefined)(`tidecast serve --http-workers 2${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('answers LL-HLS blocking reloads and parts through the workers, passes the API through, restarts a worker, and SIGTERM leaves no process', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--host', '127.0.0.1', '--rtmp-port', '0', '--http-port', '0', '--http-workers', '2'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    let errors = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    const lines = (): Array<Record<string, unknown>> =>
      text
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitUntil(() => text.includes('"msg":"listening"'), 30_000, `the CLI listening (stderr: ${errors})`);
    const listening = lines().find((l) => l['msg'] === 'listening') as { rtmpPort: number; httpPort: number; httpWorkers: number; workerPids: number[]; internalHttpPort: number };
    expect(listening.httpWorkers).toBe(2);
    expect(listening.workerPids).toHaveLength(2);
    expect(listening.internalHttpPort).not.toBe(listening.httpPort);
    for (const pid of listening.workerPids) workerPids.add(pid);
    const port = listening.httpPort;

    publishers.push(await spawnFfmpeg(['-v', 'error', '-re', '-stream_loop', '-1', '-i', fixturePath('media/h264-aac.flv'), '-t', '60', '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${listening.rtmpPort}/live/hw`], { timeoutMs: 90_000 }));
    const playlistPath = '/live/hw/video/index.m3u8';
    let playlist = '';
    await waitUntil(
      async () => {
        const got = await get(port, playlistPath);
        playlist = got.body;
        return got.status === 200 && playlist.includes('#EXTINF') && newestPart(playlist) !== undefined;
      },
      20_000,
      'a video playlist with a segment and parts through the workers',
      200,
    );

    // Blocking reloads for the part after the newest: 24 at once over 24 connections, shared out
    // between the two workers; every answer the same 200 playlist, listing the part (or the segment
    // that closed first).
    const newest = newestPart(playlist)!;
    const ask = `${playlistPath}?_HLS_msn=${newest.msn}&_HLS_part=${newest.index + 1}`;
    const answers = await withTimeout(Promise.all(Array.from({ length: 24 }, () => get(port, ask))), 10_000, 'the blocking reloads');
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.headers['cache-control']).toBe('public, max-age=1');
      expect(a.body).toMatch(new RegExp(`URI="${newest.msn}\\.${newest.index + 1}\\.m4s"|#EXT-X-PART:[^\\n]*URI="${newest.msn + 1}\\.0\\.m4s"|\\n${newest.msn}\\.m4s\\n`));
    }
    expect(new Set(answers.map((a) => a.body)).size).toBeLessThanOrEqual(2);

    // A part listed in the answer, through the workers: the media server's bytes.
    const part = newestPart(answers[0]!.body)!;
    const partPath = `/live/hw/video/${part.msn}.${part.index}.m4s`;
    const [viaWorkers, direct] = await Promise.all([get(port, partPath), get(listening.internalHttpPort, partPath)]);
    expect(viaWorkers.status).toBe(200);
    expect(viaWorkers.headers['content-type']).toBe(direct.headers['content-type']);
    expect(viaWorkers.body.length).toBeGreaterThan(0);
    expect(viaWorkers.body).toBe(direct.body);

    // The API and the metrics pass through: the same answers as the internal port's.
    for (const path of ['/api/streams', '/metrics']) {
      const [a, b] = await Promise.all([get(port, path), get(listening.internalHttpPort, path)]);
      expect(a.status, path).toBe(b.status);
      expect(a.headers['content-type'], path).toBe(b.headers['content-type']);
    }
    const streams = await get(port, '/api/streams');
    expect(streams.status).toBe(200);
    expect(streams.body).toContain('hw');

    // A worker killed is started again, and the port keeps answering.
    const victim = listening.workerPids[0]!;
    process.kill(victim, 'SIGKILL');
    await waitUntil(() => lines().some((l) => l['msg'] === 'http worker started' && !listening.workerPids.includes(l['pid'] as number)), 10_000, 'a new worker');
    for (const l of lines()) if (l['msg'] === 'http worker started') workerPids.add(l['pid'] as number);
    expect(workerPids.size).toBe(3);
    for (let i = 0; i < 6; i++) expect((await get(port, playlistPath)).status).toBe(200);

    // SIGTERM: the workers, then the server; nothing left.
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await withTimeout(exited, 10_000, 'the primary exiting')).toBe(0);
    await waitUntil(() => [...workerPids].every((pid) => !alive(pid)), 3000, 'every worker gone');
  }, 60_000);

  it('a primary killed with SIGKILL leaves no worker behind', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--host', '127.0.0.1', '--rtmp-port', '0', '--http-port', '0', '--http-workers', '2'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    await waitUntil(() => text.includes('"msg":"listening"'), 30_000, 'the CLI listening');
    const { workerPids: pids } = JSON.parse(text.split('\n').find((l) => l.includes('"msg":"listening"'))!) as { workerPids: number[] };
    for (const pid of pids) workerPids.add(pid);
    expect(pids.every(alive)).toBe(true);
    process.kill(child.pid!, 'SIGKILL');
    await waitUntil(() => pids.every((pid) => !alive(pid)), 5000, 'the workers gone after their primary');
  }, 60_000);
});
