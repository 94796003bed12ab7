import { describe, expect, it } from 'vitest';
import { decimalSeconds, xsDateTime, xsDuration } from '../../src/dash/index.js';

describe('xs:duration and xs:dateTime as the MPD writes them', () => {
  it.each([
    [0, 'PT0S'],
    [2, 'PT2S'],
    [1.8, 'PT1.8S'],
    [0.2, 'PT0.2S'],
    [10.5, 'PT10.5S'],
    [2.006, 'PT2.006S'],
    [2.0004, 'PT2S'],
    [2.0005, 'PT2.001S'],
    [3600, 'PT3600S'],
  ])('%s s → %s', (seconds, text) => expect(xsDuration(seconds)).toBe(text));

  it('refuses a negative or non-finite duration', () => {
    expect(() => xsDuration(-0.001)).toThrow(RangeError);
    expect(() => xsDuration(Number.NaN)).toThrow(RangeError);
  });

  it.each([
    [1.799, '1.799'],
    [1.807, '1.807'],
    [1.8, '1.8'],
    [0.0004, '0'],
  ])('decimal seconds %s → %s', (seconds, text) => expect(decimalSeconds(seconds)).toBe(text));

  it('dates in UTC with milliseconds and Z (the only shape ffmpeg parses)', () => {
    expect(xsDateTime(Date.UTC(2026, 0, 1, 0, 0, 3, 249))).toBe('2026-01-01T00:00:03.249Z');
    expect(xsDateTime(Date.UTC(2026, 0, 1) + 0.6)).toBe('2026-01-01T00:00:00.001Z');
  });
});
