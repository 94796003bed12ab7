import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitAdts } from '../../src/codec/index.js';
import type { Sample, Track } from '../../src/media/index.js';
import { isTidecastError } from '../../src/errors/index.js';
import { to90kHz, TsMuxer, wrap33 } from '../../src/ts/index.js';
import { aacTrack, avcc, avcTrack, readPackets, readPes } from './helpers.js';

/** Media times written as they are (no start offset), so they compare with the input's. */
const RAW = { timestampOffsetTicks: 0 };

/**
 * Properties of every muxed stream: random tracks (H.264 and/or AAC, timescales 90 kHz, 1 kHz,
 * 44.1 and 48 kHz), random frame sizes (packet boundaries everywhere), composition offsets, audio
 * gaps, and random segment cuts — each segment muxed by the same muxer.
 */

interface Case {
  readonly tracks: Track[];
  /** Samples per segment, all tracks mixed. */
  readonly segments: Sample[][];
}

const videoFrames = fc.array(fc.record({ bytes: fc.integer({ min: 1, max: 700 }), offset: fc.integer({ min: 0, max: 2 }), key: fc.boolean() }), { maxLength: 40 });
const audioFrames = fc.array(fc.record({ bytes: fc.integer({ min: 1, max: 900 }), gap: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 5000 })) }), { maxLength: 60 });

const arbitraryCase: fc.Arbitrary<Case> = fc
  .record({
    // One presentation start on the 90 kHz clock (past 2^33 too: the fields wrap), tracks near it.
    start: fc.integer({ min: 0, max: 2 ** 34 }),
    video: fc.option(fc.record({ timescale: fc.constantFrom(90_000, 1000), lag: fc.integer({ min: 0, max: 30_000 }), frames: videoFrames })),
    audio: fc.option(fc.record({ rate: fc.constantFrom(44_100, 48_000), lag: fc.integer({ min: 0, max: 30_000 }), frames: audioFrames })),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
  })
  .filter((c) => c.video !== null || c.audio !== null)
  .map(({ start, video, audio, cuts }) => {
    const tracks: Track[] = [];
    const samples: Sample[][] = [];
    if (video !== null) {
      tracks.push(avcTrack(1, video.timescale));
      const d = video.timescale === 90_000 ? 3003 : 33;
      const first = Math.round(((start + video.lag) * video.timescale) / 90_000);
      samples.push(
        video.frames.map((f, i) => {
          const nal = new Uint8Array(f.bytes).fill(0xab);
          nal[0] = f.key || i === 0 ? 0x65 : 0x41;
          return { trackId: 1, dts: first + i * d, pts: first + (i + f.offset) * d, duration: d, keyframe: f.key || i === 0, data: avcc(nal) };
        }),
      );
    }
    if (audio !== null) {
      tracks.push(aacTrack(2, audio.rate === 44_100 ? '1210' : '1190', audio.rate));
      let dts = Math.round(((start + audio.lag) * audio.rate) / 90_000);
      samples.push(
        audio.frames.map((f) => {
          dts += f.gap;
          const s = { trackId: 2, dts, pts: dts, duration: 1024, keyframe: true, data: new Uint8Array(f.bytes).fill(0x21) };
          dts += 1024;
          return s;
        }),
      );
    }
    // Cut every track at the same fractions of its samples: segments as a segmenter makes them.
    const fractions = [...cuts].sort((a, b) => a - b);
    const segments = [...fractions, 1].map((end, k) => {
      const begin = k === 0 ? 0 : fractions[k - 1]!;
      return samples.flatMap((list) => list.slice(Math.floor(begin * list.length), Math.floor(end * list.length)));
    });
    return { tracks, segments };
  });

function muxAll(c: Case): Uint8Array[] {
  const muxer = new TsMuxer(c.tracks, RAW);
  return c.segments.map((s) => muxer.segment(s));
}

describe('TsMuxer properties', () => {
  it('every segment is whole 188-byte packets, each starting with 0x47, PAT and PMT first', () => {
    fc.assert(
      fc.property(arbitraryCase, (c) => {
        for (const ts of muxAll(c)) {
          expect(ts.length % 188).toBe(0);
          for (let at = 0; at < ts.length; at += 188) expect(ts[at]).toBe(0x47);
          expect(readPackets(ts).slice(0, 2).map((p) => p.pid)).toEqual([0, 0x1000]);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('continuity counters go +1 mod 16 per PID with every payload packet, across segments', () => {
    fc.assert(
      fc.property(arbitraryCase, (c) => {
        const last = new Map<number, number>();
        for (const ts of muxAll(c)) {
          for (const p of readPackets(ts)) {
            const previous = last.get(p.pid);
            if (p.hasPayload) expect(p.cc).toBe(previous === undefined ? 0 : (previous + 1) % 16);
            else if (previous !== undefined) expect(p.cc).toBe(previous);
            if (p.hasPayload || previous !== undefined) last.set(p.pid, p.cc);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('each PES has its first sample\'s pts on the 90 kHz clock, DTS only when it differs; every frame is there', () => {
    fc.assert(
      fc.property(arbitraryCase, (c) => {
        const pes = readPes(Buffer.concat(muxAll(c)), new Set([0x100, 0x101]));
        for (const track of c.tracks) {
          const pid = 0x100 + c.tracks.indexOf(track);
          const samples = c.segments.flat().filter((s) => s.trackId === track.id);
          const mine = pes.filter((p) => p.pid === pid);
          const at90 = (t: number): number => wrap33(to90kHz(t, track.timescale));
          if (track.kind === 'video') {
            expect(mine.map((p) => p.pts)).toEqual(samples.map((s) => at90(s.pts)));
            expect(mine.map((p) => p.dts)).toEqual(samples.map((s) => (at90(s.dts) === at90(s.pts) ? undefined : at90(s.dts))));
            expect(mine.every((p) => p.streamId === 0xe0)).toBe(true);
          } else {
            // The ADTS frames of each PES, counted: the PES's PTS is that of its first frame.
            let frames = 0;
            for (const p of mine) {
              expect(p.pts).toBe(at90(samples[frames]!.pts));
              expect(p.dts).toBeUndefined();
              expect(p.declaredLength).toBe(p.afterLength);
              const adts = splitAdts(p.data);
              adts.forEach((f, k) => expect(f.payload.length).toBe(samples[frames + k]!.data.length));
              frames += adts.length;
            }
            expect(frames).toBe(samples.length);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('the PCR never decreases within a presentation and is written at the start of every segment', () => {
    fc.assert(
      fc.property(arbitraryCase, (c) => {
        const muxer = new TsMuxer(c.tracks, RAW);
        let previous = -1;
        for (const segment of c.segments) {
          const packets = readPackets(muxer.segment(segment)).filter((p) => p.pid === muxer.pcrPid);
          if (segment.length === 0) continue;
          const first = packets[0]!.adaptation;
          expect(first !== undefined && first.length >= 8 && (first[1]! & 0x10) !== 0).toBe(true);
          for (const p of packets) {
            const a = p.adaptation;
            if (a === undefined || a.length < 8 || (a[1]! & 0x10) === 0) continue;
            let base = a[2]! * 2 ** 25 + a[3]! * 2 ** 17 + a[4]! * 2 ** 9 + a[5]! * 2 + (a[6]! >>> 7);
            // The 33-bit field wraps once at most (starts below 2^34): unwrap by the previous value.
            while (previous >= 0 && base < previous - 2 ** 32) base += 2 ** 33;
            expect(base).toBeGreaterThanOrEqual(previous);
            previous = base;
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('TsMuxer on hostile bytes', () => {
  it('any sample bytes and times give TS packets or a TidecastError, never another exception', () => {
    const hostile = fc.array(
      fc.record({ trackId: fc.constantFrom(1, 2, 3), dts: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), offset: fc.integer({ min: -5000, max: 5000 }), key: fc.boolean(), data: fc.uint8Array({ maxLength: 300 }) }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(hostile, (list) => {
        const muxer = new TsMuxer([avcTrack(1), aacTrack(2, '1210')], RAW);
        const samples = list.map((s) => ({ trackId: s.trackId, dts: s.dts, pts: s.dts + s.offset, duration: 1024, keyframe: s.key, data: s.data }));
        try {
          expect(muxer.segment(samples).length % 188).toBe(0);
        } catch (e) {
          expect(isTidecastError(e), String(e)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
