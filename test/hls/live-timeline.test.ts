import { describe, expect, it } from 'vitest';
import { appendLiveSegment, createLiveTimeline, endLiveTimeline, liveMediaPlaylist, renderMediaPlaylist, type LiveSegment, type LiveTimeline, type LiveWindowPolicy } from '../../src/hls/index.js';

const POLICY: LiveWindowPolicy = { windowSegments: 3, keepAfterWindowSegments: 1, playlistType: 'sliding' };

function seg(msn: number, durationSeconds = 2, extra: Partial<LiveSegment> = {}): LiveSegment {
  return { msn, uri: `${msn}.m4s`, durationSeconds, byteLength: 1000, programDateTimeMs: 1_000_000 + msn * 2000, discontinuity: false, generation: 0, ...extra };
}

function appendAll(timeline: LiveTimeline, segments: readonly LiveSegment[], policy = POLICY): { timeline: LiveTimeline; expired: number[]; released: number[] } {
  const expired: number[] = [];
  const released: number[] = [];
  for (const s of segments) {
    const update = appendLiveSegment(timeline, s, policy);
    timeline = update.timeline;
    expired.push(...update.expired.map((e) => e.msn));
    released.push(...update.releasedGenerations);
  }
  return { timeline, expired, released };
}

describe('LiveTimeline', () => {
  it('slides by windowSegments, retires keepAfterWindowSegments, then expires', () => {
    const { timeline, expired } = appendAll(createLiveTimeline(2), [0, 1, 2, 3, 4, 5].map((n) => seg(n)));
    expect(timeline.segments.map((s) => s.msn)).toEqual([3, 4, 5]);
    expect(timeline.retired.map((s) => s.msn)).toEqual([2]);
    expect(expired).toEqual([0, 1]);
    expect(timeline.nextMsn).toBe(6);
    expect(timeline.peakBitsPerSecond).toBe(4000);
  });

  it('6.2.2: never leaves less than three target durations listed, whatever the window', () => {
    const { timeline } = appendAll(createLiveTimeline(2), [0, 1, 2, 3, 4, 5].map((n) => seg(n, 1)));
    // 1 s segments, target 2: the last three last 3 s < 6 s, so six stay listed.
    expect(timeline.segments.map((s) => s.msn)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('4.4.3.3: the discontinuity sequence counts discontinuities that slid out; an init generation is released with its last segment', () => {
    const segments = [seg(0), seg(1, 2, { discontinuity: true, generation: 1 }), seg(2, 2, { generation: 1 }), seg(3, 2, { generation: 1 }), seg(4, 2, { generation: 1 }), seg(5, 2, { generation: 1 })];
    const { timeline, released } = appendAll(createLiveTimeline(2), segments);
    expect(timeline.discontinuitySequence).toBe(1);
    expect(released).toEqual([0]);
    expect(renderMediaPlaylist(liveMediaPlaylist(endLiveTimeline(timeline), 'sliding'))).toBe(
      `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:3
#EXT-X-DISCONTINUITY-SEQUENCE:1
#EXT-X-MAP:URI="init-1.mp4"
#EXT-X-PROGRAM-DATE-TIME:1970-01-01T00:16:46.000Z
#EXTINF:2,
3.m4s
#EXT-X-PROGRAM-DATE-TIME:1970-01-01T00:16:48.000Z
#EXTINF:2,
4.m4s
#EXT-X-PROGRAM-DATE-TIME:1970-01-01T00:16:50.000Z
#EXTINF:2,
5.m4s
#EXT-X-ENDLIST
`,
    );
  });

  it('the first segment sets the target; a later longer one raises it and is counted', () => {
    let { timeline } = appendAll(createLiveTimeline(2), [seg(0, 4.2)]);
    expect([timeline.targetDurationSeconds, timeline.targetDurationRaises]).toEqual([4, 0]);
    ({ timeline } = appendAll(timeline, [seg(1, 4), seg(2, 5.6)]));
    expect([timeline.targetDurationSeconds, timeline.targetDurationRaises]).toEqual([6, 1]);
  });

  it('media sequence numbers only grow; an empty timeline lists nothing from nextMsn', () => {
    const { timeline } = appendAll(createLiveTimeline(2, 7), [seg(7)]);
    expect(() => appendLiveSegment(timeline, seg(7), POLICY)).toThrow(/msn/);
    expect(liveMediaPlaylist(createLiveTimeline(2, 7), 'EVENT')).toMatchObject({ mediaSequence: 7, playlistType: 'EVENT', segments: [] });
  });
});
