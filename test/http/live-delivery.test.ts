import { describe, expect, it } from 'vitest';
import {
  appendLivePart,
  appendLiveSegment,
  createLiveTimeline,
  endLiveTimeline,
  liveLowLatencyPlaylist,
  partUri,
  renderMediaPlaylist,
  deltaUpdateDue,
  type LivePart,
  type LiveSnapshot,
  type LiveTimeline,
} from '../../src/hls/index.js';
import { LiveDelivery, ParkedRequests, parseDirectives, type LiveResponse, type ParkingClock } from '../../src/http/index.js';

/**
 * Blocking playlist reload (RFC 8216bis 6.2.5.2) and preload-hinted parts (6.2.6) on a timeline
 * driven by hand, with a clock driven by hand: which request is released by which part, which is
 * refused with 400 at once, and which gets 503 after three target durations — no real time passes.
 */

/** A clock whose time moves only when the test says, with the timers it set. */
class FakeClock implements ParkingClock {
  time = 0;
  readonly timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;
  now(): number {
    return this.time;
  }
  setTimer(callback: () => void, delayMs: number): unknown {
    const id = this.#next++;
    this.timers.set(id, { at: this.time + delayMs, callback });
    return id;
  }
  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }
}

const POLICY = { windowSegments: 6, keepAfterWindowSegments: 1, playlistType: 'sliding' as const };
const TAGS = { programDateTimeMs: 1_700_000_000_000, discontinuity: false, generation: 0 };

function part(msn: number, index: number, durationSeconds = 0.2): LivePart {
  return { msn, index, uri: partUri(msn, index), durationSeconds, independent: index === 0, byteLength: 100 };
}

/**
 * One rendition 'video' whose timeline the test advances; each change is published to the
 * delivery as a snapshot, rendered once, as the packager does.
 */
class Stream {
  #timeline: LiveTimeline = createLiveTimeline(2, 0, 0.2);
  renders = 0;
  #version = 0;
  constructor(readonly delivery: LiveDelivery) {}
  get timelineValue(): LiveTimeline {
    return this.#timeline;
  }
  set timelineValue(timeline: LiveTimeline) {
    this.#timeline = timeline;
    this.publish();
  }
  publish(): void {
    const render = (skip: boolean): string => {
      this.renders += 1;
      return renderMediaPlaylist(liveLowLatencyPlaylist(this.#timeline, { playlistType: 'sliding', skip }));
    };
    const track = { id: 1, kind: 'video', codec: 'avc', timescale: 90_000 } as unknown as LiveSnapshot['track'];
    const snapshot: LiveSnapshot = { rendition: 'video', track, timeline: this.#timeline, playlist: render(false), delta: deltaUpdateDue(this.#timeline) ? render(true) : undefined, version: ++this.#version };
    this.delivery.publish('live/s', snapshot);
  }
  addPart(msn: number, index: number): void {
    this.timelineValue = appendLivePart(this.#timeline, part(msn, index), TAGS);
  }
  /** Closes segment `msn` (its parts are the open ones). */
  closeSegment(msn: number): void {
    const parts = this.#timeline.open!.parts;
    const duration = parts.reduce((s, p) => s + p.durationSeconds, 0);
    this.timelineValue = appendLiveSegment(this.#timeline, { msn, uri: `${msn}.m4s`, durationSeconds: duration, byteLength: 1000, programDateTimeMs: TAGS.programDateTimeMs + msn * 2000, discontinuity: false, generation: 0, parts }, POLICY).timeline;
  }
  /** A whole segment of 10 parts. */
  segment(msn: number): void {
    for (let i = 0; i < 10; i++) this.addPart(msn, i);
    this.closeSegment(msn);
  }
}

function setup(): { clock: FakeClock; delivery: LiveDelivery; stream: Stream; answers: Array<{ id: string; response: LiveResponse; at: number }>; ask: (id: string, query: Record<string, string>) => () => void; askPart: (id: string, file: string) => (() => void) | undefined } {
  const clock = new FakeClock();
  const delivery = new LiveDelivery({ clock });
  const stream = new Stream(delivery);
  const answers: Array<{ id: string; response: LiveResponse; at: number }> = [];
  return {
    clock,
    delivery,
    stream,
    answers,
    ask: (id, query) => delivery.playlist('live/s', 'video', parseDirectives(query), (response) => answers.push({ id, response, at: clock.now() })),
    askPart: (id, file) => delivery.part('live/s', 'video', file, (response) => answers.push({ id, response, at: clock.now() })),
  };
}

const text = (r: LiveResponse): string => r.body ?? '';

describe('parseDirectives (6.2.5)', () => {
  it.each([
    [{}, { skip: false }],
    [{ _HLS_msn: '5' }, { blocking: { msn: 5 }, skip: false }],
    [{ _HLS_msn: '5', _HLS_part: '0' }, { blocking: { msn: 5, part: 0 }, skip: false }],
    [{ _HLS_msn: '5', _HLS_part: '3', _HLS_skip: 'YES' }, { blocking: { msn: 5, part: 3 }, skip: true }],
    [{ _HLS_skip: 'v2' }, { skip: true }],
    [{ _HLS_msn: '5', cachebust: 'x' }, { blocking: { msn: 5 }, skip: false }],
  ])('%j → %j', (query, expected) => {
    expect(parseDirectives(query)).toEqual(expected);
  });

  it.each([
    [{ _HLS_part: '1' }, '_HLS_part needs _HLS_msn'],
    [{ _HLS_msn: '-1' }, '_HLS_msn and _HLS_part must be decimal integers'],
    [{ _HLS_msn: '05' }, '_HLS_msn and _HLS_part must be decimal integers'],
    [{ _HLS_msn: '1.5' }, '_HLS_msn and _HLS_part must be decimal integers'],
    [{ _HLS_msn: '1', _HLS_part: 'x' }, '_HLS_msn and _HLS_part must be decimal integers'],
    [{ _HLS_skip: 'yes' }, '_HLS_skip must be YES or v2'],
    [{ _HLS_msn: '99999999999999999' }, '_HLS_msn and _HLS_part must be decimal integers'],
    [{ _HLS_msn: '9999999999999999' }, '_HLS_msn is out of range'],
  ])('%j is a Bad Request: %s', (query, error) => {
    // Nothing of a malformed request is acted on: no blocking, no skip, only the reason for the 400.
    expect(parseDirectives(query)).toEqual({ skip: false, error });
  });
});

describe('LiveDelivery: blocking playlist reload on an injected clock', () => {
  it('parks a request for the next part and releases it on exactly that part, with the part listed', () => {
    const { delivery, stream, answers, ask } = setup();
    stream.segment(0);
    stream.addPart(1, 0);
    ask('next', { _HLS_msn: '1', _HLS_part: '1' });
    ask('after', { _HLS_msn: '1', _HLS_part: '2' });
    expect(answers).toEqual([]);
    expect(delivery.parked).toBe(2);
    stream.addPart(1, 1);
    expect(answers.map((a) => a.id)).toEqual(['next']);
    expect(answers[0]!.response).toMatchObject({ status: 200, kind: 'playlist', cacheControl: 'public, max-age=1' });
    expect(text(answers[0]!.response)).toContain('#EXT-X-PART:DURATION=0.2,URI="1.1.m4s"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="1.2.m4s"\n');
    stream.addPart(1, 2);
    expect(answers.map((a) => a.id)).toEqual(['next', 'after']);
    expect(delivery.parked).toBe(0);
  });

  it('a request for the next segment (no _HLS_part) waits for the whole segment; a part index past the segment end is released by the next segment', () => {
    const { delivery, stream, answers, ask } = setup();
    stream.segment(0);
    for (let i = 0; i < 9; i++) stream.addPart(1, i);
    ask('segment 1', { _HLS_msn: '1' });
    ask('part 1.10', { _HLS_msn: '1', _HLS_part: '10' });
    stream.addPart(1, 9);
    expect(answers).toEqual([]);
    stream.closeSegment(1);
    expect(answers.map((a) => a.id)).toEqual(['segment 1', 'part 1.10']);
    expect(text(answers[0]!.response)).toContain('\n1.m4s\n');
  });

  it('answers at once what is already there, and renders once for everyone released together', () => {
    const { delivery, stream, answers, ask } = setup();
    stream.segment(0);
    stream.addPart(1, 0);
    ask('old', { _HLS_msn: '0' });
    ask('edge', { _HLS_msn: '1', _HLS_part: '0' });
    expect(answers.map((a) => [a.id, a.response.status])).toEqual([
      ['old', 200],
      ['edge', 200],
    ]);
    for (let i = 0; i < 1000; i++) ask(`w${i}`, { _HLS_msn: '1', _HLS_part: '1' });
    for (let i = 0; i < 10; i++) ask(`s${i}`, { _HLS_msn: '1', _HLS_part: '1', _HLS_skip: 'YES' });
    const before = stream.renders;
    stream.addPart(1, 1);
    expect(answers).toHaveLength(2 + 1010);
    // One rendering for the change, none per request: every answer is the snapshot's own text (a
    // delta update is not due yet, so skip requests get the full playlist).
    expect(stream.renders - before).toBe(1);
    expect(new Set(answers.slice(2).map((a) => a.response.body)).size).toBe(1);
    expect(delivery.counters.released).toBe(1010);
  });

  it('400 at once for a request too far ahead: _HLS_msn beyond the last segment + 2, or a part beyond the Advance Part Limit', () => {
    const { delivery, stream, answers, ask } = setup();
    stream.segment(0);
    stream.addPart(1, 0);
    ask('msn+2 ok', { _HLS_msn: '3' });
    ask('msn+3', { _HLS_msn: '4' });
    // Advance Part Limit at a 0.2 s part target: 3 / 0.2 = 15 parts past the last one (1.0).
    ask('15 parts ahead', { _HLS_msn: '2', _HLS_part: '5' });
    ask('16 parts ahead', { _HLS_msn: '2', _HLS_part: '6' });
    ask('part without msn', { _HLS_part: '1' });
    expect(answers.map((a) => [a.id, a.response.status])).toEqual([
      ['msn+3', 400],
      ['16 parts ahead', 400],
      ['part without msn', 400],
    ]);
    expect(delivery.parked).toBe(2);
  });

  it('503 once a request has waited three target durations; the single timer follows the earliest deadline', () => {
    const { clock, delivery, stream, answers, ask } = setup();
    stream.segment(0);
    stream.addPart(1, 0);
    ask('first', { _HLS_msn: '2' });
    clock.advance(1000);
    ask('second', { _HLS_msn: '2' });
    expect(clock.timers.size).toBe(1);
    clock.advance(4999);
    expect(answers).toEqual([]);
    clock.advance(1);
    expect(answers.map((a) => [a.id, a.response.status, a.at])).toEqual([['first', 503, 6000]]);
    clock.advance(999);
    expect(answers).toHaveLength(1);
    clock.advance(1);
    expect(answers.map((a) => [a.id, a.response.status, a.at])).toEqual([
      ['first', 503, 6000],
      ['second', 503, 7000],
    ]);
    expect(delivery.counters.expired).toBe(2);
    expect(clock.timers.size).toBe(0);
  });

  it('a released request does not get a 503 later; a cancelled one gets nothing', () => {
    const { clock, delivery, stream, answers, ask } = setup();
    stream.segment(0);
    stream.addPart(1, 0);
    ask('released', { _HLS_msn: '1', _HLS_part: '1' });
    const cancel = ask('gone', { _HLS_msn: '1', _HLS_part: '2' });
    cancel();
    stream.addPart(1, 1);
    clock.advance(60_000);
    expect(answers.map((a) => [a.id, a.response.status])).toEqual([['released', 200]]);
    expect(delivery.parked).toBe(0);
  });

  it('an ended playlist answers every parked request: it will not grow', () => {
    const { delivery, stream, answers, ask } = setup();
    stream.segment(0);
    stream.addPart(1, 0);
    ask('waiting', { _HLS_msn: '2' });
    stream.timelineValue = endLiveTimeline(stream.timelineValue);
    expect(answers.map((a) => [a.id, a.response.status])).toEqual([['waiting', 200]]);
    expect(text(answers[0]!.response)).toMatch(/#EXT-X-ENDLIST\n$/);
    ask('after end', { _HLS_msn: '9' });
    expect(answers.at(-1)!.response.status).toBe(200);
  });

  it('without LL-HLS the directives are ignored: the playlist at once, not cached as a blocking answer', () => {
    const { stream, answers, ask } = setup();
    stream.timelineValue = appendLiveSegment(createLiveTimeline(2), { msn: 0, uri: '0.m4s', durationSeconds: 2, byteLength: 1, programDateTimeMs: 0, discontinuity: false, generation: 0 }, POLICY).timeline;
    ask('plain', { _HLS_msn: '5', _HLS_part: '1', _HLS_skip: 'YES' });
    expect(answers[0]!.response).toMatchObject({ status: 200, cacheControl: 'public, max-age=0' });
    expect(text(answers[0]!.response)).not.toContain('EXT-X-SKIP');
  });

  it('close() answers every parked request with 503', () => {
    const { delivery, stream, answers, ask } = setup();
    stream.segment(0);
    ask('a', { _HLS_msn: '1', _HLS_part: '3' });
    ask('b', { _HLS_msn: '2' });
    delivery.close();
    expect(answers.map((a) => [a.id, a.response.status])).toEqual([
      ['a', 503],
      ['b', 503],
    ]);
  });
});

describe('LiveDelivery: preload-hinted parts', () => {
  it('holds the hinted part until it is listed, 404s one the segment closed without', () => {
    const { delivery, stream, answers, askPart } = setup();
    stream.segment(0);
    for (let i = 0; i < 9; i++) stream.addPart(1, i);
    askPart('hinted', '1.9.m4s');
    askPart('never', '1.10.m4s');
    askPart('next segment', '2.0.m4s');
    expect(answers).toEqual([]);
    stream.addPart(1, 9);
    expect(answers.map((a) => [a.id, a.response.status, a.response.kind])).toEqual([['hinted', 200, 'part']]);
    stream.closeSegment(1);
    // The segment closed without it: a 404 that stays true, kept a second.
    expect(answers.map((a) => [a.id, a.response.status, a.response.cacheControl])).toEqual([
      ['hinted', 200, 'public, max-age=31536000, immutable'],
      ['never', 404, 'public, max-age=1'],
    ]);
    stream.addPart(2, 0);
    expect(answers.at(-1)).toMatchObject({ id: 'next segment', response: { status: 200, kind: 'part', cacheControl: 'public, max-age=31536000, immutable' } });
  });

  it('404 at once for a part far ahead, a part of a passed segment and a name that is not a part; undefined for non-part names', () => {
    const { stream, answers, askPart } = setup();
    stream.segment(0);
    stream.segment(1);
    stream.addPart(2, 0);
    askPart('far', '2.9.m4s');
    askPart('far msn', '5.0.m4s');
    askPart('passed', '0.12.m4s');
    // Ahead of the live edge a part may exist a few part targets later: never kept. Behind it, kept a second.
    expect(answers.map((a) => [a.id, a.response.status, a.response.cacheControl])).toEqual([
      ['far', 404, 'no-store'],
      ['far msn', 404, 'no-store'],
      ['passed', 404, 'public, max-age=1'],
    ]);
    expect(askPart('segment', '2.m4s')).toBeUndefined();
  });
});

describe('ParkedRequests', () => {
  it('expires in deadline order even when parked out of order, cancels cleanly, counts what it holds', () => {
    const clock = new FakeClock();
    const expired: string[] = [];
    const parked = new ParkedRequests<string>(clock, (item) => expired.push(item));
    parked.park('g', 'late', 5000);
    parked.park('g', 'early', 1000);
    const cancel = parked.park('h', 'cancelled', 2000);
    expect(parked.size).toBe(3);
    cancel();
    cancel();
    expect(parked.size).toBe(2);
    clock.advance(1000);
    expect(expired).toEqual(['early']);
    clock.advance(4000);
    expect(expired).toEqual(['early', 'late']);
    expect(parked.size).toBe(0);
    expect(clock.timers.size).toBe(0);
  });

  it('holds 100 000 entries and releases a group in the order parked', () => {
    const clock = new FakeClock();
    const parked = new ParkedRequests<number>(clock, () => undefined);
    for (let i = 0; i < 100_000; i++) parked.park(i % 2 === 0 ? 'even' : 'odd', i, 6000);
    expect(clock.timers.size).toBe(1);
    const released = parked.release('even', (n) => n < 10);
    expect(released).toEqual([0, 2, 4, 6, 8]);
    expect(parked.size).toBe(100_000 - 5);
    expect(parked.drain()).toHaveLength(100_000 - 5);
    expect(parked.size).toBe(0);
  });
});

describe('LiveDelivery: the parking bound', () => {
  it('answers 503 at once past maxParked, and parks again once there is room', () => {
    const clock = new FakeClock();
    const delivery = new LiveDelivery({ clock, maxParked: 2 });
    const stream = new Stream(delivery);
    stream.segment(0);
    const answers: number[] = [];
    const ask = (): (() => void) => delivery.playlist('live/s', 'video', parseDirectives({ _HLS_msn: '1', _HLS_part: '1' }), (r) => answers.push(r.status));
    ask();
    const cancel = ask();
    ask();
    expect(answers).toEqual([503]);
    expect(delivery.counters.refused).toBe(1);
    cancel();
    ask();
    expect(delivery.parked).toBe(2);
    expect(() => new LiveDelivery({ maxParked: -1 })).toThrow(/maxParked/);
  });
});
