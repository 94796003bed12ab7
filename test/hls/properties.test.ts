import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HlsError } from '../../src/errors/index.js';
import {
  renderMediaPlaylist,
  renderMultivariantPlaylist,
  type MediaPlaylist,
  type MediaSegment,
  type PartialSegment,
} from '../../src/hls/index.js';
import { parseMediaPlaylist, type ParsedMedia } from './media-parser.js';
import { parseMultivariantPlaylist } from './m3u8-parser.js';

/**
 * Rendered playlists read back with the test-only parser: the structure is valid M3U8 and the
 * values are the model's, and the spec's invariants hold for every generated model.
 */

const T0_MS = Date.UTC(2024, 4, 1, 12);

interface Timeline {
  readonly targetSeconds: number;
  readonly partTargetSeconds: number | undefined;
  readonly segments: MediaSegment[];
}

/** Durations in 10 µs units up to target + 0.49999 s: the longest that still rounds to the target. */
function durationArb(targetSeconds: number): fc.Arbitrary<number> {
  return fc.integer({ min: 1, max: targetSeconds * 100_000 + 49_999 }).map((u) => u / 100_000);
}

/** Parts of 85-100 % of the part target, the last one anything up to it (4.4.4.9). */
function partsArb(partTargetSeconds: number, uriPrefix: string): fc.Arbitrary<PartialSegment[]> {
  const full = fc.integer({ min: Math.ceil(partTargetSeconds * 85_000), max: partTargetSeconds * 100_000 }).map((u) => u / 100_000);
  const last = fc.integer({ min: 1, max: partTargetSeconds * 100_000 }).map((u) => u / 100_000);
  return fc.tuple(fc.array(full, { maxLength: 4 }), last).map(([body, end]) =>
    [...body, end].map((durationSeconds, i) => ({ uri: `${uriPrefix}.p${i}.m4s`, durationSeconds, ...(i === 0 ? { independent: true } : {}) })),
  );
}

const timelineArb: fc.Arbitrary<Timeline> = fc
  .record({ targetSeconds: fc.integer({ min: 1, max: 6 }), lowLatency: fc.boolean(), count: fc.integer({ min: 0, max: 24 }) })
  .chain(({ targetSeconds, lowLatency, count }) => {
    const partTargetSeconds = lowLatency ? 0.5 : undefined;
    const segmentArb = (i: number) =>
      fc.record({
        durationSeconds: durationArb(targetSeconds),
        discontinuity: fc.boolean(),
        gap: fc.constantFrom(false, false, false, true),
        dated: fc.boolean(),
        parts: partTargetSeconds === undefined ? fc.constant(undefined) : fc.option(partsArb(partTargetSeconds, `seg${i}`), { nil: undefined }),
      });
    return fc.tuple(...Array.from({ length: count }, (_, i) => segmentArb(i))).map((raw) => {
      let init = 0;
      let clockMs = T0_MS;
      const segments = raw.map((r, i): MediaSegment => {
        if (r.discontinuity) init++;
        const segment: MediaSegment = {
          uri: `seg${i}.m4s`,
          durationSeconds: r.durationSeconds,
          ...(r.discontinuity ? { discontinuity: true } : {}),
          ...(init > 0 ? { map: { uri: `init-${init}.mp4` } } : {}),
          ...(r.dated || r.discontinuity ? { programDateTimeMs: clockMs } : {}),
          ...(r.gap ? { gap: true } : {}),
          ...(r.parts === undefined ? {} : { parts: r.parts }),
        };
        clockMs += Math.round(r.durationSeconds * 1000);
        return segment;
      });
      return { targetSeconds, partTargetSeconds, segments };
    });
  });

function model(timeline: Timeline, first: number, count: number, explicitTarget: boolean): MediaPlaylist {
  const ll = timeline.partTargetSeconds;
  return {
    independentSegments: true,
    ...(explicitTarget ? { targetDurationSeconds: timeline.targetSeconds } : {}),
    mediaSequence: 1000 + first,
    discontinuitySequence: timeline.segments.slice(0, first).filter((s) => s.discontinuity === true).length,
    map: { uri: 'init-0.mp4' },
    segments: timeline.segments.slice(first, first + count),
    ...(ll === undefined ? {} : { partTargetSeconds: ll, serverControl: { canBlockReload: true, partHoldBackSeconds: 3 * ll } }),
  };
}

function checkAgainstModel(m: MediaPlaylist, parsed: ParsedMedia): void {
  const target = Number(parsed.header.get('EXT-X-TARGETDURATION'));
  expect(Number(parsed.header.get('EXT-X-VERSION'))).toBeGreaterThanOrEqual(6);
  expect(Number(parsed.header.get('EXT-X-MEDIA-SEQUENCE'))).toBe(m.mediaSequence);
  expect(parsed.segments.map((s) => s.uri)).toEqual(m.segments.map((s) => s.uri));
  parsed.segments.forEach((p, i) => {
    const s = m.segments[i]!;
    // 4.4.3.1: every EXTINF, rounded to the nearest integer, is at most the target.
    expect(Math.round(p.duration)).toBeLessThanOrEqual(target);
    expect(Math.abs(p.duration - s.durationSeconds)).toBeLessThanOrEqual(0.000005);
    expect(p.mapUri).toBe((s.map ?? m.map)?.uri);
    expect(p.discontinuity).toBe(s.discontinuity === true);
    expect(p.gap).toBe(s.gap === true);
    expect(p.programDateTime === undefined ? undefined : Date.parse(p.programDateTime)).toBe(s.programDateTimeMs);
    expect(p.parts.map((a) => a.get('URI'))).toEqual((s.parts ?? []).map((x) => x.uri));
    for (const part of p.parts) expect(Number(part.get('DURATION'))).toBeLessThanOrEqual(m.partTargetSeconds!);
  });
  if (m.targetDurationSeconds !== undefined) expect(target).toBe(m.targetDurationSeconds);
  else expect(target).toBe(Math.max(1, ...parsed.segments.map((s) => Math.round(s.duration))));
}

describe('rendered media playlists parse back to their model', () => {
  it('every window of every timeline', () => {
    fc.assert(
      fc.property(timelineArb, fc.nat(), fc.nat(), fc.boolean(), (timeline, a, b, explicitTarget) => {
        const first = timeline.segments.length === 0 ? 0 : a % timeline.segments.length;
        const m = model(timeline, first, b % 8, explicitTarget);
        checkAgainstModel(m, parseMediaPlaylist(renderMediaPlaylist(m)));
      }),
      { numRuns: 300 },
    );
  });

  it('a sliding window: media sequence never decreases, and each segment keeps its number, discontinuity number and init section', () => {
    fc.assert(
      fc.property(timelineArb, fc.integer({ min: 1, max: 6 }), (timeline, windowSize) => {
        const seen = new Map<string, string>();
        let lastSequence = -1;
        for (let end = 1; end <= timeline.segments.length; end++) {
          const first = Math.max(0, end - windowSize);
          const parsed = parseMediaPlaylist(renderMediaPlaylist(model(timeline, first, end - first, true)));
          const sequence = Number(parsed.header.get('EXT-X-MEDIA-SEQUENCE'));
          expect(sequence).toBeGreaterThanOrEqual(lastSequence);
          lastSequence = sequence;
          let discontinuity = Number(parsed.header.get('EXT-X-DISCONTINUITY-SEQUENCE') ?? 0);
          parsed.segments.forEach((s, i) => {
            if (s.discontinuity) discontinuity++;
            const identity = `msn=${sequence + i} dsn=${discontinuity} map=${s.mapUri}`;
            expect(seen.get(s.uri) ?? identity).toBe(identity);
            seen.set(s.uri, identity);
          });
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('any text in a model either renders parseable or throws ERR_HLS_INVALID', () => {
  const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('a"b', 'a\nb', '#x', ' ', 'é', 'e\u0301'));

  function rendersOrRejects<T>(render: () => string, check: (text: string) => T): void {
    let text: string;
    try {
      text = render();
    } catch (err) {
      expect(err).toBeInstanceOf(HlsError);
      expect((err as HlsError).code).toBe('ERR_HLS_INVALID');
      return;
    }
    check(text);
  }

  it('segment and init URIs', () => {
    fc.assert(
      fc.property(anyText, anyText, (uri, init) => {
        rendersOrRejects(
          () => renderMediaPlaylist({ map: { uri: init }, segments: [{ uri, durationSeconds: 1 }] }),
          (text) => {
            const parsed = parseMediaPlaylist(text);
            expect(parsed.segments[0]!.uri).toBe(uri);
            expect(parsed.segments[0]!.mapUri).toBe(init);
          },
        );
      }),
    );
  });

  it('rendition NAME, GROUP-ID and LANGUAGE', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, (name, groupId, language) => {
        rendersOrRejects(
          () =>
            renderMultivariantPlaylist({
              renditions: [{ type: 'AUDIO', groupId, name, language, uri: 'a.m3u8' }],
              variants: [{ uri: 'v.m3u8', bandwidth: 1000, codecs: ['avc1.64001f'], audio: groupId }],
            }),
          (text) => {
            const parsed = parseMultivariantPlaylist(text);
            expect(parsed.media[0]!.get('NAME')).toBe(name);
            expect(parsed.media[0]!.get('GROUP-ID')).toBe(groupId);
            expect(parsed.media[0]!.get('LANGUAGE')).toBe(language);
            expect(parsed.variants[0]!.attributes.get('AUDIO')).toBe(groupId);
          },
        );
      }),
    );
  });
});
