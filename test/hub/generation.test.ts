import { describe, expect, it } from 'vitest';
import { Hub, type HubItem, type Publisher } from '../../src/hub/index.js';
import { isTidecastError } from '../../src/errors/index.js';
import { AUDIO, AV, VIDEO, audio, video } from './helpers.js';

function publish(hub: Hub, id: string, nowMs: number): Publisher {
  const r = hub.publish({ app: 'live', streamKey: 'k', publisherId: id, nowMs });
  if (!r.ok) throw new Error(`refused ${id}`);
  return r.publisher;
}

function shape(items: HubItem[]): string[] {
  return items.map((i) => (i.type === 'sample' ? `s${i.sample.trackId}:${i.sample.dts}` : `${i.type}@${i.generation}`));
}

describe('generations', () => {
  it('a republish continues the same LiveStream with generation + 1; readers stay subscribed', () => {
    const hub = new Hub();
    const a = publish(hub, 'a', 0);
    const stream = a.stream;
    const reader = stream.subscribe();
    a.setTracks(AV);
    a.pushSample(video(0, true), 0);
    a.end(100);
    expect(stream.state).toBe('idle');
    expect(stream.endedAtMs).toBe(100);

    const b = publish(hub, 'b', 5000);
    expect(b.stream).toBe(stream);
    expect(hub.stream('live', 'k')).toBe(stream);
    expect([stream.state, stream.generation, stream.startedAtMs]).toEqual(['live', 1, 5000]);
    b.setTracks(AV); // identical tracks, but a new publish: the timeline restarts, so readers hear of it
    b.pushSample(video(0, true), 5000);
    expect(shape(reader.drain())).toEqual(['tracks@0', 's1:0', 'end@0', 'tracks@1', 's1:0']);
  });

  it('a takeover is a new generation too', () => {
    const hub = new Hub({ takeoverPolicy: 'takeover' });
    const a = publish(hub, 'a', 0);
    a.setTracks(AV);
    const b = publish(hub, 'b', 1);
    b.setTracks(AV);
    expect(b.stream.generation).toBe(1);
  });

  it('changed tracks within a publish are a new generation with a tracks event; an identical repeat is not', () => {
    const hub = new Hub();
    const a = publish(hub, 'a', 0);
    const events: number[] = [];
    a.stream.on('tracks', (e) => events.push(e.generation));
    const reader = a.stream.subscribe();
    a.setTracks(AV);
    a.setTracks([{ ...VIDEO, decoderConfig: new Uint8Array(VIDEO.decoderConfig) }, { ...AUDIO }]);
    a.setTracks([{ ...VIDEO, width: 1920, height: 1080 }, AUDIO]);
    expect(events).toEqual([0, 1]);
    expect(a.stream.generation).toBe(1);
    // Two tracks items with no sample between: only the newest is kept.
    expect(shape(reader.drain())).toEqual(['tracks@1']);
    expect(a.stream.tracks[0]).toMatchObject({ width: 1920 });
  });

  it('refuses samples of undeclared tracks and bad track lists with ERR_MEDIA_INVALID', () => {
    const hub = new Hub();
    const a = publish(hub, 'a', 0);
    const code = (f: () => unknown): unknown => {
      try {
        f();
      } catch (error) {
        return isTidecastError(error) ? error.code : error;
      }
      return 'no error';
    };
    expect(code(() => a.pushSample(video(0, true), 0))).toBe('ERR_MEDIA_INVALID');
    expect(code(() => a.setTracks([]))).toBe('ERR_MEDIA_INVALID');
    expect(code(() => a.setTracks([VIDEO, { ...AUDIO, id: 1 }]))).toBe('ERR_MEDIA_INVALID');
    a.setTracks([VIDEO]);
    expect(code(() => a.pushSample(audio(0), 0))).toBe('ERR_MEDIA_INVALID');
  });

  it('removeIdle forgets idle streams without readers once they have been idle long enough', () => {
    const hub = new Hub();
    const a = publish(hub, 'a', 0);
    a.end(1000);
    const other = hub.publish({ app: 'live', streamKey: 'other', publisherId: 'o', nowMs: 0 });
    expect(other.ok).toBe(true);
    expect(hub.removeIdle(1500, 1000)).toBe(0);
    const reader = a.stream.subscribe();
    expect(hub.removeIdle(2000, 1000)).toBe(0);
    reader.close();
    expect(hub.removeIdle(2000, 1000)).toBe(1);
    expect(hub.streams().map((s) => s.streamKey)).toEqual(['other']);
  });
});
