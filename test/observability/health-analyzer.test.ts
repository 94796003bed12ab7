import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamHealthAnalyzer, type HealthFrame, type HealthTrack } from '../../src/observability/index.js';

/**
 * The stream-health analyzer over synthetic encoder output: frames timed as an encoder times
 * them (whole-millisecond RTMP timestamps), arriving in real time. Each finding type from a stream
 * that has exactly that fault, and nothing from a clean one.
 */

const T0 = 1_800_000_000_000;
const VIDEO: HealthTrack = { kind: 'video', codecString: 'avc1.4d401f' };
const AUDIO: HealthTrack = { kind: 'audio', codecString: 'mp4a.40.2', sampleRate: 48_000, samplesPerFrame: 1024 };

interface StreamShape {
  seconds: number;
  fps?: number;
  gopSeconds?: number;
  /** Video frame n's timestamp (ms), default n × 1000 / fps rounded. */
  videoTime?: (n: number) => number;
  /** Keyframe test, default every gopSeconds. */
  keyframe?: (n: number, ms: number) => boolean;
  compositionMs?: number;
  /** Audio frame n's timestamp (ms), default n × 1024 / 48 kHz rounded; undefined drops the frame. */
  audioTime?: (n: number) => number | undefined;
  audio?: boolean;
  videoBytes?: (n: number, ms: number) => number;
  /** Frames arrive when their timestamps say (default: when their place in a constant-rate stream says). */
  arrivalByTimestamp?: boolean;
}

/** The frames of a stream, in arrival order (each arrives when its timestamp says, from T0). */
function stream(shape: StreamShape): HealthFrame[] {
  const fps = shape.fps ?? 30;
  const gop = shape.gopSeconds ?? 2;
  const frames: HealthFrame[] = [];
  const videoTime = shape.videoTime ?? ((n: number) => Math.round((n * 1000) / fps));
  for (let n = 0; (n * 1000) / fps < shape.seconds * 1000; n++) {
    const ms = videoTime(n);
    const keyframe = shape.keyframe?.(n, ms) ?? n % Math.round(fps * gop) === 0;
    frames.push({ kind: 'video', timestampMs: ms, compositionTimeMs: shape.compositionMs ?? 0, keyframe, bytes: shape.videoBytes?.(n, ms) ?? (keyframe ? 40_000 : 8_000), arrivalMs: T0 + (shape.arrivalByTimestamp === true ? ms : (n * 1000) / fps) });
  }
  if (shape.audio !== false) {
    const audioTime = shape.audioTime ?? ((n: number) => Math.round((n * 1024 * 1000) / 48_000));
    for (let n = 0; (n * 1024 * 1000) / 48_000 < shape.seconds * 1000; n++) {
      const ms = audioTime(n);
      if (ms === undefined) continue;
      frames.push({ kind: 'audio', timestampMs: ms, bytes: 380, arrivalMs: T0 + (n * 1024 * 1000) / 48_000 });
    }
  }
  return frames.sort((a, b) => a.arrivalMs - b.arrivalMs);
}

function analyze(frames: readonly HealthFrame[], tracks: readonly HealthTrack[] = [VIDEO, AUDIO], options: { metadata?: { framerate?: number; videodatarate?: number; audiodatarate?: number }; target?: number } = {}): StreamHealthAnalyzer {
  const analyzer = new StreamHealthAnalyzer({ segmentTargetSeconds: options.target ?? 2 });
  for (const t of tracks) analyzer.track(t);
  if (options.metadata !== undefined) analyzer.metadata(options.metadata);
  for (const f of frames) analyzer.frame(f);
  return analyzer;
}

const end = (frames: readonly HealthFrame[]): number => frames.at(-1)!.arrivalMs;
const types = (a: StreamHealthAnalyzer, nowMs: number): string[] => a.report(nowMs).findings.map((f) => `${f.type}:${f.severity}`);

describe('StreamHealthAnalyzer', () => {
  it('a clean stream (30 fps, 2 s keyframe interval, AAC) is good, with its measures', () => {
    const frames = stream({ seconds: 20 });
    const report = analyze(frames).report(end(frames));
    expect(report.status).toBe('good');
    expect(report.findings).toEqual([]);
    expect(report.measures.keyframeIntervalSeconds).toBe(2);
    expect(report.measures.frameRate).toBeCloseTo(30, 0);
    expect(report.measures.maxCompositionOffsetMs).toBe(0);
    // 15 keyframes × 40 kB + 585 frames × 8 kB + AAC at 380 B × 46.875/s, over 20 s.
    expect(report.measures.bitsPerSecond).toBeGreaterThan(2_000_000);
  });

  it('noData until 4 s of media have arrived; a missing audio track is reported after 5 s', () => {
    const frames = stream({ seconds: 8, audio: false });
    const a = analyze(frames, [VIDEO]);
    expect(a.report(T0 + 3000).status).toBe('noData');
    expect(types(a, T0 + 4500)).toEqual([]);
    expect(types(a, end(frames))).toEqual(['noAudioStream:info']);
  });

  it('a 10 s keyframe interval: gopLongerThanSegment, an error, from the keyframe still awaited', () => {
    const frames = stream({ seconds: 25, gopSeconds: 10 });
    const a = analyze(frames.filter((f) => f.arrivalMs <= T0 + 5000));
    const early = a.report(T0 + 5000);
    for (const f of frames.filter((f) => f.arrivalMs > T0 + 5000)) a.frame(f);
    expect(early.findings.map((f) => [f.type, f.severity, f.actual, f.expected])).toEqual([['gopLongerThanSegment', 'error', '5.0 s between keyframes', '2 s (the segment target)']]);
    const report = a.report(end(frames));
    expect(report.status).toBe('bad');
    expect(report.findings[0]!.actual).toBe('10.0 s between keyframes');
    expect(report.findings[0]!.advice).toContain('Keyframe Interval 2 s');
  });

  it('a 3 s keyframe interval on a 2 s target is a warning', () => {
    const frames = stream({ seconds: 20, gopSeconds: 3 });
    expect(types(analyze(frames), end(frames))).toEqual(['gopLongerThanSegment:warning']);
  });

  it('scene-cut keyframes between the regular ones: gopIrregular', () => {
    const frames = stream({ seconds: 20, keyframe: (n) => n % 60 === 0 || n % 60 === 21 });
    expect(types(analyze(frames), end(frames))).toEqual(['gopIrregular:warning']);
  });

  it('B-frames: bFramesPresent, a note with the delay they add', () => {
    const frames = stream({ seconds: 10, compositionMs: 67 });
    const report = analyze(frames).report(end(frames));
    expect(report.status).toBe('ok');
    expect(report.findings.map((f) => [f.type, f.severity, f.actual])).toEqual([['bFramesPresent', 'info', 'B-frames: frames shown up to 67 ms after they are decoded']]);
  });

  it('a variable frame rate (frames 20 and 50 ms apart): variableFrameRate', () => {
    const frames = stream({ seconds: 12, videoTime: (n) => Math.floor(n / 2) * 70 + (n % 2) * 20, keyframe: (_n, ms) => ms % 2030 === 0, arrivalByTimestamp: true });
    expect(types(analyze(frames), end(frames))).toEqual(['variableFrameRate:warning']);
  });

  it('fewer frames than the encoder says it sends: frameRateLow', () => {
    const frames = stream({ seconds: 12, fps: 20 });
    expect(types(analyze(frames, [VIDEO, AUDIO], { metadata: { framerate: 30 } }), end(frames))).toEqual(['frameRateLow:warning']);
  });

  it('audio with gaps (ten frames missing every 3 s): audioGap, with the time missing', () => {
    const frames = stream({ seconds: 12, audioTime: (n) => (n % 140 >= 100 && n % 140 < 110 ? undefined : Math.round((n * 1024 * 1000) / 48_000)) });
    const report = analyze(frames).report(end(frames));
    expect(report.findings.map((f) => f.type)).toEqual(['audioGap']);
    // Frames 100–109, 240–249, 380–389 and 520–529: four gaps of ten 21.33 ms frames.
    expect(report.findings[0]!.actual).toMatch(/^4 gaps in the audio, 85\d ms missing \(largest 23\d ms between frames\)$/);
  });

  it('audio frames closer than half a frame: audioOverlap', () => {
    // Every 100th audio frame sent twice (the encoder's clock ran ahead): two frames at one time.
    const frames = stream({ seconds: 10 }).flatMap((f) => (f.kind === 'audio' && f.timestampMs % 100 === 0 ? [f, { ...f }] : [f]));
    expect(types(analyze(frames), end(frames))).toEqual(['audioOverlap:warning']);
  });

  it('a 5 s jump forward in both tracks: timestampJump, an error, until it leaves the window', () => {
    const shift = (ms: number): number => (ms >= 8000 ? ms + 5000 : ms);
    const frames = stream({ seconds: 20, videoTime: (n) => shift(Math.round((n * 1000) / 30)), audioTime: (n) => shift(Math.round((n * 1024 * 1000) / 48_000)) });
    const a = analyze(frames);
    const report = a.report(end(frames));
    expect(report.findings.map((f) => [f.type, f.actual])).toEqual([
      ['timestampJump', 'video timestamps jumped 5.0 s forward'],
      ['timestampJump', 'audio timestamps jumped 5.0 s forward'],
    ]);
    // 30 s later (with nothing new) the jump is out of the window.
    expect(a.report(T0 + 8000 + 31_000).findings.filter((f) => f.type === 'timestampJump')).toEqual([]);
  });

  it('timestamps going back 2 s: timestampBackwards; a 32-bit wrap is not', () => {
    const frames = stream({ seconds: 12, videoTime: (n) => Math.round((n * 1000) / 30) - (n >= 150 ? 2000 : 0), audio: false });
    expect(types(analyze(frames, [VIDEO]), end(frames))).toContain('timestampBackwards:error');
    const wrapped = stream({ seconds: 12, videoTime: (n) => (2 ** 32 - 5000 + Math.round((n * 1000) / 30)) % 2 ** 32, audio: false });
    expect(types(analyze(wrapped, [VIDEO]), end(wrapped)).filter((t) => t.startsWith('timestamp'))).toEqual([]);
  });

  it('an audio clock 2 % fast against the video one: avDrift', () => {
    const frames = stream({ seconds: 30, audioTime: (n) => Math.round((n * 1024 * 1000 * 1.02) / 48_000) });
    const report = analyze(frames).report(end(frames));
    expect(report.findings.map((f) => f.type)).toContain('avDrift');
    expect(report.findings.find((f) => f.type === 'avDrift')!.actual).toMatch(/^audio ahead of video by \d+ ms/);
  });

  it('a second at five times the advertised rate: bitrateSpike (only with the encoder metadata)', () => {
    const frames = stream({ seconds: 12, videoBytes: (n, ms) => (ms >= 6000 && ms < 7000 ? 25_000 : n % 60 === 0 ? 10_000 : 3_000) });
    const metadata = { videodatarate: 800, audiodatarate: 128 };
    expect(types(analyze(frames, [VIDEO, AUDIO], { metadata }), end(frames))).toEqual(['bitrateSpike:warning']);
    expect(types(analyze(frames), end(frames))).toEqual([]);
    // ffmpeg without -b:v advertises no video rate (only its audio one): nothing to judge against.
    expect(types(analyze(frames, [VIDEO, AUDIO], { metadata: { videodatarate: 0, audiodatarate: 62.5 } }), end(frames))).toEqual([]);
  });

  it('H.264 High 10 is an error (browsers decode 8-bit 4:2:0); HEVC a note', () => {
    const frames = stream({ seconds: 8 });
    expect(types(analyze(frames, [{ kind: 'video', codecString: 'avc1.6e001f' }, AUDIO]), end(frames))).toEqual(['codecUnsupported:error']);
    expect(types(analyze(frames, [{ kind: 'video', codecString: 'hvc1.1.6.L93.B0' }, AUDIO]), end(frames))).toEqual(['codecUnsupported:info']);
  });

  it('frames before the sequence header: missingSequenceHeader, until they leave the window', () => {
    const frames = stream({ seconds: 8 });
    const a = analyze(frames);
    a.beforeConfig('video', T0);
    a.beforeConfig('video', T0 + 33);
    expect(a.report(end(frames)).findings.map((f) => [f.type, f.actual])).toEqual([['missingSequenceHeader', '2 video frames before the AVC/HEVC sequence header (dropped)']]);
    expect(a.report(T0 + 31_000).findings.map((f) => f.type)).not.toContain('missingSequenceHeader');
  });

  it('property: a clean stream at any common frame rate and a keyframe interval of the target is good', () => {
    fc.assert(
      fc.property(fc.constantFrom(24, 25, 29.97, 30, 50, 59.94, 60), fc.constantFrom(1, 2, 4), fc.integer({ min: 6, max: 40 }), (fps, target, seconds) => {
        const frames = stream({ seconds, fps, gopSeconds: target, keyframe: (_n, ms) => Math.round((ms * fps) / 1000) % Math.round(fps * target) === 0 });
        const report = analyze(frames, [VIDEO, AUDIO], { target }).report(end(frames));
        expect(report.findings).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('property: any frames at all give a report, never a throw', () => {
    const frame = fc.record({
      kind: fc.constantFrom('video' as const, 'audio' as const),
      timestampMs: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      compositionTimeMs: fc.integer({ min: -1000, max: 1000 }),
      keyframe: fc.boolean(),
      bytes: fc.nat(1_000_000),
      arrivalMs: fc.integer({ min: T0, max: T0 + 60_000 }),
    });
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 300 }), fc.boolean(), (frames, withMetadata) => {
        const a = analyze(frames.sort((x, y) => x.arrivalMs - y.arrivalMs), [VIDEO, AUDIO], withMetadata ? { metadata: { framerate: 30, videodatarate: 1000 } } : {});
        const report = a.report(T0 + 60_000);
        expect(['good', 'ok', 'bad', 'noData']).toContain(report.status);
      }),
      { numRuns: 200 },
    );
  });
});

describe('StreamHealthAnalyzer bounds', () => {
  it('keeps at most a bounded number of frames per kind, whatever rate a peer sends at', () => {
    const a = new StreamHealthAnalyzer({ segmentTargetSeconds: 2 });
    a.track(VIDEO);
    // 100 000 frames in 10 s of arrivals: 10 000 per second.
    for (let n = 0; n < 100_000; n++) a.frame({ kind: 'video', timestampMs: n, keyframe: n % 2000 === 0, bytes: 10, arrivalMs: T0 + n / 10 });
    // The window holds what was kept: about 8 192 frames 0.1 ms apart, not 10 s of them.
    expect(a.report(T0 + 10_000).measures.windowSeconds).toBeLessThan(1.1);
    const frames = stream({ seconds: 8 });
    const b = analyze(frames);
    for (let n = 0; n < 20_000; n++) b.beforeConfig('audio', T0 + n / 10);
    expect(b.report(end(frames)).findings.find((f) => f.type === 'missingSequenceHeader')!.actual).toBe('8192 audio frames before the AAC sequence header (dropped)');
  });
});
