import { describe, expect, it } from 'vitest';
import { renderMediaPlaylist, type MediaPlaylist, type PartialSegment } from '../../src/hls/index.js';
import { lines } from './helpers.js';

/** LL-HLS tags (RFC 8216bis 4.4.3.7, 4.4.3.8, 4.4.4.9, 4.4.5.2-4.4.5.4) as exact text. */

function parts(msn: number, count: number, durationSeconds = 1): PartialSegment[] {
  return Array.from({ length: count }, (_, i) => ({ uri: `seg${msn}.part${i}.m4s`, durationSeconds, ...(i === 0 ? { independent: true } : {}) }));
}

const live: MediaPlaylist = {
  targetDurationSeconds: 4,
  independentSegments: true,
  mediaSequence: 266,
  map: { uri: 'init.mp4' },
  partTargetSeconds: 1.002,
  serverControl: { canBlockReload: true, canSkipUntilSeconds: 24, partHoldBackSeconds: 3.006 },
  segments: [
    { uri: 'seg266.m4s', durationSeconds: 4 },
    { uri: 'seg267.m4s', durationSeconds: 4, parts: parts(267, 4) },
  ],
  openSegment: { parts: parts(268, 2) },
  preloadHints: [{ type: 'PART', uri: 'seg268.part2.m4s' }],
  renditionReports: [{ uri: '../audio/index.m3u8', lastMsn: 268, lastPart: 1 }],
};

describe('renderMediaPlaylist: LL-HLS', () => {
  it('parts before their EXTINF, the open segment parts, then hint and rendition report', () => {
    expect(renderMediaPlaylist(live)).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=24,PART-HOLD-BACK=3.006',
        '#EXT-X-PART-INF:PART-TARGET=1.002',
        '#EXT-X-MEDIA-SEQUENCE:266',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXTINF:4,',
        'seg266.m4s',
        '#EXT-X-PART:DURATION=1,URI="seg267.part0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=1,URI="seg267.part1.m4s"',
        '#EXT-X-PART:DURATION=1,URI="seg267.part2.m4s"',
        '#EXT-X-PART:DURATION=1,URI="seg267.part3.m4s"',
        '#EXTINF:4,',
        'seg267.m4s',
        '#EXT-X-PART:DURATION=1,URI="seg268.part0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=1,URI="seg268.part1.m4s"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg268.part2.m4s"',
        '#EXT-X-RENDITION-REPORT:URI="../audio/index.m3u8",LAST-MSN=268,LAST-PART=1',
      ),
    );
  });

  it('a delta update: EXT-X-SKIP in place of the skipped segments, version 9', () => {
    const delta: MediaPlaylist = { ...live, mediaSequence: 260, skip: { skippedSegments: 6 }, openSegment: undefined, preloadHints: [], renditionReports: [] };
    expect(renderMediaPlaylist(delta)).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:9',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=24,PART-HOLD-BACK=3.006',
        '#EXT-X-PART-INF:PART-TARGET=1.002',
        '#EXT-X-MEDIA-SEQUENCE:260',
        '#EXT-X-SKIP:SKIPPED-SEGMENTS=6',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXTINF:4,',
        'seg266.m4s',
        '#EXT-X-PART:DURATION=1,URI="seg267.part0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=1,URI="seg267.part1.m4s"',
        '#EXT-X-PART:DURATION=1,URI="seg267.part2.m4s"',
        '#EXT-X-PART:DURATION=1,URI="seg267.part3.m4s"',
        '#EXTINF:4,',
        'seg267.m4s',
      ),
    );
  });

  it('the open segment after a discontinuity: its tags come before the hinted part (4.4.4.9, 4.4.5.3)', () => {
    const restart: MediaPlaylist = {
      ...live,
      segments: live.segments.slice(1),
      mediaSequence: 267,
      openSegment: { discontinuity: true, map: { uri: 'init-2.mp4' }, programDateTimeMs: Date.UTC(2024, 4, 1, 12), parts: [] },
      preloadHints: [
        { type: 'MAP', uri: 'init-2.mp4' },
        { type: 'PART', uri: 'seg268.m4s', byteRangeStart: 0 },
      ],
      renditionReports: [{ uri: '../audio/index.m3u8', lastMsn: 267 }],
    };
    const text = renderMediaPlaylist(restart);
    expect(text.slice(text.indexOf('seg267.m4s\n'))).toBe(
      lines(
        'seg267.m4s',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init-2.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z',
        '#EXT-X-PRELOAD-HINT:TYPE=MAP,URI="init-2.mp4"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg268.m4s",BYTERANGE-START=0',
        '#EXT-X-RENDITION-REPORT:URI="../audio/index.m3u8",LAST-MSN=267',
      ),
    );
  });

  it('byte-range parts of one segment file, a gap part, HOLD-BACK', () => {
    const ranged: MediaPlaylist = {
      targetDurationSeconds: 2,
      map: { uri: 'init.mp4' },
      partTargetSeconds: 0.5,
      serverControl: { holdBackSeconds: 6, partHoldBackSeconds: 1.5 },
      segments: [
        {
          uri: 'seg9.m4s',
          durationSeconds: 2,
          parts: [
            { uri: 'seg9.m4s', durationSeconds: 0.5, independent: true, byteRange: { length: 20_000, offset: 0 } },
            { uri: 'seg9.m4s', durationSeconds: 0.5, byteRange: { length: 18_000 } },
            { uri: 'seg9.m4s', durationSeconds: 0.5, gap: true, byteRange: { length: 1 } },
            { uri: 'seg9.m4s', durationSeconds: 0.5, byteRange: { length: 17_000 } },
          ],
        },
      ],
      endList: true,
    };
    expect(renderMediaPlaylist(ranged)).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-SERVER-CONTROL:HOLD-BACK=6,PART-HOLD-BACK=1.5',
        '#EXT-X-PART-INF:PART-TARGET=0.5',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXT-X-PART:DURATION=0.5,URI="seg9.m4s",INDEPENDENT=YES,BYTERANGE="20000@0"',
        '#EXT-X-PART:DURATION=0.5,URI="seg9.m4s",BYTERANGE="18000"',
        '#EXT-X-PART:DURATION=0.5,URI="seg9.m4s",BYTERANGE="1",GAP=YES',
        '#EXT-X-PART:DURATION=0.5,URI="seg9.m4s",BYTERANGE="17000"',
        '#EXTINF:2,',
        'seg9.m4s',
        '#EXT-X-ENDLIST',
      ),
    );
  });
});
