import { describe, expect, it } from 'vitest';
import { splitAnnexB } from '../../src/codec/index.js';
import { annexB, annexBConfig } from '../../src/ts/index.js';
import { AVCC_PPS, AVCC_SPS, avcc, avcTrack, hex, hevcTrack, toHex } from './helpers.js';

const avc = annexBConfig(avcTrack(1));
const hevc = annexBConfig(hevcTrack(1));
const IDR = hex('65 88 84 00 33');
const SLICE = hex('41 9a 02 03');
const SEI = hex('06 05 01 ff 80');
const AUD = hex('09 f0');
/** The NAL units of an Annex B access unit, as hex, to compare orders. */
const units = (bytes: Uint8Array): string[] => splitAnnexB(bytes).map(toHex);

describe('annexB: H.264 (ISO/IEC 13818-1 2.14, ITU-T H.264 Annex B)', () => {
  it('an IDR sample without parameter sets: AUD, SPS, PPS from the avcC, then its NAL units', () => {
    const out = annexB(avcc(SEI, IDR), true, avc);
    expect(units(out)).toEqual([toHex(AUD), toHex(AVCC_SPS), toHex(AVCC_PPS), toHex(SEI), toHex(IDR)]);
    // Every NAL unit after a 4-byte start code.
    expect(toHex(out.subarray(0, 6))).toBe('0000000109f0');
  });

  it('an IDR that carries its own SPS and PPS gets none added; its AUD is kept, not doubled', () => {
    const sps = hex('67 64 00 0d ac');
    const pps = hex('68 ee 3c 80');
    expect(units(annexB(avcc(AUD, sps, pps, IDR), true, avc))).toEqual([toHex(AUD), toHex(sps), toHex(pps), toHex(IDR)]);
  });

  it('an IDR carrying only its SPS gets the configured PPS after it, just before the slice', () => {
    const sps = hex('67 64 00 0d ac');
    expect(units(annexB(avcc(sps, SEI, IDR), false, avc))).toEqual([toHex(AUD), toHex(sps), toHex(SEI), toHex(AVCC_PPS), toHex(IDR)]);
  });

  it('a non-IDR picture gets an AUD only; an AUD that is not first is dropped', () => {
    expect(units(annexB(avcc(SLICE), false, avc))).toEqual([toHex(AUD), toHex(SLICE)]);
    expect(units(annexB(avcc(SLICE, AUD), false, avc))).toEqual([toHex(AUD), toHex(SLICE)]);
  });

  it('a keyframe flag without an IDR slice (a recovery point) still gets the parameter sets', () => {
    expect(units(annexB(avcc(SLICE), true, avc))).toEqual([toHex(AUD), toHex(AVCC_SPS), toHex(AVCC_PPS), toHex(SLICE)]);
  });

  it('2-byte NAL lengths from the avcC (lengthSizeMinusOne 1) are read as such', () => {
    const config = annexBConfig(avcTrack(1, 90_000, Uint8Array.from([...hex('01 64 00 0d fd'), ...avcTrack(1).decoderConfig.subarray(5)])));
    expect(units(annexB(hex('0004 419a0203'), false, config))).toEqual([toHex(AUD), toHex(SLICE)]);
  });

  it('a NAL length past the sample end is ERR_CODEC_TRUNCATED, as is a cut length prefix', () => {
    expect(() => annexB(hex('00 00 00 09 65 88'), true, avc)).toThrow(expect.objectContaining({ code: 'ERR_CODEC_TRUNCATED' }));
    expect(() => annexB(hex('00 00 01'), true, avc)).toThrow(expect.objectContaining({ code: 'ERR_CODEC_TRUNCATED' }));
    expect(() => annexB(hex('ff ff ff ff 65'), true, avc)).toThrow(expect.objectContaining({ code: 'ERR_CODEC_TRUNCATED' }));
  });

  it('AV1 and VP9 tracks have no mapping here: ERR_MEDIA_INVALID', () => {
    expect(() => annexBConfig({ ...avcTrack(1), codec: 'av1' })).toThrow(expect.objectContaining({ code: 'ERR_MEDIA_INVALID' }));
  });
});

describe('annexB: H.265 (ISO/IEC 13818-1 2.17)', () => {
  const IDR_W_RADL = hex('26 01 af 06');
  const TRAIL_T1 = hex('02 02 d0 11'); // TRAIL_R, nuh_temporal_id_plus1 = 2
  const AUD_T0 = hex('46 01 50');

  it('an IRAP sample: AUD (type 35), VPS, SPS, PPS from the hvcC, then the slice', () => {
    const out = units(annexB(avcc(IDR_W_RADL), false, hevc));
    expect(out.slice(0, 1)).toEqual([toHex(AUD_T0)]);
    expect(out.slice(1, 4).map((u) => (parseInt(u.slice(0, 2), 16) >>> 1) & 0x3f)).toEqual([32, 33, 34]);
    expect(out[4]).toBe(toHex(IDR_W_RADL));
  });

  it('the AUD takes its access unit\'s TemporalId (H.265 7.4.2.4.4); a trailing picture gets no parameter sets', () => {
    expect(units(annexB(avcc(TRAIL_T1), false, hevc))).toEqual(['460250', toHex(TRAIL_T1)]);
  });
});
