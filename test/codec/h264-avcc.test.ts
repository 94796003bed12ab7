import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { avcCodecString, avcConfigFromParameterSets, buildAvcC, parseAvcC, type AvcConfig } from '../../src/codec/index.js';
import { codecError, flvFixtureConfigs, hex, toHex } from './helpers.js';

const FLV_AVCC =
  '01 64 00 0d ff e1 0019 6764000dacd94141fb0110000003001000000303c0f1429960 01 0004 68efbcb0 fd f8 f8 00';

describe('parseAvcC', () => {
  it('the avcC of fixtures/media/h264-aac.flv (ffmpeg 5.1), byte for byte', () => {
    const bytes = flvFixtureConfigs().avcC;
    expect(toHex(bytes)).toBe(FLV_AVCC.replace(/\s+/g, ''));
    const config = parseAvcC(bytes);
    expect({ ...config, sps: config.sps.map(toHex), pps: config.pps.map(toHex) }).toEqual({
      profileIdc: 100,
      profileCompatibility: 0,
      levelIdc: 13,
      nalLengthSize: 4,
      sps: ['6764000dacd94141fb0110000003001000000303c0f1429960'],
      pps: ['68efbcb0'],
      ext: { chromaFormatIdc: 1, bitDepthLuma: 8, bitDepthChroma: 8, spsExt: [] },
    });
    expect(config.sps[0]!.buffer).toBe(bytes.buffer);
    expect(avcCodecString(config.profileIdc, config.profileCompatibility, config.levelIdc)).toBe('avc1.64000d');
  });

  it('a Main-profile record with 2-byte lengths, two SPS and no extension', () => {
    const config = parseAvcC(hex('01 4d 40 1e fd e2 0002 674d 0003 674d40 01 0002 68ee'));
    expect(config).toMatchObject({ profileIdc: 77, profileCompatibility: 0x40, levelIdc: 30, nalLengthSize: 2 });
    expect(config.sps.map(toHex)).toEqual(['674d', '674d40']);
    expect(config.ext).toBeUndefined();
  });

  it('a High-profile record without the extension (writers before 14496-15 2010) has no ext', () => {
    expect(parseAvcC(hex('01 64 00 1f ff e1 0002 6764 01 0002 68ee')).ext).toBeUndefined();
  });

  it('ignores the reserved bits (some writers leave them zero) and trailing bytes', () => {
    expect(parseAvcC(hex('01 42 c0 1e 03 01 0002 6742 01 0002 68ce 0000')).nalLengthSize).toBe(4);
  });

  it.each([
    { name: 'empty', bytes: '', code: 'ERR_CODEC_TRUNCATED' },
    { name: 'header only', bytes: '01 64 00 1f ff', code: 'ERR_CODEC_TRUNCATED' },
    { name: 'SPS longer than the record', bytes: '01 64 00 1f ff e1 0010 6764', code: 'ERR_CODEC_TRUNCATED' },
    { name: 'no PPS count', bytes: '01 64 00 1f ff e1 0002 6764', code: 'ERR_CODEC_TRUNCATED' },
    { name: 'configurationVersion 0', bytes: '00 64 00 1f ff e1 0002 6764 00', code: 'ERR_CODEC_UNSUPPORTED' },
    { name: 'lengthSizeMinusOne 2', bytes: '01 64 00 1f fe e1 0002 6764 00', code: 'ERR_CODEC_INVALID' },
  ])('refuses $name with $code', ({ bytes, code }) => {
    expect(codecError(() => parseAvcC(hex(bytes))).code).toBe(code);
  });
});

describe('buildAvcC', () => {
  it('rebuilds the fixture record byte for byte from its parse', () => {
    const bytes = flvFixtureConfigs().avcC;
    expect(toHex(buildAvcC(parseAvcC(bytes)))).toBe(toHex(bytes));
  });

  it('avcConfigFromParameterSets gives what ffmpeg wrote: profile bytes from the SPS, High fields from parsing it', () => {
    const { avcC } = flvFixtureConfigs();
    const parsed = parseAvcC(avcC);
    expect(toHex(buildAvcC(avcConfigFromParameterSets(parsed.sps, parsed.pps)))).toBe(toHex(avcC));
    const baseline = avcConfigFromParameterSets([hex('6742c00a')], [hex('68ce3c80')], 2);
    expect(toHex(buildAvcC(baseline))).toBe('0142c00afde1' + '00046742c00a' + '01' + '000468ce3c80');
    expect(codecError(() => avcConfigFromParameterSets([hex('6742')], [])).code).toBe('ERR_CODEC_TRUNCATED');
  });

  it.each([
    { name: 'a 3-byte length size', config: { nalLengthSize: 3 }, field: 'lengthSize' },
    { name: '32 SPS', config: { sps: Array.from({ length: 32 }, () => hex('67')) }, field: 'numOfSequenceParameterSets' },
    { name: 'an empty PPS', config: { pps: [new Uint8Array(0)] }, field: 'NAL unit length' },
    { name: 'a 64 KiB SPS', config: { sps: [new Uint8Array(65536)] }, field: 'NAL unit length' },
    { name: 'level 256', config: { levelIdc: 256 }, field: 'AVCLevelIndication' },
    { name: 'bit depth 16', config: { ext: { chromaFormatIdc: 1, bitDepthLuma: 16, bitDepthChroma: 8, spsExt: [] } }, field: 'bit_depth_luma' },
  ])('refuses $name (ERR_CODEC_INVALID naming $field)', ({ config, field }) => {
    const base: AvcConfig = { profileIdc: 100, profileCompatibility: 0, levelIdc: 31, nalLengthSize: 4, sps: [hex('6764')], pps: [hex('68ee')] };
    const err = codecError(() => buildAvcC({ ...base, ...config } as AvcConfig));
    expect(err.code).toBe('ERR_CODEC_INVALID');
    expect(err.details.field).toBe(field);
  });

  it('avcConfigFromParameterSets needs an SPS', () => {
    expect(codecError(() => avcConfigFromParameterSets([], [])).code).toBe('ERR_CODEC_INVALID');
  });
});

const unit = fc.uint8Array({ minLength: 1, maxLength: 40 });
const avcConfig: fc.Arbitrary<AvcConfig> = fc.record({
  profileIdc: fc.integer({ min: 0, max: 255 }),
  profileCompatibility: fc.integer({ min: 0, max: 255 }),
  levelIdc: fc.integer({ min: 0, max: 255 }),
  nalLengthSize: fc.constantFrom(1 as const, 2 as const, 4 as const),
  sps: fc.array(unit, { maxLength: 4 }),
  pps: fc.array(unit, { maxLength: 4 }),
}).chain((c) =>
  [100, 110, 122, 144].includes(c.profileIdc)
    ? fc.record({
        chromaFormatIdc: fc.integer({ min: 0, max: 3 }),
        bitDepthLuma: fc.integer({ min: 8, max: 15 }),
        bitDepthChroma: fc.integer({ min: 8, max: 15 }),
        spsExt: fc.array(unit, { maxLength: 2 }),
      }).map((ext) => ({ ...c, ext }))
    : fc.constant(c),
);

/** The config with every NAL unit as hex, so Buffers and Uint8Arrays compare by content. */
function normalize(c: AvcConfig): unknown {
  const units = (list: readonly Uint8Array[]) => list.map(toHex);
  return { ...c, sps: units(c.sps), pps: units(c.pps), ...(c.ext ? { ext: { ...c.ext, spsExt: units(c.ext.spsExt) } } : {}) };
}

describe('avcC round trip (property)', () => {
  it('parseAvcC(buildAvcC(config)) = config', () => {
    fc.assert(
      fc.property(avcConfig, (config) => {
        const parsed = parseAvcC(buildAvcC(config));
        expect(normalize(parsed)).toEqual(normalize(config));
      }),
      { numRuns: 500 },
    );
  });
});
