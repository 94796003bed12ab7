import { describe, expect, it } from 'vitest';
import { renderMediaPlaylist, type MediaPlaylist, type PartialSegment } from '../../src/hls/index.js';
import { hlsErrorOf } from './helpers.js';

/** Every model that would render an invalid playlist throws ERR_HLS_INVALID naming the field. */

const ok: MediaPlaylist = {
  targetDurationSeconds: 4,
  map: { uri: 'init.mp4' },
  segments: [
    { uri: 'seg0.m4s', durationSeconds: 4 },
    { uri: 'seg1.m4s', durationSeconds: 4 },
  ],
};

const part = (durationSeconds: number, extra: Partial<PartialSegment> = {}): PartialSegment => ({ uri: 'p.m4s', durationSeconds, ...extra });
const llOk: MediaPlaylist = { ...ok, partTargetSeconds: 1, serverControl: { partHoldBackSeconds: 3 } };

function withSegment(index: number, change: object): MediaPlaylist {
  return { ...ok, segments: ok.segments.map((s, i) => (i === index ? { ...s, ...change } : s)) };
}

function withParts(list: PartialSegment[], durationSeconds = 4): MediaPlaylist {
  return { ...llOk, segments: [{ uri: 'seg0.m4s', durationSeconds, parts: list }] };
}

const cases: Array<[string, MediaPlaylist, string]> = [
  ['a newline in a segment URI (it would inject a tag)', withSegment(1, { uri: 'seg1.m4s\n#EXT-X-ENDLIST' }), 'segments[1].uri'],
  ['an empty segment URI', withSegment(0, { uri: '' }), 'segments[0].uri'],
  ['a control character in a segment URI', withSegment(0, { uri: 'seg\u00070.m4s' }), 'segments[0].uri'],
  ['a double quote in the init URI', { ...ok, map: { uri: 'init".mp4' } }, 'map.uri'],
  ['a negative duration', withSegment(1, { durationSeconds: -4 }), 'segments[1].durationSeconds'],
  ['a NaN duration', withSegment(0, { durationSeconds: Number.NaN }), 'segments[0].durationSeconds'],
  ['a zero duration', withSegment(0, { durationSeconds: 0 }), 'segments[0].durationSeconds'],
  ['a segment longer than the target after rounding', withSegment(1, { durationSeconds: 4.5 }), 'segments[1].durationSeconds'],
  ['version 5 with EXT-X-MAP', { ...ok, version: 5 }, 'version'],
  ['a fractional version', { ...ok, version: 6.5 }, 'version'],
  ['a negative media sequence', { ...ok, mediaSequence: -1 }, 'mediaSequence'],
  ['a fractional media sequence', { ...ok, mediaSequence: 1.5 }, 'mediaSequence'],
  ['media sequence numbers beyond 2^53', { ...ok, mediaSequence: Number.MAX_SAFE_INTEGER - 1 }, 'mediaSequence'],
  ['a NaN discontinuity sequence', { ...ok, discontinuitySequence: Number.NaN }, 'discontinuitySequence'],
  ['an unknown playlist type', { ...ok, playlistType: 'LIVE' as 'VOD' }, 'playlistType'],
  ['a fractional program date time', withSegment(1, { programDateTimeMs: 1.5 }), 'segments[1].programDateTimeMs'],
  ['a UTC offset of 15 h', { ...ok, programDateTimeUtcOffsetMinutes: 900 }, 'programDateTimeUtcOffsetMinutes'],
  ['an init byte range without offset', { ...ok, map: { uri: 'init.mp4', byteRange: { length: 800 } } }, 'map.byteRange.offset'],
  ['an init byte range of 0 bytes', { ...ok, map: { uri: 'init.mp4', byteRange: { length: 0, offset: 0 } } }, 'map.byteRange.length'],
  [
    'some segments with an init section, one without, and no playlist map',
    { ...ok, map: undefined, segments: [{ ...ok.segments[0]!, map: { uri: 'a.mp4' } }, ok.segments[1]!] },
    'segments[1].map',
  ],
  // LL-HLS
  ['parts without a part target', { ...ok, segments: [{ uri: 's.m4s', durationSeconds: 4, parts: [part(1)] }] }, 'partTargetSeconds'],
  ['a PART preload hint without a part target', { ...ok, preloadHints: [{ type: 'PART', uri: 'p.m4s' }] }, 'partTargetSeconds'],
  ['a part longer than the part target', withParts([part(1), part(1.001)]), 'segments[0].parts[1].durationSeconds'],
  ['a part below 85% of the part target that is not the last', withParts([part(0.84), part(1)]), 'segments[0].parts[0].durationSeconds'],
  ['an open segment part below 85%', { ...llOk, openSegment: { parts: [part(1, { independent: true }), part(0.5)] } }, 'openSegment.parts[1].durationSeconds'],
  ['a part target without PART-HOLD-BACK', { ...llOk, serverControl: { canBlockReload: true } }, 'serverControl.partHoldBackSeconds'],
  ['PART-HOLD-BACK below twice the part target', { ...llOk, serverControl: { partHoldBackSeconds: 1.99999 } }, 'serverControl.partHoldBackSeconds'],
  ['HOLD-BACK below three target durations', { ...ok, serverControl: { holdBackSeconds: 11.9 } }, 'serverControl.holdBackSeconds'],
  ['CAN-SKIP-UNTIL below six target durations', { ...ok, serverControl: { canSkipUntilSeconds: 23 } }, 'serverControl.canSkipUntilSeconds'],
  ['an empty EXT-X-SERVER-CONTROL', { ...ok, serverControl: { canBlockReload: false } }, 'serverControl'],
  ['EXT-X-SKIP without CAN-SKIP-UNTIL', { ...ok, skip: { skippedSegments: 2 } }, 'skip'],
  ['EXT-X-SKIP with version 8', { ...ok, version: 8, serverControl: { canSkipUntilSeconds: 24 }, skip: { skippedSegments: 2 } }, 'version'],
  ['a preload hint in an ended playlist', { ...llOk, endList: true, preloadHints: [{ type: 'PART', uri: 'p.m4s' }] }, 'preloadHints'],
  ['an open segment in an ended playlist', { ...llOk, endList: true, openSegment: { parts: [part(1)] } }, 'openSegment'],
  ['an open segment with neither parts nor a PART hint', { ...llOk, openSegment: { discontinuity: true, parts: [] } }, 'openSegment'],
  ['two PART preload hints', { ...llOk, preloadHints: [{ type: 'PART', uri: 'a.m4s' }, { type: 'PART', uri: 'b.m4s' }] }, 'preloadHints'],
  ['an unknown preload hint type', { ...llOk, preloadHints: [{ type: 'SEGMENT' as 'PART', uri: 'a.m4s' }] }, 'preloadHints[0].type'],
  ['a negative LAST-MSN', { ...ok, renditionReports: [{ uri: 'a.m3u8', lastMsn: -1 }] }, 'renditionReports[0].lastMsn'],
  ['a newline in a part URI', withParts([part(1, { uri: 'p\n.m4s' })]), 'segments[0].parts[0].uri'],
];

describe('renderMediaPlaylist validation', () => {
  it.each(cases)('rejects %s', (_, model, field) => {
    const err = hlsErrorOf(() => renderMediaPlaylist(model));
    expect(err.code).toBe('ERR_HLS_INVALID');
    expect(err.details['field']).toBe(field);
  });

  it('exempts from the 85% rule: the last part of a segment, INDEPENDENT parts, GAP parts and the part before a gap', () => {
    expect(() => renderMediaPlaylist(withParts([part(1), part(1), part(0.2)], 2.2))).not.toThrow();
    expect(() => renderMediaPlaylist(withParts([part(0.3, { independent: true }), part(1)], 1.3))).not.toThrow();
    expect(() => renderMediaPlaylist(withParts([part(0.3), part(0.3, { gap: true }), part(1)], 1.6))).not.toThrow();
    expect(() => renderMediaPlaylist(withParts([part(0.85), part(1)], 1.85))).not.toThrow();
  });

  it('accepts hold-backs exactly at their bounds', () => {
    const model: MediaPlaylist = { ...llOk, serverControl: { partHoldBackSeconds: 2, holdBackSeconds: 12, canSkipUntilSeconds: 24 } };
    expect(renderMediaPlaylist(model)).toContain('#EXT-X-SERVER-CONTROL:CAN-SKIP-UNTIL=24,HOLD-BACK=12,PART-HOLD-BACK=2\n');
  });

  it('names the feature that needs a higher version', () => {
    expect(hlsErrorOf(() => renderMediaPlaylist({ ...ok, version: 5 })).message).toBe(
      'version: EXT-X-VERSION 5 is below 6, which EXT-X-MAP in a Media Playlist without EXT-X-I-FRAMES-ONLY requires (RFC 8216bis Section 8)',
    );
  });
});
