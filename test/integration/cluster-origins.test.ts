import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegPath, fixturePath, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import { waitUntil } from '../helpers/live.js';
import { delay, killByPid } from '../helpers/process.js';
import { REDIS_SKIP_REASON, startRedis, type RedisServer } from '../helpers/redis.js';

/*
 * Issue 14, Done-when 2's origin SIGKILL, without the edges yet: redis-server and two `tidecast
 * serve` origins (the `cluster` section from TIDECAST_CLUSTER_* variables, a 2 s lease). ffmpeg
 * publishes in real time to origin a; a viewer polls the stream's media playlist through origin b,
 * which forwards it to a. Origin a is SIGKILLed; the publisher is restarted on b (as ffmpeg with
 * reconnect, or an encoder's operator, would): b claims the stream, continues a's playlist from the
 * lease (media sequence never decreasing, one DISCONTINUITY), and the viewer sees new segments
 * within 6 s of the new publish. Through b: no 404 on the playlist once the stream is up (b, once
 * it owns the stream, holds a playlist request until its first playlist: LiveDelivery.expect),
 * no error before the kill or after the new owner's first segment; in between, while a is dead
 * and still routed to, b answers 502 (measured and printed: an edge serves stale then).
 *
 * `TIDECAST_CLUSTER=1 npx vitest run test/integration/cluster-origins.test.ts` (.ci/run runs it).
 */

const ffmpeg = await ffmpegPath();
const root = new URL('../../', import.meta.url).pathname;
const skipReason = process.env['TIDECAST_CLUSTER'] !== '1' ? 'TIDECAST_CLUSTER=1 runs it (.ci/run)' : ffmpeg === undefined ? 'no ffmpeg' : REDIS_SKIP_REASON === '' ? undefined : REDIS_SKIP_REASON;

interface Cli {
  readonly child: ChildProcess;
  readonly rtmpPort: number;
  readonly httpUrl: string;
}

const children: ChildProcess[] = [];
const publishers: FfmpegRun[] = [];
let redis: RedisServer | undefined;

afterAll(async () => {
  for (const p of publishers) killByPid(p.child);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) killByPid(c);
  await redis?.stop();
});

/** `tidecast serve` on loopback as origin `id` of the cluster at `redisUrl`. */
async function origin(id: string, redisUrl: string): Promise<Cli> {
  const env = { ...process.env, TIDECAST_CLUSTER_REDIS_URL: redisUrl, TIDECAST_CLUSTER_ORIGIN_ID: id, TIDECAST_CLUSTER_LEASE_MS: '2000', TIDECAST_CLUSTER_REFRESH_MS: '500' };
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

async function publish(to: Cli): Promise<FfmpegRun> {
  const run = await spawnFfmpeg(['-v', 'error', '-re', '-stream_loop', '-1', '-i', fixturePath('media/h264-aac.flv'), '-t', '60', '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${to.rtmpPort}/live/cam`], { timeoutMs: 90_000 });
  publishers.push(run);
  return run;
}

interface Poll {
  readonly atMs: number;
  readonly status: number;
  readonly mediaSequence?: number;
  readonly lastMsn?: number;
  readonly discontinuities?: number;
}

describe.skipIf(skipReason !== undefined)(`cluster origins: SIGKILL of the owner${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('the other origin forwards, then takes the stream over and continues its playlist', { timeout: 120_000 }, async () => {
    redis = await startRedis();
    const [a, b] = await Promise.all([origin('a', redis.url), origin('b', redis.url)]);
    await publish(a);

    const polls: Poll[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const atMs = Date.now();
        try {
          const response = await fetch(`${b.httpUrl}/live/cam/video/index.m3u8`, { signal: AbortSignal.timeout(3000) });
          const body = await response.text();
          const msns = [...body.matchAll(/^(?:e\d+-)?(\d+)\.m4s$/gm)].map((m) => Number(m[1]));
          polls.push({
            atMs,
            status: response.status,
            ...(response.status === 200 && msns.length > 0 ? { mediaSequence: Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(body)![1]), lastMsn: msns.at(-1)!, discontinuities: body.split('#EXT-X-DISCONTINUITY\n').length - 1 } : {}),
          });
        } catch {
          polls.push({ atMs, status: 0 });
        }
        await delay(250);
      }
    })();

    // Through b (forwarded to a): segments.
    await waitUntil(() => polls.filter((p) => p.lastMsn !== undefined).length >= 1 && polls.at(-1)!.lastMsn! >= 3, 30_000, 'segments through b');
    const beforeKill = polls.at(-1)!.lastMsn!;
    killByPid(a.child);
    const killedAt = Date.now();
    // The publisher comes back on b a second later (the lease is 2 s: b takes over whether or not it lapsed).
    await delay(1000);
    const republishAt = Date.now();
    await publish(b);
    await waitUntil(() => polls.some((p) => p.atMs > republishAt && p.lastMsn !== undefined && p.lastMsn > beforeKill), 15_000, 'new segments through b after the takeover');
    const firstNew = polls.find((p) => p.atMs > republishAt && p.lastMsn !== undefined && p.lastMsn > beforeKill)!;
    await delay(3000);
    polling = false;
    await poller;

    const listed = polls.filter((p) => p.mediaSequence !== undefined);
    const since = (p: Poll): string => `${p.status}@${p.atMs - killedAt}`;
    console.log(`cluster origins: polls (status@ms after the kill): ${polls.map(since).join(' ')}`);
    const statuses = polls.reduce<Record<number, number>>((n, p) => ({ ...n, [p.status]: (n[p.status] ?? 0) + 1 }), {});
    console.log(
      `cluster origins: ${polls.length} polls through b ${JSON.stringify(statuses)}; last msn ${beforeKill} before the kill; new segments ${firstNew.atMs - republishAt} ms after the publish on b (${firstNew.atMs - killedAt} ms after the kill); msn ${listed[0]!.lastMsn} → ${listed.at(-1)!.lastMsn}`,
    );
    // Once the stream is up: never a 404; no error until the kill and none after the new owner's
    // first segment; in between, 502 while the dead owner is still routed to (an edge's grace).
    const up = polls.findIndex((p) => p.status === 200);
    expect(polls.slice(up).filter((p) => p.status === 404)).toEqual([]);
    expect(polls.slice(up).filter((p) => p.atMs < killedAt && p.status !== 200)).toEqual([]);
    expect(polls.filter((p) => p.atMs >= firstNew.atMs && p.status !== 200)).toEqual([]);
    const gap = polls.filter((p) => p.atMs >= killedAt && p.atMs < firstNew.atMs);
    console.log(`cluster origins: the takeover gap through b: ${gap.filter((p) => p.status === 502).length} × 502 (owner dead, still routed), ${gap.filter((p) => p.status !== 200 && p.status !== 502).length} other errors, over ${firstNew.atMs - killedAt} ms`);
    // The media sequence and the last number never go back.
    for (let i = 1; i < listed.length; i++) {
      expect(listed[i]!.mediaSequence!).toBeGreaterThanOrEqual(listed[i - 1]!.mediaSequence!);
      expect(listed[i]!.lastMsn!).toBeGreaterThanOrEqual(listed[i - 1]!.lastMsn!);
    }
    // b continued a's playlist: past a's numbers, with a DISCONTINUITY where it took over.
    expect(listed.at(-1)!.discontinuities).toBeGreaterThanOrEqual(1);
    expect(firstNew.atMs - republishAt).toBeLessThanOrEqual(6000);
  });
});
