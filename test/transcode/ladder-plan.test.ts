import { describe, expect, it } from 'vitest';
import { checkLadderSpec, frameRateDivisor, ladderPixelRate, planLadder, rungSize, type LadderSource } from '../../src/transcode/index.js';

/** Planning a ladder against a source: no upscaling, aspect kept, exact frame-rate divisors, the audio decision. */

const V51 = { major: 5, minor: 1 };
const V61 = { major: 6, minor: 1 };
const SOURCE_720: LadderSource = { video: { codec: 'avc', width: 1280, height: 720, frameRate: 30 }, audio: { codec: 'aac' } };
/** The `default` preset's shape: 1080p, 720p, 480p, 360p. */
const DEFAULT_LIKE = checkLadderSpec({
  rungs: [
    { codec: 'h264', height: 1080, bitrateKbps: 5000 },
    { codec: 'h264', height: 720, bitrateKbps: 2800 },
    { codec: 'h264', height: 480, bitrateKbps: 1400 },
    { codec: 'h264', height: 360, bitrateKbps: 800 },
  ],
});

describe('planLadder', () => {
  it('a 640x360 source gets no rung above 360p: the others are dropped and say why', () => {
    const plan = planLadder(DEFAULT_LIKE, { video: { codec: 'avc', width: 640, height: 360, frameRate: 30 } }, V51);
    expect(plan.rungs.map((r) => `${r.name} ${r.width}x${r.height}`)).toEqual(['360p 640x360']);
    expect(plan.dropped).toEqual([
      { name: '1080p', reason: "above the source's 640x360" },
      { name: '720p', reason: "above the source's 640x360" },
      { name: '480p', reason: "above the source's 640x360" },
    ]);
    expect(plan.audio).toEqual({ kind: 'none' });
  });

  it('sizes keep the source aspect, rounded to even; defaults fill the rate fields', () => {
    const plan = planLadder(DEFAULT_LIKE, SOURCE_720, V51);
    expect(plan.rungs).toEqual([
      { kind: 'encode', name: '720p', codec: 'h264', width: 1280, height: 720, frameRateDivisor: 1, frameRate: 30, bitrateKbps: 2800, maxRateKbps: 2800, bufferSizeKbits: 2800, preset: 'veryfast', profile: undefined, threads: 0 },
      { kind: 'encode', name: '480p', codec: 'h264', width: 854, height: 480, frameRateDivisor: 1, frameRate: 30, bitrateKbps: 1400, maxRateKbps: 1400, bufferSizeKbits: 1400, preset: 'veryfast', profile: undefined, threads: 0 },
      { kind: 'encode', name: '360p', codec: 'h264', width: 640, height: 360, frameRateDivisor: 1, frameRate: 30, bitrateKbps: 800, maxRateKbps: 800, bufferSizeKbits: 800, preset: 'veryfast', profile: undefined, threads: 0 },
    ]);
    expect(plan.audio).toEqual({ kind: 'passthrough' });
  });

  it('a copy rung is the source as it is; audio that is not AAC is encoded once', () => {
    const spec = checkLadderSpec({ rungs: [{ codec: 'copy' }, { codec: 'h264', height: 240, bitrateKbps: 300, frameRate: 15 }], audio: { bitrateKbps: 96 } });
    const plan = planLadder(spec, { video: { codec: 'avc', width: 1280, height: 720, frameRate: 30 }, audio: { codec: 'mp3' } }, V51);
    expect(plan.rungs[0]).toEqual({ kind: 'copy', name: 'source', width: 1280, height: 720, frameRate: 30 });
    expect(plan.rungs[1]).toMatchObject({ name: '240p', width: 426, height: 240, frameRateDivisor: 2, frameRate: 15 });
    expect(plan.audio).toEqual({ kind: 'encode', bitrateKbps: 96 });
  });

  it('an audio-only publish gets no video rung; a video-only one no audio', () => {
    const audioOnly = planLadder(DEFAULT_LIKE, { audio: { codec: 'aac' } }, V51);
    expect(audioOnly.rungs).toEqual([]);
    expect(audioOnly.dropped.map((d) => d.reason)).toEqual(Array(4).fill('the source has no video'));
    expect(audioOnly.audio).toEqual({ kind: 'passthrough' });
    expect(planLadder(DEFAULT_LIKE, { video: SOURCE_720.video! }, V51).audio).toEqual({ kind: 'none' });
  });

  it('h265 rungs need ffmpeg 6.1 (HEVC in FLV): refused below it with ERR_TRANSCODE_UNSUPPORTED', () => {
    const spec = checkLadderSpec({ rungs: [{ codec: 'h265', height: 480, bitrateKbps: 900 }] });
    expect(() => planLadder(spec, SOURCE_720, V51)).toThrow(expect.objectContaining({ code: 'ERR_TRANSCODE_UNSUPPORTED', message: 'rung 480p: h265 needs ffmpeg 6.1 or later (HEVC in FLV), this one is 5.1' }));
    expect(planLadder(spec, SOURCE_720, V61).rungs[0]).toMatchObject({ codec: 'h265', width: 854, height: 480 });
    expect(planLadder(spec, SOURCE_720, { major: 7, minor: 0 }).rungs).toHaveLength(1);
  });

  it('a frame rate that does not divide the source\'s drops its rung with the reason', () => {
    const spec = checkLadderSpec({ rungs: [{ codec: 'h264', height: 480, bitrateKbps: 900, frameRate: 24 }] });
    expect(planLadder(spec, SOURCE_720, V51).dropped).toEqual([{ name: '480p', reason: "24 fps does not divide the source's 30 exactly" }]);
  });
});

describe('rungSize', () => {
  it.each([
    [undefined, 720, 1920, 1080, 1280, 720],
    [undefined, 480, 1920, 1080, 854, 480],
    [undefined, 360, 1366, 768, 640, 360],
    [640, undefined, 1920, 1080, 640, 360],
    [426, 240, 1920, 1080, 426, 240],
    [undefined, 480, 640, 480, 640, 480],
    [undefined, 240, 720, 576, 300, 240],
  ])('width %s height %s of %sx%s → %sx%s', (width, height, sw, sh, w, h) => {
    expect(rungSize(width, height, sw, sh)).toEqual({ width: w, height: h });
  });
});

describe('frameRateDivisor', () => {
  it.each([
    ['source', 30, 1],
    [undefined, undefined, 1],
    [15, 30, 2],
    [10, 30, 3],
    [30, 60, 2],
    [14.985, 29.97, 2],
    [29.97, 29.97, 1],
    [15, 29.97, '15 fps does not divide the source\'s 29.97 exactly'],
    [20, 30, '20 fps does not divide the source\'s 30 exactly'],
    [60, 30, "60 fps is above the source's 30"],
    [15, undefined, "the source's frame rate is unknown, so 15 fps cannot be checked against it"],
  ] as const)('%s fps from %s → %s', (rate, source, expected) => {
    expect(frameRateDivisor(rate, source)).toBe(expected);
  });
});

describe('planLadder checks its spec', () => {
  it('a spec built by hand without a bit rate is refused with the field path, not planned', () => {
    const spec = { rungs: [{ codec: 'h264' as const, height: 360 }] };
    expect(() => planLadder(spec, SOURCE_720, V51)).toThrow(expect.objectContaining({ code: 'ERR_TRANSCODE_LADDER_INVALID', message: 'invalid ladder spec: rungs[0].bitrateKbps: is required for an encoded rung' }));
  });
});

describe('the server transcode budget (maxPixelsPerSecond)', () => {
  const spec = checkLadderSpec({ rungs: [{ codec: 'copy' }, { codec: 'h264', height: 720, bitrateKbps: 2800 }, { codec: 'h264', height: 360, bitrateKbps: 800 }] });
  const source = { video: { codec: 'avc' as const, width: 1920, height: 1080, frameRate: 30 } };
  const decode = 1920 * 1080 * 30;
  const r720 = 1280 * 720 * 30;
  const r360 = 640 * 360 * 30;

  it.each([
    ['unlimited', undefined, ['source', '720p', '360p'], []],
    ['room for both', decode + r720 + r360, ['source', '720p', '360p'], []],
    ['one pixel short: the largest goes', decode + r720 + r360 - 1, ['source', '360p'], ['720p']],
    ['room for the decode only: every encode goes, the copy stays', decode, ['source'], ['720p', '360p']],
    ['nothing left', 0, ['source'], ['720p', '360p']],
  ])('%s', (_name, budget, kept, droppedNames) => {
    const plan = planLadder(spec, source, V51, budget === undefined ? {} : { maxPixelsPerSecond: budget });
    expect(plan.rungs.map((r) => r.name)).toEqual(kept);
    expect(plan.dropped.map((d) => d.name)).toEqual(droppedNames);
    for (const d of plan.dropped) expect(d.reason).toMatch(/^over the server's transcode budget \(\d+\.\d Mpx\/s left\)$/);
    expect(ladderPixelRate(plan.rungs, source.video)).toBeLessThanOrEqual(budget ?? Infinity);
  });

  it('counts a divided frame rate at its own rate, and copies as nothing', () => {
    const half = planLadder(checkLadderSpec({ rungs: [{ codec: 'copy' }, { codec: 'h264', height: 360, bitrateKbps: 800, frameRate: 15 }] }), source, V51);
    expect(ladderPixelRate(half.rungs, source.video)).toBe(decode + 640 * 360 * 15);
    expect(ladderPixelRate([half.rungs[0]!], source.video)).toBe(0);
  });
});

describe('added keyframes: the source GOP is longer than the segment target', () => {
  const source = { video: { codec: 'avc' as const, width: 1280, height: 720, frameRate: 30 } };
  const rungs = checkLadderSpec({ rungs: [{ codec: 'copy' }, { codec: 'h264', height: 480, bitrateKbps: 1200 }, { codec: 'h264', height: 240, bitrateKbps: 300, frameRate: 15 }] });
  const add = { everySeconds: 2, sourceGopSeconds: 8.3 };

  it('drops the copy rung and the divided frame rate, saying why, and plans keyframes every N s', () => {
    const plan = planLadder(rungs, source, V51, { addKeyframes: add });
    expect(plan.rungs.map((r) => r.name)).toEqual(['480p']);
    expect(plan.addedKeyframes).toEqual({ everySeconds: 2 });
    expect(plan.dropped).toEqual([
      { name: 'source', reason: "the source's keyframes are 8.3 s apart, over the 2 s segment target: the encoded rungs get a keyframe every 2 s, which the source cannot follow" },
      { name: '240p', reason: "the source's keyframes are 8.3 s apart, over the 2 s segment target: keyframes are added, and a divided frame rate may not have the frames they fall on" },
    ]);
  });

  it('nothing full-rate to encode: the ladder stays as it is (long segments), keyframes untouched', () => {
    const copyOnly = planLadder(checkLadderSpec({ rungs: [{ codec: 'copy' }] }), source, V51, { addKeyframes: add });
    expect(copyOnly.rungs.map((r) => r.name)).toEqual(['source']);
    expect(copyOnly.addedKeyframes).toBeUndefined();
    expect(planLadder(rungs, source, V51).addedKeyframes).toBeUndefined();
  });
});
