import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryRegistryStore, MemoryStreamRegistry, type ClaimLost, type RouteChange } from '../../src/cluster/index.js';

/** Several origins of one process sharing a store: the in-memory registry keeps the Redis one's rules. */
function cluster(...ids: string[]): MemoryStreamRegistry[] {
  const store = new MemoryRegistryStore();
  let clock = 1000;
  return ids.map((id) => new MemoryStreamRegistry({ originId: id, baseUrl: `http://${id}:8000`, store, now: () => clock++ }));
}

describe('MemoryStreamRegistry', () => {
  it('a first claim is epoch 1 with nothing to continue; the route is in every origin’s map', async () => {
    const [a, b] = cluster('a', 'b');
    const changes: RouteChange[] = [];
    b!.on('change', (c) => changes.push(c));
    expect(await a!.claim('live/k')).toEqual({ key: 'live/k', epoch: 1, continuation: undefined, confirmed: true });
    const route = { key: 'live/k', owner: 'a', epoch: 1, baseUrl: 'http://a:8000', position: { msn: 0, dseq: 0 } };
    expect(a!.lookup('live/k')).toEqual(route);
    expect(b!.lookup('live/k')).toEqual(route);
    expect(changes).toEqual([{ key: 'live/k', route, previous: undefined }]);
    expect([...b!.routes().keys()]).toEqual(['live/k']);
    expect(a!.health()).toBe('ok');
  });

  it('a takeover raises the epoch, continues the position and fences the old owner at once', async () => {
    const [a, b] = cluster('a', 'b');
    const lost: ClaimLost[] = [];
    a!.on('lost', (l) => lost.push(l));
    await a!.claim('live/k');
    expect(await a!.refresh('live/k', { msn: 41, dseq: 2 })).toBe('ok');
    const claim = await b!.claim('live/k');
    expect(claim).toEqual({ key: 'live/k', epoch: 2, continuation: { msn: 41, dseq: 2 }, confirmed: true });
    expect(lost).toEqual([{ key: 'live/k', epoch: 1, newerEpoch: 2, owner: 'b' }]);
    expect(a!.claims().size).toBe(0);
    // The old owner's writes change nothing: its refresh is 'lost', its release leaves b's lease.
    expect(await a!.refresh('live/k', { msn: 99, dseq: 9 })).toBe('lost');
    await a!.release('live/k', { msn: 99, dseq: 9 });
    expect(a!.lookup('live/k')).toMatchObject({ owner: 'b', epoch: 2, position: { msn: 41, dseq: 2 } });
  });

  it('a release keeps the position for the next claim, which continues it with a newer epoch', async () => {
    const [a, b] = cluster('a', 'b');
    await a!.claim('live/k');
    await a!.refresh('live/k', { msn: 10, dseq: 0 });
    await a!.release('live/k', { msn: 12, dseq: 1 });
    expect(b!.lookup('live/k')).toBeUndefined();
    expect(await b!.claim('live/k')).toMatchObject({ epoch: 2, continuation: { msn: 12, dseq: 1 } });
    // A claim by the same origin is a takeover too (a publisher reconnecting to the same origin).
    expect(await b!.claim('live/k')).toMatchObject({ epoch: 3, continuation: { msn: 12, dseq: 1 } });
    expect(await b!.refresh('live/k', { msn: 13, dseq: 1 })).toBe('ok');
  });

  it('origins carry their base URL and load; close releases every claim and leaves the map', async () => {
    const [a, b] = cluster('a', 'b');
    a!.setLoad(3);
    expect(b!.origins().get('a')).toEqual({ id: 'a', baseUrl: 'http://a:8000', load: 3, updatedAtMs: expect.any(Number) });
    await a!.claim('live/x');
    await a!.claim('live/y');
    await a!.close();
    expect(b!.routes().size).toBe(0);
    expect([...b!.origins().keys()]).toEqual(['b']);
  });

  it('refuses a bad or duplicate origin id with ERR_CONFIG_INVALID', () => {
    expect(() => new MemoryStreamRegistry({ originId: 'has space' })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    const store = new MemoryRegistryStore();
    new MemoryStreamRegistry({ originId: 'a', store });
    expect(() => new MemoryStreamRegistry({ originId: 'a', store })).toThrow(/unique/);
  });

  it('property: under any interleaving, one holder per key, the map agrees, epochs only grow', async () => {
    const op = fc.record({ origin: fc.integer({ min: 0, max: 2 }), kind: fc.constantFrom('claim', 'refresh', 'release'), key: fc.constantFrom('k1', 'k2'), msn: fc.nat(1000) });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const origins = cluster('a', 'b', 'c');
        const lastEpoch = new Map<string, number>();
        for (const o of ops) {
          const r = origins[o.origin]!;
          if (o.kind === 'claim') {
            const { epoch } = await r.claim(o.key);
            expect(epoch).toBeGreaterThan(lastEpoch.get(o.key) ?? 0);
            lastEpoch.set(o.key, epoch);
          } else if (o.kind === 'refresh') await r.refresh(o.key, { msn: o.msn, dseq: 0 });
          else await r.release(o.key);
          for (const key of ['k1', 'k2']) {
            const holders = origins.filter((x) => x.claims().has(key));
            expect(holders.length).toBeLessThanOrEqual(1);
            const route = origins[0]!.lookup(key);
            expect(route?.owner).toBe(holders[0]?.originId);
            if (route !== undefined) expect(route.epoch).toBe(holders[0]!.claims().get(key)!.epoch);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
