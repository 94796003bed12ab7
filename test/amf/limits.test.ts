import { describe, expect, it } from 'vitest';
import {
  AMF_DEFAULT_LIMITS,
  AMF_DEPTH_CEILING,
  Amf0Decoder,
  decodeAmf0,
  decodeAmf3,
  encodeAmf0,
  resolveAmfLimits,
  type AmfValue,
} from '../../src/amf/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { amfErrorCode, hex } from './helpers.js';

function repeat(unit: string, times: number, tail = ''): Buffer {
  return hex(unit.repeat(times) + tail);
}

describe('nesting', () => {
  const DEEP = 10_000;
  it.each([
    ['AMF0 objects', repeat('03 0001 61', DEEP, '05')],
    ['AMF0 strict arrays', repeat('0a 00000001', DEEP, '05')],
    ['AMF0 ECMA arrays', repeat('08 00000001 0001 61', DEEP, '05')],
    ['AMF0 typed objects', repeat('10 0001 54 0001 61', DEEP, '05')],
    ['AMF3 arrays in a switch', hex('11' + '09 03 01'.repeat(DEEP) + '01')],
    ['AMF3 objects in a switch', hex('11' + '0a 0b 01 03 61'.repeat(DEEP) + '01')],
    ['AMF3 arrays switched to inside AMF0 objects', hex('03 0001 61'.repeat(20) + '11' + '09 03 01'.repeat(DEEP) + '01')],
  ])('%s 10 000 deep fail promptly with ERR_AMF_DEPTH_EXCEEDED', (_name, bytes) => {
    const started = performance.now();
    expect(amfErrorCode(() => decodeAmf0(bytes))).toBe('ERR_AMF_DEPTH_EXCEEDED');
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('accepts exactly maxDepth levels and refuses one more', () => {
    const nested = (levels: number): Buffer => repeat('0a 00000001', levels, '05');
    expect(() => decodeAmf0(nested(32))).not.toThrow();
    expect(amfErrorCode(() => decodeAmf0(nested(33)))).toBe('ERR_AMF_DEPTH_EXCEEDED');
    expect(() => decodeAmf0(nested(2), { maxDepth: 2 })).not.toThrow();
    expect(amfErrorCode(() => decodeAmf0(nested(3), { maxDepth: 2 }))).toBe('ERR_AMF_DEPTH_EXCEEDED');
    expect(() => decodeAmf0(nested(AMF_DEPTH_CEILING), { maxDepth: AMF_DEPTH_CEILING })).not.toThrow();
  });

  it('counts AMF3 containers toward the AMF0 depth', () => {
    const bytes = hex('03 0001 61 11 09 03 01 09 03 01 01 000009');
    expect(() => decodeAmf0(bytes, { maxDepth: 3 })).not.toThrow();
    expect(amfErrorCode(() => decodeAmf0(bytes, { maxDepth: 2 }))).toBe('ERR_AMF_DEPTH_EXCEEDED');
  });

  it('refuses to encode a value nested deeper than the ceiling, without a RangeError', () => {
    let deep: AmfValue = null;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(amfErrorCode(() => encodeAmf0(deep))).toBe('ERR_AMF_DEPTH_EXCEEDED');
    let allowed: AmfValue = null;
    for (let i = 0; i < AMF_DEPTH_CEILING; i++) allowed = { a: allowed };
    expect(decodeAmf0(encodeAmf0(allowed), { maxDepth: AMF_DEPTH_CEILING })).toStrictEqual([allowed]);
  });
});

describe('declared counts and lengths', () => {
  it.each([
    ['AMF0 strict array of 2^32-1', '0a ffffffff 05', 'ERR_AMF_TOO_MANY_ITEMS'],
    ['AMF0 long string of 2^32-1 bytes', '0c ffffffff 61', 'ERR_AMF_STRING_TOO_LONG'],
    ['AMF0 XML document of 2^32-1 bytes', '0f ffffffff 61', 'ERR_AMF_STRING_TOO_LONG'],
    ['AMF3 dense array of 2^28-1', '11 09 ff ff ff ff 01', 'ERR_AMF_TOO_MANY_ITEMS'],
    ['AMF3 string of 2^28-1 bytes', '11 06 ff ff ff ff', 'ERR_AMF_STRING_TOO_LONG'],
    ['AMF3 traits with 2^24 sealed members', '11 0a bf ff ff f3 01', 'ERR_AMF_TOO_MANY_ITEMS'],
  ])('%s fails with %s', (_name, bytes, code) => {
    expect(amfErrorCode(() => decodeAmf0(hex(bytes)))).toBe(code);
  });

  it('checks a declared count against the bytes left when maxItems allows it', () => {
    const limits = { maxItems: 2 ** 32, maxStringBytes: 2 ** 32 };
    const started = performance.now();
    expect(amfErrorCode(() => decodeAmf0(hex('0a ffffffff 05'), limits))).toBe('ERR_AMF_TRUNCATED');
    expect(amfErrorCode(() => decodeAmf0(hex('0c ffffffff 61'), limits))).toBe('ERR_AMF_TRUNCATED');
    expect(amfErrorCode(() => decodeAmf3(hex('09 ff ff ff ff 01'), limits))).toBe('ERR_AMF_TRUNCATED');
    expect(amfErrorCode(() => decodeAmf3(hex('0a bf ff ff f3 01'), limits))).toBe('ERR_AMF_TRUNCATED');
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('ignores a huge ECMA count hint', () => {
    expect(decodeAmf0(hex('08 ffffffff 0001 61 05 000009'))).toHaveLength(1);
  });

  it('counts entries of objects, ECMA arrays and AMF3 members against maxItems', () => {
    const limits = { maxItems: 2 };
    const two = '0001 61 05 0001 62 05';
    const three = `${two} 0001 63 05`;
    expect(() => decodeAmf0(hex(`03 ${two} 000009`), limits)).not.toThrow();
    expect(amfErrorCode(() => decodeAmf0(hex(`03 ${three} 000009`), limits))).toBe('ERR_AMF_TOO_MANY_ITEMS');
    expect(amfErrorCode(() => decodeAmf0(hex(`08 00000000 ${three} 000009`), limits))).toBe('ERR_AMF_TOO_MANY_ITEMS');
    expect(amfErrorCode(() => decodeAmf0(hex('0a 00000003 05 05 05'), limits))).toBe('ERR_AMF_TOO_MANY_ITEMS');
    expect(amfErrorCode(() => decodeAmf3(hex('0a 0b 01 03 61 01 03 62 01 03 63 01 01'), limits))).toBe(
      'ERR_AMF_TOO_MANY_ITEMS',
    );
    expect(amfErrorCode(() => decodeAmf3(hex('09 03 03 61 01 03 62 01 01 01'), limits))).toBe('ERR_AMF_TOO_MANY_ITEMS');
  });

  it('applies maxStringBytes to strings, keys and class names', () => {
    const limits = { maxStringBytes: 2 };
    expect(decodeAmf0(hex('02 0002 6162'), limits)).toEqual(['ab']);
    expect(amfErrorCode(() => decodeAmf0(hex('02 0003 616263'), limits))).toBe('ERR_AMF_STRING_TOO_LONG');
    expect(amfErrorCode(() => decodeAmf0(hex('03 0003 616263 05 000009'), limits))).toBe('ERR_AMF_STRING_TOO_LONG');
    expect(amfErrorCode(() => decodeAmf0(hex('10 0003 616263 000009'), limits))).toBe('ERR_AMF_STRING_TOO_LONG');
    expect(amfErrorCode(() => decodeAmf3(hex('06 07 616263'), limits))).toBe('ERR_AMF_STRING_TOO_LONG');
  });
});

describe('limit options', () => {
  it('defaults to 32 / 1 MiB / 65 536', () => {
    expect(AMF_DEFAULT_LIMITS).toEqual({ maxDepth: 32, maxStringBytes: 1_048_576, maxItems: 65_536 });
    expect(resolveAmfLimits()).toBe(AMF_DEFAULT_LIMITS);
    expect(resolveAmfLimits({ maxItems: 5 })).toEqual({ ...AMF_DEFAULT_LIMITS, maxItems: 5 });
  });

  it.each([
    [{ maxDepth: -1 }, 'maxDepth'],
    [{ maxDepth: AMF_DEPTH_CEILING + 1 }, 'maxDepth'],
    [{ maxDepth: 1.5 }, 'maxDepth'],
    [{ maxStringBytes: Number.NaN }, 'maxStringBytes'],
    [{ maxItems: Infinity }, 'maxItems'],
  ])('refuses %o with ERR_CONFIG_INVALID naming %s', (limits, option) => {
    expect(() => new Amf0Decoder(new Uint8Array(0), limits)).toThrow(ConfigError);
    expect(() => resolveAmfLimits(limits)).toThrow(option);
  });
});
