import { describe, expect, it } from 'vitest';
import { renderMediaPlaylist, roundedSegmentSeconds, targetDuration } from '../../src/hls/index.js';
import { hlsErrorOf } from './helpers.js';

/**
 * RFC 8216bis 4.4.3.1: "The EXTINF duration of each Media Segment in a Playlist file, when rounded
 * to the nearest integer, MUST be less than or equal to the Target Duration". So the target is the
 * largest rounded EXTINF, not its ceiling: 2.4999 needs 2, 2.5 needs 3.
 */
describe('targetDuration (RFC 8216bis 4.4.3.1)', () => {
  it.each([
    [[2.4999], 2],
    [[2.5], 3],
    [[2.5001], 3],
    [[2.49999], 2],
    // Rounded at 5 decimals first, as printed: "2.5", which a client rounds to 3.
    [[2.499996], 3],
    [[2.499994], 2],
    [[4, 4, 4.4], 4],
    [[4, 4.5, 3], 5],
    [[6.006, 5.9], 6],
    [[0.3, 0.2], 1],
    [[0.5], 1],
    [[1.5], 2],
    [[], 1],
  ])('%j → %i', (durations, expected) => {
    expect(targetDuration(durations.map((durationSeconds) => ({ durationSeconds })))).toBe(expected);
  });

  it('rounds the printed value: roundedSegmentSeconds', () => {
    expect([2.4999, 2.5, 2.5001, 2.499996].map(roundedSegmentSeconds)).toEqual([2, 3, 3, 3]);
  });

  it('a given target is checked against every rounded EXTINF', () => {
    const base = { map: { uri: 'init.mp4' }, targetDurationSeconds: 2 };
    expect(renderMediaPlaylist({ ...base, segments: [{ uri: 'a.m4s', durationSeconds: 2.4999 }] })).toContain('#EXT-X-TARGETDURATION:2\n');
    const err = hlsErrorOf(() => renderMediaPlaylist({ ...base, segments: [{ uri: 'a.m4s', durationSeconds: 2 }, { uri: 'b.m4s', durationSeconds: 2.5 }] }));
    expect(err.code).toBe('ERR_HLS_INVALID');
    expect(err.details).toMatchObject({ field: 'segments[1].durationSeconds', durationSeconds: 2.5, targetDurationSeconds: 2 });
    expect(err.message).toContain('EXTINF 2.5 rounds to 3, above the target duration 2');
  });

  it.each([0, 2.5, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects the target %s', (target) => {
    const err = hlsErrorOf(() => renderMediaPlaylist({ targetDurationSeconds: target, segments: [{ uri: 'a.m4s', durationSeconds: 0.5 }] }));
    expect(err.details['field']).toBe('targetDurationSeconds');
  });

  it.each([-1, 0, 0.000004, Number.NaN, Number.POSITIVE_INFINITY])('rejects the segment duration %s', (durationSeconds) => {
    const err = hlsErrorOf(() => targetDuration([{ durationSeconds: 1 }, { durationSeconds }]));
    expect(err.code).toBe('ERR_HLS_INVALID');
    expect(err.details['field']).toBe('segments[1].durationSeconds');
  });
});
