import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addEmulationPrevention,
  annexBToAvcc,
  avccToAnnexB,
  H264_NAL_TYPE,
  h264NalType,
  HEVC_NAL_TYPE,
  hevcNalType,
  isH264Keyframe,
  isHevcKeyframe,
  joinNalUnits,
  removeEmulationPrevention,
  splitAnnexB,
  splitNalUnits,
} from '../../src/codec/index.js';
import { codecError, codecFixture, hex, toHex } from './helpers.js';

/** RBSP ↔ NAL payload pairs of H.264 7.4.1 / H.265 7.4.2. */
const EMULATION: Array<{ rbsp: string; nal: string }> = [
  { rbsp: '', nal: '' },
  { rbsp: '0102', nal: '0102' },
  { rbsp: '000001', nal: '00000301' },
  { rbsp: '000000', nal: '00000300' },
  { rbsp: '000002', nal: '00000302' },
  { rbsp: '000003', nal: '00000303' },
  { rbsp: '000004', nal: '000004' },
  { rbsp: '00000000', nal: '000003000003' },
  { rbsp: '0000000000', nal: '00000300000300' },
  { rbsp: '00000100000200', nal: '000003010000030200' },
  { rbsp: '0000', nal: '000003' },
  { rbsp: '670000', nal: '67000003' },
  { rbsp: '6700', nal: '6700' },
];

describe('emulation prevention (H.264 7.4.1)', () => {
  it.each(EMULATION)('RBSP $rbsp ⇄ NAL $nal', ({ rbsp, nal }) => {
    expect(toHex(addEmulationPrevention(hex(rbsp)))).toBe(nal);
    expect(toHex(removeEmulationPrevention(hex(nal)))).toBe(rbsp);
  });

  it('returns the same view when there is nothing to remove or add', () => {
    const buf = hex('ff 67 64 00 1f ac ff');
    const view = buf.subarray(1, 6);
    expect(removeEmulationPrevention(view)).toBe(view);
    expect(addEmulationPrevention(view)).toBe(view);
  });

  it('removes every 0x03 after two zeros, including one that is followed by a non-emulated byte', () => {
    // x264's SPS of fixtures/media/h264-aac.flv has two of them.
    const sps = hex('6764000dacd94141fb0110000003001000000303c0f1429960');
    expect(toHex(removeEmulationPrevention(sps))).toBe('6764000dacd94141fb011000000010000003c0f1429960');
  });

  it('round trip: remove(add(rbsp)) = rbsp, and add() leaves no start code prefix (property)', () => {
    const zeroHeavy = fc.array(fc.constantFrom(0, 0, 0, 1, 2, 3, 4, 0x80), { maxLength: 64 }).map((a) => Uint8Array.from(a));
    fc.assert(
      fc.property(fc.oneof(zeroHeavy, fc.uint8Array({ maxLength: 64 })), (rbsp) => {
        const nal = addEmulationPrevention(rbsp);
        expect(toHex(removeEmulationPrevention(nal))).toBe(toHex(rbsp));
        expect(toHex(nal)).not.toMatch(/^(..)*0000(00|01|02)/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('length-prefixed NAL units (14496-15 5.3.2)', () => {
  it.each([1, 2, 4] as const)('split and join with %i-byte lengths', (size) => {
    const units = [hex('65 88 84'), hex('06 05'), hex('41')];
    const joined = joinNalUnits(units, size);
    const prefix = (n: number) => n.toString(16).padStart(size * 2, '0');
    expect(toHex(joined)).toBe(`${prefix(3)}658884${prefix(2)}0605${prefix(1)}41`);
    const split = splitNalUnits(joined, size);
    expect(split.map(toHex)).toEqual(['658884', '0605', '41']);
    expect(split[0]!.buffer).toBe(joined.buffer);
  });

  it('skips zero-length units', () => {
    expect(splitNalUnits(hex('00000000 00000001 41'), 4).map(toHex)).toEqual(['41']);
  });

  it('refuses a length past the end and a cut-off length field as ERR_CODEC_TRUNCATED', () => {
    expect(codecError(() => splitNalUnits(hex('00000005 4142'), 4)).details).toMatchObject({ need: 5, have: 2, offset: 4 });
    expect(codecError(() => splitNalUnits(hex('000001 41 0000'), 4)).code).toBe('ERR_CODEC_TRUNCATED');
    expect(codecError(() => splitNalUnits(hex('00'), 3)).code).toBe('ERR_CODEC_INVALID');
    expect(codecError(() => joinNalUnits([new Uint8Array(256)], 1)).details).toMatchObject({ field: 'NALUnitLength', value: 256 });
  });
});

describe('Annex B (H.264 Annex B)', () => {
  const TABLE: Array<{ name: string; stream: string; units: string[] }> = [
    { name: 'three-byte start codes', stream: '000001 6764 000001 68ee', units: ['6764', '68ee'] },
    { name: 'four-byte start codes', stream: '00000001 6764 00000001 68ee', units: ['6764', '68ee'] },
    { name: 'leading zeros, trailing zeros', stream: '0000 00000001 6764 0000 000001 68ee 0000', units: ['6764', '68ee'] },
    { name: 'empty units between start codes', stream: '000001 000001 00000001 65', units: ['65'] },
    { name: 'a 0x01 inside a unit is payload', stream: '000001 650100 01', units: ['65010001'] },
    { name: 'nothing', stream: '', units: [] },
    { name: 'only zeros', stream: '000000', units: [] },
  ];

  it.each(TABLE)('$name', ({ stream, units }) => {
    expect(splitAnnexB(hex(stream)).map(toHex)).toEqual(units);
  });

  it('refuses bytes before the first start code', () => {
    expect(codecError(() => splitAnnexB(hex('65 000001 41'))).details).toMatchObject({ field: 'leading_zero_8bits', value: 0x65 });
    expect(codecError(() => splitAnnexB(hex('6588'))).details).toMatchObject({ field: 'start_code_prefix' });
  });

  it('converts to and from length-prefixed samples', () => {
    const avcc = annexBToAvcc(hex('00000001 6764 000001 68ee'));
    expect(toHex(avcc)).toBe('000000026764' + '0000000268ee');
    expect(toHex(annexBToAvcc(hex('000001 6764'), 2))).toBe('00026764');
    expect(toHex(avccToAnnexB(avcc))).toBe('000000016764' + '0000000168ee');
    expect(toHex(avccToAnnexB(hex('0002 6764'), 2))).toBe('000000016764');
  });

  it('round trip: units → Annex B → units → AVCC → Annex B (property)', () => {
    // A NAL unit never contains a start code (emulation prevention) nor ends in 0x00.
    const nal = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => {
      const unit = addEmulationPrevention(b);
      return unit[unit.length - 1] === 0 ? Uint8Array.of(...unit, 0x80) : unit;
    });
    fc.assert(
      fc.property(fc.array(nal, { maxLength: 8 }), (units) => {
        const annexB = avccToAnnexB(joinNalUnits(units));
        expect(splitAnnexB(annexB).map(toHex)).toEqual(units.map(toHex));
        expect(toHex(avccToAnnexB(annexBToAvcc(annexB)))).toBe(toHex(annexB));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('NAL unit types and keyframes', () => {
  it('H.264: nal_unit_type is the low five bits; IDR slices are keyframes', () => {
    expect([0x67, 0x68, 0x65, 0x41, 0x06, 0x09].map((b) => h264NalType(Uint8Array.of(b)))).toEqual([7, 8, 5, 1, 6, 9]);
    expect(H264_NAL_TYPE).toMatchObject({ IDR: 5, SEI: 6, SPS: 7, PPS: 8, AUD: 9 });
    expect(isH264Keyframe(joinNalUnits([hex('0910'), hex('6588')]), 4)).toBe(true);
    expect(isH264Keyframe(joinNalUnits([hex('0930'), hex('419a')]), 4)).toBe(false);
    expect(isH264Keyframe(new Uint8Array(0), 4)).toBe(false);
  });

  it('H.265: nal_unit_type is bits 1–6 of the first header byte; IRAP 16–23 are keyframes', () => {
    expect([0x40, 0x42, 0x44, 0x46, 0x4e, 0x26, 0x2a, 0x02].map((b) => hevcNalType(Uint8Array.of(b, 1)))).toEqual([32, 33, 34, 35, 39, 19, 21, 1]);
    expect(HEVC_NAL_TYPE).toMatchObject({ VPS: 32, SPS: 33, PPS: 34, AUD: 35 });
    for (let type = 0; type < 64; type++) {
      const sample = joinNalUnits([Uint8Array.of(type << 1, 1, 0xaf)]);
      expect(isHevcKeyframe(sample, 4), `type ${type}`).toBe(type >= 16 && type <= 23);
    }
  });

  it('the fixtures: one keyframe per IDR access unit', () => {
    const h264 = splitAnnexB(codecFixture('h264-high-1440x1080i-sar4x3.h264'));
    expect(h264.map(h264NalType)).toEqual([7, 8, 6, 6, 5, 6, 1]);
    const hevc = splitAnnexB(codecFixture('hevc-main-1280x720-25fps.hevc'));
    expect(hevc.map(hevcNalType)).toEqual([32, 33, 34, 39, 20, 1, 0, 1, 1, 0, 0, 1, 1, 0]);
    expect(hevc.filter((n) => isHevcKeyframe(joinNalUnits([n]), 4))).toHaveLength(1);
  });
});
