import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AudioTrack, Sample, Track, VideoTrack } from '../../src/media/index.js';
import { LadderOutput, type LadderOutputSink, type OutputRung } from '../../src/transcode/ladder-output.js';
import type { PlannedRung } from '../../src/transcode/ladder-plan.js';

/**
 * LadderOutput against a fake sink that records every call: what the hub would be handed, in
 * order. Source video 1 and audio 2 as tidecast's ingest numbers them; rungs 10, 11, … as the
 * session numbers them.
 */

const VIDEO: VideoTrack = { id: 1, kind: 'video', codec: 'avc', timescale: 90_000, codecString: 'avc1.64001f', decoderConfig: Uint8Array.of(1, 0x64, 0, 0x1f), width: 1280, height: 720, frameRate: 30, sarWidth: 1, sarHeight: 1 };
const AUDIO: AudioTrack = { id: 2, kind: 'audio', codec: 'aac', timescale: 48_000, codecString: 'mp4a.40.2', decoderConfig: Uint8Array.of(0x11, 0x90), sampleRate: 48_000, channels: 2, samplesPerFrame: 1024 };

const COPY: PlannedRung = { kind: 'copy', name: 'source', width: 1280, height: 720, frameRate: 30 };
function encode(name: string, height: number): PlannedRung {
  return { kind: 'encode', name, codec: 'h264', width: (height * 16) / 9, height, frameRateDivisor: 1, frameRate: 30, bitrateKbps: 1000, maxRateKbps: 1000, bufferSizeKbits: 1000, preset: 'veryfast', profile: undefined, threads: 0 };
}

/** A rung's track as the session makes it from ffmpeg's sequence header (its own id until re-id'd). */
function rungTrack(height: number, config = [1, 0x4d, 0, 0x1e]): VideoTrack {
  return { ...VIDEO, id: 99, codecString: 'avc1.4d001e', decoderConfig: Uint8Array.from(config), width: (height * 16) / 9, height };
}

type Call = { readonly call: 'tracks'; readonly tracks: readonly Track[] } | { readonly call: 'sample'; readonly sample: Sample; readonly nowMs: number };

class FakeSink implements LadderOutputSink {
  readonly calls: Call[] = [];
  applyTracks(tracks: readonly Track[]): void {
    this.calls.push({ call: 'tracks', tracks });
  }
  applySample(sample: Sample, nowMs: number): void {
    this.calls.push({ call: 'sample', sample, nowMs });
  }
  /** The calls as short strings: `tracks 10,11,2`, `sample 10 @3000 K`. */
  get log(): string[] {
    return this.calls.map((c) => (c.call === 'tracks' ? `tracks ${c.tracks.map((t) => t.id).join(',')}` : `sample ${c.sample.trackId} @${c.sample.dts}/${c.sample.pts}${c.sample.keyframe ? ' K' : ''}`));
  }
  get samples(): Sample[] {
    return this.calls.flatMap((c) => (c.call === 'sample' ? [c.sample] : []));
  }
}

function setup(plans: readonly PlannedRung[], source: { video?: VideoTrack; audio?: AudioTrack } = { video: VIDEO, audio: AUDIO }) {
  const sink = new FakeSink();
  const rungs: OutputRung[] = plans.map((plan, i) => ({ plan, id: 10 + i, track: undefined }));
  const output = new LadderOutput(sink, { video: source.video, audio: source.audio }, rungs);
  return { sink, rungs, output };
}

const data = Uint8Array.of(0, 0, 0, 1, 0x65);
const v = (dts: number, pts: number, keyframe: boolean): Sample => ({ trackId: 1, dts, pts, duration: 0, keyframe, data });
const a = (n: number): Sample => ({ trackId: 2, dts: n * 1024, pts: n * 1024, duration: 1024, keyframe: true, data });

describe('LadderOutput: copy and encoded rungs', () => {
  it('holds everything until every encoded rung has a track, then announces the tracks and releases in arrival order', () => {
    const { sink, rungs, output } = setup([COPY, encode('480p', 480)]);
    expect(output.source(v(0, 6000, true), 1)).toBe(true);
    expect(output.source(a(0), 2)).toBe(true);
    output.rungFrame(rungs[1]!, 6000, true, data, 3);
    expect(sink.calls).toEqual([]);
    expect(output.started).toBe(false);

    output.rungTrack(rungs[1]!, rungTrack(480), 4);
    expect(output.started).toBe(true);
    // Tracks in ladder order (the copy rung is the source video under its id), then audio.
    expect(sink.log).toEqual(['tracks 10,11,2', 'sample 10 @0/6000 K', 'sample 2 @0/0 K', 'sample 11 @0/6000 K']);
    const [tracks] = sink.calls;
    expect(tracks).toMatchObject({ tracks: [{ ...VIDEO, id: 10 }, { ...rungTrack(480), id: 11 }, AUDIO] });
    // Released with each sample's own arrival time: the packager dates the media from it.
    expect(sink.calls.slice(1).map((c) => c.call === 'sample' && c.nowMs)).toEqual([1, 2, 3]);
  });

  it('re-ids the copy rung’s samples, keeping their times, flags and bytes (the same payload, not copied)', () => {
    const { sink, output } = setup([COPY]);
    const s = v(3000, 9000, true);
    output.source(s, 7);
    expect(sink.samples[0]).toEqual({ ...s, trackId: 10 });
    expect(sink.samples[0]!.data).toBe(s.data);
    expect(s.trackId).toBe(1); // the hub's sample is not written to
  });

  it('shift: with a copy rung, a rung frame decodes at pts − (the first source keyframe’s pts − dts)', () => {
    const { sink, rungs, output } = setup([COPY, encode('480p', 480)]);
    output.rungTrack(rungs[1]!, rungTrack(480), 0);
    expect(output.anchored).toBe(false);
    output.source(v(90_000, 96_000, true), 1);
    expect(output.anchored).toBe(true);
    expect(output.shift).toBe(6000);
    output.rungFrame(rungs[1]!, 96_000, true, data, 2);
    output.rungFrame(rungs[1]!, 99_000, false, data, 3);
    expect(sink.samples.filter((s) => s.trackId === 11).map((s) => [s.dts, s.pts, s.duration])).toEqual([
      [90_000, 96_000, 0],
      [93_000, 99_000, 0],
    ]);
  });

  it('shift: fixed by the first keyframe, not moved by a later one with another delay', () => {
    const { output } = setup([COPY]);
    output.source(v(0, 6000, true), 0);
    output.source(v(180_000, 183_000, true), 1);
    expect(output.shift).toBe(6000);
  });

  it('shift: 0 without a copy rung (every rung is zerolatency, dts = pts), and never negative', () => {
    const encoded = setup([encode('720p', 720), encode('480p', 480)]);
    encoded.output.source(v(0, 6000, true), 0);
    expect(encoded.output.shift).toBe(0);
    const negative = setup([COPY]);
    negative.output.source(v(6000, 3000, true), 0);
    expect(negative.output.shift).toBe(0);
  });

  it('without a copy rung the source video is not carried (it only feeds ffmpeg), but returns true once anchored', () => {
    const { sink, rungs, output } = setup([encode('720p', 720)]);
    expect(output.source(v(0, 0, false), 0)).toBe(false);
    expect(output.source(v(3000, 3000, true), 1)).toBe(true);
    output.rungTrack(rungs[0]!, rungTrack(720), 2);
    expect(sink.log).toEqual(['tracks 10,2']);
  });

  it('drops source video before the first keyframe, and audio too: every rendition starts at that keyframe', () => {
    const { sink, output } = setup([COPY]);
    expect(output.source(a(0), 0)).toBe(false);
    expect(output.source(v(0, 3000, false), 0)).toBe(false);
    expect(output.source(a(1), 0)).toBe(false);
    expect(output.source(v(3000, 9000, true), 0)).toBe(true);
    expect(output.source(a(2), 0)).toBe(true);
    expect(sink.log).toEqual(['tracks 10,2', 'sample 10 @3000/9000 K', 'sample 2 @2048/2048 K']);
  });

  it('a rung track that arrives before any source sample starts the output as soon as every rung has one', () => {
    const { sink, rungs, output } = setup([encode('720p', 720), encode('480p', 480)]);
    output.rungTrack(rungs[0]!, rungTrack(720), 0);
    expect(sink.calls).toEqual([]);
    output.rungTrack(rungs[1]!, rungTrack(480), 1);
    expect(sink.log).toEqual(['tracks 10,11,2']);
  });

  it('a changed rung config after start re-announces the tracks with the new record', () => {
    const { sink, rungs, output } = setup([COPY, encode('480p', 480)]);
    output.rungTrack(rungs[1]!, rungTrack(480), 0);
    output.source(v(0, 0, true), 1);
    output.rungTrack(rungs[1]!, rungTrack(480, [1, 0x4d, 0, 0x1f]), 2);
    expect(sink.log).toEqual(['tracks 10,11,2', 'sample 10 @0/0 K', 'tracks 10,11,2']);
    const last = sink.calls.at(-1)!;
    expect(last.call === 'tracks' && [...last.tracks[1]!.decoderConfig]).toEqual([1, 0x4d, 0, 0x1f]);
    expect(rungs[1]!.track!.decoderConfig).toEqual(Uint8Array.of(1, 0x4d, 0, 0x1f));
  });

  it('tracks(): the copy rung from the source video, encoded rungs once known, then audio', () => {
    const { rungs, output } = setup([encode('720p', 720), COPY, encode('360p', 360)]);
    expect(output.tracks().map((t) => t.id)).toEqual([11, 2]);
    output.rungTrack(rungs[2]!, rungTrack(360), 0);
    expect(output.tracks().map((t) => [t.id, t.kind === 'video' ? t.height : 0])).toEqual([
      [11, 720],
      [12, 360],
      [2, 0],
    ]);
  });
});

describe('LadderOutput: starting at once', () => {
  it('audio only (no source video, no rungs): starts with the first audio sample', () => {
    const { sink, output } = setup([], { audio: AUDIO });
    expect(output.anchored).toBe(true);
    expect(output.source(a(0), 5)).toBe(true);
    expect(sink.log).toEqual(['tracks 2', 'sample 2 @0/0 K']);
  });

  it('copy only: starts with the first keyframe, nothing held', () => {
    const { sink, output } = setup([COPY], { video: VIDEO });
    output.source(v(0, 0, true), 5);
    expect(output.started).toBe(true);
    expect(sink.log).toEqual(['tracks 10', 'sample 10 @0/0 K']);
  });

  it('nothing at all (no tracks): never starts', () => {
    const { sink, output } = setup([], {});
    output.source(a(0), 0);
    expect(output.started).toBe(false);
    expect(sink.calls).toEqual([]);
  });
});

describe('LadderOutput: the start bound', () => {
  /** MAX_HELD_SAMPLES in ladder-output.ts: source frames held before the rungs are ready. */
  const MAX_HELD = 3000;

  it('holds up to 3000 samples; past that the oldest go and are counted in droppedWhileStarting', () => {
    const { sink, rungs, output } = setup([COPY, encode('480p', 480)]);
    const total = MAX_HELD + 25;
    for (let i = 0; i < total; i++) output.source(v(i * 3000, i * 3000, i % 60 === 0), i);
    expect(output.droppedWhileStarting).toBe(25);
    expect(sink.calls).toEqual([]);
    output.rungTrack(rungs[1]!, rungTrack(480), total);
    const released = sink.samples;
    expect(released).toHaveLength(MAX_HELD);
    expect(released[0]!.dts).toBe(25 * 3000);
    expect(released.at(-1)!.dts).toBe((total - 1) * 3000);
    // Once started, nothing is held or dropped any more.
    for (let i = total; i < total + 10; i++) output.source(v(i * 3000, i * 3000, false), i);
    expect(output.droppedWhileStarting).toBe(25);
    expect(sink.samples).toHaveLength(MAX_HELD + 10);
  });

  it('exactly 3000 held: nothing dropped', () => {
    const { output } = setup([COPY, encode('480p', 480)]);
    for (let i = 0; i < MAX_HELD; i++) output.source(v(i * 3000, i * 3000, i === 0), i);
    expect(output.droppedWhileStarting).toBe(0);
  });

  it('any interleaving of source, rung frames and rung tracks: each sample is applied once, in order, after the tracks (fast-check)', () => {
    type Step = { kind: 'video'; key: boolean } | { kind: 'audio' } | { kind: 'rung'; rung: number } | { kind: 'track'; rung: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('video' as const), key: fc.boolean() }),
      fc.record({ kind: fc.constant('audio' as const) }),
      fc.record({ kind: fc.constant('rung' as const), rung: fc.integer({ min: 1, max: 2 }) }),
      fc.record({ kind: fc.constant('track' as const), rung: fc.integer({ min: 1, max: 2 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const { sink, rungs, output } = setup([COPY, encode('720p', 720), encode('480p', 480)]);
        const carried: Sample[] = [];
        let n = 0;
        for (const s of steps) {
          n += 1;
          if (s.kind === 'video') {
            const sample = v(n * 3000, n * 3000 + 6000, s.key);
            if (output.source(sample, n)) carried.push({ ...sample, trackId: 10 });
          } else if (s.kind === 'audio') {
            const sample = a(n);
            if (output.source(sample, n)) carried.push(sample);
          } else if (s.kind === 'rung') {
            if (!output.anchored) continue;
            output.rungFrame(rungs[s.rung]!, n * 3000, false, data, n);
            carried.push({ trackId: 10 + s.rung, dts: n * 3000 - output.shift, pts: n * 3000, duration: 0, keyframe: false, data });
          } else {
            output.rungTrack(rungs[s.rung]!, rungTrack(s.rung === 1 ? 720 : 480, [1, 0x4d, 0, n & 0xff]), n);
          }
        }
        const ready = rungs.every((r) => r.plan.kind === 'copy' || r.track !== undefined);
        expect(output.started).toBe(ready);
        if (!ready) {
          expect(sink.calls).toEqual([]);
          return;
        }
        expect(sink.calls[0]!.call).toBe('tracks');
        expect(sink.samples).toEqual(carried);
      }),
      { numRuns: 300 },
    );
  });
});
