import { describe, expect, it, afterEach } from 'vitest';
import type { ClaimLost, RouteChange } from '../../src/cluster/index.js';
import { delay } from '../helpers/process.js';
import { REDIS_SKIP_REASON, redisServerPath, startRedis } from '../helpers/redis.js';
import { FAST, faultRig, waitFor } from './registry-helpers.js';

/**
 * Redis's faults against a real redis-server started per test (each test disturbs it): SIGKILLed
 * and restarted empty, SIGSTOPped past the lease (degraded mode, claims held locally and replayed
 * epoch-checked). Origins that must stay frozen across a fault are node processes of their own
 * (registry-origin-child.ts); every process is ended by its PID. The origins' own faults are in
 * redis-registry-origins.test.ts.
 */

const RESTORE_BOUND_MS = 2 * FAST.refreshMs + FAST.commandTimeoutMs + 1000;

describe.skipIf(redisServerPath === undefined)(`RedisStreamRegistry, Redis faults${REDIS_SKIP_REASON}`, () => {
  const rig = faultRig();
  afterEach(() => rig.cleanup());

  it('Redis SIGKILLed and restarted empty: owners re-create their leases with their epochs, no key gets two owners, no route dropped', async () => {
    const holder = await rig.redis();
    const port = holder.server.port;
    const a = await rig.registry(holder.server.url, 'a');
    const b = await rig.registry(holder.server.url, 'b');
    // c, a process of its own, is frozen across the restart: its lease stays missing from the new
    // Redis until it wakes, and b must keep the route meanwhile.
    const c = await rig.child(holder.server.url, 'c', 'live/three', { msn: 3, dseq: 0 });
    const events: string[] = [];
    a.on('degraded', () => events.push('degraded'));
    a.on('restored', () => events.push('restored'));
    const bChanges: RouteChange[] = [];
    b.on('change', (change) => bChanges.push(change));
    await a.claim('live/one');
    await a.refresh('live/one', { msn: 7, dseq: 1 });
    await b.claim('live/two');
    await waitFor(() => b.lookup('live/one') !== undefined && b.lookup('live/three') !== undefined, 2000, 'b sees a’s and c’s routes');
    process.kill(c.pid, 'SIGSTOP');
    process.kill(holder.server.pid, 'SIGKILL');
    await holder.server.stop();
    await waitFor(() => a.health() === 'degraded' && b.health() === 'degraded', 5000, 'both degraded');
    holder.server = await startRedis({ port });
    const raw = holder.raw;
    await waitFor(() => events.includes('restored') && b.health() === 'ok', 5000, 'a and b restored');
    await delay(2 * FAST.refreshMs);
    // b has resynced against the new Redis, which has no lease of c's yet.
    expect(await raw.exists('f:stream:live/three')).toBe(0);
    process.kill(c.pid, 'SIGCONT');
    await waitFor(() => c.lines.some((l) => l['event'] === 'restored'), 5000, 'c restored');
    expect(await raw.hgetall('f:stream:live/one')).toMatchObject({ owner: 'a', epoch: '1', msn: '7', dseq: '1' });
    expect(await raw.hgetall('f:stream:live/two')).toMatchObject({ owner: 'b', epoch: '1' });
    expect(await raw.hgetall('f:stream:live/three')).toMatchObject({ owner: 'c', epoch: '1', msn: '3' });
    expect(await raw.hgetall('f:epoch:live/one')).toMatchObject({ owner: 'a', epoch: '1' });
    expect([a.claims().has('live/one'), b.claims().has('live/one')]).toEqual([true, false]);
    expect(b.lookup('live/one')).toMatchObject({ owner: 'a', epoch: 1 });
    expect(events.slice(0, 2)).toEqual(['degraded', 'restored']);
    expect(bChanges.filter((change) => change.route === undefined)).toEqual([]);
    // The epoch went on from the re-created record, not from 0: a takeover is epoch 2 and continues.
    expect(await b.claim('live/one')).toMatchObject({ epoch: 2, continuation: { msn: 7, dseq: 1 }, confirmed: true });
    await waitFor(() => !a.claims().has('live/one'), 2000, 'a fenced');
  });

  it('Redis SIGSTOPped past the lease: degraded, claims served and taken locally, replayed when it returns, no route dropped', async () => {
    const { server } = await rig.redis();
    const a = await rig.registry(server.url, 'a');
    const b = await rig.registry(server.url, 'b');
    const bChanges: RouteChange[] = [];
    b.on('change', (change) => bChanges.push(change));
    await a.claim('live/old');
    await a.refresh('live/old', { msn: 30, dseq: 0 });
    await waitFor(() => b.lookup('live/old') !== undefined, 2000, 'b sees live/old');
    process.kill(server.pid, 'SIGSTOP');
    await waitFor(() => a.health() === 'degraded' && b.health() === 'degraded', FAST.refreshMs + FAST.commandTimeoutMs + 2000, 'both degraded');
    const started = Date.now();
    const fresh = await a.claim('live/new');
    expect(Date.now() - started).toBeLessThan(100);
    expect(fresh).toEqual({ key: 'live/new', epoch: 1, continuation: undefined, confirmed: false });
    expect(await a.refresh('live/old', { msn: 31, dseq: 0 })).toBe('degraded');
    expect(a.lookup('live/old')).toMatchObject({ owner: 'a', epoch: 1 });
    expect(b.lookup('live/old')).toMatchObject({ owner: 'a', epoch: 1 });
    await delay(FAST.leaseMs + 500);
    process.kill(server.pid, 'SIGCONT');
    const visible = await waitFor(() => b.lookup('live/new')?.owner === 'a', RESTORE_BOUND_MS, 'the claim made during the outage reaches b');
    await waitFor(() => a.health() === 'ok' && b.health() === 'ok', RESTORE_BOUND_MS, 'both restored');
    expect(a.claims().get('live/new')).toEqual({ key: 'live/new', epoch: 1, continuation: undefined, confirmed: true });
    await waitFor(() => b.lookup('live/old')?.position.msn === 31, RESTORE_BOUND_MS, 'the position given during the outage reaches b');
    expect(b.lookup('live/old')).toMatchObject({ owner: 'a', epoch: 1 });
    expect(bChanges.filter((change) => change.route === undefined)).toEqual([]);
    console.log(`redis SIGSTOP: the outage's claim visible to b ${visible} ms after SIGCONT`);
  });

  it('two origins claim one key during the outage: one wins the replay, the other is fenced, never two owners', async () => {
    const { server, raw } = await rig.redis();
    const a = await rig.registry(server.url, 'a');
    const b = await rig.registry(server.url, 'b');
    await a.claim('live/k');
    await a.release('live/k', { msn: 50, dseq: 4 });
    await waitFor(() => b.lookup('live/k') === undefined, 2000, 'b sees the release');
    process.kill(server.pid, 'SIGSTOP');
    await waitFor(() => a.health() === 'degraded' && b.health() === 'degraded', FAST.refreshMs + FAST.commandTimeoutMs + 2000, 'both degraded');
    const lost: ClaimLost[] = [];
    for (const r of [a, b]) r.on('lost', (l) => lost.push(l));
    // Both held locally on the last epoch either knew (1): both provisional epoch 2.
    const claims = [await a.claim('live/k'), await b.claim('live/k')];
    expect(claims.map((c) => [c.epoch, c.confirmed])).toEqual([[2, false], [2, false]]);
    expect(claims[0]!.continuation).toEqual({ msn: 50, dseq: 4 });
    process.kill(server.pid, 'SIGCONT');
    await waitFor(() => lost.length === 1 && a.health() === 'ok' && b.health() === 'ok', RESTORE_BOUND_MS, 'one replay refused');
    const [winner, loser] = a.claims().has('live/k') ? [a, b] : [b, a];
    expect(loser.claims().has('live/k')).toBe(false);
    expect(winner.claims().get('live/k')).toMatchObject({ epoch: 2, confirmed: true });
    expect(lost).toEqual([{ key: 'live/k', epoch: 2, newerEpoch: 2, owner: winner.originId }]);
    expect(await raw.hgetall('f:stream:live/k')).toMatchObject({ owner: winner.originId, epoch: '2' });
    await waitFor(() => loser.lookup('live/k')?.owner === winner.originId, RESTORE_BOUND_MS, 'the loser’s map shows the winner');
  });
});
