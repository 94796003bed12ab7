import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  avcConfigFromParameterSets,
  buildAvcC,
  buildHvcC,
  h264NalType,
  hevcConfigFromParameterSets,
  hevcNalType,
  isH264Keyframe,
  isHevcKeyframe,
  parseAdtsHeader,
  parseAudioSpecificConfig,
  parseAvcC,
  parseH264Sps,
  parseHevcSps,
  parseHvcC,
  removeEmulationPrevention,
  splitAdts,
  splitAnnexB,
  splitNalUnits,
} from '../../src/codec/index.js';
import { corpus, expectOutcome, expectTableMatchesCorpus, replay, withCorpusHint, type CorpusFile, type Expected } from '../helpers/corpus.js';
import { codecFixture, flvFixtureConfigs, hex, onlyCodecErrors } from './helpers.js';
import { writeH264Sps, writeHevcSps } from './sps-writers.js';

/**
 * Hostile input: every parser returns or throws a CodecError, never a RangeError, a TypeError or
 * a BytesError, and never hangs (each run is bounded by the input size: every loop consumes input
 * or is capped by a spec limit). Inputs are random bytes and real or synthetic configs with a few
 * bytes overwritten, truncated or extended.
 */

const PARSERS: Record<string, (bytes: Uint8Array) => unknown> = {
  parseAvcC,
  parseH264Sps,
  parseHvcC,
  parseHevcSps,
  parseAudioSpecificConfig,
  parseAdtsHeader,
  splitAdts,
  splitAnnexB,
  removeEmulationPrevention,
  splitNalUnits4: (b) => splitNalUnits(b, 4),
  splitNalUnits1: (b) => splitNalUnits(b, 1),
  isH264Keyframe: (b) => isH264Keyframe(b, 2),
  isHevcKeyframe: (b) => isHevcKeyframe(b, 4),
  avcConfigFromParameterSets: (b) => buildAvcC(avcConfigFromParameterSets([b], [b])),
  hevcConfigFromParameterSets: (b) => buildHvcC(hevcConfigFromParameterSets({ vps: [b], sps: [b], pps: [b] })),
  roundTripAvcC: (b) => buildAvcC(parseAvcC(b)),
  roundTripHvcC: (b) => buildHvcC(parseHvcC(b)),
};

/** The fixtures/corpus/ directory a counterexample of each fuzzed function belongs in. */
const CORPUS_OF: Record<string, string> = {
  parseAvcC: 'h264-avcc',
  parseH264Sps: 'h264-sps',
  parseHvcC: 'hevc-hvcc',
  parseHevcSps: 'hevc-sps',
  parseAudioSpecificConfig: 'aac-asc',
  parseAdtsHeader: 'adts',
  splitAdts: 'adts',
  splitAnnexB: 'nal-annexb',
  removeEmulationPrevention: 'nal-annexb',
  splitNalUnits4: 'nal-length-prefixed',
  splitNalUnits1: 'nal-length-prefixed',
  isH264Keyframe: 'nal-length-prefixed',
  isHevcKeyframe: 'nal-length-prefixed',
  avcConfigFromParameterSets: 'h264-sps',
  hevcConfigFromParameterSets: 'hevc-sps',
  roundTripAvcC: 'h264-avcc',
  roundTripHvcC: 'hevc-hvcc',
};

function firstOf(stream: Uint8Array, type: number, typeOf: (n: Uint8Array) => number): Uint8Array {
  return splitAnnexB(stream).find((n) => typeOf(n) === type)!;
}

const hevcBase = { ptl: { space: 0, tier: 0 as const, idc: 1, compat: 0x60000000, constraint: 0, level: 93 }, chromaFormatIdc: 1, width: 640, height: 360, vui: { aspectRatioIdc: 255, sar: [4, 3] as [number, number], timing: [1, 25, false] as [number, number, boolean] } };
const hevcStream = codecFixture('hevc-main-1280x720-25fps.hevc');
const hevcUnits = { vps: [firstOf(hevcStream, 32, hevcNalType)], sps: [firstOf(hevcStream, 33, hevcNalType)], pps: [firstOf(hevcStream, 34, hevcNalType)] };

/** Valid inputs of each kind, the starting points of the mutations. */
const SEEDS: Uint8Array[] = [
  flvFixtureConfigs().avcC,
  flvFixtureConfigs().asc,
  firstOf(codecFixture('h264-high422-10bit-1366x766.h264'), 7, h264NalType),
  firstOf(codecFixture('h264-high-1440x1080i-sar4x3.h264'), 7, h264NalType),
  writeH264Sps({ profileIdc: 244, levelIdc: 40, chroma: { chromaFormatIdc: 3, scalingLists: [[-8], undefined, [4, -12], ...Array<undefined>(9).fill(undefined)] }, poc: { type: 1, deltaAlwaysZero: false, offsetNonRef: 2, offsetTopBottom: -1, offsets: [1, 2] }, widthMbs: 10, heightMapUnits: 10, crop: [0, 1, 0, 1], vui: { aspectRatioIdc: 255, sar: [3, 2], timing: [1, 50, true] } }),
  hevcUnits.sps[0]!,
  writeHevcSps({ ...hevcBase, maxSubLayersMinus1: 2, subLayers: [{ profile: true, level: true }], scalingList: 'data', pcm: true, rps: [{ s0: [0, 1], s1: [0] }, { negative: true, absMinus1: 0, flags: [[true], [false, true], [true], [true]] }], longTerm: 2 }),
  buildHvcC(hevcConfigFromParameterSets(hevcUnits)),
  codecFixture('aac-lc-48k-mono.adts').subarray(0, 600),
  hex('2b118800'),
  hex('131056e59d4880'),
  hex('899100'),
  codecFixture('h264-baseline-176x144-sar5x7.h264').subarray(0, 200),
];

const mutation = fc.record({
  seed: fc.nat({ max: SEEDS.length - 1 }),
  edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
  cut: fc.option(fc.nat()),
  tail: fc.uint8Array({ maxLength: 8 }),
});

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate({ seed, edits, cut, tail }: Mutation): Uint8Array {
  const base = SEEDS[seed]!;
  const bytes = Uint8Array.from(base);
  for (const [at, value] of edits) bytes[at % bytes.length] = value;
  const kept = cut === null ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
  return Uint8Array.of(...kept, ...tail);
}

describe('codec fuzz: only CodecErrors', () => {
  it.each(Object.keys(PARSERS))('%s: random bytes', (name) => {
    const parse = PARSERS[name]!;
    fc.assert(fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => void onlyCodecErrors(() => parse(bytes))), withCorpusHint(CORPUS_OF[name]!, { numRuns: 1500 }));
  });

  it.each(Object.keys(PARSERS))('%s: mutated real and synthetic configs', (name) => {
    const parse = PARSERS[name]!;
    // The bytes of a counterexample are mutate(counterexample[0]): rebuild them before saving.
    fc.assert(fc.property(mutation, (m) => void onlyCodecErrors(() => parse(mutate(m)))), withCorpusHint(CORPUS_OF[name]!, { numRuns: 1500 }));
  });

  it('every seed parses with the parser it is for (the mutations start from valid input)', () => {
    expect(onlyCodecErrors(() => parseAvcC(SEEDS[0]!))).toBe('ok');
    expect(onlyCodecErrors(() => parseAudioSpecificConfig(SEEDS[1]!))).toBe('ok');
    for (const i of [2, 3, 4]) expect(onlyCodecErrors(() => parseH264Sps(SEEDS[i]!))).toBe('ok');
    for (const i of [5, 6]) expect(onlyCodecErrors(() => parseHevcSps(SEEDS[i]!))).toBe('ok');
    expect(onlyCodecErrors(() => parseHvcC(SEEDS[7]!))).toBe('ok');
    for (const i of [9, 10, 11]) expect(onlyCodecErrors(() => parseAudioSpecificConfig(SEEDS[i]!))).toBe('ok');
  });

  it('an all-zero or all-ones buffer ends quickly (Exp-Golomb runs are capped)', () => {
    const zeros = new Uint8Array(1 << 16);
    const ones = new Uint8Array(1 << 16).fill(0xff);
    for (const parse of Object.values(PARSERS)) {
      onlyCodecErrors(() => parse(zeros));
      onlyCodecErrors(() => parse(ones));
    }
    expect(onlyCodecErrors(() => parseH264Sps(Uint8Array.of(0x67, 100, 0, 31, ...zeros.subarray(0, 64))))).toBe('codec-error');
  });
});

/** A corpus directory, the parser it is replayed through, and the pinned outcomes of its files. */
interface CodecCorpus {
  readonly dir: string;
  readonly table: Readonly<Record<string, unknown>>;
  readonly replayFile: (file: CorpusFile) => void;
}

function codecCorpus<T>(dir: string, parse: (bytes: Uint8Array) => T, table: Record<string, Expected<T>>): CodecCorpus {
  return { dir, table, replayFile: (file) => expectOutcome(replay(file, CodecError, parse), table[file.name]) };
}

const h264Types = (units: readonly Uint8Array[]): number[] => units.map(h264NalType);
const hevcTypes = (units: readonly Uint8Array[]): number[] => units.map(hevcNalType);

const CODEC_CORPORA: CodecCorpus[] = [
  codecCorpus('h264-sps', parseH264Sps, {
    'valid-high-1366x768-crop.bin': (s) => expect(s).toMatchObject({ profileIdc: 100, levelIdc: 32, codedWidth: 1376, width: 1366, height: 768, frameRate: 30 }),
    'valid-high422-10bit-1366x766.bin': (s) => expect(s).toMatchObject({ profileIdc: 122, chromaFormatIdc: 2, bitDepthLuma: 10, width: 1366, height: 766, frameRate: 50 }),
    'valid-high-1440x1080i-sar4x3.bin': (s) => expect(s).toMatchObject({ levelIdc: 40, frameMbsOnly: false, width: 1440, height: 1080, sarWidth: 4, sarHeight: 3, frameRate: 25 }),
    'valid-baseline-176x144-sar5x7.bin': (s) => expect(s).toMatchObject({ profileIdc: 66, constraintFlags: 0xc0, picOrderCntType: 2, width: 176, height: 144, sarWidth: 5, sarHeight: 7, frameRate: 15 }),
    'valid-high-320x240-flv.bin': (s) => expect(s).toMatchObject({ profileIdc: 100, levelIdc: 13, width: 320, height: 240, frameRate: 30 }),
    'valid-main-320x180-flv.bin': (s) => {
      expect(s).toMatchObject({ profileIdc: 77, width: 320, height: 180 });
      expect(s.frameRate).toBeCloseTo(24_000 / 1001, 9);
    },
    // Written by test/codec/sps-writers.ts: the VUI after scaling lists and pic_order_cnt_type 1 reads right.
    'valid-high444-scaling-lists-poc1.bin': (s) =>
      expect(s).toMatchObject({ profileIdc: 244, chromaFormatIdc: 3, scalingMatrixPresent: true, picOrderCntType: 1, offsetForRefFrame: [1, 2], width: 159, height: 159, sarWidth: 3, sarHeight: 2, frameRate: 25 }),
    // The VUI is read tolerantly (src/codec/nal/vui-common.ts): cut inside it, the SPS still gives its size.
    'truncated-inside-vui.bin': (s) => expect(s).toMatchObject({ width: 1366, height: 768, frameRate: undefined }),
    'truncated-after-level.bin': 'ERR_CODEC_TRUNCATED',
    'truncated-empty.bin': 'ERR_CODEC_TRUNCATED',
    'hostile-zeros-after-header.bin': 'ERR_CODEC_INVALID',
    'hostile-all-ones-4k.bin': 'ERR_CODEC_INVALID',
    'hostile-all-zeros-4k.bin': 'ERR_CODEC_INVALID',
    'hostile-pps-not-sps.bin': 'ERR_CODEC_INVALID',
    'hostile-emulation-prevention-only.bin': 'ERR_CODEC_INVALID',
  }),
  codecCorpus('h264-avcc', (bytes) => {
    const config = parseAvcC(bytes);
    return { config, sps: config.sps.map((sps) => parseH264Sps(sps)) };
  }, {
    'valid-high-320x240-flv.bin': ({ config, sps }) => {
      expect(config).toMatchObject({ profileIdc: 100, levelIdc: 13, nalLengthSize: 4, ext: { chromaFormatIdc: 1, bitDepthLuma: 8, bitDepthChroma: 8 } });
      expect(config.pps).toHaveLength(1);
      expect(sps.map((s) => [s.width, s.height])).toEqual([[320, 240]]);
    },
    'valid-main-320x180-flv.bin': ({ config, sps }) => {
      expect(config).toMatchObject({ profileIdc: 77, levelIdc: 12, nalLengthSize: 4 });
      expect(config.ext).toBeUndefined();
      expect(sps.map((s) => [s.width, s.height])).toEqual([[320, 180]]);
    },
    'valid-high-1366x768-flv.bin': ({ config, sps }) => {
      expect(config).toMatchObject({ profileIdc: 100, levelIdc: 32 });
      expect(sps.map((s) => [s.width, s.height])).toEqual([[1366, 768]]);
    },
    'valid-baseline-256x144-flv.bin': ({ config, sps }) => {
      expect(config).toMatchObject({ profileIdc: 66, levelIdc: 12 });
      expect(config.ext).toBeUndefined();
      expect(sps.map((s) => [s.width, s.height])).toEqual([[256, 144]]);
    },
    'valid-high422-10bit-built.bin': ({ config, sps }) => {
      expect(config).toMatchObject({ profileIdc: 122, ext: { chromaFormatIdc: 2, bitDepthLuma: 10, bitDepthChroma: 10 } });
      expect(sps.map((s) => [s.width, s.height])).toEqual([[1366, 766]]);
    },
    'hostile-zero-sps-zero-pps.bin': ({ config }) => expect(config).toMatchObject({ profileIdc: 66, sps: [], pps: [] }),
    'truncated-at-5.bin': 'ERR_CODEC_TRUNCATED',
    'truncated-inside-sps.bin': 'ERR_CODEC_TRUNCATED',
    'hostile-version-0.bin': 'ERR_CODEC_UNSUPPORTED',
    'hostile-31-sps-declared.bin': 'ERR_CODEC_TRUNCATED',
    'hostile-sps-length-65535.bin': 'ERR_CODEC_TRUNCATED',
    'hostile-length-size-3.bin': 'ERR_CODEC_INVALID',
  }),
  codecCorpus('hevc-sps', parseHevcSps, {
    'valid-main-1280x720-25fps.bin': (s) => expect(s).toMatchObject({ generalProfileIdc: 1, generalLevelIdc: 93, width: 1280, height: 720, frameRate: 25 }),
    'valid-main10-1366x768.bin': (s) => {
      expect(s).toMatchObject({ generalProfileIdc: 2, generalLevelIdc: 120, bitDepthLuma: 10, codedWidth: 1368, width: 1366, height: 768 });
      expect(s.frameRate).toBeCloseTo(30_000 / 1001, 9);
    },
    'valid-main422-10-640x358.bin': (s) => expect(s).toMatchObject({ generalProfileIdc: 4, chromaFormatIdc: 2, bitDepthLuma: 10, codedHeight: 360, width: 640, height: 358, frameRate: 24 }),
    'valid-main-320x240-flv.bin': (s) => expect(s).toMatchObject({ generalProfileIdc: 1, generalLevelIdc: 60, width: 320, height: 240, frameRate: 30 }),
    // Written by test/codec/sps-writers.ts: sub-layers, scaling_list_data, PCM, predicted RPS and long-term pictures before the VUI.
    'valid-scaling-pcm-rps-long-term.bin': (s) => expect(s).toMatchObject({ maxSubLayers: 3, width: 640, height: 360, sarWidth: 4, sarHeight: 3, frameRate: 25 }),
    'truncated-inside-profile-tier-level.bin': 'ERR_CODEC_TRUNCATED',
    'truncated-half.bin': 'ERR_CODEC_TRUNCATED',
    'hostile-all-ones-4k.bin': 'ERR_CODEC_INVALID',
    'hostile-all-zeros-4k.bin': 'ERR_CODEC_INVALID',
    'hostile-vps-not-sps.bin': 'ERR_CODEC_INVALID',
  }),
  codecCorpus('hevc-hvcc', (bytes) => {
    const config = parseHvcC(bytes);
    return { config, sps: config.sps.map((sps) => parseHevcSps(sps)) };
  }, {
    'valid-main-320x240-flv.bin': ({ config, sps }) => {
      expect(config).toMatchObject({ generalProfileIdc: 1, generalLevelIdc: 60, nalLengthSize: 4 });
      expect([config.vps.length, config.pps.length]).toEqual([1, 1]);
      expect(sps.map((s) => [s.width, s.height])).toEqual([[320, 240]]);
    },
    'valid-main-1280x720-built.bin': ({ config, sps }) => {
      expect(config).toMatchObject({ generalProfileIdc: 1, generalLevelIdc: 93, chromaFormatIdc: 1, bitDepthLuma: 8 });
      expect(sps.map((s) => [s.width, s.height])).toEqual([[1280, 720]]);
    },
    'valid-main10-1366x768-built.bin': ({ config, sps }) => {
      expect(config).toMatchObject({ generalProfileIdc: 2, generalLevelIdc: 120, bitDepthLuma: 10 });
      expect(sps.map((s) => [s.width, s.height])).toEqual([[1366, 768]]);
    },
    'valid-main422-10-640x358-built.bin': ({ config, sps }) => {
      expect(config).toMatchObject({ generalProfileIdc: 4, chromaFormatIdc: 2, bitDepthLuma: 10 });
      expect(sps.map((s) => [s.width, s.height])).toEqual([[640, 358]]);
    },
    'hostile-zero-arrays.bin': ({ config }) => expect(config).toMatchObject({ vps: [], sps: [], pps: [], sei: [] }),
    'truncated-at-22.bin': 'ERR_CODEC_TRUNCATED',
    'truncated-inside-arrays.bin': 'ERR_CODEC_TRUNCATED',
    'hostile-version-0.bin': 'ERR_CODEC_UNSUPPORTED',
    'hostile-255-arrays-declared.bin': 'ERR_CODEC_TRUNCATED',
    'hostile-65535-nalus-declared.bin': 'ERR_CODEC_TRUNCATED',
    'hostile-nalu-length-65535.bin': 'ERR_CODEC_TRUNCATED',
  }),
  codecCorpus('aac-asc', parseAudioSpecificConfig, {
    'valid-lc-44100-stereo-flv.bin': (c) => expect(c).toMatchObject({ objectType: 2, sampleRate: 44_100, channels: 2, sbr: false, samplesPerFrame: 1024 }),
    'valid-lc-48000-mono-flv.bin': (c) => expect(c).toMatchObject({ objectType: 2, sampleRate: 48_000, channels: 1 }),
    'valid-lc-48000-stereo-flv.bin': (c) => expect(c).toMatchObject({ objectType: 2, sampleRate: 48_000, channels: 2 }),
    'valid-he-aac-sbr-22050-flv.bin': (c) => expect(c).toMatchObject({ objectType: 2, sampleRate: 22_050, sbr: true, ps: false, outputSampleRate: 44_100, samplesPerFrame: 2048 }),
    'valid-lc-sync-extension-sbr.bin': (c) => expect(c).toMatchObject({ objectType: 2, sampleRate: 24_000, sbr: true, ps: false, outputSampleRate: 48_000 }),
    'valid-sbr-ps-hierarchical.bin': (c) => expect(c).toMatchObject({ objectType: 2, sampleRate: 24_000, sbr: true, ps: true, channels: 2, outputSampleRate: 48_000 }),
    'valid-er-aac-lc-48000.bin': (c) => expect(c).toMatchObject({ objectType: 17, sampleRate: 48_000, channels: 2 }),
    'truncated-1-byte.bin': 'ERR_CODEC_TRUNCATED',
    'truncated-empty.bin': 'ERR_CODEC_TRUNCATED',
    'truncated-explicit-rate.bin': 'ERR_CODEC_TRUNCATED',
    'hostile-object-type-0.bin': 'ERR_CODEC_UNSUPPORTED',
    'hostile-object-type-escape-63.bin': 'ERR_CODEC_TRUNCATED',
    'hostile-sample-rate-index-13.bin': 'ERR_CODEC_INVALID',
    'hostile-all-ones-64.bin': 'ERR_CODEC_UNSUPPORTED',
  }),
  codecCorpus('adts', splitAdts, {
    'valid-lc-48k-mono-25-frames.bin': (frames) => {
      expect(frames).toHaveLength(25);
      expect(new Set(frames.map((f) => `${f.header.objectType} ${f.header.sampleRate} ${f.header.channelConfiguration}`))).toEqual(new Set(['2 48000 1']));
      expect(frames.reduce((n, f) => n + f.header.frameLength, 0)).toBe(4556);
    },
    'valid-with-crc.bin': (frames) => {
      expect(frames.map((f) => f.header)).toMatchObject([{ protectionAbsent: false, headerLength: 9, frameLength: 11, sampleRate: 44_100, channelConfiguration: 2 }]);
      expect([...frames[0]!.payload]).toEqual([0xaa, 0xbb]);
    },
    'truncated-mid-frame.bin': 'ERR_CODEC_TRUNCATED',
    'truncated-inside-header.bin': 'ERR_CODEC_TRUNCATED',
    'hostile-bad-syncword.bin': 'ERR_CODEC_INVALID',
    'hostile-layer-1.bin': 'ERR_CODEC_INVALID',
    'hostile-frame-length-0.bin': 'ERR_CODEC_INVALID',
    'hostile-sample-rate-index-15.bin': 'ERR_CODEC_INVALID',
    'hostile-frame-length-8191.bin': 'ERR_CODEC_TRUNCATED',
  }),
  codecCorpus('nal-annexb', splitAnnexB, {
    'valid-h264-baseline-head.bin': (units) => expect(h264Types(units)).toEqual([7, 8, 6, 5]),
    'valid-hevc-main10-head.bin': (units) => expect(hevcTypes(units)).toEqual([32, 33, 34, 39, 20]),
    'hostile-start-codes-only.bin': (units) => expect(units).toEqual([]),
    'hostile-all-zeros-4k.bin': (units) => expect(units).toEqual([]),
    'hostile-three-byte-start-codes-empty-units.bin': (units) => expect(units).toEqual([]),
    'hostile-empty.bin': (units) => expect(units).toEqual([]),
    'hostile-emulation-prevention-runs.bin': 'ERR_CODEC_INVALID',
  }),
  codecCorpus('nal-length-prefixed', (bytes) => splitNalUnits(bytes, 4), {
    'valid-h264-keyframe.bin': (units) => expect(units.map((u) => [h264NalType(u), u.length])).toEqual([[6, 752], [5, 2053]]),
    'valid-h264-inter-frame.bin': (units) => expect(units.map((u) => [h264NalType(u), u.length])).toEqual([[1, 452]]),
    'valid-hevc-keyframe.bin': (units) => expect(units.map((u) => [hevcNalType(u), u.length])).toEqual([[20, 2942]]),
    'valid-sps-and-pps.bin': (units) => expect(h264Types(units)).toEqual([7, 8]),
    'hostile-zero-lengths.bin': (units) => expect(units).toEqual([]),
    'truncated-length-prefix.bin': 'ERR_CODEC_TRUNCATED',
    'truncated-inside-unit.bin': 'ERR_CODEC_TRUNCATED',
    'hostile-length-4gib.bin': 'ERR_CODEC_TRUNCATED',
  }),
];

describe('corpus', () => {
  for (const { dir, table, replayFile } of CODEC_CORPORA) {
    describe(dir, () => {
      const files = corpus(dir);

      it('every valid sample has its expected value, every expectation its file', () => expectTableMatchesCorpus(files, table));

      it.each(files)('$name: a value or a CodecError, as pinned', (file) => replayFile(file));

      it('every file through every fuzzed function: only CodecErrors', () => {
        for (const file of files) for (const parse of Object.values(PARSERS)) replay(file, CodecError, parse);
      });
    });
  }
});
