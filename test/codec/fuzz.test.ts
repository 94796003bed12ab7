import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
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
    fc.assert(fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => void onlyCodecErrors(() => parse(bytes))), { numRuns: 1500 });
  });

  it.each(Object.keys(PARSERS))('%s: mutated real and synthetic configs', (name) => {
    const parse = PARSERS[name]!;
    fc.assert(fc.property(mutation, (m) => void onlyCodecErrors(() => parse(mutate(m)))), { numRuns: 1500 });
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
