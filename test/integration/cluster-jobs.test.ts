import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegPath, fixturePath, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import { waitUntil } from '../helpers/live.js';
import { delay, killByPid } from '../helpers/process.js';
import { REDIS_SKIP_REASON, startRedis, type RedisServer } from '../helpers/redis.js';

/*
 * Issue 14, What-to-build 4 and the ladder-job item of Done-when 2 (docs/cluster.md "Jobs across
 * origins"): redis-server and two `tidecast serve` origins with the `cluster` section only (no
 * `redis` setting: jobs go to the cluster's Redis). A ladder job (one 180p rung, ultrafast) is
 * created through origin a's API and is visible through b's at once; ffmpeg publishes the job's key
 * to a in real time; a runs the ladder, and its playlists come through a and through b (forwarded).
 * a is SIGKILLed; the publisher is restarted against b (as ffmpeg with reconnect would): b takes the
 * job over, runs its ladder, and the same playback URLs list the rung again, with new segments on it.
 *
 * `TIDECAST_CLUSTER=1 npx vitest run test/integration/cluster-jobs.test.ts` (about 20 s).
 */

const ffmpeg = await ffmpegPath();
const root = new URL('../../', import.meta.url).pathname;
const skipReason = process.env['TIDECAST_CLUSTER'] !== '1' ? 'TIDECAST_CLUSTER=1 runs it' : ffmpeg === undefined ? 'no ffmpeg' : REDIS_SKIP_REASON === '' ? undefined : REDIS_SKIP_REASON;

const LADDER = { rungs: [{ codec: 'h264', height: 180, bitrateKbps: 250, preset: 'ultrafast' }] };
const RUNG = '180p';

interface Cli {
  readonly child: ChildProcess;
  readonly rtmpPort: number;
  readonly httpUrl: string;
}

interface JobView {
  id: string;
  state: string;
  streamKey: string;
  playback: { hls: string };
  history: Array<{ state: string; reason?: string }>;
  ladder?: { state: string; pid?: number };
}

const children: ChildProcess[] = [];
const publishers: FfmpegRun[] = [];
const ladderPids = new Set<number>();
let redis: RedisServer | undefined;

afterAll(async () => {
  for (const p of publishers) killByPid(p.child);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) killByPid(c);
  // A SIGKILLed origin's ladder ffmpeg loses its input and ends by itself; one that did not is said and ended.
  await waitUntil(() => [...ladderPids].every((pid) => !existsSync(`/proc/${pid}`)), 5000, 'ladder ffmpegs gone').catch(() => undefined);
  for (const pid of ladderPids) {
    if (!existsSync(`/proc/${pid}`)) continue;
    console.log(`cluster jobs: ladder ffmpeg ${pid} still there at the end: killed`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await redis?.stop();
});

/** `tidecast serve` on loopback as origin `id` of the cluster at `redisUrl` (no `redis` setting). */
async function origin(id: string, redisUrl: string): Promise<Cli> {
  const env: NodeJS.ProcessEnv = { ...process.env, TIDECAST_CLUSTER_REDIS_URL: redisUrl, TIDECAST_CLUSTER_ORIGIN_ID: id, TIDECAST_CLUSTER_LEASE_MS: '2000', TIDECAST_CLUSTER_REFRESH_MS: '500' };
  delete env['TIDECAST_REDIS'];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--host', '127.0.0.1', '--rtmp-port', '0', '--http-port', '0'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr!.resume();
  await waitUntil(() => text.includes('"msg":"listening"'), 30_000, `origin ${id} listening`);
  const line = text.split('\n').find((l) => l.includes('"msg":"listening"'))!;
  const { rtmpPort, httpPort } = JSON.parse(line) as { rtmpPort: number; httpPort: number };
  return { child, rtmpPort, httpUrl: `http://127.0.0.1:${httpPort}` };
}

async function api(to: Cli, method: string, path: string, body?: unknown): Promise<{ status: number; job: JobView }> {
  const res = await fetch(`${to.httpUrl}${path}`, { method, signal: AbortSignal.timeout(5000), ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  const text = await res.text();
  return { status: res.status, job: (text === '' ? {} : JSON.parse(text)) as JobView };
}

async function publish(to: Cli, streamKey: string): Promise<FfmpegRun> {
  const run = await spawnFfmpeg(['-v', 'error', '-re', '-stream_loop', '-1', '-i', fixturePath('media/h264-aac.flv'), '-t', '60', '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${to.rtmpPort}/live/${streamKey}`], { timeoutMs: 90_000 });
  publishers.push(run);
  return run;
}

/** A playlist's text, or undefined when it does not answer 200. */
async function playlist(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const text = await res.text();
    return res.status === 200 ? text : undefined;
  } catch {
    return undefined;
  }
}

/** The media sequence number of a media playlist's last segment (names may carry an epoch: counted, not parsed). */
function lastMsn(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const sequence = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text);
  const segments = text.split('\n').filter((l) => l.startsWith('#EXTINF:')).length;
  return sequence === null || segments === 0 ? undefined : Number(sequence[1]) + segments - 1;
}

describe.skipIf(skipReason !== undefined)(`cluster jobs: a ladder job across origins${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('created on a, seen on b; its ladder runs where it is published, and comes back on b at the same URLs after a dies', { timeout: 120_000 }, async () => {
    redis = await startRedis();
    const [a, b] = await Promise.all([origin('a', redis.url), origin('b', redis.url)]);

    // Created through a, visible through b (the cluster's Redis holds the jobs, b hears the change).
    const created = await api(a, 'POST', '/api/jobs', { ladder: LADDER });
    expect(created.status).toBe(201);
    const job = created.job;
    const createdAt = Date.now();
    await waitUntil(async () => (await api(b, 'GET', `/api/jobs/${job.id}`)).status === 200, 5000, 'the job through b');
    const seenOnBMs = Date.now() - createdAt;
    const onB = (await api(b, 'GET', `/api/jobs/${job.id}`)).job;
    expect(onB).toMatchObject({ id: job.id, streamKey: job.streamKey, state: 'waiting' });
    const path = new URL(job.playback.hls).pathname;
    expect(new URL(onB.playback.hls).pathname).toBe(path);
    const rungPath = path.replace(/index\.m3u8$/, `${RUNG}/index.m3u8`);

    // Published to a: a runs the ladder; b sees it running, and serves its playlists (forwarded).
    await publish(a, job.streamKey);
    await waitUntil(async () => (await api(b, 'GET', `/api/jobs/${job.id}`)).job.state === 'running', 30_000, 'running, seen through b');
    const onA = (await api(a, 'GET', `/api/jobs/${job.id}`)).job;
    expect(onA.ladder?.state).toBe('running');
    if (onA.ladder?.pid !== undefined) ladderPids.add(onA.ladder.pid);
    // b runs no ladder of it: its view has no live ladder figures.
    expect((await api(b, 'GET', `/api/jobs/${job.id}`)).job.ladder).toBeUndefined();
    for (const via of [a, b]) {
      await waitUntil(async () => (await playlist(`${via.httpUrl}${path}`))?.includes(`${RUNG}/index.m3u8`) === true, 20_000, `the multivariant lists the rung through ${via === a ? 'a' : 'b'}`);
      await waitUntil(async () => (lastMsn(await playlist(`${via.httpUrl}${rungPath}`)) ?? -1) >= 2, 20_000, `rung segments through ${via === a ? 'a' : 'b'}`);
    }
    const beforeKill = lastMsn(await playlist(`${b.httpUrl}${rungPath}`))!;

    // a dies; the publisher comes back on b a second later.
    killByPid(a.child);
    const killedAt = Date.now();
    await delay(1000);
    const republishAt = Date.now();
    await publish(b, job.streamKey);

    // The same URLs (through b now): the multivariant lists the rung again, and the rung gets new segments.
    let multivariantMs = -1;
    let rungMs = -1;
    await waitUntil(
      async () => {
        if (multivariantMs < 0 && (await playlist(`${b.httpUrl}${path}`))?.includes(`${RUNG}/index.m3u8`) === true) multivariantMs = Date.now() - republishAt;
        const msn = lastMsn(await playlist(`${b.httpUrl}${rungPath}`));
        if (rungMs < 0 && msn !== undefined && msn > beforeKill) rungMs = Date.now() - republishAt;
        return multivariantMs >= 0 && rungMs >= 0;
      },
      30_000,
      'the ladder back on b',
      100,
    );
    await waitUntil(async () => (await api(b, 'GET', `/api/jobs/${job.id}`)).job.ladder?.state === 'running', 10_000, 'b runs the ladder');
    const after = (await api(b, 'GET', `/api/jobs/${job.id}`)).job;
    if (after.ladder?.pid !== undefined) ladderPids.add(after.ladder.pid);
    expect(after.state).toBe('running');
    expect(new URL(after.playback.hls).pathname).toBe(path);
    // b took the job over from the dead a: waiting (moved), then running, written by b.
    expect(after.history.slice(-3).map((h) => `${h.state}${h.reason === undefined ? '' : ` (${h.reason})`}`)).toEqual([
      'running (ffmpeg is encoding the ladder)',
      'waiting (the publisher moved to another origin)',
      'running (ffmpeg is encoding the ladder)',
    ]);
    // a's ladder ffmpeg, orphaned by the SIGKILL, ends when its input (a's pipe) closes.
    const orphan = onA.ladder?.pid;
    let orphanGoneMs = -1;
    if (orphan !== undefined) {
      await waitUntil(() => !existsSync(`/proc/${orphan}`), 10_000, `a's ladder ffmpeg ${orphan} ended`);
      orphanGoneMs = Date.now() - killedAt;
    }
    const rung = await playlist(`${b.httpUrl}${rungPath}`);
    expect(rung).toContain('#EXT-X-DISCONTINUITY');
    console.log(
      `cluster jobs: job seen through b ${seenOnBMs} ms after its creation on a; after a's SIGKILL and the publish on b ${republishAt - killedAt} ms later: ` +
        `the multivariant lists ${RUNG} ${multivariantMs} ms after the publish, new ${RUNG} segments ${rungMs} ms after it (${rungMs + republishAt - killedAt} ms after the kill); rung msn ${beforeKill} → ${lastMsn(rung)}; a's orphaned ladder ffmpeg gone ${orphanGoneMs} ms after the kill (or before this check)`,
    );
    expect(rungMs).toBeLessThanOrEqual(15_000);
  });
});
