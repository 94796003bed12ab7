import { describe, expect, it } from 'vitest';
import { HlsLivePackager, resolveLiveOptions, type LivePackagerOptions, type LiveSegmentEvent } from '../../src/hls/index.js';
import type { Sample, Track } from '../../src/media/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { arrival, audioTrack, T0, text, videoFrames, videoTrack } from './live-helpers.js';

function packager(options: LivePackagerOptions = {}): { store: MemoryStore; p: HlsLivePackager; events: LiveSegmentEvent[] } {
  const store = new MemoryStore();
  const events: LiveSegmentEvent[] = [];
  const p = new HlsLivePackager(store, { lowLatency: false, ...options, onSegment: (e) => events.push(e) });
  return { store, p, events };
}

/** Pushes frames `from` … `to − 1`, each arriving at `clock(i)`. */
function push(p: HlsLivePackager, from: number, to: number, clock = (i: number) => arrival(i), gop = 60, dtsOrigin = 0): void {
  for (const sample of videoFrames(from, to, gop, dtsOrigin)) p.pushSample(sample, clock(Math.round((sample.dts - dtsOrigin) / 3000)));
}

const HEADER = '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-TARGETDURATION:2\n';

/** The lines of segment `msn`, 2 s long, whose first sample arrived `pdtSeconds` after T0. */
function segment(msn: number, pdtSeconds: number, extinf = '2'): string {
  return `#EXT-X-PROGRAM-DATE-TIME:${new Date(T0 + pdtSeconds * 1000).toISOString()}\n#EXTINF:${extinf},\n${msn}.m4s\n`;
}

describe('HlsLivePackager: sliding window', () => {
  it('lists the last 6 segments, counting the media sequence up, PDT from the arrival clock', () => {
    const { store, p, events } = packager();
    p.setTracks([videoTrack()], T0);
    push(p, 0, 9 * 60 + 1);
    expect(text(store, 'video/index.m3u8')).toBe(
      `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:3
#EXT-X-DISCONTINUITY-SEQUENCE:0
#EXT-X-MAP:URI="init-0.mp4"
#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:06.000Z
#EXTINF:2,
3.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:08.000Z
#EXTINF:2,
4.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:10.000Z
#EXTINF:2,
5.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:12.000Z
#EXTINF:2,
6.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:14.000Z
#EXTINF:2,
7.m4s
#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:16.000Z
#EXTINF:2,
8.m4s
`,
    );
    expect(text(store, 'index.m3u8')).toBe(
      `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=24544,AVERAGE-BANDWIDTH=24544,CODECS="avc1.64000d",RESOLUTION=320x240,FRAME-RATE=30.000
video/index.m3u8
`,
    );
    expect(events.map((e) => e.msn)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events[1]).toEqual({ track: 'video', trackId: 1, msn: 1, durationSeconds: 2, byteLength: 6136, programDateTimeMs: T0 + 2000, generation: 0, discontinuity: false });
  });

  it('after 3 segments the playlist holds exactly those, starting at media sequence 0', () => {
    const { store, p } = packager();
    p.setTracks([videoTrack()], T0);
    push(p, 0, 60);
    expect(store.list()).toEqual(['video/init-0.mp4']);
    push(p, 60, 3 * 60 + 1);
    expect(text(store, 'video/index.m3u8')).toBe(`${HEADER}#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-MAP:URI="init-0.mp4"\n${segment(0, 0)}${segment(1, 2)}${segment(2, 4)}`);
  });

  it('PROGRAM-DATE-TIME is the first arrival plus media time: arrival jitter does not move the dates', () => {
    const { store, p, events } = packager();
    p.setTracks([videoTrack()], T0);
    // Frames arrive late and unevenly (40 ms apart, ±15 ms) but their media time steps 33.3 ms.
    push(p, 0, 2 * 60 + 1, (i) => T0 + 1234 + i * 40 + (i % 2 === 0 ? 15 : -15));
    expect(events.map((e) => e.programDateTimeMs)).toEqual([T0 + 1249, T0 + 1249 + 2000]);
    expect(text(store, 'video/index.m3u8')).toContain('#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:03.249Z\n#EXTINF:2,\n1.m4s\n');
  });

  it('deletes a segment from the store keepAfterWindowSegments segments after it left the playlist', () => {
    const { store, p } = packager({ keepAfterWindowSegments: 2 });
    p.setTracks([videoTrack()], T0);
    push(p, 0, 8 * 60 + 1);
    // 8 segments: 2..7 listed, 0 and 1 kept for clients that read the previous playlist.
    expect(store.list('video/').filter((f) => f.endsWith('.m4s'))).toEqual(['video/0.m4s', 'video/1.m4s', 'video/2.m4s', 'video/3.m4s', 'video/4.m4s', 'video/5.m4s', 'video/6.m4s', 'video/7.m4s']);
    push(p, 8 * 60 + 1, 9 * 60 + 1);
    expect(store.has('video/0.m4s')).toBe(false);
    expect(store.has('video/1.m4s')).toBe(true);
    expect(store.list('video/').filter((f) => f.endsWith('.m4s'))).toHaveLength(6 + 2);
  });

  it('retires each segment as it leaves the hot segments (after the playlist listing the next is written), then deletes it once expired', () => {
    const calls: string[] = [];
    class Recording extends MemoryStore {
      override put(path: string, file: Parameters<MemoryStore['put']>[1]): void {
        if (path.endsWith('index.m3u8')) calls.push(`put ${path}`);
        super.put(path, file);
      }
      override retire(path: string): void {
        calls.push(`retire ${path}`);
        super.retire(path);
      }
      override delete(path: string): void {
        calls.push(`delete ${path}`);
        super.delete(path);
      }
    }
    const run = (options: LivePackagerOptions): string[] => {
      calls.length = 0;
      const p = new HlsLivePackager(new Recording(), { lowLatency: false, ...options });
      p.setTracks([videoTrack()], T0);
      push(p, 0, 9 * 60 + 1);
      return calls.filter((c) => !c.startsWith('put'));
    };
    // Default: segment n cools (still listed) when segment n + 2 is added, leaves the 6-segment
    // window with segment n + 6 (retired already: not again), and goes two segments later.
    const retired = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `retire video/${from + i}.m4s`);
    expect(run({ keepAfterWindowSegments: 2 })).toEqual([...retired(0, 6), 'delete video/0.m4s']);
    const retire0 = calls.indexOf('retire video/0.m4s');
    expect(calls[retire0 - 1]).toBe('put video/index.m3u8');
    // As many hot segments as the window: retired as they leave the playlist.
    expect(run({ keepAfterWindowSegments: 2, hotSegments: 6 })).toEqual([...retired(0, 2), 'delete video/0.m4s']);
    expect(calls[calls.indexOf('retire video/0.m4s') - 1]).toBe('put video/index.m3u8');
    // EVENT playlists retire what cools and never delete.
    expect(run({ playlistType: 'EVENT' })).toEqual(retired(0, 6));
    expect(run({ playlistType: 'EVENT', hotSegments: 20 })).toEqual([]);
  });

  it('EVENT playlists keep every segment, in the playlist and the store', () => {
    const { store, p } = packager({ playlistType: 'EVENT' });
    p.setTracks([videoTrack()], T0);
    push(p, 0, 9 * 60 + 1);
    const playlist = text(store, 'video/index.m3u8');
    expect(playlist.startsWith(`${HEADER}#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-MAP:URI="init-0.mp4"\n${segment(0, 0)}`)).toBe(true);
    expect(playlist.match(/\.m4s/g)).toHaveLength(9);
    expect(store.has('video/0.m4s')).toBe(true);
  });

  it('TARGETDURATION follows a first GOP longer than the segment target, before any playlist is written', () => {
    const { store, p } = packager();
    p.setTracks([videoTrack()], T0);
    push(p, 0, 3 * 150 + 1, undefined, 150);
    expect(text(store, 'video/index.m3u8')).toBe(
      '#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-TARGETDURATION:5\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-MAP:URI="init-0.mp4"\n' +
        `${segment(0, 0, '5')}${segment(1, 5, '5')}${segment(2, 10, '5')}`,
    );
    expect(p.renditions[0]!.timeline.targetDurationRaises).toBe(0);
  });
});

describe('HlsLivePackager: discontinuities', () => {
  it('a codec change: new init segment, DISCONTINUITY and a new MAP; DISCONTINUITY-SEQUENCE counts it once it slides out', () => {
    const { store, p, events } = packager({ keepAfterWindowSegments: 2 });
    p.setTracks([videoTrack()], T0);
    push(p, 0, 120);
    p.setTracks([videoTrack()], arrival(120));
    expect(p.counters.generations).toBe(1);
    p.setTracks([videoTrack([1, 0x64, 0, 0x1f, 0xff, 0xe0])], arrival(120));
    expect(store.has('video/init-1.mp4')).toBe(true);
    push(p, 120, 6 * 60 + 1);
    expect(text(store, 'video/index.m3u8')).toBe(
      `${HEADER}#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-MAP:URI="init-0.mp4"\n${segment(0, 0)}${segment(1, 2)}` +
        `#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="init-1.mp4"\n${segment(2, 4)}${segment(3, 6)}${segment(4, 8)}${segment(5, 10)}`,
    );
    expect(events.filter((e) => e.discontinuity).map((e) => [e.msn, e.generation])).toEqual([[2, 1]]);
    push(p, 6 * 60 + 1, 9 * 60 + 1);
    expect(text(store, 'video/index.m3u8')).toBe(
      `${HEADER}#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXT-X-MAP:URI="init-1.mp4"\n${[3, 4, 5, 6, 7, 8].map((n) => segment(n, 2 * n)).join('')}`,
    );
    expect(store.has('video/init-0.mp4')).toBe(true);
    push(p, 9 * 60 + 1, 10 * 60 + 1);
    // Segment 1, the last of generation 0, has now left the store: its init segment goes with it.
    expect(store.has('video/1.m4s')).toBe(false);
    expect(store.has('video/init-0.mp4')).toBe(false);
  });

  it('a republish: the same playlist goes on with continuous media sequence numbers and a DISCONTINUITY, then ENDLIST at end()', () => {
    const { store, p, events } = packager();
    p.setTracks([videoTrack()], T0);
    push(p, 0, 180);
    p.resume(T0 + 10_000);
    p.setTracks([videoTrack()], T0 + 10_000);
    // The new session's timestamps start again at 0, ten seconds of wall clock later.
    push(p, 0, 121, (i) => arrival(i, T0 + 10_000));
    expect(text(store, 'video/index.m3u8')).toBe(
      `${HEADER}#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-MAP:URI="init-0.mp4"\n${segment(0, 0)}${segment(1, 2)}${segment(2, 4)}` +
        `#EXT-X-DISCONTINUITY\n${segment(3, 10)}${segment(4, 12)}`,
    );
    expect(store.list('video/init')).toEqual(['video/init-0.mp4']);
    p.end(T0 + 15_000);
    expect(text(store, 'video/index.m3u8').endsWith(`#EXT-X-DISCONTINUITY\n${segment(3, 10)}${segment(4, 12)}${segment(5, 14, '0.03328')}#EXT-X-ENDLIST\n`)).toBe(true);
    expect(events.map((e) => e.msn)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(() => p.pushSample(videoFrames(0, 1)[0]!, T0 + 16_000)).toThrow(/after end/);
  });

  it('a republish after end(): ENDLIST goes, the next segment follows a DISCONTINUITY', () => {
    const { store, p } = packager();
    p.setTracks([videoTrack()], T0);
    push(p, 0, 121);
    p.end(arrival(121));
    expect(text(store, 'video/index.m3u8')).toBe(
      `${HEADER}#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-MAP:URI="init-0.mp4"\n${segment(0, 0)}${segment(1, 2)}${segment(2, 4, '0.03328')}#EXT-X-ENDLIST\n`,
    );
    p.resume(T0 + 60_000);
    push(p, 0, 61, (i) => arrival(i, T0 + 60_000), 60, 5_000_000);
    expect(text(store, 'video/index.m3u8')).toBe(
      `${HEADER}#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-MAP:URI="init-0.mp4"\n${segment(0, 0)}${segment(1, 2)}${segment(2, 4, '0.03328')}#EXT-X-DISCONTINUITY\n${segment(3, 60)}`,
    );
  });
});

describe('HlsLivePackager: audio and video', () => {
  it('audio is a rendition group of the multivariant playlist; both renditions share media sequence numbers', () => {
    const { store, p } = packager();
    p.setTracks([videoTrack(), audioTrack()], T0);
    const samples: Sample[] = [...videoFrames(0, 4 * 60 + 1)];
    for (let n = 0; n * 1024 < 48_000 * 8.1; n++) samples.push({ trackId: 2, dts: n * 1024, pts: n * 1024, duration: 1024, keyframe: true, data: new Uint8Array(10) });
    const seconds = (s: Sample): number => s.dts / (s.trackId === 1 ? 90_000 : 48_000);
    samples.sort((a, b) => seconds(a) - seconds(b));
    for (const s of samples) p.pushSample(s, T0 + Math.round(seconds(s) * 1000));
    expect(text(store, 'index.m3u8')).toBe(
      `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="default",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=28827,AVERAGE-BANDWIDTH=28827,CODECS="avc1.64000d,mp4a.40.2",RESOLUTION=320x240,FRAME-RATE=30.000,AUDIO="audio"
video/index.m3u8
`,
    );
    const audio = text(store, 'audio/index.m3u8');
    expect(audio).toContain('#EXT-X-MAP:URI="init-0.mp4"\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00.000Z\n#EXTINF:2.00528,\n0.m4s\n');
    expect(audio.match(/^\d+\.m4s$/gm)).toEqual(['0.m4s', '1.m4s', '2.m4s', '3.m4s']);
    expect(store.get('audio/0.m4s')?.contentType).toBe('audio/mp4');
    expect(store.get('video/init-0.mp4')?.contentType).toBe('video/mp4');
  });
});

describe('HlsLivePackager: input checks', () => {
  it('rejects bad options by name, samples before tracks, and clocks that are not epoch ms', () => {
    expect(() => new HlsLivePackager(new MemoryStore(), { windowSegments: 2 })).toThrow(/windowSegments/);
    expect(() => new HlsLivePackager(new MemoryStore(), { targetDurationSeconds: 1, segmentTargetSeconds: 2 })).toThrow(/targetDurationSeconds/);
    expect(() => new HlsLivePackager(new MemoryStore(), { playlistType: 'VOD' as 'EVENT' })).toThrow(/playlistType/);
    // A DVR window sizes the sliding window in time; it and windowSegments are one setting.
    expect(resolveLiveOptions({ dvrWindowSeconds: 300 }).windowSegments).toBe(150);
    expect(resolveLiveOptions({ dvrWindowSeconds: 7200, segmentTargetSeconds: 4 }).windowSegments).toBe(1800);
    expect(() => resolveLiveOptions({ dvrWindowSeconds: 300, windowSegments: 10 })).toThrow(/dvrWindowSeconds/);
    expect(() => resolveLiveOptions({ dvrWindowSeconds: 5 })).toThrow(/dvrWindowSeconds/);
    expect(() => resolveLiveOptions({ dvrWindowSeconds: 20_000 })).toThrow(/dvrWindowSeconds/);
    const p = new HlsLivePackager(new MemoryStore());
    expect(() => p.pushSample(videoFrames(0, 1)[0]!, T0)).toThrow(/before setTracks/);
    expect(() => p.resume(T0)).toThrow(/resume before/);
    expect(() => p.setTracks([] as Track[], T0)).toThrow(/at least one track/);
    expect(() => p.setTracks([videoTrack()], Number.NaN)).toThrow(/nowMs/);
  });
});
