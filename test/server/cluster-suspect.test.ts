import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisStreamRegistry, type ClaimLost } from '../../src/cluster/index.js';
import { CLAIM_LUA } from '../../src/cluster/redis-scripts.js';
import { RtmpClient } from '../../src/rtmp/index.js';
import { createMediaServer, type MediaServer } from '../../src/server/index.js';
import { FAST } from '../cluster/registry-helpers.js';
import { waitUntil } from '../helpers/live.js';
import { findOnPath } from '../helpers/process.js';
import { fixtureTags } from '../helpers/recording.js';
import { REDIS_SKIP_REASON, redisServerPath, startRedis, type RedisServer } from '../helpers/redis.js';

/*
 * Issue 14, Done-when 2's "no two owners at any moment": an origin whose process was paused longer
 * than a lease (what SIGSTOP does; here the event loop is blocked with Atomics.wait, the whole
 * process stands still) must not answer as the owner before it has asked Redis. During the pause
 * another origin takes the stream over (the claim script run with redis-cli, as that origin's
 * registry would) and a viewer's request arrives (curl, its own process). When the paused origin
 * runs again, the request waits for the registry's round (holds(), cluster-wiring.ts), which
 * fences the stale claim (the takeover's message is not heard), and is then forwarded to the new owner: here an address where nothing
 * listens, so the answer is the forwarder's 502, never the stale owner's own playlist (200).
 */

const redisCli = findOnPath('redis-cli');
const curl = findOnPath('curl');
const skip = redisServerPath === undefined || redisCli === undefined || curl === undefined;

let redis: RedisServer | undefined;
let server: MediaServer | undefined;
let client: RtmpClient | undefined;
const dir = mkdtempSync(join(tmpdir(), 'tidecast-suspect-'));
afterAll(async () => {
  await client?.close().catch(() => undefined);
  await server?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Blocks this whole process (timers, sockets, everything) for `ms`. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe.skipIf(skip)(`a paused origin does not answer as the owner before it has asked Redis${skip ? ` (skipped: needs redis-server, redis-cli and curl${REDIS_SKIP_REASON})` : ''}`, () => {
  it('a request that came in during the pause waits for the round, which fences the claim, and is forwarded', { timeout: 60_000 }, async () => {
    redis = await startRedis();
    const prefix = 'suspect:';
    let registry: RedisStreamRegistry | undefined;
    server = createMediaServer({
      rtmp: { port: 0, host: '127.0.0.1' },
      http: { port: 0, host: '127.0.0.1' },
      cluster: { registry: (baseUrl) => (registry = new RedisStreamRegistry({ url: redis!.url, prefix, originId: 'a', baseUrl, ...FAST })) },
    });
    const { rtmp, http } = await server.listen();
    client = await RtmpClient.connect(`rtmp://127.0.0.1:${rtmp.port}/live`);
    const stream = await client.publish('k');
    for (const t of fixtureTags()) {
      if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
      else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
    }
    const url = `http://127.0.0.1:${http.port}/live/k/video/index.m3u8`;
    await waitUntil(async () => (await fetch(url)).status === 200, 20_000, 'the owner serving its playlist');
    // Confirmed in Redis (a loaded machine can time a first command out: the claim is then replayed).
    await waitUntil(() => registry!.claims().get('live/k')?.confirmed === true, 10_000, 'the claim confirmed');
    expect(registry!.holds('live/k')).toBe(true);
    const lost = new Promise<ClaimLost>((resolve) => registry!.once('lost', resolve));

    // The viewer: waits for the marker (written during the pause), then asks the paused origin.
    const marker = join(dir, 'go');
    const viewer = spawn('sh', ['-c', `while [ ! -f '${marker}' ]; do sleep 0.02; done; exec '${curl}' -s -o /dev/null -w '%{http_code}' --max-time 20 '${url}'`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let status = '';
    viewer.stdout.setEncoding('utf8').on('data', (t: string) => (status += t));
    const viewerDone = new Promise<void>((resolve) => viewer.once('exit', () => resolve()));

    const pausedAt = performance.now();
    // Another origin ("b", its base URL where nothing listens) takes the stream over meanwhile. Its
    // message goes to a channel nobody hears (pub/sub is fire-and-forget: a subscriber that was
    // away misses it), so the paused origin can learn of it only by asking.
    const now = String(Date.now());
    const claim = execFileSync(redisCli!, ['-p', String(redis.port), 'EVAL', CLAIM_LUA, '2', `${prefix}stream:live/k`, `${prefix}epoch:live/k`, 'b', 'http://127.0.0.1:1', now, '60000', '86400000', `${prefix}unheard`, 'live/k', '-1', '0'], { encoding: 'utf8' });
    expect(claim).toContain('2'); // epoch 2
    writeFileSync(marker, '');
    // Long enough for curl to connect and send (the kernel queues it), and longer than a lease in all.
    pause(Math.max(500, FAST.leaseMs + 300 - (performance.now() - pausedAt)));
    pause(500);

    await viewerDone;
    expect(status).toBe('502');
    expect((await lost).newerEpoch).toBe(2);
    expect(registry!.claims().has('live/k')).toBe(false);
    expect(registry!.lookup('live/k')).toMatchObject({ owner: 'b', epoch: 2 });
  });
});
