import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStreamRegistry, type ClaimLost, type RedisRegistryOptions, type RouteChange } from '../../src/cluster/index.js';
import { CLAIM_LUA, REFRESH_LUA, RELEASE_LUA } from '../../src/cluster/redis-scripts.js';
import { freePort } from '../helpers/process.js';
import { REDIS_SKIP_REASON, redisServerPath, startRedis, type RedisServer } from '../helpers/redis.js';
import { FAST, openRegistry, SLOW, waitFor } from './registry-helpers.js';

/**
 * The Redis registry against a real redis-server (one per file, a prefix per test): the lease
 * scripts' races and fencing, the key layout, pub/sub and the resync after a resubscribe. The
 * faults (an origin killed or frozen, Redis restarted or frozen) are in redis-registry-faults.test.ts.
 */

describe.skipIf(redisServerPath === undefined)(`RedisStreamRegistry${REDIS_SKIP_REASON}`, () => {
  let server: RedisServer;
  let raw: Redis;
  const open: RedisStreamRegistry[] = [];
  let prefixes = 0;
  const prefix = (): string => `t${++prefixes}:`;
  const registry = async (p: string, id: string, timings: Partial<RedisRegistryOptions> = FAST): Promise<RedisStreamRegistry> => {
    const r = await openRegistry(server.url, p, id, timings);
    open.push(r);
    return r;
  };

  beforeAll(async () => {
    server = await startRedis();
    raw = new Redis(server.url);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    raw?.disconnect();
    await server?.stop();
  });

  it('a claim writes the lease, the fencing record and the heartbeat of the layout in docs/cluster.md', async () => {
    const p = prefix();
    const a = await registry(p, 'a');
    a.setLoad(5);
    expect(await a.claim('live/k')).toEqual({ key: 'live/k', epoch: 1, continuation: undefined, confirmed: true });
    expect(await a.refresh('live/k', { msn: 7, dseq: 1 })).toBe('ok');
    expect(await raw.hgetall(`${p}stream:live/k`)).toEqual({ owner: 'a', epoch: '1', url: 'http://a.test:8000', msn: '7', dseq: '1', updatedAt: expect.stringMatching(/^\d+$/) });
    const ttl = await raw.pttl(`${p}stream:live/k`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(FAST.leaseMs);
    expect(await raw.hgetall(`${p}epoch:live/k`)).toEqual({ epoch: '1', owner: 'a', msn: '7', dseq: '1' });
    const b = await registry(p, 'b');
    await waitFor(() => b.origins().get('a')?.load === 5, 2000, 'b sees a’s heartbeat with its load');
    expect(b.origins().get('a')).toMatchObject({ id: 'a', baseUrl: 'http://a.test:8000' });
    expect(b.lookup('live/k')).toEqual({ key: 'live/k', owner: 'a', epoch: 1, baseUrl: 'http://a.test:8000', position: { msn: 7, dseq: 1 } });
    expect(a.health()).toBe('ok');
  });

  it('two claimants racing: every claim a new, higher epoch; after each round exactly one holder, and every map agrees', async () => {
    const p = prefix();
    const [a, b, c] = [await registry(p, 'a'), await registry(p, 'b'), await registry(p, 'c')];
    const epochs: number[] = [];
    for (let round = 0; round < 15; round++) {
      const claims = await Promise.all([a.claim('live/race'), b.claim('live/race')]);
      epochs.push(...claims.map((x) => x.epoch));
      const results = await Promise.all([a.refresh('live/race', { msn: round, dseq: 0 }), b.refresh('live/race', { msn: round, dseq: 0 })]);
      expect(results.filter((x) => x === 'ok')).toHaveLength(1);
      const winner = results[0] === 'ok' ? a : b;
      const winning = Math.max(...claims.map((x) => x.epoch));
      expect(winner.claims().get('live/race')?.epoch).toBe(winning);
      expect([a, b].filter((r) => r.claims().has('live/race'))).toEqual([winner]);
      await waitFor(() => c.lookup('live/race')?.epoch === winning && a.lookup('live/race')?.epoch === winning && b.lookup('live/race')?.epoch === winning, 2000, `every map on epoch ${winning}`);
      expect(c.lookup('live/race')?.owner).toBe(winner.originId);
    }
    expect([...epochs].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('fencing: after a takeover the old owner is told at once, its refresh is lost and its writes are refused', async () => {
    const p = prefix();
    const a = await registry(p, 'a', SLOW);
    const b = await registry(p, 'b', SLOW);
    const lost: ClaimLost[] = [];
    a.on('lost', (l) => lost.push(l));
    await a.claim('live/k');
    await a.refresh('live/k', { msn: 20, dseq: 2 });
    expect(await b.claim('live/k')).toEqual({ key: 'live/k', epoch: 2, continuation: { msn: 20, dseq: 2 }, confirmed: true });
    // The claim's message reaches a long before a refresh would (SLOW: none in this test).
    await waitFor(() => lost.length === 1, 1000, 'a hears of the takeover');
    expect(lost[0]).toEqual({ key: 'live/k', epoch: 1, newerEpoch: 2, owner: 'b' });
    expect(await a.refresh('live/k', { msn: 99, dseq: 9 })).toBe('lost');
    // What a paused old owner would send, straight to the scripts: refused, the lease untouched.
    const keys = [`${p}stream:live/k`, `${p}epoch:live/k`];
    expect(await raw.eval(REFRESH_LUA, 2, ...keys, 'a', 1, 'http://a', 99, 9, Date.now(), 60_000, 60_000, `${p}routes`, 'live/k')).toEqual([0, 2, 'b', 'http://b.test:8000', '20', '2']);
    expect(await raw.eval(RELEASE_LUA, 2, ...keys, 'a', 1, 99, 9, 60_000, `${p}routes`, 'live/k')).toBe(0);
    expect(await raw.hgetall(keys[0]!)).toMatchObject({ owner: 'b', epoch: '2', msn: '20', dseq: '2' });
    expect(await raw.hget(keys[1]!, 'msn')).toBe('20');
    await a.release('live/k');
    expect(await raw.hget(keys[0]!, 'owner')).toBe('b');
  });

  it('a refresh that finds itself fenced puts the new owner in the map at once (no message needed)', async () => {
    const p = prefix();
    const a = await registry(p, 'a', SLOW);
    await a.claim('live/k');
    // b's claim, its message sent where a does not listen: a learns of it only by refreshing.
    const keys = [`${p}stream:live/k`, `${p}epoch:live/k`];
    await raw.eval(CLAIM_LUA, 2, ...keys, 'b', 'http://b.test:8000', Date.now(), 60_000, 60_000, `${p}elsewhere`, 'live/k', -1, 0);
    expect(a.lookup('live/k')?.owner).toBe('a');
    expect(await a.refresh('live/k', { msn: 4, dseq: 0 })).toBe('lost');
    expect(a.lookup('live/k')).toEqual({ key: 'live/k', owner: 'b', epoch: 2, baseUrl: 'http://b.test:8000', position: { msn: 0, dseq: 0 } });
  });

  it('pub/sub: a claim and a release reach another origin’s map without waiting for a refresh', async () => {
    const p = prefix();
    const a = await registry(p, 'a', SLOW);
    const b = await registry(p, 'b', SLOW);
    const changes: RouteChange[] = [];
    b.on('change', (c) => changes.push(c));
    await a.claim('live/k');
    const seen = await waitFor(() => b.lookup('live/k') !== undefined, 1000, 'b sees the claim');
    await a.release('live/k', { msn: 5, dseq: 0 });
    const gone = await waitFor(() => b.lookup('live/k') === undefined, 1000, 'b sees the release');
    expect(changes.map((c) => [c.route?.owner, c.route?.epoch])).toEqual([['a', 1], [undefined, undefined]]);
    expect(seen + gone).toBeLessThan(1000);
    // The position stays for a successor.
    expect(await b.claim('live/k')).toMatchObject({ epoch: 2, continuation: { msn: 5, dseq: 0 } });
  });

  it('a resubscribe is followed by a full resync: a change that sent no message is seen', async () => {
    const p = prefix();
    const b = await registry(p, 'b', SLOW);
    // A lease written without a message, then every subscriber's connection cut.
    await raw.hset(`${p}stream:live/silent`, { owner: 'ghost', epoch: 4, url: 'http://ghost:8000', msn: 3, dseq: 0, updatedAt: Date.now() });
    await raw.pexpire(`${p}stream:live/silent`, 60_000);
    expect(b.lookup('live/silent')).toBeUndefined();
    await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    const took = await waitFor(() => b.lookup('live/silent') !== undefined, 5000, 'b resyncs after resubscribing');
    expect(took).toBeLessThan(SLOW.refreshMs);
    expect(b.lookup('live/silent')).toEqual({ key: 'live/silent', owner: 'ghost', epoch: 4, baseUrl: 'http://ghost:8000', position: { msn: 3, dseq: 0 } });
    expect(b.health()).toBe('ok');
  });

  it('Redis unreachable at start: start resolves, health degraded, a claim is held locally', async () => {
    const r = new RedisStreamRegistry({ url: `redis://127.0.0.1:${await freePort()}`, originId: 'lonely', ...FAST });
    const degraded: Error[] = [];
    r.on('degraded', (e) => degraded.push(e));
    await r.start();
    expect(r.health()).toBe('degraded');
    expect(degraded).toHaveLength(1);
    expect(await r.claim('live/k')).toEqual({ key: 'live/k', epoch: 1, continuation: undefined, confirmed: false });
    expect(r.lookup('live/k')).toMatchObject({ owner: 'lonely', epoch: 1 });
    expect(await r.refresh('live/k', { msn: 1, dseq: 0 })).toBe('degraded');
    await r.close();
  });

  it('holds(): a pause longer than a lease makes the claim suspect until the next round has asked Redis', async () => {
    const p = prefix();
    const a = await registry(p, 'a');
    await a.claim('live/k');
    expect(a.holds('live/k')).toBe(true);
    expect(a.holds('live/other')).toBe(false);
    // The event loop blocked past the lease (what SIGSTOP does to the whole process): no round ran meanwhile.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, FAST.leaseMs + 200);
    expect(a.holds('live/k')).toBe(false);
    await a.settled();
    expect(a.holds('live/k')).toBe(true);
    // Taken over during the pause: the round that follows fences the claim instead.
    const b = await registry(p, 'b');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, FAST.leaseMs + 200);
    const lost = new Promise<ClaimLost>((resolve) => a.once('lost', resolve));
    await b.claim('live/k');
    expect(a.holds('live/k')).toBe(false);
    await a.settled();
    expect((await lost).newerEpoch).toBe(2);
    expect(a.holds('live/k')).toBe(false);
    expect(a.claims().has('live/k')).toBe(false);
  });

  it('options are checked at construction, each refusal naming the option', () => {
    const bad = (o: object): (() => void) => () => new RedisStreamRegistry({ url: server.url, originId: 'a', ...o });
    expect(bad({ url: 'http://x' })).toThrow(/option url/);
    expect(bad({ originId: 'a b' })).toThrow(/option originId/);
    expect(bad({ prefix: 'a*' })).toThrow(/option prefix/);
    expect(bad({ leaseMs: 1000, refreshMs: 600 })).toThrow(/option refreshMs must be an integer from 50 to 500, got 600/);
    expect(new RedisStreamRegistry({ url: 'redis://u:secret@127.0.0.1:1', originId: 'a' }).where).toBe('redis://u:***@127.0.0.1:1 prefix tc:');
  });
});
