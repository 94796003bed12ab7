import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlvError, TidecastError, TranscodeError } from '../../src/errors/index.js';
import { FlvFileWriter, buildAudioTag, buildScriptTag, buildVideoTag, parseVideoTag, readFlvFile } from '../../src/flv/index.js';
import { FEED_OFFSET_MS } from '../../src/transcode/flv-feed.js';
import { RungReader, type RungEvent } from '../../src/transcode/rung-reader.js';
import { corpus, expectOutcome, expectTableMatchesCorpus, replay, withCorpusHint, type Expected } from '../helpers/corpus.js';
import { fixturePath } from '../helpers/ffmpeg.js';

/**
 * RungReader: one rung's FLV pipe (what ffmpeg writes with `-f flv pipe:N`) → its decoder
 * configuration and frames. Tables built with our own FLV writer, the committed corpus of real
 * ffmpeg output (fixtures/corpus/rung-flv/, README.md there), split-point and random-chunking
 * runs (the same bytes in any pieces give the same events), and hostile inputs that must end in a
 * typed error — FlvError for a broken FLV, ERR_TRANSCODE_OUTPUT for an FLV that is not a rung's
 * AVC video — never in anything else.
 */

const writer = new FlvFileWriter({ hasAudio: false, hasVideo: true });
const AVCC = Uint8Array.of(1, 0x64, 0, 0x0d, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x0d, 1, 0, 2, 0x68, 0xee);
const NALU = (n: number): Uint8Array => Uint8Array.of(0, 0, 0, 2, 0x65, n);

const header = (): Uint8Array[] => [writer.header()];
const metadata = (ts = 0): Uint8Array[] => writer.tag(18, ts, buildScriptTag('onMetaData', { width: 32, height: 24, videocodecid: 7, encoder: 'Lavf59.27.100' }));
const config = (ts = 0, data = AVCC): Uint8Array[] => writer.tag(9, ts, buildVideoTag({ codec: 'avc', frameType: 'key', packetType: 'sequence-start', data }));
const frame = (ts: number, key: boolean, ct = 0, data = NALU(ts & 0xff)): Uint8Array[] =>
  writer.tag(9, ts, buildVideoTag({ codec: 'avc', frameType: key ? 'key' : 'inter', packetType: 'coded-frames', compositionTimeMs: ct, data }));
const endOfSequence = (ts: number): Uint8Array[] => writer.tag(9, ts, buildVideoTag({ codec: 'avc', frameType: 'key', packetType: 'sequence-end', data: new Uint8Array(0) }));
const join = (...parts: Uint8Array[][]): Uint8Array => Uint8Array.from(Buffer.concat(parts.flat()));

/** The events as comparable data: payloads as hex. */
function summary(events: readonly RungEvent[]): unknown[] {
  return events.map((e) => (e.kind === 'config' ? { kind: 'config', config: hex(e.config) } : { ...e, data: hex(e.data) }));
}
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** What the reader made of an input pushed in pieces: every event, the bytes still held, or the code of its typed error. */
interface RungRead {
  readonly events: RungEvent[];
  readonly held: number;
}

function isRungError(err: unknown): err is TidecastError {
  return err instanceof FlvError || (err instanceof TranscodeError && err.code === 'ERR_TRANSCODE_OUTPUT');
}

/** Pushes `bytes` cut at `cuts` (sorted offsets); rethrows anything but a rung error. */
function readAt(bytes: Uint8Array, cuts: readonly number[], name = 'small'): RungRead {
  const reader = new RungReader(name);
  const events: RungEvent[] = [];
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    events.push(...reader.push(bytes.subarray(from, to)));
    from = to;
  }
  return { events, held: reader.bufferedBytes };
}

function readInPieces(bytes: Uint8Array, pieceBytes: number): RungRead {
  const cuts: number[] = [];
  for (let at = pieceBytes; at < bytes.length; at += pieceBytes) cuts.push(at);
  return readAt(bytes, cuts);
}

/** The outcome in a form the chunkings can be compared by: events and held bytes, or the error code. */
function outcome(bytes: Uint8Array, cuts: readonly number[]): unknown {
  try {
    const read = readAt(bytes, cuts);
    return { events: summary(read.events), held: read.held };
  } catch (err) {
    if (!isRungError(err)) throw err;
    return err.code;
  }
}

/** The offsets where pushing `bytes` in two pieces gives another outcome than pushing it whole. */
function offsetsDiffering(bytes: Uint8Array): number[] {
  const whole = JSON.stringify(outcome(bytes, []));
  const differing: number[] = [];
  for (let at = 0; at <= bytes.length; at++) if (JSON.stringify(outcome(bytes, [at])) !== whole) differing.push(at);
  return differing;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (!isRungError(err)) throw err;
    return err.code;
  }
  throw new Error('expected a typed error');
}

describe('RungReader: what ffmpeg writes', () => {
  it('gives the sequence header as config and each coded frame with pts = timestamp + CompositionTime', () => {
    const bytes = join(header(), metadata(), config(), frame(10_000, true), frame(10_033, false), frame(10_067, false, 33), endOfSequence(10_100));
    const { events, held } = readAt(bytes, []);
    expect(summary(events)).toEqual([
      { kind: 'config', config: hex(AVCC) },
      { kind: 'frame', dtsMs: 10_000, ptsMs: 10_000, keyframe: true, data: hex(NALU(10_000 & 0xff)) },
      { kind: 'frame', dtsMs: 10_033, ptsMs: 10_033, keyframe: false, data: hex(NALU(10_033 & 0xff)) },
      { kind: 'frame', dtsMs: 10_067, ptsMs: 10_100, keyframe: false, data: hex(NALU(10_067 & 0xff)) },
    ]);
    expect(held).toBe(0);
  });

  it.each([
    ['a negative CompositionTime', 10_100, -33, 10_067],
    ['a timestamp past 24 bits (TimestampExtended)', 0x1_00_00_00 + 5, 0, 0x1_00_00_00 + 5],
    ['a negative SI32 timestamp', -40, 0, -40],
    ['a CompositionTime of 2^23 − 1', 10_000, 0x7f_ff_ff, 10_000 + 0x7f_ff_ff],
  ])('reads %s', (_, dts, ct, pts) => {
    const { events } = readAt(join(header(), config(), frame(dts, true, ct)), []);
    expect(events[1]).toMatchObject({ kind: 'frame', dtsMs: dts, ptsMs: pts });
  });

  it('skips onMetaData, end of sequence, E-RTMP metadata and empty NALU tags: none is an event', () => {
    const exMetadata = writer.tag(9, 0, buildVideoTag({ codec: 'avc', enhanced: true, frameType: 'key', packetType: 'metadata', data: buildScriptTag('colorInfo', {}) }));
    const empty = writer.tag(9, 10_000, buildVideoTag({ codec: 'avc', frameType: 'inter', packetType: 'coded-frames', data: new Uint8Array(0) }));
    const { events } = readAt(join(header(), metadata(), exMetadata, empty, endOfSequence(10_000), metadata(10_000)), []);
    expect(events).toEqual([]);
  });

  it('reads an E-RTMP avc1 rung (ffmpeg 6.1+ may write it) as AVC', () => {
    const ex = writer.tag(9, 0, buildVideoTag({ codec: 'avc', enhanced: true, frameType: 'key', packetType: 'sequence-start', data: AVCC }));
    const exFrame = writer.tag(9, 10_000, buildVideoTag({ codec: 'avc', enhanced: true, frameType: 'key', packetType: 'coded-frames', compositionTimeMs: 0, data: NALU(1) }));
    expect(summary(readAt(join(header(), ex, exFrame), []).events)).toEqual([
      { kind: 'config', config: hex(AVCC) },
      { kind: 'frame', dtsMs: 10_000, ptsMs: 10_000, keyframe: true, data: hex(NALU(1)) },
    ]);
  });

  it('returns frame data as views of the pushed buffer, never copies, when a tag lies in one push', () => {
    const bytes = join(header(), config(), frame(10_000, true));
    const [cfg, first] = new RungReader('small').push(bytes);
    expect(cfg!.kind === 'config' && cfg!.config.buffer).toBe(bytes.buffer);
    expect(first!.kind === 'frame' && first!.data.buffer).toBe(bytes.buffer);
  });

  it('holds the bytes of an incomplete tag (bufferedBytes) and completes it with the next push', () => {
    const bytes = join(header(), config(), frame(10_000, true));
    const reader = new RungReader('small');
    expect(reader.push(bytes.subarray(0, bytes.length - 6))).toHaveLength(1);
    // The frame's tag header is consumed; 9 of its 11 body bytes wait.
    expect(reader.bufferedBytes).toBe(9);
    expect(reader.push(bytes.subarray(bytes.length - 6))).toMatchObject([{ kind: 'frame', dtsMs: 10_000 }]);
    expect(reader.bufferedBytes).toBe(0);
  });

  it.each([
    ['E-RTMP hvc1', true],
    ['legacy CodecID 12', false],
  ])('an h265 rung (%s): its HEVC configuration and frames', (_, enhanced) => {
    const hvcC = Uint8Array.of(1, 2, 3);
    const bytes = join(
      header(),
      writer.tag(9, 10_000, buildVideoTag({ codec: 'hevc', enhanced, frameType: 'key', packetType: 'sequence-start', data: hvcC })),
      writer.tag(9, 10_000, buildVideoTag({ codec: 'hevc', enhanced, frameType: 'key', packetType: 'coded-frames', data: NALU(1) })),
    );
    const events = new RungReader('h265').push(bytes);
    expect(events.map((e) => (e.kind === 'config' ? [e.kind, e.codec, [...e.config]] : [e.kind, e.ptsMs, e.keyframe]))).toEqual([
      ['config', 'hevc', [1, 2, 3]],
      ['frame', 10_000, true],
    ]);
  });

  it('names the rung in ERR_TRANSCODE_OUTPUT', () => {
    const bytes = join(header(), writer.tag(8, 0, buildAudioTag({ codec: 'aac', packetType: 'sequence-start', data: Uint8Array.of(0x12, 0x10) })));
    try {
      new RungReader('720p').push(bytes);
      throw new Error('expected a TranscodeError');
    } catch (err) {
      expect(err).toBeInstanceOf(TranscodeError);
      expect(err).toMatchObject({ code: 'ERR_TRANSCODE_OUTPUT', details: { rung: '720p' } });
      expect((err as Error).message).toContain('rung 720p');
      expect((err as Error).message).toContain('type 8');
    }
  });

  it.each([
    ['an audio tag', () => join(header(), config(), writer.tag(8, 10_000, buildAudioTag({ codec: 'aac', packetType: 'coded-frames', data: Uint8Array.of(1, 2) }))), 'ERR_TRANSCODE_OUTPUT'],
    ['an AV1 sequence start', () => join(header(), writer.tag(9, 0, buildVideoTag({ codec: 'av1', frameType: 'key', packetType: 'sequence-start', data: Uint8Array.of(0x81, 0, 0, 0) }))), 'ERR_TRANSCODE_OUTPUT'],
    ['a legacy command frame', () => join(header(), config(), writer.tag(9, 0, buildVideoTag({ frameType: 'command', packetType: 'command', command: 1 }))), 'ERR_TRANSCODE_OUTPUT'],
    ['an enhanced command frame', () => join(header(), writer.tag(9, 0, buildVideoTag({ frameType: 'command', packetType: 'command', command: 0, enhanced: true }))), 'ERR_TRANSCODE_OUTPUT'],
    ['a wrong signature', () => join([Uint8Array.of(0x46, 0x4c, 0x57, 1, 1, 0, 0, 0, 9, 0, 0, 0, 0)]), 'ERR_FLV_BAD_SIGNATURE'],
    ['a DataOffset of 0', () => join([Uint8Array.of(0x46, 0x4c, 0x56, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0)]), 'ERR_FLV_BAD_HEADER'],
    ['TagType 10', () => join(header(), [Uint8Array.of(10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11)]), 'ERR_FLV_UNKNOWN_TAG_TYPE'],
    ['a PreviousTagSize off by one', () => { const b = join(header(), config(), frame(1, true)); b[b.length - 1]! += 1; return join([b], frame(2, false)); }, 'ERR_FLV_PREVIOUS_TAG_SIZE_MISMATCH'],
    ['a 1-byte video tag body', () => join(header(), writer.tag(9, 0, Uint8Array.of(0x17))), 'ERR_FLV_TAG_MALFORMED'],
    ['an empty video tag body', () => join(header(), writer.tag(9, 0, new Uint8Array(0))), 'ERR_FLV_TAG_MALFORMED'],
    ['reserved FrameType 0', () => join(header(), writer.tag(9, 0, Uint8Array.of(0x07, 1, 0, 0, 0, 0, 0, 0, 1, 1))), 'ERR_FLV_TAG_MALFORMED'],
    ['CodecID 2 (Sorenson H.263)', () => join(header(), writer.tag(9, 0, Uint8Array.of(0x12, 0, 0, 0))), 'ERR_FLV_UNSUPPORTED_CODEC'],
  ])('%s → %s', (_, build, code) => {
    const bytes = build();
    expect(codeOf(() => readAt(bytes, []))).toBe(code);
    // Pushed a byte at a time, the same error.
    expect(codeOf(() => readInPieces(bytes, 1))).toBe(code);
  });

  it('a broken FLV keeps failing: the next push throws the same FlvError', () => {
    const reader = new RungReader('small');
    let first: unknown;
    try {
      reader.push(join([Uint8Array.of(0x46, 0x4c, 0x57, 1, 1, 0, 0, 0, 9, 0, 0, 0, 0)]));
    } catch (err) {
      first = err;
    }
    expect(first).toBeInstanceOf(FlvError);
    expect(() => reader.push(join(config()))).toThrow(first as Error);
  });

  it('a truncated pipe is not an error: the reader waits, holding the tail', () => {
    const bytes = join(header(), config(), frame(10_000, true));
    for (let cut = 0; cut < bytes.length; cut++) {
      const read = readAt(bytes.subarray(0, cut), []);
      expect(read.held).toBeLessThanOrEqual(cut);
      expect(read.events.length).toBeLessThanOrEqual(2);
    }
  });

  it('a tag declaring 16 MiB − 1 bytes (the most DataSize holds) fails at its header: above the 8 MiB a rung frame may take', () => {
    const bytes = join(header(), config(), [Uint8Array.of(9, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0)]);
    expect(codeOf(() => new RungReader('small').push(bytes))).toBe('ERR_FLV_TAG_TOO_LARGE');
  });
});

describe('RungReader: chunking', () => {
  const bytes = join(header(), metadata(), config(), ...Array.from({ length: 12 }, (_, i) => frame(10_000 + i * 33, i % 6 === 0, i % 3 === 1 ? 33 : 0)), endOfSequence(10_400));
  const whole = outcome(bytes, []);

  it('split at every offset: the same events, nothing held', () => {
    expect(whole).toMatchObject({ held: 0 });
    expect(offsetsDiffering(bytes)).toEqual([]);
  });

  it('any chunking of the same bytes gives the same events (fast-check)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }), (cuts) => {
        expect(outcome(bytes, [...cuts].sort((a, b) => a - b))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('any chunking of a hostile input gives the same typed error', () => {
    const hostile = join([bytes], writer.tag(8, 10_500, buildAudioTag({ codec: 'aac', packetType: 'coded-frames', data: Uint8Array.of(1) })));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: hostile.length }), { maxLength: 20 }), (cuts) => {
        expect(outcome(hostile, [...cuts].sort((a, b) => a - b))).toBe('ERR_TRANSCODE_OUTPUT');
      }),
      { numRuns: 100 },
    );
  });

  it('random bytes after a valid head: events or a typed error, never a crash', () => {
    const head = join(header(), metadata(), config());
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uniqueArray(fc.nat({ max: 400 }), { maxLength: 6 }), (tail, cuts) => {
        const input = join([head, tail]);
        void outcome(input, cuts.filter((c) => c <= input.length).sort((a, b) => a - b));
      }),
      withCorpusHint('rung-flv', { numRuns: 1000 }),
    );
  });

  it('the real sample with bytes overwritten: events or a typed error, never a crash', () => {
    const sample = corpus('rung-flv').find((f) => f.name === 'valid-ffmpeg-16x16-half-rate.bin')!.bytes.subarray(0, 2048);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: sample.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const input = Uint8Array.from(sample);
        for (const [at, value] of edits) input[at] = value;
        void outcome(input, []);
      }),
      withCorpusHint('rung-flv', { numRuns: 500 }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The corpus

/**
 * The pictures the corpus samples were encoded from: the presentation times (ms, rebased as
 * FlvFeed rebases them) of fixtures/media/h264-aac.flv's first 62 video frames in decode order.
 */
function sourcePictures(): number[] {
  const { tags } = readFlvFile(new Uint8Array(readFileSync(fixturePath('media/h264-aac.flv'))));
  const frames: { dts: number; pts: number }[] = [];
  for (const tag of tags) {
    if (tag.type !== 9 || frames.length >= 62) continue;
    const video = parseVideoTag(tag.body);
    if (video.packetType === 'coded-frames') frames.push({ dts: tag.timestamp, pts: tag.timestamp + video.compositionTimeMs });
  }
  const base = frames[0]!.dts;
  return frames.map((f) => f.pts - base + FEED_OFFSET_MS).sort((a, b) => a - b);
}

const frames = (read: RungRead) => read.events.filter((e): e is Extract<RungEvent, { kind: 'frame' }> => e.kind === 'frame');
const configs = (read: RungRead) => read.events.filter((e) => e.kind === 'config');
const keyframeIndices = (read: RungRead) => frames(read).flatMap((f, i) => (f.keyframe ? [i] : []));

/** fixtures/corpus/rung-flv/ (README.md there). */
const RUNG_CORPUS: Record<string, Expected<RungRead>> = {
  'valid-ffmpeg-32x24-62-frames.bin': (read) => {
    expect(configs(read)).toHaveLength(1);
    expect(frames(read)).toHaveLength(62);
    // -force_key_frames source -forced-idr 1: an IDR at each of the source's two keyframes, nowhere else.
    expect(keyframeIndices(read)).toEqual([0, 60]);
    // -tune zerolatency: no B-frames, so dts = pts; -copyts and passthrough: each pts is a source picture's.
    expect(frames(read).every((f) => f.dtsMs === f.ptsMs)).toBe(true);
    const pictures = sourcePictures();
    expect(frames(read).map((f) => f.ptsMs)).toEqual(pictures);
    expect(read.held).toBe(0);
  },
  'valid-ffmpeg-16x16-half-rate.bin': (read) => {
    expect(configs(read)).toHaveLength(1);
    // select='eq(key,1)+not(mod(n,2))': every other picture, keyframes kept.
    expect(frames(read).map((f) => f.ptsMs)).toEqual(sourcePictures().filter((_, i) => i % 2 === 0 && i < 61));
    expect(keyframeIndices(read)).toEqual([0, 30]);
    expect(read.held).toBe(0);
  },
  'truncated-inside-header.bin': (read) => expect({ events: read.events.length, held: read.held }).toEqual({ events: 0, held: 5 }),
  'truncated-after-config.bin': (read) => {
    expect(read.events.map((e) => e.kind)).toEqual(['config']);
    expect(read.held).toBe(4);
  },
  'truncated-inside-first-frame.bin': (read) => {
    expect(read.events.map((e) => e.kind)).toEqual(['config']);
    expect(read.held).toBeGreaterThan(0);
  },
  'hostile-bad-signature.bin': 'ERR_FLV_BAD_SIGNATURE',
  'hostile-audio-tag.bin': 'ERR_TRANSCODE_OUTPUT',
  'hostile-hevc-ertmp-sequence-start.bin': (read) => expect(read.events.map((e) => (e.kind === 'config' ? e.codec : e.kind))).toEqual(['avc', 'hevc']),
  'hostile-command-frame.bin': 'ERR_TRANSCODE_OUTPUT',
  'hostile-video-codec-id-15.bin': 'ERR_FLV_UNSUPPORTED_CODEC',
  'hostile-avc-packet-type-3.bin': 'ERR_FLV_TAG_MALFORMED',
  'hostile-tag-type-7.bin': 'ERR_FLV_UNKNOWN_TAG_TYPE',
  'hostile-previous-tag-size-mismatch.bin': 'ERR_FLV_PREVIOUS_TAG_SIZE_MISMATCH',
  'hostile-tag-size-16mib.bin': 'ERR_FLV_TAG_TOO_LARGE',
  'hostile-empty-coded-frames.bin': (read) => {
    expect(read.events.map((e) => e.kind)).toEqual(['config', 'frame']);
    expect(frames(read)[0]).toMatchObject({ dtsMs: 10_066, keyframe: true });
  },
  'hostile-frames-without-config.bin': (read) => expect(frames(read).map((f) => f.dtsMs)).toEqual([10_000, 10_033]),
};

describe('corpus', () => {
  const files = corpus('rung-flv');

  it('every valid sample has its expected value, every expectation its file', () => expectTableMatchesCorpus(files, RUNG_CORPUS));

  it('keeps the folder within its 30 KiB budget', () => {
    expect(files.reduce((sum, f) => sum + f.bytes.length, 0)).toBeLessThanOrEqual(30 * 1024);
  });

  it.each(files)('$name: events or a typed error, as pinned, in any chunking', (file) => {
    const whole = replay(file, TidecastError, (bytes) => readAt(bytes, []));
    if (!whole.ok) expect(isRungError(whole.error), `${whole.error.code} is not a rung error`).toBe(true);
    expectOutcome(whole, RUNG_CORPUS[file.name]);
    const expected = whole.ok ? { events: summary(whole.value.events), held: whole.value.held } : whole.error.code;
    const pieces = replay(file, TidecastError, (bytes) => readInPieces(bytes, 97));
    expect(pieces.ok ? { events: summary(pieces.value.events), held: pieces.value.held } : pieces.error.code).toEqual(expected);
  });

  it.each(files.filter((f) => f.bytes.length <= 4096))('$name: split at every offset, the same outcome', (file) => {
    expect(offsetsDiffering(file.bytes)).toEqual([]);
  });
});
