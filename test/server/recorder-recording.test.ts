import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveSegmentEvent } from '../../src/hls/index.js';
import { Recording, type RecordingContext, type RecordingEvent } from '../../src/server/recorder-recording.js';
import { joinPieces, storedFile, type StoredFile } from '../../src/store/index.js';

/**
 * One recording's writes (recorder-recording.ts) with files made of small pieces: parts appended to
 * their segment's file as they come, and the segment's put making the file equal to the segment.
 */

const T0 = Date.UTC(2026, 11, 7, 13, 0, 0);
let dir = '';
let events: RecordingEvent[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-recording-'));
  events = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const piece = (text: string): Uint8Array => new TextEncoder().encode(text);
const file = (pieces: Uint8Array[]): StoredFile => storedFile(pieces, 'video/mp4');
const INIT = file([piece('ftyp'), piece('moov')]);

function context(overrides: Partial<RecordingContext> = {}): RecordingContext {
  return {
    now: () => T0,
    emit: (e) => events.push(e),
    minTargetSeconds: 2,
    maxQueuedBytes: 1 << 20,
    source: {
      describe: (name) => ({ name, kind: 'video', codecs: 'avc1.64001f', width: 320, height: 240, frameRate: 30 }),
      init: () => ({ generation: 0, file: INIT }),
    },
    ...overrides,
  };
}

function segmentEvent(msn: number, durationSeconds = 2): LiveSegmentEvent {
  return { track: 'video', trackId: 1, msn, durationSeconds, byteLength: 0, programDateTimeMs: T0 + msn * 2000, generation: 0, discontinuity: false };
}

const onDisk = async (rel: string): Promise<string> => Buffer.from(await readFile(join(dir, 'live/cam/rec', rel))).toString('latin1');
const text = (f: StoredFile): string => Buffer.from(joinPieces(f)).toString('latin1');

describe('Recording: parts appended, segments made equal at their put', () => {
  it('appends each part as it comes; the segment put adds what its parts lacked (a trailing part never put alone)', async () => {
    const recording = new Recording(dir, 'live/cam/rec', { app: 'live', streamKey: 'cam', startedAtMs: T0 }, context());
    const p0 = file([piece('styp'), piece('moof0'), piece('mdat0')]);
    const p1 = file([piece('moof1'), piece('mdat1')]);
    recording.part('video', 5, 0, p0);
    await recording.idle();
    expect(await onDisk('video/5.m4s')).toBe(text(p0));
    expect(await onDisk('video/init-0.mp4')).toBe(text(INIT));
    recording.part('video', 5, 1, p1);
    await recording.idle();
    expect(await onDisk('video/5.m4s')).toBe(text(p0) + text(p1));
    // The segment: its parts' very pieces, then a zero-duration trailing fragment.
    const segment = file([...p0.pieces, ...p1.pieces, piece('moof2'), piece('mdat2')]);
    recording.segmentEvent(segmentEvent(5));
    recording.segment('video', 5, segment);
    await recording.idle();
    expect(await onDisk('video/5.m4s')).toBe(text(segment));
    expect(await onDisk('video/index.m3u8')).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(await onDisk('video/index.m3u8')).not.toContain('#EXT-X-ENDLIST');
    expect(events.map((e) => e.type)).toEqual(['started', 'segment_completed']);
    expect(events[1]).toMatchObject({ rendition: 'video', msn: 5, byteLength: segment.byteLength });
  });

  it('writes a segment whole when a part was missed, or when its pieces are not its parts', async () => {
    const recording = new Recording(dir, 'live/cam/rec', { app: 'live', streamKey: 'cam', startedAtMs: T0 }, context());
    // Started mid-segment: part 1 of msn 6 has no part 0 before it, so nothing is appended.
    recording.part('video', 6, 1, file([piece('moof1'), piece('mdat1')]));
    await recording.idle();
    await expect(stat(join(dir, 'live/cam/rec/video/6.m4s'))).rejects.toThrow();
    const six = file([piece('styp'), piece('moof0'), piece('mdat0'), piece('moof1'), piece('mdat1')]);
    recording.segmentEvent(segmentEvent(6));
    recording.segment('video', 6, six);
    // Same bytes, other objects: not provably the parts' prefix, so rewritten whole.
    recording.part('video', 7, 0, file([piece('styp'), piece('XXXX')]));
    const seven = file([piece('styp'), piece('moof0'), piece('mdat0')]);
    recording.segment('video', 7, seven);
    recording.segmentEvent(segmentEvent(7));
    await recording.idle();
    expect(await onDisk('video/6.m4s')).toBe(text(six));
    expect(await onDisk('video/7.m4s')).toBe(text(seven));
    // A segment file whose segment never came (the packager dropped an empty one) goes when the next one opens.
    recording.part('video', 8, 0, file([piece('styp'), piece('lost')]));
    recording.part('video', 9, 0, file([piece('styp'), piece('moof0')]));
    await recording.idle();
    await expect(stat(join(dir, 'live/cam/rec/video/8.m4s'))).rejects.toThrow();
    // Finished mid-segment: the open segment is not listed and its file goes.
    await recording.finish();
    await expect(stat(join(dir, 'live/cam/rec/video/9.m4s'))).rejects.toThrow();
    const playlist = await onDisk('video/index.m3u8');
    expect(playlist).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:6',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-MAP:URI="init-0.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2026-12-07T13:00:12.000Z',
        '#EXTINF:2,',
        '6.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2026-12-07T13:00:14.000Z',
        '#EXTINF:2,',
        '7.m4s',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
    const info = JSON.parse(await onDisk('recording.json'));
    expect(info).toMatchObject({ version: 1, id: 'live/cam/rec', app: 'live', streamKey: 'cam', startedAtMs: T0, endedAtMs: T0 + 16_000, state: 'complete', durationSeconds: 4 });
    expect(info.bytes).toBe(INIT.byteLength + six.byteLength + seven.byteLength);
    expect(info.renditions).toEqual([{ name: 'video', kind: 'video', codecs: 'avc1.64001f', width: 320, height: 240, frameRate: 30, bandwidth: expect.any(Number) }]);
    expect(await onDisk('index.m3u8')).toMatch(/^#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1.64001f",RESOLUTION=320x240,FRAME-RATE=30.000\nvideo\/index.m3u8\n$/);
    expect(events.at(-1)).toMatchObject({ type: 'completed', id: 'live/cam/rec', durationSeconds: 4, endedAtMs: T0 + 16_000 });
  });

  it('takes another folder when the template gives one that exists', async () => {
    const first = new Recording(dir, 'live/cam/rec', { app: 'live', streamKey: 'cam', startedAtMs: T0 }, context());
    await first.finish();
    const second = new Recording(dir, 'live/cam/rec', { app: 'live', streamKey: 'cam', startedAtMs: T0 }, context());
    await second.finish();
    expect(second.id).toBe('live/cam/rec-1');
    expect(events.filter((e) => e.type === 'started').map((e) => e.id)).toEqual(['live/cam/rec', 'live/cam/rec-1']);
  });

  it('fails, rather than hold more, when more bytes wait for the disk than maxQueuedBytes', async () => {
    const recording = new Recording(dir, 'live/cam/rec', { app: 'live', streamKey: 'cam', startedAtMs: T0 }, context({ maxQueuedBytes: 16 }));
    recording.part('video', 1, 0, file([piece('styp'), piece('a fragment longer than sixteen bytes')]));
    await recording.finish();
    expect(recording.active).toBe(false);
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ reason: expect.stringMatching(/not keeping up: more than 16 bytes waiting/) });
    expect(events.some((e) => e.type === 'completed')).toBe(false);
  });
});
