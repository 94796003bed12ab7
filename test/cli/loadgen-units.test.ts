import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkLoadgenOptions, indexedUrl, type LoadgenOptions } from '../../src/cli/loadgen.js';
import { parseLoadgenArgs } from '../../src/cli/loadgen-command.js';
import { lastPartPosition, nextPartPosition, parseMediaPlaylist, pickRenditions } from '../../src/cli/loadgen-playlist.js';
import { recordingOf } from '../../src/cli/loadgen-publisher.js';
import { cacheVerdict, latencyFigures, LoadRecorder, percentile, renderSummary, type RequestRecord } from '../../src/cli/loadgen-stats.js';
import { startPosition } from '../../src/cli/loadgen-viewer.js';
import { fixturePath } from '../helpers/ffmpeg.js';

/** The load generator's pure parts: the summary's maths, the playlist reading, the options. */

/** docs/ll-hls.md's example playlist after 2.5 s of frames: segments 0 and 1 complete, 2 being written. */
const LIVE = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:1
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6,HOLD-BACK=3,PART-HOLD-BACK=0.603
#EXT-X-PART-INF:PART-TARGET=0.201
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-DISCONTINUITY-SEQUENCE:0
#EXT-X-MAP:URI="init-0.mp4"
#EXT-X-PROGRAM-DATE-TIME:2026-05-01T12:00:00.000Z
#EXT-X-PART:DURATION=0.2,URI="0.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.2,URI="0.1.m4s"
#EXT-X-PART:DURATION=0.2,URI="0.2.m4s"
#EXT-X-PART:DURATION=0.2,URI="0.3.m4s"
#EXT-X-PART:DURATION=0.2,URI="0.4.m4s"
#EXTINF:1,
0.m4s
#EXT-X-PART:DURATION=0.2,URI="1.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.2,URI="1.1.m4s"
#EXTINF:0.4,
1.m4s
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2026-05-01T12:00:05.000Z
#EXT-X-MAP:URI="init-1.mp4"
#EXT-X-PART:DURATION=0.2,URI="2.0.m4s",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.2,URI="2.1.m4s"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="2.2.m4s"
`;
const T0 = Date.parse('2026-05-01T12:00:00.000Z');

describe('loadgen summary maths', () => {
  it('nearest-rank percentiles: every figure is a sample', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect([0.5, 0.95, 0.99, 1].map((p) => percentile(ten, p))).toEqual([5, 10, 10, 10]);
    expect(percentile([7], 0.5)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(latencyFigures(hundred)).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
  });

  it('per kind: counts, statuses, latency of answered requests only, bytes, cache verdicts; errors across kinds', () => {
    const recorder = new LoadRecorder();
    const r = (kind: RequestRecord['kind'], status: number, latencyMs: number, cache: RequestRecord['cache'] = undefined): void => recorder.request({ kind, status, latencyMs, bytes: 100, cache });
    r('blocking', 200, 10, 'hit');
    r('blocking', 200, 30, 'miss');
    r('blocking', 503, 20);
    r('blocking', 0, 15_000);
    r('part', 404, 5);
    r('part', 200, 1, 'hit');
    recorder.partDelay(12, true);
    recorder.partDelay(900, false);
    recorder.continuity('one');
    recorder.joined = 2;
    const s = recorder.summary({ url: 'u', durationSeconds: 8, viewers: 3 });
    expect(s.kinds.blocking).toEqual({ count: 4, statuses: { 200: 2, 503: 1, 0: 1 }, latencyMs: { count: 3, p50: 20, p95: 30, p99: 30, max: 30 }, bytes: 400, cache: { hits: 1, misses: 1, unknown: 2 } });
    expect(s.kinds.part?.statuses).toEqual({ 200: 1, 404: 1 });
    expect(s.kinds.segment).toBeUndefined();
    expect(s.errors).toEqual({ notFound: 1, serverErrors: 1, network: 1 });
    expect(s.partDelayMs.hinted).toEqual({ count: 1, p50: 12, p95: 12, p99: 12, max: 12 });
    expect(s.partDelayMs.listed.p50).toBe(900);
    expect(s.continuity).toEqual({ errors: 1, first: ['one'] });
    expect(s.viewers).toEqual({ planned: 3, joined: 2, waiting404: 0 });
    expect(renderSummary(s)).toContain('| blocking | 4 | error×1 200×2 503×1 | 20.0 | 30.0 | 30.0 | 30.0 | 0.0 | 1/1 |');
  });

  it('cache verdicts from Varnish, nginx and Age', () => {
    const headers = (h: Record<string, string>) => (name: string) => h[name] ?? null;
    expect(cacheVerdict(headers({ 'x-cache': 'HIT' }))).toBe('hit');
    expect(cacheVerdict(headers({ 'x-cache': 'MISS', age: '3' }))).toBe('miss');
    for (const s of ['HIT', 'STALE', 'UPDATING', 'REVALIDATED']) expect(cacheVerdict(headers({ 'x-cache-status': s }))).toBe('hit');
    for (const s of ['MISS', 'EXPIRED', 'BYPASS']) expect(cacheVerdict(headers({ 'x-cache-status': s }))).toBe('miss');
    expect(cacheVerdict(headers({ age: '1' }))).toBe('hit');
    expect(cacheVerdict(headers({ age: '0' }))).toBeUndefined();
    expect(cacheVerdict(headers({}))).toBeUndefined();
  });
});

describe('loadgen playlist reading', () => {
  it('numbers segments and parts by position, with availability from PROGRAM-DATE-TIME and discontinuities', () => {
    const p = parseMediaPlaylist(LIVE);
    expect(p).toMatchObject({ mediaSequence: 0, discontinuitySequence: 0, targetDurationSeconds: 1, partTargetSeconds: 0.201, preloadHintUri: '2.2.m4s', endList: false });
    expect(p.segments.map((s) => [s.msn, s.uri, s.parts.length, s.discontinuity, s.mapUri])).toEqual([
      [0, '0.m4s', 5, false, 'init-0.mp4'],
      [1, '1.m4s', 2, false, 'init-0.mp4'],
      [2, undefined, 2, true, 'init-1.mp4'],
    ]);
    // Segment 1 has no PROGRAM-DATE-TIME of its own: it follows segment 0's (1 s later).
    expect(p.segments[1]!.programDateTimeMs).toBe(T0 + 1000);
    expect(p.segments[0]!.parts.map((x) => x.availableAtMs! - T0)).toEqual([200, 400, 600, 800, 1000]);
    expect(p.segments[1]!.parts[1]!.availableAtMs! - T0).toBeCloseTo(1400, 6);
    expect(p.segments[2]!.parts[0]).toMatchObject({ uri: '2.0.m4s', msn: 2, index: 0, independent: true, availableAtMs: T0 + 5200 });
    expect(nextPartPosition(p)).toEqual({ msn: 2, index: 2 });
    expect(lastPartPosition(p)).toEqual({ msn: 2, index: 1 });
    expect(startPosition(p)).toEqual({ msn: 2, index: 0 });
  });

  it('after a complete last segment, the next part is part 0 of the next one; no PROGRAM-DATE-TIME, no availability', () => {
    const p = parseMediaPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:41\n#EXT-X-PART:DURATION=1,URI="a"\n#EXTINF:1,\n41.m4s\n#EXT-X-ENDLIST\n');
    expect(nextPartPosition(p)).toEqual({ msn: 42, index: 0 });
    expect(p.segments[0]!.parts[0]!.availableAtMs).toBeUndefined();
    expect(p.endList).toBe(true);
    expect(nextPartPosition(parseMediaPlaylist('#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:7\n'))).toEqual({ msn: 7, index: 0 });
  });

  it('picks the first variant and its default audio rendition, or the media playlist itself', () => {
    const multivariant = [
      '#EXTM3U',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="other",NAME="x",URI="other/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",URI="audio/index.m3u8"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="fr",DEFAULT=YES,URI="audio-fr/index.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=900000,CODECS="avc1.64001f,mp4a.40.2",AUDIO="aud"',
      'video/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=300000,AUDIO="aud"',
      'low/index.m3u8',
    ].join('\n');
    expect(pickRenditions(multivariant, 'self')).toEqual({ multivariant: true, uris: ['video/index.m3u8', 'audio-fr/index.m3u8'] });
    expect(pickRenditions(LIVE, 'self')).toEqual({ multivariant: false, uris: ['self'] });
  });
});

describe('loadgen options and recording', () => {
  const good: LoadgenOptions = { url: 'http://h/live/k/index.m3u8', viewers: 2, durationSeconds: 5, rampSeconds: 1, publishers: 1, publishUrl: 'rtmp://h/live/k', file: 'f.flv' };

  it('checks each option, naming it', () => {
    expect(() => checkLoadgenOptions(good)).not.toThrow();
    const cases: Array<[Partial<LoadgenOptions>, string]> = [
      [{ viewers: 1.5 }, '--viewers'],
      [{ durationSeconds: 0 }, '--duration'],
      [{ rampSeconds: 5 }, '--ramp'],
      [{ url: 'rtmp://h/x' }, '--url'],
      [{ publishUrl: 'http://h/x' }, '--publish-url'],
      [{ file: undefined }, '--file'],
    ];
    for (const [change, option] of cases) expect(() => checkLoadgenOptions({ ...good, ...change }), option).toThrow(`option ${option} must be`);
    expect(() => parseLoadgenArgs(['--url', 'http://h/x', '--viewers', 'ten'], '/')).toThrow('option --viewers must be a decimal number, got ten');
    expect(() => parseLoadgenArgs(['--bogus'], '/')).toThrow('option arguments must be');
    expect(parseLoadgenArgs(['--url', 'http://h/x', '--file', 'a.flv', '--json', 'out.json'], '/tmp')).toMatchObject({ options: { url: 'http://h/x', viewers: 10, durationSeconds: 30, rampSeconds: 2, publishers: 0, file: '/tmp/a.flv' }, json: '/tmp/out.json' });
    expect(parseLoadgenArgs(['--url', 'http://h/x', '--reconnect'], '/')).toMatchObject({ options: { reconnect: true } });
    expect(parseLoadgenArgs(['--url', 'http://h/x'], '/')).not.toHaveProperty('options.reconnect');
  });

  it('{i} in URLs, and -i after the key for several publishers', () => {
    expect(indexedUrl('rtmp://h/live/k', 0, 1)).toBe('rtmp://h/live/k');
    expect(indexedUrl('rtmp://h/live/k', 2, 3)).toBe('rtmp://h/live/k-2');
    expect(indexedUrl('rtmp://h/live/k{i}x', 2, 3)).toBe('rtmp://h/live/k2x');
    expect(indexedUrl('http://h/live/k-{i}/index.m3u8', 1, 2)).toBe('http://h/live/k-1/index.m3u8');
    expect(indexedUrl('http://h/live/k/index.m3u8', 1, 2)).toBe('http://h/live/k/index.m3u8');
  });

  it('a recording replays its tags from 0 ms, metadata and sequence headers once, and loops one frame after its last tag', () => {
    const rec = recordingOf(readFileSync(fixturePath('media/h264-aac.flv')));
    expect(rec.tags[0]!.offsetMs).toBe(0);
    expect(rec.tags.filter((t) => t.once).map((t) => t.type).sort()).toEqual([18, 8, 9].sort());
    const last = Math.max(...rec.tags.map((t) => t.offsetMs));
    expect(rec.loopMs).toBeGreaterThan(last);
    expect(rec.loopMs).toBeLessThanOrEqual(last + 50);
    expect(rec.loopMs).toBeGreaterThan(9000);
    // Where a reconnected publish resumes: the first coded video frame is a keyframe, and there are more (a 2 s GOP).
    expect(rec.tags.find((t) => t.type === 9 && !t.once)?.keyframe).toBe(true);
    expect(rec.tags.filter((t) => t.keyframe).length).toBeGreaterThanOrEqual(4);
    expect(rec.tags.filter((t) => t.keyframe).every((t) => t.type === 9 && !t.once)).toBe(true);
  });
});
