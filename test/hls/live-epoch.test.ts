import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HlsLivePackager,
  initUri,
  parseLiveObjectName,
  parsePartUri,
  parseSegmentUri,
  partFileState,
  partUri,
  segmentUri,
  type LivePackagerOptions,
  type LivePartEvent,
  type LiveSegmentEvent,
  type LiveTimeline,
} from '../../src/hls/index.js';
import { windowChanges } from '../../src/hls/live-changes.js';
import { joinPieces, MemoryStore } from '../../src/store/index.js';
import { fixtureTracks, loopedFixture } from './live-fixture.js';
import { T0, text, videoFrames, videoTrack } from './live-helpers.js';

/*
 * Issue 14, "object URIs carry the epoch so no cache mixes two origins' objects" (live-names.ts):
 * with `epoch`, every object the packager writes and lists is `e<epoch>-<name>`; playlists keep
 * their names; without it every name is the one of before.
 */

describe('live object names', () => {
  it.each([
    ['init', initUri(3), initUri(3, 7), 'init-3.mp4', 'e7-init-3.mp4'],
    ['segment', segmentUri(12), segmentUri(12, 0), '12.m4s', 'e0-12.m4s'],
    ['part', partUri(12, 3), partUri(12, 3, 7), '12.3.m4s', 'e7-12.3.m4s'],
  ])('%s: plain and with an epoch', (_, plain, prefixed, expectedPlain, expectedPrefixed) => {
    expect(plain).toBe(expectedPlain);
    expect(prefixed).toBe(expectedPrefixed);
    expect(parseLiveObjectName(prefixed)).toStrictEqual({ ...parseLiveObjectName(plain), epoch: Number(/^e(\d+)-/.exec(prefixed)![1]) });
  });

  it.each([
    ['init-2.mp4', { kind: 'init', generation: 2 }],
    ['e7-init-2.mp4', { kind: 'init', generation: 2, epoch: 7 }],
    ['13.m4s', { kind: 'segment', msn: 13 }],
    ['e9007199254740991-13.m4s', { kind: 'segment', msn: 13, epoch: Number.MAX_SAFE_INTEGER }],
    ['13.2.m4s', { kind: 'part', msn: 13, index: 2 }],
    ['e0-13.2.m4s', { kind: 'part', msn: 13, index: 2, epoch: 0 }],
  ])('parses %j', (name, parsed) => {
    expect(parseLiveObjectName(name)).toStrictEqual(parsed);
  });

  it.each(['e-1.m4s', 'e01-1.m4s', 'E1-1.m4s', 'e1_1.m4s', 'e1--1.m4s', 'e1-01.m4s', 'e1-e1-1.m4s', 'x1-1.m4s', 'e1-init-1.m4s', 'init-e1-1.mp4', 'e9007199254740992-1.m4s', 'e1-1.0.0.m4s', 'e1-1.m4s/x', 'index.m3u8', 'e1-index.m3u8', ''])('refuses %j', (name) => {
    expect(parseLiveObjectName(name)).toBeUndefined();
  });

  it('parses what it writes, for any epoch, segment and part', () => {
    fc.assert(
      fc.property(fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }), fc.integer({ min: 0, max: 999_999_999_999_999 }), fc.integer({ min: 0, max: 999_999 }), (epoch, msn, index) => {
        const e = epoch === undefined ? {} : { epoch };
        expect(parsePartUri(partUri(msn, index, epoch))).toStrictEqual({ msn, index, ...e });
        expect(parseSegmentUri(segmentUri(msn, epoch))).toStrictEqual({ msn, ...e });
        expect(parseLiveObjectName(initUri(index, epoch))).toStrictEqual({ kind: 'init', generation: index, ...e });
        expect(parseSegmentUri(partUri(msn, index, epoch))).toBeUndefined();
      }),
    );
  });
});

/** The fixture (video and audio, 10 s) through an LL-HLS packager with `options`. */
function packaged(options: LivePackagerOptions = {}): { store: MemoryStore; p: HlsLivePackager; segments: LiveSegmentEvent[]; parts: LivePartEvent[] } {
  const store = new MemoryStore();
  const segments: LiveSegmentEvent[] = [];
  const parts: LivePartEvent[] = [];
  const p = new HlsLivePackager(store, { ...options, onSegment: (e) => segments.push(e), onPart: (e) => parts.push(e) });
  p.setTracks(fixtureTracks(), T0);
  for (const { sample, seconds } of loopedFixture(1)) p.pushSample(sample, T0 + Math.round(seconds * 1000));
  return { store, p, segments, parts };
}

/** A playlist's URIs: URI lines and URI attributes. */
function uris(playlist: string): string[] {
  return playlist.split('\n').flatMap((line) => (line.startsWith('#') ? [...line.matchAll(/URI="([^"]*)"/g)].map((m) => m[1]!) : line === '' ? [] : [line]));
}

describe('HlsLivePackager with an epoch', () => {
  const plain = packaged();
  const epoch7 = packaged({ epoch: 7 });

  it('without one, no name has a prefix', () => {
    expect(plain.store.list().filter((path) => /(^|\/)e\d+-/.test(path))).toEqual([]);
    expect(text(plain.store, 'video/index.m3u8')).toContain('#EXT-X-MAP:URI="init-0.mp4"');
  });

  it('writes the same files under e<epoch>- names, byte for byte; playlists keep their names', () => {
    const renamed = plain.store
      .list()
      .map((path) => (path.endsWith('.m3u8') ? path : path.replace(/[^/]+$/, (name) => `e7-${name}`)))
      .sort();
    expect(epoch7.store.list().sort()).toEqual(renamed);
    expect(epoch7.store.list()).toContain('video/e7-init-0.mp4');
    expect(epoch7.store.list()).toContain('audio/e7-2.m4s');
    expect(epoch7.store.list()).toContain('video/e7-3.0.m4s');
    for (const path of plain.store.list().filter((p) => !p.endsWith('.m3u8'))) {
      const other = path.replace(/[^/]+$/, (name) => `e7-${name}`);
      expect(Buffer.compare(joinPieces(epoch7.store.get(other)!), joinPieces(plain.store.get(path)!)), path).toBe(0);
    }
  });

  it('lists every media object with the prefix: EXT-X-MAP, segments, EXT-X-PART, EXT-X-PRELOAD-HINT; not the rendition report', () => {
    const playlist = text(epoch7.store, 'video/index.m3u8');
    expect(playlist).toContain('#EXT-X-MAP:URI="e7-init-0.mp4"');
    expect(playlist).toMatch(/#EXT-X-PART:DURATION=[\d.]+,URI="e7-\d+\.\d+\.m4s"/);
    expect(playlist).toMatch(/#EXT-X-PRELOAD-HINT:TYPE=PART,URI="e7-\d+\.\d+\.m4s"/);
    expect(playlist).toContain('#EXT-X-RENDITION-REPORT:URI="../audio/index.m3u8"');
    const media = uris(playlist).filter((u) => !u.endsWith('.m3u8'));
    expect(media.length).toBeGreaterThan(10);
    for (const uri of media) expect(parseLiveObjectName(uri), uri).toMatchObject({ epoch: 7 });
    // Every other byte of every playlist is what a packager without an epoch writes.
    for (const path of plain.store.list().filter((p) => p.endsWith('.m3u8'))) expect(text(epoch7.store, path).replaceAll('e7-', ''), path).toBe(text(plain.store, path));
    expect(text(epoch7.store, 'index.m3u8')).toBe(text(plain.store, 'index.m3u8'));
    // Each listed object is in the store under its listed name.
    const hinted = /PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(playlist)![1];
    for (const uri of media.filter((u) => u !== hinted)) expect(epoch7.store.get(`video/${uri}`), uri).toBeDefined();
  });

  it('tells its epoch with each segment and part event', () => {
    expect(plain.segments.every((e) => !('epoch' in e))).toBe(true);
    expect(epoch7.segments.length).toBeGreaterThan(0);
    expect(epoch7.segments.every((e) => e.epoch === 7)).toBe(true);
    expect(epoch7.parts.every((e) => e.epoch === 7)).toBe(true);
  });

  it('a part name with another epoch (or none) never appears; its own epoch’s are listed or pending', () => {
    const timeline = epoch7.p.timeline('video')!;
    const listed = timeline.segments.at(-1)!;
    const hint = parsePartUri(/PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(text(epoch7.store, 'video/index.m3u8'))![1]!)!;
    expect(hint.epoch).toBe(7);
    expect(partFileState(timeline, { msn: listed.msn, index: 0, epoch: 7 })).toBe('listed');
    expect(partFileState(timeline, hint)).toBe('pending');
    for (const other of [6, 8, undefined]) {
      const e = other === undefined ? {} : { epoch: other };
      expect(partFileState(timeline, { msn: listed.msn, index: 0, ...e })).toBe('never');
      expect(partFileState(timeline, { msn: hint.msn, index: hint.index, ...e })).toBe('never');
    }
    // A timeline without an epoch refuses any prefixed name the same way.
    const plainTimeline = plain.p.timeline('video')!;
    expect(partFileState(plainTimeline, { msn: listed.msn, index: 0 })).toBe('listed');
    expect(partFileState(plainTimeline, { msn: listed.msn, index: 0, epoch: 7 })).toBe('never');
  });

  it('a packager continuing another’s playlists under the next epoch shares no object name with it', () => {
    const first = packaged({ epoch: 1, lowLatency: false });
    const second = new MemoryStore();
    const p = new HlsLivePackager(second, { epoch: 2, lowLatency: false, continueFrom: first.p.continuation });
    p.setTracks([videoTrack()], T0 + 20_000);
    for (const sample of videoFrames(0, 4 * 60 + 1)) p.pushSample(sample, T0 + 20_000 + Math.round(sample.dts / 90));
    const objects = (store: MemoryStore): string[] => store.list().filter((path) => !path.endsWith('.m3u8'));
    expect(objects(second).filter((path) => objects(first.store).includes(path))).toEqual([]);
    expect(text(second, 'video/index.m3u8')).toContain('#EXT-X-MAP:URI="e2-init-0.mp4"');
    expect(uris(text(second, 'video/index.m3u8')).filter((u) => u.endsWith('.m4s'))[0]).toBe(`e2-${first.p.continuation.mediaSequence}.m4s`);
  });

  it.each([-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, '3'])('refuses epoch %j, naming the option', (epoch) => {
    expect(() => new HlsLivePackager(new MemoryStore(), { epoch: epoch as number })).toThrow(/option epoch must be/);
  });
});

describe('windowChanges with an epoch', () => {
  it('deletes an init segment no segment uses any more under the name its segments listed', () => {
    const segment = (msn: number, generation: number): LiveTimeline['segments'][number] => ({ msn, uri: segmentUri(msn, 4), durationSeconds: 2, byteLength: 1, programDateTimeMs: T0, discontinuity: false, generation, epoch: 4 });
    const changes = windowChanges('video', { expired: [segment(0, 0)], retiredNow: [], releasedGenerations: [0] });
    expect(changes).toEqual([
      { type: 'delete', path: 'video/e4-0.m4s' },
      { type: 'delete', path: 'video/e4-init-0.mp4' },
    ]);
  });
});
