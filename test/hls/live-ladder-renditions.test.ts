import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, MediaError } from '../../src/errors/index.js';
import { HlsLivePackager, type LivePackagerOptions, type LiveSegmentEvent } from '../../src/hls/index.js';
import { listedAverage } from '../../src/hls/live-playlists.js';
import type { AudioTrack, Sample, Track, VideoTrack } from '../../src/media/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { parseMultivariantPlaylist } from './m3u8-parser.js';
import { arrival, audioTrack, T0, text, videoTrack } from './live-helpers.js';

/**
 * A ladder through the live packager: custom rendition folders (`renditionName`, checked), two
 * video tracks (rungs) and one audio track, and the multivariant playlist's AVERAGE-BANDWIDTH,
 * listed as the window average rounded up to two significant digits (`listedAverage`).
 */

const RUNG_720: VideoTrack = { ...videoTrack(), id: 10, codecString: 'avc1.64001f', width: 1280, height: 720 };
const RUNG_480: VideoTrack = { ...videoTrack(), id: 11, codecString: 'avc1.4d001e', width: 854, height: 480 };
const AUDIO: AudioTrack = audioTrack();
const LADDER: readonly Track[] = [RUNG_720, RUNG_480, AUDIO];
const NAMES: Record<number, string> = { 10: '720p', 11: '480p' };
const byRung = (track: Track): string | undefined => NAMES[track.id];

function mediaError(run: () => unknown): MediaError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe('ERR_MEDIA_INVALID');
    return err as MediaError;
  }
  throw new Error('expected a MediaError');
}

describe('listedAverage', () => {
  it.each([
    ['rounds up to two significant digits', 1_234_567, 2_000_000, 1_300_000],
    ['keeps a value that has two', 1_200_000, 2_000_000, 1_200_000],
    ['rounds up the smallest excess', 1_200_001, 2_000_000, 1_300_000],
    ['carries into a new digit', 99_999, 200_000, 100_000],
    ['keeps 10^n exactly', 1_000_000, 2_000_000, 1_000_000],
    ['keeps a two-digit rate', 95, 200, 95],
    ['keeps a one-digit rate', 5, 10, 5],
    ['works past 2^32', 9_876_543_210, 10_000_000_000, 9_900_000_000],
    ['caps at the peak when rounding would pass it', 1_234_567, 1_250_000, 1_250_000],
    ['gives the peak when average = peak', 1_234_567, 1_234_567, 1_234_567],
    ['is 0 for no average', 0, 1_000_000, 0],
    ['is 0 for a negative average', -5, 1_000_000, 0],
    ['is 0 for NaN', Number.NaN, 1_000_000, 0],
    ['never above the peak, even when the window average is (a short dense last segment)', 1_234_567, 1_000_000, 1_000_000],
    ['rounded alone when no peak is measured yet', 1_234_567, 0, 1_300_000],
  ])('%s: (%d, peak %d) → %d', (_, average, peak, listed) => {
    expect(listedAverage(average, peak)).toBe(listed);
  });

  it('is the smallest two-significant-digit value at or above the average, or the peak when that is lower (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 }), (average, extra) => {
        const peak = average + extra;
        const listed = listedAverage(average, peak);
        expect(listed).toBeGreaterThanOrEqual(average);
        expect(listed).toBeLessThanOrEqual(peak);
        const step = 10 ** (String(average).length - 2);
        if (listed !== peak) {
          expect(listed % step).toBe(0);
          expect(listed - step).toBeLessThan(average);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('renditionName: checked', () => {
  function packager(renditionName: LivePackagerOptions['renditionName']): HlsLivePackager {
    return new HlsLivePackager(new MemoryStore(), { lowLatency: false, renditionName });
  }

  it.each([
    ['an empty name', ''],
    ['a leading hyphen', '-720p'],
    ['a leading underscore', '_720p'],
    ['a dot', '.'],
    ['two dots', '..'],
    ['a slash', '720p/x'],
    ['a backslash', '720p\\x'],
    ['a space', '720 p'],
    ['a dot inside', '720.p'],
    ['a percent escape', '720%2F'],
    ['a non-ASCII letter', 'vidéo'],
    ['65 characters', `a${'b'.repeat(64)}`],
  ])('refuses %s with ERR_MEDIA_INVALID naming the track', (_, name) => {
    const err = mediaError(() => packager((t) => (t.id === 10 ? name : undefined)).setTracks(LADDER, T0));
    expect(err.details).toMatchObject({ trackId: 10 });
    expect(err.message).toContain(JSON.stringify(name));
  });

  it('refuses a name that is not a string', () => {
    mediaError(() => packager(() => 720 as unknown as string).setTracks(LADDER, T0));
  });

  it('refuses the same name for two renditions, and a custom name equal to another rendition’s default', () => {
    mediaError(() => packager(() => 'rung').setTracks(LADDER, T0));
    // The audio rendition keeps its default folder, 'audio': a rung may not take it.
    const err = mediaError(() => packager((t) => (t.id === 10 ? '720p' : t.id === 11 ? 'audio' : undefined)).setTracks(LADDER, T0));
    expect(err.details).toMatchObject({ trackId: 2 });
  });

  it.each([['a'], ['720p'], ['0'], ['A-b_9'], [`a${'b'.repeat(63)}`]])('takes %s', (name) => {
    const p = packager((t) => (t.id === 10 ? name : undefined));
    p.setTracks(LADDER, T0);
    expect(p.renditions.map((r) => r.name)).toEqual([name, 'video11', 'audio']);
  });

  it('without the option, or answering undefined, the defaults: video<id> when a kind repeats', () => {
    const p = new HlsLivePackager(new MemoryStore(), { lowLatency: false });
    p.setTracks(LADDER, T0);
    expect(p.renditions.map((r) => r.name)).toEqual(['video10', 'video11', 'audio']);
  });

  it('must be a function: anything else is ERR_CONFIG_INVALID at construction', () => {
    expect(() => new HlsLivePackager(new MemoryStore(), { renditionName: '720p' as unknown as () => string })).toThrow(ConfigError);
  });

  it('is asked once per track id, with the track and the whole set; a new generation keeps the folder', () => {
    const names: Record<number, string> = { 10: '720p', 11: '480p', 12: '360p' };
    const asked: [number, number[]][] = [];
    const p = new HlsLivePackager(new MemoryStore(), {
      lowLatency: false,
      renditionName: (track, tracks) => {
        asked.push([track.id, tracks.map((t) => t.id)]);
        return names[track.id];
      },
    });
    p.setTracks(LADDER, T0);
    // New codec parameters on the 720p rung (a new generation) and a new 360p rung.
    const RUNG_360: VideoTrack = { ...videoTrack(), id: 12, width: 640, height: 360 };
    p.setTracks([{ ...RUNG_720, decoderConfig: Uint8Array.of(1, 0x64, 0, 0x20) }, RUNG_480, RUNG_360, AUDIO], T0 + 10);
    expect(asked).toEqual([
      [10, [10, 11, 2]],
      [11, [10, 11, 2]],
      [2, [10, 11, 2]],
      [12, [10, 11, 12, 2]],
    ]);
    expect(p.renditions.map((r) => r.name)).toEqual(['720p', '480p', 'audio', '360p']);
  });
});

/** Two rungs and audio, 30 fps video with a keyframe every 2 s, 48 kHz AAC; each rung's frames `bytes` long. */
function ladderSamples(seconds: number): { sample: Sample; nowMs: number }[] {
  const out: { sample: Sample; nowMs: number; at: number }[] = [];
  const frames = seconds * 30;
  for (let i = 0; i < frames; i++) {
    const keyframe = i % 60 === 0;
    // Keyframes are larger, and the rate varies by segment, so peak and average differ.
    const scale = 1 + (Math.floor(i / 60) % 3) / 2;
    for (const [id, bytes] of [
      [10, 6000],
      [11, 2500],
    ] as const) {
      out.push({ sample: { trackId: id, dts: i * 3000, pts: i * 3000, duration: 0, keyframe, data: new Uint8Array(Math.round((keyframe ? bytes * 4 : bytes) * scale)) }, nowMs: arrival(i), at: i / 30 });
    }
  }
  for (let n = 0; n * 1024 < seconds * 48_000; n++) {
    out.push({ sample: { trackId: 2, dts: n * 1024, pts: n * 1024, duration: 1024, keyframe: true, data: new Uint8Array(400) }, nowMs: T0 + Math.round((n * 1024) / 48), at: (n * 1024) / 48_000 });
  }
  return out.sort((a, b) => a.at - b.at || a.sample.trackId - b.sample.trackId);
}

describe('HlsLivePackager with a ladder: two rungs and audio', () => {
  function publish(options: LivePackagerOptions, seconds: number) {
    const store = new MemoryStore();
    const events: LiveSegmentEvent[] = [];
    const p = new HlsLivePackager(store, { renditionName: byRung, ...options, onSegment: (e) => events.push(e) });
    p.setTracks(LADDER, T0);
    for (const { sample, nowMs } of ladderSamples(seconds)) p.pushSample(sample, nowMs);
    return { store, p, events };
  }

  it('writes each rung under its own folder and lists them in the multivariant playlist', () => {
    const { store, p, events } = publish({ lowLatency: false }, 9);
    const files = store.list();
    for (const folder of ['720p', '480p', 'audio']) {
      expect(files).toContain(`${folder}/index.m3u8`);
      expect(files).toContain(`${folder}/init-0.mp4`);
      expect(files).toContain(`${folder}/0.m4s`);
    }
    expect(files.filter((f) => f.startsWith('video'))).toEqual([]);
    expect(p.renditions.map((r) => [r.name, r.track.id])).toEqual([
      ['720p', 10],
      ['480p', 11],
      ['audio', 2],
    ]);
    expect(new Set(events.map((e) => e.track))).toEqual(new Set(['720p', '480p', 'audio']));
    expect(p.timeline('720p')?.segments.length).toBeGreaterThanOrEqual(3);
    expect(text(store, '720p/index.m3u8')).toContain('#EXT-X-MAP:URI="init-0.mp4"');

    const multivariant = parseMultivariantPlaylist(text(store, 'index.m3u8'));
    expect(multivariant.variants.map((v) => v.uri)).toEqual(['720p/index.m3u8', '480p/index.m3u8']);
    expect(multivariant.variants.map((v) => v.attributes.get('RESOLUTION'))).toEqual(['1280x720', '854x480']);
    expect(multivariant.media.map((m) => m.get('URI'))).toEqual(['audio/index.m3u8']);
  });

  it('AVERAGE-BANDWIDTH: each rung’s listed window average plus the audio’s, never above BANDWIDTH', () => {
    const { store, p } = publish({ lowLatency: false }, 13);
    const multivariant = parseMultivariantPlaylist(text(store, 'index.m3u8'));
    const audio = p.timeline('audio')!;
    for (const [i, name] of ['720p', '480p'].entries()) {
      const video = p.timeline(name)!;
      const attributes = multivariant.variants[i]!.attributes;
      const bandwidth = Number(attributes.get('BANDWIDTH'));
      const average = Number(attributes.get('AVERAGE-BANDWIDTH'));
      expect(bandwidth).toBe(video.peakBitsPerSecond + audio.peakBitsPerSecond);
      expect(average).toBe(listedAverage(video.averageBitsPerSecond, video.peakBitsPerSecond) + listedAverage(audio.averageBitsPerSecond, audio.peakBitsPerSecond));
      expect(average).toBeGreaterThanOrEqual(video.averageBitsPerSecond + audio.averageBitsPerSecond);
      expect(average).toBeLessThanOrEqual(bandwidth);
      // Listed rounded to two significant digits, not as the exact window average.
      expect(listedAverage(video.averageBitsPerSecond, video.peakBitsPerSecond) % 10 ** (String(video.averageBitsPerSecond).length - 2)).toBe(0);
    }
  });

  it('LL-HLS: parts and rendition reports use the custom folders', () => {
    const { store } = publish({}, 7);
    const media = text(store, '720p/index.m3u8');
    expect(media).toContain('#EXT-X-RENDITION-REPORT:URI="../480p/index.m3u8"');
    expect(media).toContain('#EXT-X-RENDITION-REPORT:URI="../audio/index.m3u8"');
    expect(media).not.toContain('../720p/');
    expect(store.list().some((f) => /^480p\/\d+\.\d+\.m4s$/.test(f))).toBe(true);
    expect(text(store, 'plain.m3u8')).toContain('720p/plain.m3u8');
  });
});
