import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlvError, FlvFileReader } from '../../src/flv/index.js';
import { fixturePath } from '../helpers/ffmpeg.js';

/**
 * Whatever bytes arrive, in whatever chunking, the reader returns items, returns null (need more)
 * or throws an FlvError; any other exception (a BytesError from the queue, a TypeError) is a bug.
 */

/** A valid header and PreviousTagSize0, so random bytes after it reach the tag parser. */
const VALID_PREFIX = Uint8Array.of(0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0);
const fixture = new Uint8Array(readFileSync(fixturePath('media/h264-aac.flv')));

/** Feeds `bytes` cut at `cuts`; returns how the run ended. Rethrows anything not an FlvError. */
function feed(bytes: Uint8Array, cuts: number[], maxTagBytes?: number): 'ok' | 'flv-error' {
  const reader = new FlvFileReader(maxTagBytes === undefined ? {} : { maxTagBytes });
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  try {
    for (const to of [...points, bytes.length]) {
      reader.push(bytes.subarray(from, to));
      from = to;
      for (let item = reader.read(); item !== null; item = reader.read()) {
        if (item.kind === 'tag' && item.body.length > (maxTagBytes ?? Infinity)) throw new Error('limit ignored');
      }
    }
    return 'ok';
  } catch (err) {
    if (err instanceof FlvError) return 'flv-error';
    throw err;
  }
}

const cuts = fc.array(fc.nat(), { maxLength: 8 });

describe('FlvFileReader fuzz', () => {
  it('random bytes: items, null or FlvError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), cuts, (bytes, c) => void feed(bytes, c)), { numRuns: 2000 });
  });

  it('a valid header then random bytes: items, null or FlvError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), cuts, fc.option(fc.nat({ max: 64 })), (tail, c, max) => {
        const bytes = Buffer.concat([VALID_PREFIX, tail]);
        void feed(bytes, c, max ?? undefined);
      }),
      { numRuns: 3000 },
    );
  });

  it('the fixture with bytes overwritten: items, null or FlvError', () => {
    const head = fixture.subarray(0, 16 * 1024);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: head.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), cuts, (edits, c) => {
        const bytes = Uint8Array.from(head);
        for (const [at, value] of edits) bytes[at] = value;
        void feed(bytes, c);
      }),
      { numRuns: 500 },
    );
  });

  it('an FlvError is what random bytes mostly produce (the property is not vacuous)', () => {
    expect(feed(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), [])).toBe('flv-error');
    expect(feed(Buffer.concat([VALID_PREFIX, Uint8Array.of(0x1f)]), [], undefined)).toBe('ok');
  });
});
