import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendLivePart, liveLowLatencyPlaylist, partUri, type LiveViewOptions } from '../../src/hls/live-low-latency.js';
import { LiveModels } from '../../src/hls/live-models.js';
import { appendLiveSegment, createLiveTimeline, endLiveTimeline, reopenLiveTimeline, type LivePart, type LiveTimeline } from '../../src/hls/live-timeline.js';
import { MediaRenderCache } from '../../src/hls/render-cache.js';
import { renderMediaPlaylist } from '../../src/hls/render-media.js';
import type { MediaPlaylist } from '../../src/hls/media-playlist.js';
import { T0 } from './live-helpers.js';

/**
 * The live packager renders each playlist after every part, reusing the text of the segments it
 * rendered before (MediaRenderCache, LiveModels). Whatever the history, the text must be exactly
 * what a render from scratch gives.
 */

type Step = { kind: 'parts'; count: number; durationTenths: number; newGeneration: boolean } | { kind: 'end' } | { kind: 'reopen' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('parts' as const), count: fc.integer({ min: 1, max: 6 }), durationTenths: fc.integer({ min: 1, max: 3 }), newGeneration: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'end' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

const VIEWS: readonly LiveViewOptions[] = [{ playlistType: 'sliding' }, { playlistType: 'sliding', view: 'plain' }, { playlistType: 'sliding', skip: true }, { playlistType: 'EVENT' }];

/** Plays the steps: each 'parts' step publishes a segment part by part, rendering after every change. */
function renders(steps: readonly Step[], utcOffsetMinutes: number): Array<{ cached: string; fresh: string }> {
  const models = new LiveModels();
  let timeline: LiveTimeline = createLiveTimeline(2, 0, 0.3);
  let msn = 0;
  let generation = 0;
  const out: Array<{ cached: string; fresh: string }> = [];
  const render = (): void => {
    if (timeline.segments.length === 0 && !timeline.ended) return;
    for (const view of VIEWS) {
      const withOffset = (p: MediaPlaylist): MediaPlaylist => ({ ...p, programDateTimeUtcOffsetMinutes: utcOffsetMinutes });
      const cached = renderMediaPlaylist(withOffset(liveLowLatencyPlaylist(timeline, { ...view, models })), { partDurations: 'lenient', cache: models.render });
      const fresh = renderMediaPlaylist(withOffset(liveLowLatencyPlaylist(timeline, view)), { partDurations: 'lenient' });
      out.push({ cached, fresh });
    }
  };
  for (const s of steps) {
    if (s.kind === 'end') timeline = endLiveTimeline(timeline);
    else if (s.kind === 'reopen') timeline = reopenLiveTimeline(timeline);
    else {
      if (timeline.ended) timeline = reopenLiveTimeline(timeline);
      if (s.newGeneration) generation += 1;
      const parts: LivePart[] = [];
      for (let i = 0; i < s.count; i++) {
        const part: LivePart = { msn, index: i, uri: partUri(msn, i), durationSeconds: s.durationTenths / 10, independent: i === 0, byteLength: 100 };
        parts.push(part);
        timeline = appendLivePart(timeline, part, { programDateTimeMs: T0 + msn * 2000, discontinuity: s.newGeneration, generation });
        render();
      }
      const durationSeconds = Math.round(parts.reduce((sum, p) => sum + p.durationSeconds, 0) * 10) / 10;
      timeline = appendLiveSegment(
        timeline,
        { msn, uri: `${msn}.m4s`, durationSeconds, byteLength: 100 * s.count, programDateTimeMs: T0 + msn * 2000, discontinuity: s.newGeneration, generation, parts },
        { windowSegments: 4, keepAfterWindowSegments: 1, playlistType: 'sliding' },
      ).timeline;
      msn += 1;
    }
    render();
  }
  return out;
}

describe('MediaRenderCache', () => {
  it('gives the text of a render from scratch after any history of parts, segments, generations, ends and reopens', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), fc.constantFrom(0, 60, -330), (steps, offset) => {
        for (const { cached, fresh } of renders(steps, offset)) expect(cached).toBe(fresh);
      }),
      { numRuns: 150 },
    );
  });

  it('reuses a segment only in the same settings: another part target or strictness checks and writes it again', () => {
    const cache = new MediaRenderCache();
    const segment = { uri: '0.m4s', durationSeconds: 1, parts: [{ uri: '0.0.m4s', durationSeconds: 0.5, independent: true }, { uri: '0.1.m4s', durationSeconds: 0.5 }] };
    const playlist: MediaPlaylist = { targetDurationSeconds: 1, partTargetSeconds: 0.5, serverControl: { partHoldBackSeconds: 1.5 }, segments: [segment] };
    const first = renderMediaPlaylist(playlist, { cache });
    expect(renderMediaPlaylist(playlist, { cache })).toBe(first);
    // The same segment object under a part target its parts break: strict rendering must refuse it.
    expect(() => renderMediaPlaylist({ ...playlist, partTargetSeconds: 0.4, serverControl: { partHoldBackSeconds: 1.2 } }, { cache })).toThrow(/above the part target/);
    // A segment that would fail a fresh check is still refused when an equal-looking one was cached.
    const broken = { ...segment, durationSeconds: 0 };
    expect(() => renderMediaPlaylist({ ...playlist, segments: [segment, broken] }, { cache })).toThrow(/durationSeconds/);
  });
});
