import { describe, expect, it } from 'vitest';
import { DEFAULT_QUIET_MS, Hub, shouldTakeOver, type HubEvents } from '../../src/hub/index.js';
import { isTidecastError } from '../../src/errors/index.js';
import { AV, video } from './helpers.js';

function record(hub: Hub): string[] {
  const log: string[] = [];
  const on = <K extends keyof HubEvents>(name: K, f: (...a: HubEvents[K]) => string) => hub.on(name, ((...a: HubEvents[K]) => log.push(f(...a))) as never);
  on('streamStart', (e) => `start ${e.publisherId}`);
  on('streamEnd', (e) => `end ${e.publisherId}`);
  on('publisherReplaced', (e) => `replaced ${e.previous.id} by ${e.next.id}`);
  return log;
}

describe('shouldTakeOver', () => {
  it.each([
    ['takeover-when-quiet', 1000, false],
    ['takeover-when-quiet', 1999, false],
    ['takeover-when-quiet', 2000, true],
    ['takeover', 0, true],
    ['reject', 60_000, false],
  ] as const)('%s after %d ms of silence: %s', (policy, silentMs, expected) => {
    expect(shouldTakeOver(policy, DEFAULT_QUIET_MS, 5000, 5000 + silentMs)).toBe(expected);
  });
});

describe('Hub.publish', () => {
  it('takeover-when-quiet refuses while the old publisher is sending, takes over once it is quiet', () => {
    const hub = new Hub();
    const log = record(hub);
    const a = hub.publish({ app: 'live', streamKey: 'k', publisherId: 'a', nowMs: 0 });
    if (!a.ok) throw new Error('first publish refused');
    a.publisher.setTracks(AV);
    a.publisher.pushSample(video(0, true), 1000);

    expect(hub.publish({ app: 'live', streamKey: 'k', publisherId: 'b', nowMs: 2999 })).toEqual({
      ok: false,
      reason: 'already-publishing',
      currentPublisherId: 'a',
      quietForMs: 1999,
    });
    const b = hub.publish({ app: 'live', streamKey: 'k', publisherId: 'b', nowMs: 3000 });
    expect(b.ok && b.replaced).toBe(a.publisher);
    expect(a.publisher.replaced).toBe(true);
    expect(a.publisher.active).toBe(false);
    expect(log).toEqual(['start a', 'replaced a by b']);

    // The old connection's late frames and its end are ignored: the stream is b's now.
    expect(a.publisher.pushSample(video(1, false), 3001)).toBe(false);
    a.publisher.end(3002);
    expect(hub.stream('live', 'k')!.state).toBe('live');
    expect(log).toEqual(['start a', 'replaced a by b']);
  });

  it('measures quiet from the publish itself when no sample came yet', () => {
    const hub = new Hub({ quietMs: 500 });
    hub.publish({ app: 'a', streamKey: 'k', publisherId: 'a', nowMs: 100 });
    expect(hub.publish({ app: 'a', streamKey: 'k', publisherId: 'b', nowMs: 599 }).ok).toBe(false);
    expect(hub.publish({ app: 'a', streamKey: 'k', publisherId: 'b', nowMs: 600 }).ok).toBe(true);
  });

  it("'takeover' always gives the stream to the newer connection", () => {
    const hub = new Hub({ takeoverPolicy: 'takeover' });
    const a = hub.publish({ app: 'a', streamKey: 'k', publisherId: 'a', nowMs: 0 });
    if (!a.ok) throw new Error('refused');
    a.publisher.setTracks(AV);
    a.publisher.pushSample(video(0, true), 10);
    const b = hub.publish({ app: 'a', streamKey: 'k', publisherId: 'b', nowMs: 10 });
    expect(b.ok).toBe(true);
    expect(a.publisher.replaced).toBe(true);
  });

  it("'reject' keeps the older until it ends; then the key is free", () => {
    const hub = new Hub({ takeoverPolicy: 'reject' });
    const log = record(hub);
    const a = hub.publish({ app: 'a', streamKey: 'k', publisherId: 'a', nowMs: 0 });
    if (!a.ok) throw new Error('refused');
    expect(hub.publish({ app: 'a', streamKey: 'k', publisherId: 'b', nowMs: 3_600_000 }).ok).toBe(false);
    a.publisher.end(3_600_001);
    const b = hub.publish({ app: 'a', streamKey: 'k', publisherId: 'b', nowMs: 3_600_002 });
    expect(b.ok && b.replaced).toBeUndefined();
    expect(log).toEqual(['start a', 'end a', 'start b']);
  });

  it('keys streams by app and key without collisions', () => {
    const hub = new Hub();
    hub.publish({ app: 'a/b', streamKey: 'c', publisherId: '1', nowMs: 0 });
    expect(hub.publish({ app: 'a', streamKey: 'b/c', publisherId: '2', nowMs: 0 }).ok).toBe(true);
    expect(hub.streams().map((s) => `${s.app}|${s.streamKey}`)).toEqual(['a/b|c', 'a|b/c']);
    expect(hub.stream('a', 'c')).toBeUndefined();
  });

  it('validates options at construction, naming the option', () => {
    for (const options of [{ quietMs: -1 }, { takeoverPolicy: 'newest' as never }, { bitrateWindowMs: 10 }, { defaultMaxQueuedBytes: 0 }, { maxGopCacheBytes: 1.5 }]) {
      let caught: unknown;
      try {
        new Hub(options);
      } catch (error) {
        caught = error;
      }
      expect(isTidecastError(caught) && caught.code).toBe('ERR_CONFIG_INVALID');
      expect(String((caught as Error).message)).toContain(Object.keys(options)[0]!);
    }
  });
});
