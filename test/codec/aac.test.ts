import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  aacCodecString,
  aacSampleRateIndex,
  AAC_SAMPLE_RATES,
  buildAdtsHeader,
  buildAudioSpecificConfig,
  nextAdtsFrame,
  parseAdtsHeader,
  parseAudioSpecificConfig,
  splitAdts,
  type AacConfig,
  type AacConfigInput,
} from '../../src/codec/index.js';
import { ffprobePath, fixturePath, probePackets } from '../helpers/ffmpeg.js';
import { codecError, codecFixture, flvFixtureConfigs, hex, toHex } from './helpers.js';

const LC_44K_STEREO: AacConfig = {
  objectType: 2, sampleRateIndex: 4, sampleRate: 44100, channelConfiguration: 2, channels: 2, frameLength: 1024,
  sbr: false, ps: false, outputSampleRate: 44100, samplesPerFrame: 1024,
};
const HE_24K_STEREO: AacConfig = {
  objectType: 2, sampleRateIndex: 6, sampleRate: 24000, channelConfiguration: 2, channels: 2, frameLength: 1024,
  sbr: true, ps: false, outputSampleRate: 48000, samplesPerFrame: 2048,
};

/**
 * AudioSpecificConfigs (14496-3 1.6.2.1) with their bit layouts. The HE-AAC ones are written by
 * hand from the syntax (Debian's ffmpeg has no HE-AAC encoder); 2b920800 is also the config
 * FLV publishers send for 44.1 kHz HE-AAC.
 */
const ASC_TABLE: Array<{ name: string; hex: string; config: Partial<AacConfig>; codec: string }> = [
  { name: 'ffmpeg AAC-LC 44.1k stereo + sync extension saying "no SBR"', hex: '121056e500', config: LC_44K_STEREO, codec: 'mp4a.40.2' },
  // 00101 (SBR) 0110 (24k) 0010 (stereo) 0011 (48k) 00010 (LC) 000 (GA)
  { name: 'HE-AAC, hierarchical', hex: '2b118800', config: HE_24K_STEREO, codec: 'mp4a.40.5' },
  { name: 'HE-AAC 22.05k → 44.1k', hex: '2b920800', config: { sampleRate: 22050, outputSampleRate: 44100, sbr: true, channels: 2 }, codec: 'mp4a.40.5' },
  // 11101 (PS) 0110 0001 (mono core) 0011 00010 000
  { name: 'HE-AAC v2, hierarchical', hex: 'eb098800', config: { ...HE_24K_STEREO, channelConfiguration: 1, channels: 2, ps: true }, codec: 'mp4a.40.29' },
  // 00010 0110 0010 000 | 0x2b7 | 00101 | 1 | 0011
  { name: 'HE-AAC, backward-compatible sync extension', hex: '131056e598', config: HE_24K_STEREO, codec: 'mp4a.40.5' },
  // … | 0x548 | 1
  { name: 'HE-AAC v2, backward-compatible', hex: '131056e59d4880', config: { ...HE_24K_STEREO, ps: true }, codec: 'mp4a.40.29' },
  { name: 'explicit 24-bit sampling frequency', hex: '17802af810', config: { sampleRateIndex: 15, sampleRate: 22000, outputSampleRate: 22000 }, codec: 'mp4a.40.2' },
  { name: 'explicit extension frequency', hex: '2b178055f00800', config: { sampleRate: 24000, outputSampleRate: 44000, sbr: true }, codec: 'mp4a.40.5' },
  { name: '960-sample frames', hex: '1194', config: { sampleRate: 48000, frameLength: 960, samplesPerFrame: 960 }, codec: 'mp4a.40.2' },
  { name: '960-sample frames under SBR', hex: '2b118a00', config: { frameLength: 960, samplesPerFrame: 1920, sbr: true }, codec: 'mp4a.40.5' },
  { name: 'AAC Main, mono', hex: '0a08', config: { objectType: 1, channels: 1 }, codec: 'mp4a.40.1' },
  { name: 'dependsOnCoreCoder with a delay', hex: '11922690', config: { sampleRate: 48000, channels: 2 }, codec: 'mp4a.40.2' },
  { name: 'channelConfiguration 7 is 8 channels', hex: '11b8', config: { channelConfiguration: 7, channels: 8 }, codec: 'mp4a.40.2' },
  { name: 'channelConfiguration 11 is 7 channels', hex: '11d8', config: { channelConfiguration: 11, channels: 7 }, codec: 'mp4a.40.2' },
  { name: 'ER AAC-LC with resilience flags and epConfig 0', hex: '899100', config: { objectType: 17, channels: 2 }, codec: 'mp4a.40.17' },
];

describe('parseAudioSpecificConfig', () => {
  it.each(ASC_TABLE)('$name: $hex', ({ hex: bytes, config, codec }) => {
    const parsed = parseAudioSpecificConfig(hex(bytes));
    expect(parsed).toMatchObject(config);
    expect(aacCodecString(parsed)).toBe(codec);
  });

  it('the ASC of fixtures/media/h264-aac.flv', () => {
    expect(parseAudioSpecificConfig(flvFixtureConfigs().asc)).toEqual(LC_44K_STEREO);
  });

  it.each([
    { name: 'empty', hex: '', code: 'ERR_CODEC_TRUNCATED', field: undefined },
    { name: 'cut inside the sampling frequency', hex: '17', code: 'ERR_CODEC_TRUNCATED', field: undefined },
    { name: 'cut inside GASpecificConfig', hex: '2b1188', code: 'ERR_CODEC_TRUNCATED', field: undefined },
    { name: 'samplingFrequencyIndex 13', hex: '1690', code: 'ERR_CODEC_INVALID', field: 'samplingFrequencyIndex' },
    { name: 'channelConfiguration 8 (reserved)', hex: '11c0', code: 'ERR_CODEC_INVALID', field: 'channelConfiguration' },
    { name: 'a program_config_element (channelConfiguration 0)', hex: '1180', code: 'ERR_CODEC_UNSUPPORTED', field: 'channelConfiguration' },
    { name: 'USAC via the escape (object type 42)', hex: 'f94640', code: 'ERR_CODEC_UNSUPPORTED', field: 'audioObjectType' },
    { name: 'SBR over an escaped type', hex: '2b11fca0', code: 'ERR_CODEC_UNSUPPORTED', field: 'audioObjectType' },
    { name: 'ER epConfig 2', hex: '899080', code: 'ERR_CODEC_UNSUPPORTED', field: 'epConfig' },
  ])('refuses $name with $code', ({ hex: bytes, code, field }) => {
    const err = codecError(() => parseAudioSpecificConfig(hex(bytes)));
    expect(err.code).toBe(code);
    if (field !== undefined) expect(err.details.field).toBe(field);
  });
});

describe('buildAudioSpecificConfig', () => {
  it.each([
    { input: { objectType: 2, sampleRate: 44100, channels: 2 }, hex: '1210' },
    { input: { objectType: 2, sampleRate: 24000, channels: 2, sbr: true }, hex: '2b118800' },
    { input: { objectType: 2, sampleRate: 24000, channels: 1, sbr: true, ps: true, outputSampleRate: 48000 }, hex: 'eb098800' },
    { input: { objectType: 2, sampleRate: 24000, channels: 2, sbr: true, sbrSignalling: 'backward-compatible' }, hex: '131056e598' },
    { input: { objectType: 2, sampleRate: 24000, channels: 2, sbr: true, ps: true, sbrSignalling: 'backward-compatible' }, hex: '131056e59d4880' },
    { input: { objectType: 2, sampleRate: 22000, channels: 2 }, hex: '17802af810' },
    { input: { objectType: 2, sampleRate: 48000, channels: 2, frameLength: 960 }, hex: '1194' },
    { input: { objectType: 2, sampleRate: 48000, channels: 8 }, hex: '11b8' },
  ] satisfies Array<{ input: AacConfigInput; hex: string }>)('$hex', ({ input, hex: bytes }) => {
    expect(toHex(buildAudioSpecificConfig(input))).toBe(bytes);
  });

  it.each([
    { input: { objectType: 5, sampleRate: 48000, channels: 2 }, code: 'ERR_CODEC_UNSUPPORTED', field: 'audioObjectType' },
    { input: { objectType: 2, sampleRate: 48000, channels: 7 }, code: 'ERR_CODEC_INVALID', field: 'channels' },
    { input: { objectType: 2, sampleRate: 0, channels: 2 }, code: 'ERR_CODEC_INVALID', field: 'samplingFrequency' },
    { input: { objectType: 2, sampleRate: 48000, channels: 1, ps: true }, code: 'ERR_CODEC_INVALID', field: 'ps' },
  ])('refuses $input.objectType/$input.sampleRate/$input.channels: $field', ({ input, code, field }) => {
    const err = codecError(() => buildAudioSpecificConfig(input));
    expect([err.code, err.details.field]).toEqual([code, field]);
  });

  const input: fc.Arbitrary<AacConfigInput> = fc.record({
    objectType: fc.integer({ min: 1, max: 4 }),
    sampleRate: fc.oneof(fc.constantFrom(...AAC_SAMPLE_RATES), fc.integer({ min: 1, max: 0xffffff })),
    channels: fc.constantFrom(1, 2, 3, 4, 5, 6, 8),
    frameLength: fc.constantFrom(960 as const, 1024 as const),
    sbr: fc.boolean(),
    outputSampleRate: fc.integer({ min: 1, max: 0xffffff }),
    sbrSignalling: fc.constantFrom('hierarchical' as const, 'backward-compatible' as const),
  }).chain((c) => fc.boolean().map((ps) => ({ ...c, ps: c.sbr && ps })));

  it('round trip: parse(build(input)) gives back every field (property)', () => {
    fc.assert(
      fc.property(input, (c) => {
        const parsed = parseAudioSpecificConfig(buildAudioSpecificConfig(c));
        expect(parsed).toEqual({
          objectType: c.objectType,
          sampleRateIndex: aacSampleRateIndex(c.sampleRate),
          sampleRate: c.sampleRate,
          channelConfiguration: c.channels === 8 ? 7 : c.channels,
          channels: c.ps ? 2 : c.channels,
          frameLength: c.frameLength,
          sbr: c.sbr,
          ps: c.ps,
          outputSampleRate: c.sbr ? c.outputSampleRate : c.sampleRate,
          samplesPerFrame: (c.frameLength ?? 1024) * (c.sbr ? 2 : 1),
        });
      }),
      { numRuns: 1000 },
    );
  });
});

describe('aacCodecString', () => {
  it('names the whole decoder: 2, 5 with SBR, 29 with PS', () => {
    expect(aacCodecString({ objectType: 2, sbr: false, ps: false })).toBe('mp4a.40.2');
    expect(aacCodecString({ objectType: 2, sbr: true, ps: false })).toBe('mp4a.40.5');
    expect(aacCodecString({ objectType: 2, sbr: true, ps: true })).toBe('mp4a.40.29');
  });
});

describe('ADTS (14496-3 1.A.2.2)', () => {
  it('parses a header field by field', () => {
    // LC, 44.1 kHz, stereo, 107-byte frame, VBR, one raw block
    expect(parseAdtsHeader(hex('fff1 5080 0d7f fc'))).toEqual({
      mpegVersion: 4, protectionAbsent: true, objectType: 2, sampleRateIndex: 4, sampleRate: 44100, channelConfiguration: 2,
      frameLength: 107, headerLength: 7, bufferFullness: 0x7ff, rawDataBlocks: 1,
    });
    // MPEG-2 ID, CRC present, Main, 8 kHz, channel configuration 7, 4 raw blocks, fullness 0x123
    expect(parseAdtsHeader(hex('00 fff8 2dc0 2a24 8f'), 1)).toMatchObject({
      mpegVersion: 2, protectionAbsent: false, objectType: 1, sampleRate: 8000, channelConfiguration: 7, frameLength: 0x151, headerLength: 9, bufferFullness: 0x123, rawDataBlocks: 4,
    });
  });

  it('builds the same bytes', () => {
    expect(toHex(buildAdtsHeader({ objectType: 2, sampleRateIndex: 4, channelConfiguration: 2, payloadLength: 100 }))).toBe('fff150800d7ffc');
    const fromConfig = buildAdtsHeader({ ...LC_44K_STEREO, payloadLength: 100 });
    expect(toHex(fromConfig)).toBe('fff150800d7ffc');
  });

  it.each([
    { name: 'a bad syncword', bytes: 'fff0 5080 0d7f fc'.replace('fff0', 'ffe1'), code: 'ERR_CODEC_INVALID', field: 'syncword' },
    { name: 'layer 1', bytes: 'fff3 5080 0d7f fc', code: 'ERR_CODEC_INVALID', field: 'layer' },
    { name: 'sampling_frequency_index 15', bytes: 'fff1 7c80 0d7f fc', code: 'ERR_CODEC_INVALID', field: 'sampling_frequency_index' },
    { name: 'a frame shorter than its header', bytes: 'fff1 5080 00bf fc', code: 'ERR_CODEC_INVALID', field: 'aac_frame_length' },
    { name: 'six bytes', bytes: 'fff1 5080 0d7f', code: 'ERR_CODEC_TRUNCATED', field: undefined },
  ])('refuses $name', ({ bytes, code, field }) => {
    const err = codecError(() => parseAdtsHeader(hex(bytes)));
    expect([err.code, err.details.field]).toEqual([code, field]);
  });

  it('buildAdtsHeader refuses what ADTS cannot say', () => {
    expect(codecError(() => buildAdtsHeader({ objectType: 5, sampleRateIndex: 3, channelConfiguration: 2, payloadLength: 1 })).details.field).toBe('objectType');
    expect(codecError(() => buildAdtsHeader({ objectType: 2, sampleRateIndex: 15, channelConfiguration: 2, payloadLength: 1 })).details.field).toBe('sampleRateIndex');
    expect(codecError(() => buildAdtsHeader({ objectType: 2, sampleRateIndex: 3, channelConfiguration: 2, payloadLength: 8185 })).details.field).toBe('aac_frame_length');
  });

  it('round trip: parse(build(fields)) (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          objectType: fc.integer({ min: 1, max: 4 }),
          sampleRateIndex: fc.integer({ min: 0, max: 12 }),
          channelConfiguration: fc.integer({ min: 0, max: 7 }),
          payloadLength: fc.integer({ min: 0, max: 8191 - 7 }),
          bufferFullness: fc.integer({ min: 0, max: 0x7ff }),
          rawDataBlocks: fc.integer({ min: 1, max: 4 }),
          mpegVersion: fc.constantFrom(2 as const, 4 as const),
        }),
        (f) => {
          const header = parseAdtsHeader(buildAdtsHeader(f));
          expect(header).toEqual({
            mpegVersion: f.mpegVersion, protectionAbsent: true, objectType: f.objectType, sampleRateIndex: f.sampleRateIndex,
            sampleRate: AAC_SAMPLE_RATES[f.sampleRateIndex], channelConfiguration: f.channelConfiguration, frameLength: f.payloadLength + 7,
            headerLength: 7, bufferFullness: f.bufferFullness, rawDataBlocks: f.rawDataBlocks,
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('splitAdts: payloads are views after the header; a cut frame is ERR_CODEC_TRUNCATED', () => {
    const stream = Uint8Array.of(...buildAdtsHeader({ objectType: 2, sampleRateIndex: 3, channelConfiguration: 1, payloadLength: 2 }), 0xaa, 0xbb, ...hex('fff8 2dc0 0144 00 1234'), 0xcc);
    const frames = splitAdts(stream);
    expect(frames.map((f) => toHex(f.payload))).toEqual(['aabb', 'cc']);
    expect(frames[0]!.payload.buffer).toBe(stream.buffer);
    expect(codecError(() => splitAdts(stream.subarray(0, stream.length - 1))).details).toMatchObject({ need: 10, have: 9, offset: 9 });
    expect(codecError(() => splitAdts(stream.subarray(0, 12))).details).toMatchObject({ need: 7, have: 3 });
    expect(nextAdtsFrame(stream, 9)?.payload.length).toBe(1);
    expect(nextAdtsFrame(stream.subarray(0, 15), 9)).toBeNull();
    expect(nextAdtsFrame(stream, stream.length)).toBeNull();
  });

  it('fixtures/codec/aac-lc-48k-mono.adts: every frame header agrees with the AudioSpecificConfig ffmpeg writes', () => {
    const frames = splitAdts(codecFixture('aac-lc-48k-mono.adts'));
    expect(frames.length).toBe(25);
    for (const { header } of frames) expect(header).toMatchObject({ objectType: 2, sampleRate: 48000, channelConfiguration: 1, protectionAbsent: true, rawDataBlocks: 1 });
    const h = frames[0]!.header;
    expect(toHex(buildAudioSpecificConfig({ objectType: h.objectType, sampleRate: h.sampleRate, channels: h.channelConfiguration }))).toBe('1188');
  });
});

const ffprobe = await ffprobePath();

describe.skipIf(ffprobe === undefined)('splitAdts against ffprobe', () => {
  it('the same frames, sizes header included', async () => {
    const packets = await probePackets(fixturePath('codec/aac-lc-48k-mono.adts'));
    const frames = splitAdts(codecFixture('aac-lc-48k-mono.adts'));
    expect(frames.map((f) => f.header.frameLength)).toEqual(packets['audio']!.map((p) => p.size));
  });
});
