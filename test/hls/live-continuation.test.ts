import { describe, expect, it } from 'vitest';
import { HlsLivePackager, type LivePackagerOptions } from '../../src/hls/index.js';
import { MemoryStore } from '../../src/store/index.js';
import { arrival, T0, text, videoFrames, videoTrack } from './live-helpers.js';

/*
 * `continueFrom` (issue 14, "Continuity across origins"): a packager that takes a stream over from
 * another one (another origin, after the publisher moved) continues its playlists: the media
 * sequence goes on from the old one's next number, the discontinuity sequence from its newest
 * segment's, and the first new segment carries EXT-X-DISCONTINUITY.
 */

function packager(options: LivePackagerOptions = {}): { store: MemoryStore; p: HlsLivePackager } {
  const store = new MemoryStore();
  return { store, p: new HlsLivePackager(store, { lowLatency: false, ...options }) };
}

function push(p: HlsLivePackager, from: number, to: number, dtsOrigin = 0, clockOrigin = 0): void {
  for (const sample of videoFrames(from, to, 60, dtsOrigin)) p.pushSample(sample, arrival(Math.round((sample.dts - dtsOrigin) / 3000) + clockOrigin));
}

/** Media sequence, discontinuity sequence and the segments (number, tagged or not) of a media playlist. */
function read(playlist: string): { msn: number; dseq: number; segments: Array<{ uri: string; discontinuity: boolean }> } {
  const lines = playlist.split('\n');
  const segments: Array<{ uri: string; discontinuity: boolean }> = [];
  let tagged = false;
  for (const line of lines) {
    if (line === '#EXT-X-DISCONTINUITY') tagged = true;
    else if (line.endsWith('.m4s')) {
      segments.push({ uri: line, discontinuity: tagged });
      tagged = false;
    }
  }
  return { msn: Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)![1]), dseq: Number(/#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)/.exec(playlist)![1]), segments };
}

describe('HlsLivePackager: continueFrom', () => {
  it('a fresh packager starts at 0 and says so', () => {
    const { p } = packager();
    expect(p.continuation).toEqual({ mediaSequence: 0, discontinuitySequence: 0 });
  });

  it('continues another packager’s numbers with one discontinuity, never reusing a number', () => {
    const first = packager();
    first.p.setTracks([videoTrack()], T0);
    push(first.p, 0, 9 * 60 + 1);
    const handover = first.p.continuation;
    // Segments 0–8 were cut (the frame after 9 × 60 opens segment 9): the next is 9; no tag yet.
    expect(handover).toEqual({ mediaSequence: 9, discontinuitySequence: 0 });

    const second = packager({ continueFrom: handover });
    second.p.setTracks([videoTrack()], T0 + 20_000);
    // Another encoder: its timestamps start again at 0.
    push(second.p, 0, 4 * 60 + 1, 0, 20 * 30);
    const playlist = read(text(second.store, 'video/index.m3u8'));
    expect(playlist.msn).toBe(9);
    expect(playlist.dseq).toBe(0);
    expect(playlist.segments.map((s) => s.uri)).toEqual(['9.m4s', '10.m4s', '11.m4s', '12.m4s']);
    expect(playlist.segments.map((s) => s.discontinuity)).toEqual([true, false, false, false]);
    // Its own handover counts the tag: a third packager's first segment is one discontinuity further.
    expect(second.p.continuation).toEqual({ mediaSequence: 13, discontinuitySequence: 1 });
  });

  it('once the tagged segment slides out, the discontinuity sequence counts it', () => {
    const { store, p } = packager({ continueFrom: { mediaSequence: 100, discontinuitySequence: 7 } });
    p.setTracks([videoTrack()], T0);
    push(p, 0, 9 * 60 + 1);
    const playlist = read(text(store, 'video/index.m3u8'));
    // Segments 100–108, the window of 6 lists 103–108: the tag on 100 left, so 7 + 1.
    expect(playlist.msn).toBe(103);
    expect(playlist.dseq).toBe(8);
    expect(playlist.segments.some((s) => s.discontinuity)).toBe(false);
    expect(p.continuation).toEqual({ mediaSequence: 109, discontinuitySequence: 8 });
  });

  it('refuses a continuation that is not two whole numbers, naming the option', () => {
    expect(() => packager({ continueFrom: { mediaSequence: -1, discontinuitySequence: 0 } })).toThrow(/continueFrom\.mediaSequence/);
    expect(() => packager({ continueFrom: { mediaSequence: 1, discontinuitySequence: 0.5 } })).toThrow(/continueFrom\.discontinuitySequence/);
  });
});
