import { describe, expect, it } from 'vitest';
import { renderMediaPlaylist, type MediaPlaylist, type MediaSegment } from '../../src/hls/index.js';
import { lines } from './helpers.js';

/** 2024-05-01T12:00:00.000Z, the wall clock of the first segment in these playlists. */
const T0_MS = Date.UTC(2024, 4, 1, 12, 0, 0, 0);

/** Audio segments of 94 AAC frames at 48 kHz: 94 × 1024 / 48000 = 2.0053333… s. */
const AAC_94_FRAMES_SECONDS = (94 * 1024) / 48_000;

function seg(n: number, durationSeconds: number, extra: Partial<MediaSegment> = {}): MediaSegment {
  return { uri: `seg${n}.m4s`, durationSeconds, ...extra };
}

describe('renderMediaPlaylist: VOD', () => {
  it('writes version 6, the rounded target, one EXT-X-MAP and ENDLIST', () => {
    const vod: MediaPlaylist = {
      playlistType: 'VOD',
      independentSegments: true,
      map: { uri: 'init.mp4' },
      segments: [seg(0, 2.002), seg(1, 2.002), seg(2, 1.5)],
      endList: true,
    };
    expect(renderMediaPlaylist(vod)).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXTINF:2.002,',
        'seg0.m4s',
        '#EXTINF:2.002,',
        'seg1.m4s',
        '#EXTINF:1.5,',
        'seg2.m4s',
        '#EXT-X-ENDLIST',
      ),
    );
  });

  it('prints AAC-frame durations with 5 decimals and integral ones without a point', () => {
    const vod: MediaPlaylist = {
      playlistType: 'VOD',
      map: { uri: 'audio/init.mp4', byteRange: { length: 812, offset: 0 } },
      segments: [seg(0, AAC_94_FRAMES_SECONDS), seg(1, 4), seg(2, 0.021333333)],
      endList: true,
    };
    expect(renderMediaPlaylist(vod)).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-MAP:URI="audio/init.mp4",BYTERANGE="812@0"',
        '#EXTINF:2.00533,',
        'seg0.m4s',
        '#EXTINF:4,',
        'seg1.m4s',
        '#EXTINF:0.02133,',
        'seg2.m4s',
        '#EXT-X-ENDLIST',
      ),
    );
  });
});

describe('renderMediaPlaylist: EVENT', () => {
  it('grows at the end, with program date times and no ENDLIST while live', () => {
    const event: MediaPlaylist = {
      playlistType: 'EVENT',
      independentSegments: true,
      targetDurationSeconds: 4,
      map: { uri: 'init.mp4' },
      segments: [
        seg(0, 4, { programDateTimeMs: T0_MS }),
        seg(1, 4, { programDateTimeMs: T0_MS + 4000 }),
        seg(2, 3.967, { programDateTimeMs: T0_MS + 8000 }),
      ],
    };
    expect(renderMediaPlaylist(event)).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:EVENT',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z',
        '#EXTINF:4,',
        'seg0.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:04.000Z',
        '#EXTINF:4,',
        'seg1.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:08.000Z',
        '#EXTINF:3.967,',
        'seg2.m4s',
      ),
    );
  });

  it('writes program date times in a given UTC offset', () => {
    const event: MediaPlaylist = {
      playlistType: 'EVENT',
      programDateTimeUtcOffsetMinutes: -330,
      map: { uri: 'init.mp4' },
      segments: [seg(0, 2, { programDateTimeMs: T0_MS + 123 })],
      endList: true,
    };
    expect(renderMediaPlaylist(event)).toContain('\n#EXT-X-PROGRAM-DATE-TIME:2024-05-01T06:30:00.123-05:30\n');
  });
});

describe('renderMediaPlaylist: live sliding window', () => {
  /** Segments 120…, a discontinuity at 123 where the encoder restarted with a new init section. */
  const timeline: MediaSegment[] = [
    seg(120, 4, { programDateTimeMs: T0_MS }),
    seg(121, 4),
    seg(122, 2.5),
    seg(123, 4, { discontinuity: true, map: { uri: 'init-2.mp4' }, programDateTimeMs: T0_MS + 60_000 }),
    seg(124, 4, { map: { uri: 'init-2.mp4' }, gap: true }),
    seg(125, 3.5, { map: { uri: 'init-2.mp4' } }),
  ];

  function window(first: number, count: number, discontinuitySequence: number): MediaPlaylist {
    return {
      targetDurationSeconds: 4,
      independentSegments: true,
      mediaSequence: 120 + first,
      discontinuitySequence,
      map: { uri: 'init-1.mp4' },
      segments: timeline.slice(first, first + count),
    };
  }

  it('writes DISCONTINUITY, then the new EXT-X-MAP, then the date, before the segment after the break', () => {
    expect(renderMediaPlaylist(window(0, 5, 7))).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-MEDIA-SEQUENCE:120',
        '#EXT-X-DISCONTINUITY-SEQUENCE:7',
        '#EXT-X-MAP:URI="init-1.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:00:00.000Z',
        '#EXTINF:4,',
        'seg120.m4s',
        '#EXTINF:4,',
        'seg121.m4s',
        '#EXTINF:2.5,',
        'seg122.m4s',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init-2.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T12:01:00.000Z',
        '#EXTINF:4,',
        'seg123.m4s',
        '#EXT-X-GAP',
        '#EXTINF:4,',
        'seg124.m4s',
      ),
    );
  });

  it('after the break slides out, the window starts with the new init section and a higher discontinuity sequence', () => {
    expect(renderMediaPlaylist(window(4, 2, 8))).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-MEDIA-SEQUENCE:124',
        '#EXT-X-DISCONTINUITY-SEQUENCE:8',
        '#EXT-X-MAP:URI="init-2.mp4"',
        '#EXT-X-GAP',
        '#EXTINF:4,',
        'seg124.m4s',
        '#EXTINF:3.5,',
        'seg125.m4s',
      ),
    );
  });

  it('computes the target from the window when none is given (2.5 s rounds to 3)', () => {
    const text = renderMediaPlaylist({ map: { uri: 'init.mp4' }, segments: [seg(0, 2), seg(1, 2.5)] });
    expect(text).toContain('\n#EXT-X-TARGETDURATION:3\n');
  });

  it('an explicit version above the minimum is kept', () => {
    const text = renderMediaPlaylist({ version: 7, map: { uri: 'init.mp4' }, segments: [seg(0, 2)] });
    expect(text.split('\n')[1]).toBe('#EXT-X-VERSION:7');
  });

  it('an empty live playlist is still a valid one: target 1, no segments', () => {
    expect(renderMediaPlaylist({ segments: [] })).toBe(lines('#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:1', '#EXT-X-MEDIA-SEQUENCE:0'));
  });
});
