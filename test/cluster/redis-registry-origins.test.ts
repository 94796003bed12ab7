import { describe, expect, it, afterEach } from 'vitest';
import { delay } from '../helpers/process.js';
import { REDIS_SKIP_REASON, redisServerPath } from '../helpers/redis.js';
import { FAST, faultRig, waitFor } from './registry-helpers.js';

/**
 * An origin's faults against a real redis-server started per test: the origin is a node process
 * of its own (registry-origin-child.ts), SIGKILLed (its lease lapses, a successor continues its
 * playlists) or SIGSTOPped past its lease (fenced when it wakes: the split brain of OvenMediaEngine
 * #1865 must not happen). Every process is ended by its PID.
 */

describe.skipIf(redisServerPath === undefined)(`RedisStreamRegistry, origin faults${REDIS_SKIP_REASON}`, () => {
  const rig = faultRig();
  afterEach(() => rig.cleanup());

  it('an origin SIGKILLed: its lease lapses, the route leaves the maps, the next claim continues its playlists', async () => {
    const { server } = await rig.redis();
    const b = await rig.registry(server.url, 'b');
    const a = await rig.child(server.url, 'a', 'live/k', { msn: 42, dseq: 3 });
    await waitFor(() => b.lookup('live/k')?.owner === 'a', 2000, 'b sees a’s claim');
    await a.kill();
    const lapsed = await waitFor(() => b.lookup('live/k') === undefined, FAST.leaseMs + 3 * FAST.refreshMs + 1000, 'the lease lapses');
    expect(lapsed).toBeGreaterThan(FAST.leaseMs - 2 * FAST.refreshMs);
    expect(await b.claim('live/k')).toEqual({ key: 'live/k', epoch: 2, continuation: { msn: 42, dseq: 3 }, confirmed: true });
  });

  it('an origin SIGSTOPped past its lease: another takes over; woken, it is fenced and never owns the key again', async () => {
    const { server, raw } = await rig.redis();
    const b = await rig.registry(server.url, 'b');
    const a = await rig.child(server.url, 'a', 'live/k', { msn: 10, dseq: 0 });
    process.kill(a.pid, 'SIGSTOP');
    await delay(FAST.leaseMs + FAST.refreshMs);
    expect(await b.claim('live/k')).toMatchObject({ epoch: 2, continuation: { msn: 10, dseq: 0 } });
    // Watch the lease from now on: only b, with epoch 2, ever.
    const owners = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const h = await raw.hgetall('f:stream:live/k');
        owners.add(`${h['owner']}@${h['epoch']}`);
        await delay(20);
      }
    })();
    process.kill(a.pid, 'SIGCONT');
    const lost = await a.next('lost', 5000);
    expect(lost).toMatchObject({ key: 'live/k', epoch: 1, newerEpoch: 2, owner: 'b' });
    await delay(3 * FAST.refreshMs);
    watching = false;
    await watch;
    expect([...owners]).toEqual(['b@2']);
    expect(await b.refresh('live/k', { msn: 11, dseq: 1 })).toBe('ok');
  });
});
