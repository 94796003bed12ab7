import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlvError, FlvFileReader, type FlvFileHeader, type FlvFileTag } from '../../src/flv/index.js';
import { corpus, expectOutcome, expectTableMatchesCorpus, replay, withCorpusHint, type Expected } from '../helpers/corpus.js';
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
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), cuts, (bytes, c) => void feed(bytes, c)), withCorpusHint('flv-file', { numRuns: 2000 }));
  });

  it('a valid header then random bytes: items, null or FlvError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), cuts, fc.option(fc.nat({ max: 64 })), (tail, c, max) => {
        const bytes = Buffer.concat([VALID_PREFIX, tail]);
        void feed(bytes, c, max ?? undefined);
      }),
      withCorpusHint('flv-file', { numRuns: 3000 }),
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
      withCorpusHint('flv-file', { numRuns: 500 }),
    );
  });

  it('an FlvError is what random bytes mostly produce (the property is not vacuous)', () => {
    expect(feed(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), [])).toBe('flv-error');
    expect(feed(Buffer.concat([VALID_PREFIX, Uint8Array.of(0x1f)]), [], undefined)).toBe('ok');
  });
});

/** What a reader made of a whole input: the items it returned, and how `end()` judged the end. */
interface FileRead {
  readonly header: FlvFileHeader | undefined;
  readonly tags: FlvFileTag[];
  /** 'clean', or the code of the FlvError `end()` threw (ERR_FLV_TRUNCATED). */
  readonly end: string;
}

/** Pushes `bytes` in pieces of `pieceBytes`, reading after each, then ends the input. */
function readAll(bytes: Uint8Array, pieceBytes: number): FileRead {
  const reader = new FlvFileReader();
  let header: FlvFileHeader | undefined;
  const tags: FlvFileTag[] = [];
  for (let from = 0; from < bytes.length; from += pieceBytes) {
    reader.push(bytes.subarray(from, from + pieceBytes));
    for (let item = reader.read(); item !== null; item = reader.read()) {
      if (item.kind === 'header') header = item;
      else tags.push(item);
    }
  }
  try {
    reader.end();
    return { header, tags, end: 'clean' };
  } catch (err) {
    if (!(err instanceof FlvError)) throw err;
    return { header, tags, end: err.code };
  }
}

/** A read as comparable data: tag bodies as hex. */
function summary(read: FileRead): unknown {
  return { ...read, tags: read.tags.map((t) => ({ ...t, body: Buffer.from(t.body).toString('hex') })) };
}

const types = (read: FileRead): number[] => read.tags.map((t) => t.type);

/** fixtures/corpus/flv-file/. */
const FILE_CORPUS: Record<string, Expected<FileRead>> = {
  'valid-h264-aac-first-12-tags.bin': (read) => {
    expect(read.header).toMatchObject({ version: 1, hasAudio: true, hasVideo: true, dataOffset: 9 });
    expect(types(read)).toEqual([18, 9, 8, 9, 9, 8, 9, 8, 8, 9, 8, 9]);
    // The AVC sequence header (AVCPacketType 0) and the AAC one, first of their kind.
    expect([read.tags[1]!.body[1], read.tags[2]!.body[1]]).toEqual([0, 0]);
    expect(read.end).toBe('clean');
  },
  'valid-hevc-ertmp-first-6-tags.bin': (read) => {
    expect(types(read)).toEqual([18, 9, 8, 9, 9, 8]);
    // E-RTMP ExVideoTagHeader: IsExHeader set, FourCC 'hvc1' (bytes 1-4).
    expect(Buffer.from(read.tags[1]!.body.subarray(1, 5)).toString('latin1')).toBe('hvc1');
    expect(read.end).toBe('clean');
  },
  'valid-aac-only-first-20-tags.bin': (read) => {
    expect(read.header).toMatchObject({ hasAudio: true });
    expect(types(read)).toEqual([18, ...Array<number>(19).fill(8)]);
    expect(read.end).toBe('clean');
  },
  'valid-header-only.bin': (read) => expect(read).toMatchObject({ header: { version: 1 }, tags: [], end: 'clean' }),
  'truncated-h264-aac-at-20000.bin': (read) => expect({ tags: read.tags.length, end: read.end }).toEqual({ tags: 51, end: 'ERR_FLV_TRUNCATED' }),
  'truncated-inside-header.bin': (read) => expect(read).toEqual({ header: undefined, tags: [], end: 'ERR_FLV_TRUNCATED' }),
  'hostile-bad-signature.bin': 'ERR_FLV_BAD_SIGNATURE',
  'hostile-data-offset-0.bin': 'ERR_FLV_BAD_HEADER',
  'hostile-data-offset-4gib.bin': 'ERR_FLV_BAD_HEADER',
  // A DataSize of 16 MiB − 1 is within the default maxTagBytes: the reader waits for it, then calls the input truncated.
  'hostile-tag-size-16mib.bin': (read) => expect({ tags: read.tags.length, end: read.end }).toEqual({ tags: 0, end: 'ERR_FLV_TRUNCATED' }),
  'hostile-tag-type-7.bin': 'ERR_FLV_UNKNOWN_TAG_TYPE',
  'hostile-previous-tag-size-mismatch.bin': 'ERR_FLV_PREVIOUS_TAG_SIZE_MISMATCH',
  'hostile-first-previous-tag-size-nonzero.bin': 'ERR_FLV_PREVIOUS_TAG_SIZE_MISMATCH',
  'hostile-zero-size-tags.bin': (read) => {
    expect(read.tags.map((t) => t.body.length)).toEqual(Array<number>(50).fill(0));
    expect(read.end).toBe('clean');
  },
  // Timestamp + TimestampExtended is an SI32 (E.4.1): ffffff ff is -1 ms.
  'hostile-negative-timestamp.bin': (read) => expect(read.tags.map((t) => t.timestamp)).toEqual([-1]),
};

describe('corpus', () => {
  const files = corpus('flv-file');

  it('every valid sample has its expected value, every expectation its file', () => expectTableMatchesCorpus(files, FILE_CORPUS));

  it.each(files)('$name: items or an FlvError, as pinned, in any chunking', (file) => {
    const whole = replay(file, FlvError, (bytes) => readAll(bytes, Math.max(bytes.length, 1)));
    expectOutcome(whole, FILE_CORPUS[file.name]);
    const pieces = replay(file, FlvError, (bytes) => readAll(bytes, 101));
    expect(pieces.ok ? summary(pieces.value) : pieces.error.code).toEqual(whole.ok ? summary(whole.value) : whole.error.code);
  });
});
