import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderMediaPlaylist } from '../../src/hls/render-media.js';
import {
  appendLivePart,
  blockingReloadState,
  liveEdge,
  liveLowLatencyPlaylist,
  lowLatencyServerControl,
  parsePartUri,
  partState,
  partUri,
  renditionReport,
  type BlockingRequest,
  type LiveViewOptions,
  type OpenSegmentTags,
} from '../../src/hls/live-low-latency.js';
import {
  appendLiveSegment,
  createLiveTimeline,
  endLiveTimeline,
  liveMediaPlaylist,
  type LivePart,
  type LiveSegment,
  type LiveTimeline,
  type LiveWindowPolicy,
} from '../../src/hls/live-timeline.js';
import { hlsErrorOf, lines } from './helpers.js';
import { T0 } from './live-helpers.js';

/** LL-HLS on the live timeline (RFC 8216bis 4.4.3.7-4.4.5.4, 6.2.5, 6.2.6), as exact playlist text. */

const WINDOW: LiveWindowPolicy = { windowSegments: 20, keepAfterWindowSegments: 2, playlistType: 'sliding' };
const VIEW: LiveViewOptions = { playlistType: 'sliding' };
const AUDIO_REPORT = [{ uri: '../audio/index.m3u8', lastMsn: 13, lastPart: 1 }] as const;

function tags(msn: number, extra: Partial<OpenSegmentTags> = {}): OpenSegmentTags {
  return { programDateTimeMs: T0 + msn * 2000, discontinuity: false, generation: 0, ...extra };
}

function part(msn: number, index: number, durationSeconds = 0.5): LivePart {
  return { msn, index, uri: partUri(msn, index), durationSeconds, independent: index === 0, byteLength: 1000 };
}

/** Appends `count` parts of `msn` (from `from`), with the segment tags `extra`. */
function addParts(timeline: LiveTimeline, msn: number, count: number, from = 0, extra: Partial<OpenSegmentTags> = {}, durationSeconds = 0.5): LiveTimeline {
  for (let i = from; i < from + count; i++) timeline = appendLivePart(timeline, part(msn, i, durationSeconds), tags(msn, extra));
  return timeline;
}

/** Publishes segment `msn` as `count` parts of 0.5 s, then lists it whole. */
function addSegment(timeline: LiveTimeline, msn: number, count = 4, extra: Partial<OpenSegmentTags> = {}, policy = WINDOW): LiveTimeline {
  timeline = addParts(timeline, msn, count, 0, extra);
  const parts = timeline.open!.parts;
  const segment: LiveSegment = {
    msn,
    uri: `${msn}.m4s`,
    durationSeconds: parts.reduce((sum, p) => sum + p.durationSeconds, 0),
    byteLength: 4000,
    ...tags(msn, extra),
    parts,
  };
  return appendLiveSegment(timeline, segment, policy).timeline;
}

/** Segments `first` … `last` of 2 s (four 0.5 s parts), part target 0.5 s, target duration 2. */
function timelineOf(first: number, last: number, policy = WINDOW): LiveTimeline {
  let timeline = createLiveTimeline(2, first, 0.5);
  for (let msn = first; msn <= last; msn++) timeline = addSegment(timeline, msn, 4, {}, policy);
  return timeline;
}

/** Segments 10, 11, 12 complete, segment 13 open with parts 0 and 1. */
function liveAt13(): LiveTimeline {
  return addParts(timelineOf(10, 12), 13, 2);
}

const render = (timeline: LiveTimeline, options: Partial<LiveViewOptions> = {}) => renderMediaPlaylist(liveLowLatencyPlaylist(timeline, { ...VIEW, ...options }));

/** The lines of a complete 2 s segment `msn` with its four parts. */
function segmentWithParts(msn: number, pdt: string): string[] {
  return [
    `#EXT-X-PROGRAM-DATE-TIME:${pdt}`,
    `#EXT-X-PART:DURATION=0.5,URI="${msn}.0.m4s",INDEPENDENT=YES`,
    `#EXT-X-PART:DURATION=0.5,URI="${msn}.1.m4s"`,
    `#EXT-X-PART:DURATION=0.5,URI="${msn}.2.m4s"`,
    `#EXT-X-PART:DURATION=0.5,URI="${msn}.3.m4s"`,
    '#EXTINF:2,',
    `${msn}.m4s`,
  ];
}

/** The lines of a complete 2 s segment `msn` listed without parts. */
function segmentWithoutParts(msn: number, pdt: string): string[] {
  return [`#EXT-X-PROGRAM-DATE-TIME:${pdt}`, '#EXTINF:2,', `${msn}.m4s`];
}

/** T0 + msn × 2 s, as EXT-X-PROGRAM-DATE-TIME prints it. */
function pdt(msn: number): string {
  return new Date(T0 + msn * 2000).toISOString();
}

const HEADER = [
  '#EXTM3U',
  '#EXT-X-VERSION:6',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '#EXT-X-TARGETDURATION:2',
  '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12,HOLD-BACK=6,PART-HOLD-BACK=1.5',
  '#EXT-X-PART-INF:PART-TARGET=0.5',
];

describe('liveLowLatencyPlaylist: rendered', () => {
  it('three complete segments with parts, an open segment of two parts, the next part hinted, a rendition report', () => {
    expect(render(liveAt13(), { renditionReports: AUDIO_REPORT })).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12,HOLD-BACK=6,PART-HOLD-BACK=1.5',
        '#EXT-X-PART-INF:PART-TARGET=0.5',
        '#EXT-X-MEDIA-SEQUENCE:10',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-MAP:URI="init-0.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:20.000Z',
        '#EXT-X-PART:DURATION=0.5,URI="10.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.5,URI="10.1.m4s"',
        '#EXT-X-PART:DURATION=0.5,URI="10.2.m4s"',
        '#EXT-X-PART:DURATION=0.5,URI="10.3.m4s"',
        '#EXTINF:2,',
        '10.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:22.000Z',
        '#EXT-X-PART:DURATION=0.5,URI="11.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.5,URI="11.1.m4s"',
        '#EXT-X-PART:DURATION=0.5,URI="11.2.m4s"',
        '#EXT-X-PART:DURATION=0.5,URI="11.3.m4s"',
        '#EXTINF:2,',
        '11.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:24.000Z',
        '#EXT-X-PART:DURATION=0.5,URI="12.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.5,URI="12.1.m4s"',
        '#EXT-X-PART:DURATION=0.5,URI="12.2.m4s"',
        '#EXT-X-PART:DURATION=0.5,URI="12.3.m4s"',
        '#EXTINF:2,',
        '12.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:26.000Z',
        '#EXT-X-PART:DURATION=0.5,URI="13.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.5,URI="13.1.m4s"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="13.2.m4s"',
        '#EXT-X-RENDITION-REPORT:URI="../audio/index.m3u8",LAST-MSN=13,LAST-PART=1',
      ),
    );
  });

  it('a fitted part target: PART-TARGET=0.201, PART-HOLD-BACK three of them rounded up to the ms', () => {
    let timeline = createLiveTimeline(2, 0, 0.201);
    timeline = addParts(timeline, 0, 2, 0, {}, 0.2);
    expect(lowLatencyServerControl(timeline)).toEqual({ canBlockReload: true, canSkipUntilSeconds: 12, holdBackSeconds: 6, partHoldBackSeconds: 0.603 });
    expect(render(timeline)).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12,HOLD-BACK=6,PART-HOLD-BACK=0.603',
        '#EXT-X-PART-INF:PART-TARGET=0.201',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-MAP:URI="init-0.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z',
        '#EXT-X-PART:DURATION=0.2,URI="0.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.2,URI="0.1.m4s"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="0.2.m4s"',
      ),
    );
  });

  it('4.4.4.9: parts only on the segments that end within three target durations (6 s) of the live edge', () => {
    // Six 2 s segments, nothing open: 5, 4 and 3 end 0, 2 and 4 s before the edge; 2 ends 6 s before it.
    const closed = timelineOf(0, 5);
    expect(render(closed)).toBe(
      lines(
        ...HEADER,
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-MAP:URI="init-0.mp4"',
        ...segmentWithoutParts(0, '2026-01-01T00:00:00.000Z'),
        ...segmentWithoutParts(1, '2026-01-01T00:00:02.000Z'),
        ...segmentWithoutParts(2, '2026-01-01T00:00:04.000Z'),
        ...segmentWithParts(3, '2026-01-01T00:00:06.000Z'),
        ...segmentWithParts(4, '2026-01-01T00:00:08.000Z'),
        ...segmentWithParts(5, '2026-01-01T00:00:10.000Z'),
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="6.0.m4s"',
      ),
    );
    // With 1 s of the open segment 6 published the edge moves on: 3 now ends 5 s before it
    // (still in), 2 ends 7 s before it (still out).
    const open = addParts(closed, 6, 2);
    expect(render(open)).toBe(
      lines(
        ...HEADER,
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-MAP:URI="init-0.mp4"',
        ...segmentWithoutParts(0, pdt(0)),
        ...segmentWithoutParts(1, pdt(1)),
        ...segmentWithoutParts(2, pdt(2)),
        ...segmentWithParts(3, pdt(3)),
        ...segmentWithParts(4, pdt(4)),
        ...segmentWithParts(5, pdt(5)),
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:12.000Z',
        '#EXT-X-PART:DURATION=0.5,URI="6.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.5,URI="6.1.m4s"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="6.2.m4s"',
      ),
    );
    // Two more parts: 1 s more, and segment 3 ends 6 s before the edge — its parts go.
    const later = render(addParts(open, 6, 2, 2));
    expect(later).not.toContain('URI="3.');
    expect(later).toContain('#EXT-X-PART:DURATION=0.5,URI="4.0.m4s",INDEPENDENT=YES');
    expect(later).toContain('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="6.4.m4s"');
  });

  it('a segment closed with nothing of the next one published yet: the hint is part 0 of the next msn', () => {
    const closed = timelineOf(10, 12);
    expect(render(closed)).toBe(
      lines(
        ...HEADER,
        '#EXT-X-MEDIA-SEQUENCE:10',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-MAP:URI="init-0.mp4"',
        ...segmentWithParts(10, pdt(10)),
        ...segmentWithParts(11, pdt(11)),
        ...segmentWithParts(12, pdt(12)),
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="13.0.m4s"',
      ),
    );
    // An empty timeline hints the first part of its first segment.
    const empty = liveLowLatencyPlaylist(createLiveTimeline(2, 7, 0.5), VIEW);
    expect(empty.preloadHints).toEqual([{ type: 'PART', uri: '7.0.m4s' }]);
    expect(renderMediaPlaylist(empty)).toBe(lines(...HEADER, '#EXT-X-MEDIA-SEQUENCE:7', '#EXT-X-DISCONTINUITY-SEQUENCE:0', '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="7.0.m4s"'));
  });

  it('4.4.5.2 delta update: segments starting more than CAN-SKIP-UNTIL (12 s) before the end become EXT-X-SKIP, version 9', () => {
    // Segments 10…19 (20 s) and 1 s of segment 20: 21 s. Segment 14 starts 13 s before the end
    // (skipped), segment 15 11 s before it (kept).
    const timeline = addParts(timelineOf(10, 19), 20, 2);
    expect(render(timeline, { skip: true, renditionReports: AUDIO_REPORT })).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:9',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12,HOLD-BACK=6,PART-HOLD-BACK=1.5',
        '#EXT-X-PART-INF:PART-TARGET=0.5',
        '#EXT-X-MEDIA-SEQUENCE:10',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-SKIP:SKIPPED-SEGMENTS=5',
        '#EXT-X-MAP:URI="init-0.mp4"',
        ...segmentWithoutParts(15, '2026-01-01T00:00:30.000Z'),
        ...segmentWithoutParts(16, '2026-01-01T00:00:32.000Z'),
        ...segmentWithParts(17, '2026-01-01T00:00:34.000Z'),
        ...segmentWithParts(18, '2026-01-01T00:00:36.000Z'),
        ...segmentWithParts(19, '2026-01-01T00:00:38.000Z'),
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:40.000Z',
        '#EXT-X-PART:DURATION=0.5,URI="20.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.5,URI="20.1.m4s"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="20.2.m4s"',
        '#EXT-X-RENDITION-REPORT:URI="../audio/index.m3u8",LAST-MSN=13,LAST-PART=1',
      ),
    );
    // The full playlist lists the same segments from 10 on, at version 6.
    const full = render(timeline, { renditionReports: AUDIO_REPORT });
    expect(full).toContain('#EXT-X-VERSION:6\n');
    expect(full).not.toContain('EXT-X-SKIP');
    expect(full).toContain('\n10.m4s\n');
  });

  it('delta update at the Skip Boundary: a segment starting exactly 12 s before the end stays', () => {
    // Seven 2 s segments, nothing open: 14 s. Segment 0 starts 14 s before the end, 1 exactly 12 s.
    const timeline = timelineOf(0, 6);
    const text = render(timeline, { skip: true });
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-SKIP:SKIPPED-SEGMENTS=1\n#EXT-X-MAP:URI="init-0.mp4"\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:02.000Z\n#EXTINF:2,\n1.m4s\n');
    expect(liveLowLatencyPlaylist(timeline, { ...VIEW, skip: true }).segments.map((s) => s.uri)).toEqual(['1.m4s', '2.m4s', '3.m4s', '4.m4s', '5.m4s', '6.m4s']);
  });

  it('skip requested but no segment is past the Skip Boundary: the full playlist', () => {
    const timeline = liveAt13();
    expect(render(timeline, { skip: true, renditionReports: AUDIO_REPORT })).toBe(render(timeline, { renditionReports: AUDIO_REPORT }));
    // Six segments, 12 s exactly: none starts more than 12 s before the end.
    const twelve = timelineOf(0, 5);
    expect(render(twelve, { skip: true })).toBe(render(twelve));
    expect(liveLowLatencyPlaylist(twelve, { ...VIEW, skip: true }).skip).toBeUndefined();
  });

  it("view: 'plain' has no LL-HLS tag, parts, hint, skip or report", () => {
    const timeline = liveAt13();
    const plain = render(timeline, { view: 'plain', skip: true, renditionReports: AUDIO_REPORT });
    expect(plain).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:10',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-MAP:URI="init-0.mp4"',
        ...segmentWithoutParts(10, pdt(10)),
        ...segmentWithoutParts(11, pdt(11)),
        ...segmentWithoutParts(12, pdt(12)),
      ),
    );
    expect(plain).toBe(renderMediaPlaylist(liveMediaPlaylist(timeline, 'sliding')));
    // A timeline without a part target renders plain whatever the view.
    let noLl = createLiveTimeline(2, 10);
    for (const msn of [10, 11, 12]) {
      noLl = appendLiveSegment(noLl, { msn, uri: `${msn}.m4s`, durationSeconds: 2, byteLength: 4000, ...tags(msn) }, WINDOW).timeline;
    }
    expect(render(noLl, { skip: true, renditionReports: AUDIO_REPORT })).toBe(plain);
  });

  it('an ended timeline: EXT-X-ENDLIST, no open segment, no preload hint', () => {
    const ended = endLiveTimeline(liveAt13());
    expect(render(ended, { renditionReports: AUDIO_REPORT })).toBe(
      lines(
        ...HEADER,
        '#EXT-X-MEDIA-SEQUENCE:10',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-MAP:URI="init-0.mp4"',
        ...segmentWithParts(10, pdt(10)),
        ...segmentWithParts(11, pdt(11)),
        ...segmentWithParts(12, pdt(12)),
        '#EXT-X-RENDITION-REPORT:URI="../audio/index.m3u8",LAST-MSN=13,LAST-PART=1',
        '#EXT-X-ENDLIST',
      ),
    );
    // Ended with the segment closed: the same, without a hint for 13.0.
    expect(render(endLiveTimeline(timelineOf(10, 12)))).toBe(
      lines(
        ...HEADER,
        '#EXT-X-MEDIA-SEQUENCE:10',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-MAP:URI="init-0.mp4"',
        ...segmentWithParts(10, pdt(10)),
        ...segmentWithParts(11, pdt(11)),
        ...segmentWithParts(12, pdt(12)),
        '#EXT-X-ENDLIST',
      ),
    );
  });

  it('a discontinuity on the open segment: its tags and new init section before its first part', () => {
    const timeline = addParts(timelineOf(10, 12), 13, 1, 0, { discontinuity: true, generation: 1, programDateTimeMs: Date.UTC(2026, 0, 1, 1) });
    expect(render(timeline)).toBe(
      lines(
        ...HEADER,
        '#EXT-X-MEDIA-SEQUENCE:10',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-MAP:URI="init-0.mp4"',
        ...segmentWithParts(10, pdt(10)),
        ...segmentWithParts(11, pdt(11)),
        ...segmentWithParts(12, pdt(12)),
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init-1.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2026-01-01T01:00:00.000Z',
        '#EXT-X-PART:DURATION=0.5,URI="13.0.m4s",INDEPENDENT=YES',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="13.1.m4s"',
      ),
    );
  });
});

describe('blockingReloadState (6.2.5.2)', () => {
  // Segments 10–12 complete, 13 open with parts 0 and 1. Part target 0.5 s: the Advance Part Limit
  // is ceil(3 / 0.5) = 6 parts, and a segment not begun counts 2 / 0.5 = 4 parts.
  const open = liveAt13();
  // Segments 10–12 complete, nothing of 13 yet: the edge is part 3 of segment 12.
  const closed = timelineOf(10, 12);

  it.each<[string, LiveTimeline, BlockingRequest, 'ready' | 'wait' | 'too-far']>([
    ['a complete segment', open, { msn: 12 }, 'ready'],
    ['an older complete segment, with a part', open, { msn: 10, part: 0 }, 'ready'],
    ['the last part of a complete segment', open, { msn: 12, part: 3 }, 'ready'],
    ['a part of a complete segment it never had', open, { msn: 12, part: 9 }, 'ready'],
    ['a part the open segment has', open, { msn: 13, part: 0 }, 'ready'],
    ['the open segment\'s last part (the edge)', open, { msn: 13, part: 1 }, 'ready'],
    ['the open segment whole', open, { msn: 13 }, 'wait'],
    ['the next part (the preload hint)', open, { msn: 13, part: 2 }, 'wait'],
    ['the next segment whole', open, { msn: 14 }, 'wait'],
    ['part 0 of the next segment', open, { msn: 14, part: 0 }, 'wait'],
    ['edge + 2, whole', open, { msn: 15 }, 'wait'],
    ['edge + 3: more than two past the last segment', open, { msn: 16 }, 'too-far'],
    ['edge + 3 with a part', open, { msn: 16, part: 0 }, 'too-far'],
    ['6 parts ahead of the edge, in the open segment (13.7)', open, { msn: 13, part: 7 }, 'wait'],
    ['7 parts ahead of the edge, in the open segment (13.8)', open, { msn: 13, part: 8 }, 'too-far'],
    ['6 parts ahead of the edge (14.3)', open, { msn: 14, part: 3 }, 'wait'],
    ['7 parts ahead of the edge (14.4)', open, { msn: 14, part: 4 }, 'too-far'],
    ['7 parts ahead of the edge (15.0)', open, { msn: 15, part: 0 }, 'too-far'],
    ['closed: the last segment', closed, { msn: 12, part: 3 }, 'ready'],
    ['closed: part 0 of the next msn', closed, { msn: 13, part: 0 }, 'wait'],
    ['closed: the next msn whole', closed, { msn: 13 }, 'wait'],
    ['closed: edge + 2', closed, { msn: 14 }, 'wait'],
    ['closed: edge + 3', closed, { msn: 15 }, 'too-far'],
    ['closed: 6 parts ahead (14.1)', closed, { msn: 14, part: 1 }, 'wait'],
    ['closed: 7 parts ahead (14.2)', closed, { msn: 14, part: 2 }, 'too-far'],
    ['empty, from msn 5: its first part', createLiveTimeline(2, 5, 0.5), { msn: 5, part: 0 }, 'wait'],
    ['empty, from msn 5: msn 6', createLiveTimeline(2, 5, 0.5), { msn: 6 }, 'wait'],
    ['empty, from msn 5: msn 7', createLiveTimeline(2, 5, 0.5), { msn: 7 }, 'too-far'],
    ['ended: anything', endLiveTimeline(open), { msn: 100, part: 50 }, 'ready'],
    ['ended: the next part', endLiveTimeline(open), { msn: 13, part: 2 }, 'ready'],
  ])('%s', (_, timeline, request, expected) => {
    expect(blockingReloadState(timeline, request)).toBe(expected);
  });

  it('the Advance Part Limit of a fitted 0.201 s part target: ceil(3 / 0.201) = 15 parts', () => {
    // A segment not begun counts ceil(2 / 0.201) = 10 parts; the edge is part 0 of segment 0.
    const timeline = addParts(createLiveTimeline(2, 0, 0.201), 0, 1, 0, {}, 0.2);
    expect(blockingReloadState(timeline, { msn: 0, part: 15 })).toBe('wait');
    expect(blockingReloadState(timeline, { msn: 0, part: 16 })).toBe('too-far');
    expect(blockingReloadState(timeline, { msn: 1, part: 5 })).toBe('wait');
    expect(blockingReloadState(timeline, { msn: 1, part: 6 })).toBe('too-far');
  });
});

describe('partState (6.2.6)', () => {
  const open = liveAt13();
  const closed = timelineOf(10, 12);

  it.each<[string, LiveTimeline, number, number, 'listed' | 'pending' | 'never']>([
    ['a part of the open segment', open, 13, 0, 'listed'],
    ['the open segment\'s last part', open, 13, 1, 'listed'],
    ['a part of a complete segment', open, 12, 3, 'listed'],
    ['a part of the oldest listed segment', open, 10, 0, 'listed'],
    ['the hinted part', open, 13, 2, 'pending'],
    ['two parts past the hint', open, 13, 4, 'pending'],
    ['three parts past the hint', open, 13, 5, 'never'],
    ['a part a complete segment did not get', open, 12, 4, 'never'],
    ['part 0 of the next segment', open, 14, 0, 'pending'],
    ['part 2 of the next segment', open, 14, 2, 'pending'],
    ['part 3 of the next segment', open, 14, 3, 'never'],
    ['a segment two past the edge', open, 15, 0, 'never'],
    ['a segment before the timeline', open, 9, 0, 'never'],
    ['closed: part 0 of the next msn (the hint)', closed, 13, 0, 'pending'],
    ['closed: part 2 of the next msn', closed, 13, 2, 'pending'],
    ['closed: part 3 of the next msn', closed, 13, 3, 'never'],
    ['closed: the msn after that', closed, 14, 0, 'never'],
    ['ended: the hinted part of the dropped open segment', endLiveTimeline(open), 13, 2, 'never'],
    ['ended: a listed part', endLiveTimeline(open), 12, 0, 'listed'],
    ['ended: the next msn', endLiveTimeline(closed), 13, 0, 'never'],
  ])('%s', (_, timeline, msn, index, expected) => {
    expect(partState(timeline, msn, index)).toBe(expected);
  });
});

describe('liveEdge and renditionReport (4.4.5.4)', () => {
  let noParts = createLiveTimeline(2, 3, 0.5);
  noParts = appendLiveSegment(noParts, { msn: 3, uri: '3.m4s', durationSeconds: 2, byteLength: 1, ...tags(3) }, WINDOW).timeline;

  it.each<[string, LiveTimeline, ReturnType<typeof liveEdge>, ReturnType<typeof renditionReport>]>([
    ['empty', createLiveTimeline(2, 5, 0.5), undefined, undefined],
    ['an open segment', liveAt13(), { msn: 13, part: 1 }, { uri: 'r.m3u8', lastMsn: 13, lastPart: 1 }],
    ['a closed segment', timelineOf(10, 12), { msn: 12, part: 3 }, { uri: 'r.m3u8', lastMsn: 12, lastPart: 3 }],
    ['ended with an open segment: the last complete one', endLiveTimeline(liveAt13()), { msn: 12, part: 3 }, { uri: 'r.m3u8', lastMsn: 12, lastPart: 3 }],
    ['a last segment without parts: no LAST-PART', noParts, { msn: 3, part: undefined }, { uri: 'r.m3u8', lastMsn: 3 }],
  ])('%s', (_, timeline, edge, report) => {
    expect(liveEdge(timeline)).toEqual(edge);
    expect(renditionReport('r.m3u8', timeline)).toStrictEqual(report);
  });
});

describe('partUri / parsePartUri', () => {
  it('round-trips', () => {
    expect(partUri(13, 2)).toBe('13.2.m4s');
    expect(parsePartUri('13.2.m4s')).toEqual({ msn: 13, index: 2 });
    expect(parsePartUri('0.0.m4s')).toEqual({ msn: 0, index: 0 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), fc.integer({ min: 0, max: 999_999 }), (msn, index) => {
        expect(parsePartUri(partUri(msn, index))).toEqual({ msn, index });
      }),
    );
  });

  it.each(['01.0.m4s', '1.00.m4s', '1.m4s', '1.0.mp4', '../1.0.m4s', '1.0.m4s/x', '1.0.m4s?x', '-1.0.m4s', '1.-1.m4s', '1.0.0.m4s', '1.0.M4S', '', '1.0.m4s\n'])('rejects %j', (name) => {
    expect(parsePartUri(name)).toBeUndefined();
  });
});

describe('appendLivePart', () => {
  const open = liveAt13();

  it.each<[string, LiveTimeline, LivePart, RegExp]>([
    ['skipping a part of the open segment', open, part(13, 3), /^part\.index: must be 2/],
    ['repeating a part of the open segment', open, part(13, 1), /^part\.index: must be 2/],
    ['a new segment not starting at part 0', open, part(14, 1), /^part\.index: a new segment starts with part 0/],
    ['a part of a listed segment', open, part(12, 4), /^part\.msn: must be an integer ≥ 13/],
    ['a part of an older segment than the open one', addParts(timelineOf(10, 12), 14, 1), part(13, 0), /^part\.msn: segment 14 is being written/],
    ['a non-integer msn', open, { ...part(13, 2), msn: 13.5 }, /^part\.msn/],
    ['a timeline without a part target', createLiveTimeline(2, 0), part(0, 0), /^part: the timeline has no part target/],
  ])('throws on %s', (_, timeline, bad, message) => {
    const error = hlsErrorOf(() => appendLivePart(timeline, bad, tags(bad.msn)));
    expect(error.code).toBe('ERR_HLS_INVALID');
    expect(error.message).toMatch(message);
  });

  it('appends to the open segment or opens the next one; the segment\'s tags come from its first part', () => {
    const next = appendLivePart(open, part(13, 2), tags(13, { discontinuity: true }));
    expect(next.open).toMatchObject({ msn: 13, discontinuity: false, parts: [{ uri: '13.0.m4s' }, { uri: '13.1.m4s' }, { uri: '13.2.m4s' }] });
    expect(open.open!.parts).toHaveLength(2);
    const skipped = appendLivePart(open, part(15, 0), tags(15, { generation: 3 }));
    expect(skipped.open).toMatchObject({ msn: 15, generation: 3, parts: [{ uri: '15.0.m4s' }] });
  });
});

/**
 * Random streams: parts of whole milliseconds within [85 %, 100 %] of the part target, segments
 * listed whole as the sum of their parts, sometimes a skipped msn or a new init generation.
 */
describe('LL-HLS timeline: property', () => {
  interface Plan {
    readonly partTargetMs: number;
    readonly firstMsn: number;
    readonly windowSegments: number;
    readonly segments: ReadonlyArray<{ readonly gap: boolean; readonly restart: boolean; readonly partFractions: readonly number[]; readonly complete: boolean }>;
  }

  const plan: fc.Arbitrary<Plan> = fc.record({
    partTargetMs: fc.constantFrom(193, 200, 201, 202, 210, 333, 500, 1002),
    firstMsn: fc.integer({ min: 0, max: 1000 }),
    windowSegments: fc.integer({ min: 3, max: 8 }),
    segments: fc.array(
      fc.record({
        gap: fc.boolean(),
        restart: fc.boolean(),
        partFractions: fc.array(fc.double({ min: 0.85, max: 1, noNaN: true }), { minLength: 1, maxLength: 12 }),
        complete: fc.boolean(),
      }),
      { minLength: 1, maxLength: 14 },
    ),
  });

  function check(timeline: LiveTimeline): void {
    const options: LiveViewOptions = { playlistType: 'sliding', renditionReports: [{ uri: '../a/index.m3u8', lastMsn: 0 }] };
    const full = liveLowLatencyPlaylist(timeline, options);
    renderMediaPlaylist(full, { partDurations: 'strict' });
    const delta = liveLowLatencyPlaylist(timeline, { ...options, skip: true });
    renderMediaPlaylist(delta, { partDurations: 'strict' });
    expect((delta.skip?.skippedSegments ?? 0) + delta.segments.length).toBe(full.segments.length);
    renderMediaPlaylist(liveLowLatencyPlaylist(timeline, { ...options, view: 'plain' }), { partDurations: 'strict' });

    const open = timeline.open;
    const hint = open === undefined ? partUri(timeline.nextMsn, 0) : partUri(open.msn, open.parts.length);
    expect(full.preloadHints).toEqual([{ type: 'PART', uri: hint }]);

    const edge = liveEdge(timeline);
    if (edge === undefined) return;
    expect(edge.part).toBeDefined();
    expect(blockingReloadState(timeline, { msn: edge.msn, part: edge.part! })).toBe('ready');
    expect(blockingReloadState(timeline, { msn: edge.msn })).toBe(open === undefined ? 'ready' : 'wait');
    if (open !== undefined) {
      // The edge is in the open segment: its next part (the preload hint) is waited for.
      expect(blockingReloadState(timeline, { msn: edge.msn, part: edge.part! + 1 })).toBe('wait');
      expect(partState(timeline, edge.msn, edge.part! + 1)).toBe('pending');
    } else {
      // The edge is a complete segment: a part past its last is covered by the segment itself
      // ('ready' by design), and the hinted part 0 of the next msn is pending.
      expect(blockingReloadState(timeline, { msn: edge.msn, part: edge.part! + 1 })).toBe('ready');
      expect(partState(timeline, timeline.nextMsn, 0)).toBe('pending');
      // That hinted part is waited for, however few parts the last segment had.
      expect(blockingReloadState(timeline, { msn: timeline.nextMsn, part: 0 })).toBe('wait');
    }
    expect(partState(timeline, edge.msn, edge.part!)).toBe('listed');
    expect(blockingReloadState(timeline, { msn: edge.msn + 3 })).toBe('too-far');
  }

  it('renders strictly valid playlists; the edge is ready and the part after it waits', () => {
    fc.assert(
      fc.property(plan, (p) => {
        const partTarget = p.partTargetMs / 1000;
        const policy: LiveWindowPolicy = { windowSegments: p.windowSegments, keepAfterWindowSegments: 1, playlistType: 'sliding' };
        let timeline = createLiveTimeline(2, p.firstMsn, partTarget);
        let msn = p.firstMsn;
        let generation = 0;
        check(timeline);
        for (const [n, s] of p.segments.entries()) {
          if (s.gap) msn += 1;
          if (s.restart) generation += 1;
          const segmentTags = { programDateTimeMs: T0 + msn * 2000, discontinuity: s.restart, generation };
          const partMs = s.partFractions.map((f) => Math.max(Math.ceil(0.85 * p.partTargetMs), Math.min(p.partTargetMs, Math.round(f * p.partTargetMs))));
          for (const [index, ms] of partMs.entries()) {
            timeline = appendLivePart(timeline, { msn, index, uri: partUri(msn, index), durationSeconds: ms / 1000, independent: index === 0, byteLength: 100 }, segmentTags);
            check(timeline);
          }
          const last = n === p.segments.length - 1;
          if (!last || s.complete) {
            const parts = timeline.open!.parts;
            const durationSeconds = partMs.reduce((a, b) => a + b, 0) / 1000;
            timeline = appendLiveSegment(timeline, { msn, uri: `${msn}.m4s`, durationSeconds, byteLength: 100 * parts.length, ...segmentTags, parts }, policy).timeline;
            expect(timeline.open).toBeUndefined();
            check(timeline);
          }
          msn += 1;
        }
        const ended = endLiveTimeline(timeline);
        const text = renderMediaPlaylist(liveLowLatencyPlaylist(ended, { playlistType: 'sliding' }), { partDurations: 'strict' });
        expect(text).not.toContain('EXT-X-PRELOAD-HINT');
        expect(text.endsWith('#EXT-X-ENDLIST\n')).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

describe('blockingReloadState after a short segment, partState of a skipped number (found by the property)', () => {
  const tags = { programDateTimeMs: 0, discontinuity: false, generation: 0 };
  const policy: LiveWindowPolicy = { windowSegments: 5, keepAfterWindowSegments: 1, playlistType: 'sliding' };

  it('the next segment’s part 0 waits even when the last segment had one part of the eight a target duration holds', () => {
    let t = createLiveTimeline(4, 0, 0.5);
    t = appendLivePart(t, { msn: 0, index: 0, uri: '0.0.m4s', durationSeconds: 0.5, independent: true, byteLength: 1 }, tags);
    t = appendLiveSegment(t, { msn: 0, uri: '0.m4s', durationSeconds: 0.5, byteLength: 1, programDateTimeMs: 0, discontinuity: false, generation: 0, parts: t.open!.parts }, policy).timeline;
    expect(blockingReloadState(t, { msn: 1, part: 0 })).toBe('wait');
    expect(blockingReloadState(t, { msn: 1, part: 5 })).toBe('wait');
    // Advance Part Limit 3 / 0.5 = 6: part 6 of the next segment is 7 parts ahead.
    expect(blockingReloadState(t, { msn: 1, part: 6 })).toBe('too-far');
  });

  it('a part of a number the open segment skipped never appears', () => {
    let t = createLiveTimeline(2, 12, 0.2);
    t = appendLivePart(t, { msn: 14, index: 0, uri: '14.0.m4s', durationSeconds: 0.2, independent: true, byteLength: 1 }, tags);
    expect(partState(t, 13, 0)).toBe('never');
    expect(partState(t, 14, 1)).toBe('pending');
  });
});
