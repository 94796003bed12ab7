import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalSeconds } from '../../src/hls/attributes.js';
import { DECLARED_MARGIN_UNITS, DECLARED_UNITS_PER_SECOND, declaredDurationSeconds, declaredMilliseconds, declaredUnits } from '../../src/hls/declared-time.js';
import { HlsLivePackager } from '../../src/hls/index.js';
import type { AudioTrack, Sample } from '../../src/media/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { T0, text, videoFrames, videoTrack } from './live-helpers.js';

/**
 * Declared time (src/hls/declared-time.ts): a playlist never places media later than it is. The
 * oracle is exact rational arithmetic (BigInt): ticks × 100 000 against units × timescale.
 */

const UNITS = BigInt(DECLARED_UNITS_PER_SECOND);

/** ticks/timescale in grid units, as an exact fraction compared with `units`: < 0, 0 or > 0. */
function compare(units: number, ticks: number, timescale: number): number {
  const lhs = BigInt(units) * BigInt(timescale);
  const rhs = BigInt(ticks) * UNITS;
  return lhs < rhs ? -1 : lhs > rhs ? 1 : 0;
}

function onGrid(ticks: number, timescale: number): boolean {
  return (BigInt(ticks) * UNITS) % BigInt(timescale) === 0n;
}

const TIMESCALES = [1000, 8000, 22_050, 44_100, 48_000, 90_000, 96_000, 1_000_000];

describe('declaredUnits', () => {
  it.each([
    // [ticks, timescale, units]
    [180_000, 90_000, 200_000], // 2 s of 90 kHz: on the grid, exact
    [3000, 90_000, 3328], // one 30 fps frame (33.333… ms): floor 3333, then the 5-step margin
    [1940, 44_100, 4394], // 44 ms of a 44.1 kHz track (43.990… ms): 4399 − 5
    [3168, 48_000, 6600], // 66 ms of 48 kHz: on the grid
    [1024, 48_000, 2128], // one AAC frame at 48 kHz (21.333… ms)
    [0, 44_100, 0],
    [-1024, 48_000, -2139], // before zero: floor(−2133.3) = −2134, then − 5
  ])('%d ticks at %d Hz → %d steps of 10 µs', (ticks, timescale, units) => {
    expect(declaredUnits(ticks, timescale)).toBe(units);
  });

  it('stays exact where ticks × 100 000 is far beyond 2^53 (a 90 kHz clock 1 600 years in)', () => {
    const ticks = 2 ** 52 + 1;
    expect(BigInt(declaredUnits(ticks, 90_000) + DECLARED_MARGIN_UNITS)).toBe((BigInt(ticks) * UNITS) / 90_000n);
  });

  it('is exact on the grid and at least the margin below the media off it, for any tick count and timescale', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...TIMESCALES), fc.integer({ min: 1, max: 10_000_000 })).chain((timescale) =>
          // Up to 2^53 steps of 10 µs (2 800 years), where the result is still a safe integer.
          fc.tuple(fc.integer({ min: 0, max: Math.min(Number.MAX_SAFE_INTEGER, Math.floor((timescale * 2 ** 53) / DECLARED_UNITS_PER_SECOND) - 1) }), fc.constant(timescale)),
        ),
        ([ticks, timescale]) => {
        const units = declaredUnits(ticks, timescale);
        if (onGrid(ticks, timescale)) return compare(units, ticks, timescale) === 0;
        // Below the media by more than the margin, and by less than the margin plus one step.
        return compare(units + DECLARED_MARGIN_UNITS, ticks, timescale) < 0 && compare(units + DECLARED_MARGIN_UNITS + 1, ticks, timescale) > 0;
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('declared durations and dates', () => {
  it('durations telescope and render as the exact difference of their boundaries (5 decimals, no float residue)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TIMESCALES),
        fc.integer({ min: -1_000_000, max: 2 ** 40 }),
        fc.array(fc.integer({ min: 0, max: 500_000 }), { minLength: 1, maxLength: 30 }),
        (timescale, start, extra) => {
          // Spans of at least 100 µs: a frame is longer than that at any rate media is sent at.
          const spans = extra.map((e) => e + Math.ceil(timescale / 10_000));
          let at = start;
          let sumUnits = 0;
          for (const span of spans) {
            const seconds = declaredDurationSeconds(at, span, timescale);
            const units = declaredUnits(at + span, timescale) - declaredUnits(at, timescale);
            expect(decimalSeconds('d', seconds)).toBe(decimalSeconds('d', units / DECLARED_UNITS_PER_SECOND));
            expect(Math.round(seconds * DECLARED_UNITS_PER_SECOND)).toBe(units);
            sumUnits += units;
            at += span;
          }
          expect(sumUnits).toBe(declaredUnits(at, timescale) - declaredUnits(start, timescale));
        },
      ),
    );
  });

  it('a player that places a rendition by its first date and adds durations up never lands past the media', () => {
    // hls.js: alternate audio starts at (its date − the video's date) on the video's timeline, then
    // each part starts where the previous one's declared duration ended.
    fc.assert(
      fc.property(
        fc.constantFrom(...TIMESCALES),
        fc.integer({ min: 0, max: 2 ** 36 }),
        fc.array(fc.integer({ min: 64, max: 200_000 }), { minLength: 1, maxLength: 40 }),
        (timescale, first, spans) => {
          let placedUnits = declaredMilliseconds(first, timescale) * (DECLARED_UNITS_PER_SECOND / 1000);
          let at = first;
          for (const span of spans) {
            placedUnits += Math.round(declaredDurationSeconds(at, span, timescale) * DECLARED_UNITS_PER_SECOND);
            at += span;
            if (onGrid(at, timescale)) expect(compare(placedUnits, at, timescale)).toBeLessThanOrEqual(0);
            else expect(compare(placedUnits + DECLARED_MARGIN_UNITS, at, timescale)).toBeLessThan(0);
          }
        },
      ),
    );
  });

  it('a span shorter than the margin is declared 0 (not listed), never negative', () => {
    expect(declaredDurationSeconds(0, 1, 1_000_000)).toBe(0);
    expect(declaredDurationSeconds(1, 1, 1_000_000)).toBe(0);
  });

  it('dates are whole milliseconds, exact on the millisecond grid', () => {
    expect(declaredMilliseconds(180_000, 90_000)).toBe(2000);
    expect(declaredMilliseconds(3168, 48_000)).toBe(66);
    expect(declaredMilliseconds(1940, 44_100)).toBe(43);
    expect(declaredMilliseconds(3000, 90_000)).toBe(33);
  });
});

describe('HlsLivePackager: declared time in LL-HLS playlists', () => {
  /** 44.1 kHz AAC: no frame boundary but the first falls on the 10 µs grid. */
  const audio44: AudioTrack = { id: 2, kind: 'audio', codec: 'aac', timescale: 44_100, codecString: 'mp4a.40.2', decoderConfig: Uint8Array.from([0x12, 0x10]), sampleRate: 44_100, channels: 2, samplesPerFrame: 1024 };

  it('44.1 kHz audio from 44 ms (ffmpeg\'s fixture): every part placed by date and durations ends at or before its media; parts add up to EXTINF', () => {
    const store = new MemoryStore();
    const p = new HlsLivePackager(store, { lowLatency: true });
    p.setTracks([videoTrack(), audio44], T0);
    const AUDIO_START = 1940; // 44 ms in 44.1 kHz ticks, as the FLV timestamp 44 becomes
    const samples: Sample[] = [...videoFrames(0, 30 * 9)];
    for (let n = 0; AUDIO_START + n * 1024 < 44_100 * 9; n++) samples.push({ trackId: 2, dts: AUDIO_START + n * 1024, pts: AUDIO_START + n * 1024, duration: 1024, keyframe: true, data: new Uint8Array(10) });
    const seconds = (s: Sample): number => s.dts / (s.trackId === 1 ? 90_000 : 44_100);
    samples.sort((a, b) => seconds(a) - seconds(b));
    for (const s of samples) p.pushSample(s, T0 + Math.floor(seconds(s) * 1000));

    const dateOf = (playlist: string): number => Date.parse(/#EXT-X-PROGRAM-DATE-TIME:(\S+)/.exec(playlist)![1]!);
    const video = text(store, 'video/index.m3u8');
    const audio = text(store, 'audio/index.m3u8');
    expect(dateOf(video)).toBe(T0);
    // 43.990… ms is declared as 43.
    expect(dateOf(audio) - dateOf(video)).toBe(43);

    // Walk the audio playlist as hls.js does: first segment at the date difference, then durations.
    let placedUnits = (dateOf(audio) - dateOf(video)) * 100;
    let mediaTicks = AUDIO_START;
    let segmentParts = 0;
    let listedParts = 0;
    let checked = 0;
    /** Advances by a declared span, then checks where it ends against the media. */
    const advance = (units: number): void => {
      placedUnits += units;
      // The span's media: whole AAC frames, as many as its declared duration rounds to.
      mediaTicks += Math.round((units / DECLARED_UNITS_PER_SECOND) * (44_100 / 1024)) * 1024;
      expect(compare(placedUnits + DECLARED_MARGIN_UNITS, mediaTicks, 44_100)).toBeLessThan(0);
      checked += 1;
    };
    for (const line of audio.split('\n')) {
      const part = /^#EXT-X-PART:DURATION=([0-9.]+),/.exec(line);
      const extinf = /^#EXTINF:([0-9.]+),/.exec(line);
      if (part !== null) {
        const units = Math.round(Number(part[1]) * DECLARED_UNITS_PER_SECOND);
        advance(units);
        segmentParts += units;
        listedParts += 1;
      } else if (extinf !== null) {
        const units = Math.round(Number(extinf[1]) * DECLARED_UNITS_PER_SECOND);
        // A segment whose parts are listed adds up to its EXTINF exactly; an older one is a span of its own.
        if (listedParts > 0) expect(units).toBe(segmentParts);
        else advance(units);
        segmentParts = 0;
        listedParts = 0;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
