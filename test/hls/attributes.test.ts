import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attributeList,
  checkUri,
  decimalInteger,
  decimalResolution,
  decimalSeconds,
  enumeratedString,
  frameRate,
  quotedString,
  renderedSeconds,
} from '../../src/hls/attributes.js';
import { formatProgramDateTime } from '../../src/hls/index.js';
import { hlsErrorOf } from './helpers.js';

describe('decimalSeconds: shortest exact form with at most 5 decimals', () => {
  it.each([
    [2, '2'],
    [2.002, '2.002'],
    [2.5, '2.5'],
    [0.1 + 0.2, '0.3'],
    [1001 / 30000, '0.03337'],
    [(94 * 1024) / 48000, '2.00533'],
    [6006 / 1000, '6.006'],
    [1 / 90000, '0.00001'],
    [2.000004, '2'],
    [2.000006, '2.00001'],
    [10, '10'],
    [100.5, '100.5'],
    [0, '0'],
  ])('%s → %s', (seconds, text) => {
    expect(decimalSeconds('d', seconds)).toBe(text);
    expect(renderedSeconds(seconds)).toBe(Number(text));
  });

  it('renderedSeconds is Number(toFixed(5)) for any double, half steps and huge values included', () => {
    const same = (x: number): boolean => Object.is(renderedSeconds(x), Number(x.toFixed(5)));
    fc.assert(fc.property(fc.double({ noNaN: false }), same), { numRuns: 20_000 });
    fc.assert(fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.constantFrom(0, 0.5, 0.49, 0.51, 0.499999, 0.500001), (n, f) => same((n + f) / 1e5)), { numRuns: 5_000 });
    for (const x of [0.000005, 0.000015, 1.000005, 2.675e-5, 1e15 + 0.5, 2 ** 53, -0.000005, -0, 0]) expect(same(x)).toBe(true);
  });

  it.each([-0.5, Number.NaN, Number.POSITIVE_INFINITY, 1e21])('rejects %s', (seconds) => {
    expect(hlsErrorOf(() => decimalSeconds('d', seconds)).code).toBe('ERR_HLS_INVALID');
  });
});

describe('attribute value types (RFC 8216bis 4.2)', () => {
  it('quoted-string wraps in double quotes', () => {
    expect(quotedString('f', 'English (AD)')).toBe('"English (AD)"');
    expect(quotedString('f', 'Français')).toBe('"Français"');
  });

  it.each([
    ['a "b"', 'double quote'],
    ['a\nb', 'line feed'],
    ['a\rb', 'carriage return'],
    ['a\tb', 'tab (a C0 control)'],
    ['a\u0085b', 'NEL (a C1 control)'],
    ['a\u007fb', 'DEL'],
    ['\ud800', 'lone surrogate'],
    ['Franc\u0327ais', 'not NFC'],
  ])('quoted-string rejects %j (%s)', (value) => {
    const err = hlsErrorOf(() => quotedString('renditions[0].name', value));
    expect(err.code).toBe('ERR_HLS_INVALID');
    expect(err.details['field']).toBe('renditions[0].name');
  });

  it('enumerated-string is unquoted and from its set', () => {
    expect(enumeratedString('t', 'AUDIO', ['AUDIO', 'VIDEO'])).toBe('AUDIO');
    expect(hlsErrorOf(() => enumeratedString('t', 'audio' as 'AUDIO', ['AUDIO', 'VIDEO'])).message).toContain('must be one of AUDIO, VIDEO');
  });

  it('decimal-integer, resolution, frame rate', () => {
    expect(decimalInteger('n', 0)).toBe('0');
    expect(decimalInteger('n', Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) expect(hlsErrorOf(() => decimalInteger('n', bad)).code).toBe('ERR_HLS_INVALID');
    expect(decimalResolution('r', 1920, 1080)).toBe('1920x1080');
    expect(hlsErrorOf(() => decimalResolution('r', 0, 1080)).details['field']).toBe('r.width');
    expect(frameRate('f', 30)).toBe('30.000');
    expect(frameRate('f', 30000 / 1001)).toBe('29.970');
    expect(frameRate('f', 60000 / 1001)).toBe('59.940');
    expect(hlsErrorOf(() => frameRate('f', 0)).code).toBe('ERR_HLS_INVALID');
  });

  it('attribute-list joins NAME=value pairs with commas, leaving out undefined values', () => {
    expect(attributeList([['A', '1'], ['B', undefined], ['C', '"x"']])).toBe('A=1,C="x"');
  });

  it.each([
    ['', 'empty'],
    ['seg 1.m4s', 'space'],
    ['seg"1.m4s', 'double quote'],
    ['seg1.m4s\n#EXT-X-ENDLIST', 'newline'],
    ['seg1.m4s\u0000', 'NUL'],
    ['#seg1.m4s', 'a leading #'],
  ])('checkUri rejects %j (%s)', (uri) => {
    expect(hlsErrorOf(() => checkUri('segments[0].uri', uri)).details['field']).toBe('segments[0].uri');
  });

  it('checkUri keeps relative, absolute and percent-encoded URIs as they are', () => {
    for (const uri of ['seg1.m4s', '../v/seg1.m4s?token=a%20b&x=1', 'https://cdn.example/live/seg1.m4s#t=1']) expect(checkUri('u', uri)).toBe(uri);
  });
});

describe('formatProgramDateTime (RFC 8216bis 4.4.4.6)', () => {
  const t = Date.UTC(2024, 1, 29, 23, 59, 59, 7);
  it.each([
    [t, 0, '2024-02-29T23:59:59.007Z'],
    [t, 60, '2024-03-01T00:59:59.007+01:00'],
    [t, -480, '2024-02-29T15:59:59.007-08:00'],
    [t, 345, '2024-03-01T05:44:59.007+05:45'],
    [0, 0, '1970-01-01T00:00:00.000Z'],
    [-1, 0, '1969-12-31T23:59:59.999Z'],
  ])('%i ms at %i min → %s', (ms, offset, text) => {
    expect(formatProgramDateTime('pdt', ms, offset)).toBe(text);
    expect(Date.parse(text)).toBe(ms);
  });

  it.each([
    [1.5, 0],
    [Number.NaN, 0],
    [Date.UTC(10000, 0, 1), 0],
    [Date.UTC(9999, 11, 31, 23, 30), 60],
    [t, 15 * 60],
    [t, 0.5],
  ])('rejects %s ms at %s min', (ms, offset) => {
    expect(hlsErrorOf(() => formatProgramDateTime('pdt', ms, offset)).code).toBe('ERR_HLS_INVALID');
  });
});
