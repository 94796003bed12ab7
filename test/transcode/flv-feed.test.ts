import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FlvError, TranscodeError } from '../../src/errors/index.js';
import { FLV_MAX_TAG_BODY_BYTES, FlvFileReader, FlvFileWriter, parseScriptTag, parseVideoTag, readFlvFile, type FlvFileHeader, type FlvFileTag, type VideoMediaTag } from '../../src/flv/index.js';
import type { Sample, VideoTrack } from '../../src/media/index.js';
import { FEED_OFFSET_MS, FlvFeed } from '../../src/transcode/flv-feed.js';
import { ffprobePath, fixturePath, probePackets, runFfprobeJson } from '../helpers/ffmpeg.js';

/**
 * FlvFeed: the source's video as the FLV ffmpeg reads on stdin. Everything it writes is read back
 * with our own FlvFileReader and parseVideoTag (tables, and a property over random timestamps),
 * and, when ffprobe is installed, by ffprobe from real frames of fixtures/media/h264-aac.flv. The
 * contract is the timestamps: rebased so the first frame decodes at FEED_OFFSET_MS, and
 * `sourcePts(tag pts)` gives back the source frame's pts tick for tick.
 */

const AVCC = Uint8Array.of(1, 0x64, 0, 0x0d, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x0d, 1, 0, 2, 0x68, 0xee);

function track(overrides: Partial<VideoTrack> = {}): VideoTrack {
  return { id: 1, kind: 'video', codec: 'avc', timescale: 90_000, codecString: 'avc1.64000d', decoderConfig: AVCC, width: 320, height: 240, frameRate: 30, sarWidth: 1, sarHeight: 1, ...overrides };
}

function sample(dts: number, pts: number, keyframe: boolean, data: Uint8Array = Uint8Array.of(0, 0, 0, 1, keyframe ? 0x65 : 0x41)): Sample {
  return { trackId: 1, dts, pts, duration: 0, keyframe, data };
}

const joined = (pieces: readonly Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(pieces));

/** Every item of a whole FLV, read with our reader (which also checks every PreviousTagSize). */
function readBack(bytes: Uint8Array): { header: FlvFileHeader; tags: FlvFileTag[] } {
  return readFlvFile(bytes);
}

/** The video tags of `bytes` that carry frames: timestamp, composition time, key flag, payload. */
function frames(bytes: Uint8Array): { dtsMs: number; ptsMs: number; keyframe: boolean; data: Uint8Array }[] {
  return readBack(bytes)
    .tags.filter((t) => t.type === 9)
    .map((t) => ({ t, v: parseVideoTag(t.body) as VideoMediaTag }))
    .filter(({ v }) => v.packetType === 'coded-frames')
    .map(({ t, v }) => ({ dtsMs: t.timestamp, ptsMs: t.timestamp + v.compositionTimeMs, keyframe: v.frameType === 'key', data: v.data }));
}

function feedBytes(feed: FlvFeed, samples: readonly Sample[]): Uint8Array {
  return joined([...feed.start(), ...samples.flatMap((s) => feed.frame(s))]);
}

describe('FlvFeed: construction', () => {
  it.each([
    ['AV1', track({ codec: 'av1' }), { codec: 'av1' }],
    ['a 44.1 kHz timescale', track({ timescale: 44_100 }), { timescale: 44_100 }],
    ['a 90 Hz timescale', track({ timescale: 90 }), { timescale: 90 }],
    ['a 30 001 Hz timescale', track({ timescale: 30_001 }), { timescale: 30_001 }],
  ])('refuses %s with ERR_TRANSCODE_UNSUPPORTED', (_, t, details) => {
    try {
      new FlvFeed(t);
      throw new Error('expected a TranscodeError');
    } catch (err) {
      expect(err).toBeInstanceOf(TranscodeError);
      expect(err).toMatchObject({ code: 'ERR_TRANSCODE_UNSUPPORTED', details });
    }
  });

  it('feeds an HEVC source as Enhanced RTMP (hvc1), for an ffmpeg that reads it (6.1 on; the session gates)', () => {
    const feed = new FlvFeed(track({ codec: 'hevc' }));
    const tags = readFlvFile(feedBytes(feed, [{ trackId: 1, dts: 0, pts: 6000, duration: 0, keyframe: true, data: Uint8Array.of(0, 0, 0, 1, 0x26) }])).tags.filter((t) => t.type === 9);
    expect(tags.map((t) => parseVideoTag(t.body)).map((v) => [v.codec, v.packetType, 'enhanced' in v ? v.enhanced : undefined])).toEqual([
      ['hevc', 'sequence-start', true],
      ['hevc', 'coded-frames', true],
    ]);
  });

  it.each([1000, 48_000, 90_000, 1_000_000])('takes a timescale of %i (whole milliseconds)', (timescale) => {
    expect(new FlvFeed(track({ timescale })).track.timescale).toBe(timescale);
  });
});

describe('FlvFeed: the first bytes', () => {
  it('header (video only), onMetaData at 0, then the AVC sequence header at FEED_OFFSET_MS', () => {
    const feed = new FlvFeed(track({ frameRate: 30_000 / 1001 }));
    const { header, tags } = readBack(joined(feed.start()));
    expect(header).toEqual({ kind: 'header', version: 1, hasAudio: false, hasVideo: true, dataOffset: 9 });
    expect(tags.map((t) => [t.type, t.timestamp, t.filtered])).toEqual([
      [18, 0, false],
      [9, FEED_OFFSET_MS, false],
    ]);
    const script = parseScriptTag(tags[0]!.body);
    expect(script.name).toBe('onMetaData');
    // 29.97002997… rounded to three decimals; CodecID 7 is AVC (E.4.3.1).
    expect(script.value).toMatchObject({ width: 320, height: 240, framerate: 29.97, videocodecid: 7 });
    expect(parseVideoTag(tags[1]!.body)).toEqual({ codec: 'avc', frameType: 'key', packetType: 'sequence-start', compositionTimeMs: 0, data: AVCC, enhanced: false });
  });

  it('leaves framerate out of onMetaData when the source does not say', () => {
    const { tags } = readBack(joined(new FlvFeed(track({ frameRate: undefined })).start()));
    const value = parseScriptTag(tags[0]!.body).value as Record<string, unknown>;
    expect(value).not.toHaveProperty('framerate');
    expect(value).toMatchObject({ width: 320, height: 240, videocodecid: 7 });
  });

  it('start() does not depend on frames: the same bytes before and after frames were fed', () => {
    const feed = new FlvFeed(track());
    const before = joined(feed.start());
    feed.frame(sample(123_000, 129_000, true));
    expect(joined(feed.start())).toEqual(before);
  });
});

describe('FlvFeed: frames', () => {
  /**
   * A B-frame source at 90 kHz as RTMP delivers it (whole-millisecond stamps of 30 fps, times 90):
   * decode order I P B B P B, composition delay 2 frames, starting at dts 1 s.
   */
  const ms = (dtsMs: number, ptsMs: number, keyframe: boolean): Sample => sample(dtsMs * 90, ptsMs * 90, keyframe);
  const source: Sample[] = [ms(1000, 1067, true), ms(1033, 1167, false), ms(1067, 1100, false), ms(1100, 1133, false), ms(1133, 1267, false), ms(1167, 1200, false)];

  it('rebases the first decode time to FEED_OFFSET_MS and carries pts − dts as CompositionTime', () => {
    const feed = new FlvFeed(track());
    const read = frames(feedBytes(feed, source));
    expect(read.map((f) => [f.dtsMs, f.ptsMs - f.dtsMs, f.keyframe])).toEqual([
      [10_000, 67, true],
      [10_033, 134, false],
      [10_067, 33, false],
      [10_100, 33, false],
      [10_133, 134, false],
      [10_167, 33, false],
    ]);
  });

  it('sourcePts maps each tag pts back to the source pts, and dts likewise', () => {
    const feed = new FlvFeed(track());
    const read = frames(feedBytes(feed, source));
    expect(read.map((f) => feed.sourcePts(f.ptsMs))).toEqual(source.map((s) => s.pts));
    expect(read.map((f) => feed.sourcePts(f.dtsMs))).toEqual(source.map((s) => s.dts));
  });

  it('writes the payload as the sample’s own bytes (not copied), between the tag header and trailer', () => {
    const feed = new FlvFeed(track());
    const s = sample(0, 0, true, Uint8Array.of(0, 0, 0, 2, 0x65, 0x88));
    const pieces = feed.frame(s);
    expect(pieces).toHaveLength(4);
    expect(pieces[2]).toBe(s.data);
    expect(pieces[0]).toHaveLength(11);
    expect(pieces[3]).toHaveLength(4);
    // legacy AVC: FrameType 1 | CodecID 7, AVCPacketType 1, CompositionTime 0.
    expect([...pieces[1]!]).toEqual([0x17, 1, 0, 0, 0]);
  });

  it('a source starting with a frame that presents before it decodes (negative CompositionTime) still maps back', () => {
    const feed = new FlvFeed(track({ timescale: 1000 }));
    const samples = [sample(5000, 4960, true), sample(5040, 5080, false), sample(5080, 5000, false)];
    const read = frames(feedBytes(feed, samples));
    expect(read.map((f) => f.ptsMs - f.dtsMs)).toEqual([-40, 40, -80]);
    expect(read.map((f) => feed.sourcePts(f.ptsMs))).toEqual([4960, 5080, 5000]);
  });

  it('a source clock near 2^32 ms is rebased far from the wrap: tags stay small', () => {
    const feed = new FlvFeed(track());
    const start = (2 ** 32 - 10) * 90;
    const read = frames(feedBytes(feed, [sample(start, start + 67 * 90, true), sample(start + 33 * 90, start + 33 * 90, false)]));
    expect(read.map((f) => f.dtsMs)).toEqual([FEED_OFFSET_MS, FEED_OFFSET_MS + 33]);
    expect(read.map((f) => feed.sourcePts(f.ptsMs))).toEqual([start + 67 * 90, start + 33 * 90]);
  });

  it('a frame off the millisecond grid is written rounded and does not map back: exact() is how a caller knows', () => {
    const feed = new FlvFeed(track());
    const offGrid = sample(3003, 3003 + 6006, true);
    const [f] = frames(feedBytes(feed, [offGrid]));
    expect([f!.dtsMs, f!.ptsMs]).toEqual([FEED_OFFSET_MS, FEED_OFFSET_MS + 67]);
    expect(feed.sourcePts(f!.ptsMs)).not.toBe(offGrid.pts);
    expect(feed.exact(offGrid.pts)).toBe(false);
  });

  it('exact(): whole milliseconds only', () => {
    const feed = new FlvFeed(track());
    expect([0, 90, 3000 * 30, 90 * 12_345].map((t) => feed.exact(t))).toEqual([true, true, true, true]);
    expect([1, 45, 3003, 89].map((t) => feed.exact(t))).toEqual([false, false, false, false]);
    expect(new FlvFeed(track({ timescale: 1000 })).exact(7)).toBe(true);
  });

  it('a CompositionTime past SI24 is an FlvError, not a wrong tag', () => {
    const feed = new FlvFeed(track({ timescale: 1000 }));
    expect(() => feed.frame(sample(0, 0x80_00_00, true))).toThrow(FlvError);
  });

  it('any monotonic whole-millisecond dts/pts maps back tick for tick (fast-check)', () => {
    const frame = fc.record({ stepMs: fc.integer({ min: 0, max: 200 }), ctMs: fc.integer({ min: -100, max: 2000 }), keyframe: fc.boolean() });
    fc.assert(
      fc.property(fc.constantFrom(1000, 48_000, 90_000), fc.integer({ min: 0, max: 2 ** 40 }), fc.array(frame, { minLength: 1, maxLength: 40 }), (timescale, startMs, list) => {
        const perMs = timescale / 1000;
        let dtsMs = startMs;
        const samples = list.map((f) => {
          dtsMs += f.stepMs;
          return sample(dtsMs * perMs, (dtsMs + f.ctMs) * perMs, f.keyframe);
        });
        const feed = new FlvFeed(track({ timescale }));
        const read = frames(feedBytes(feed, samples));
        expect(read).toHaveLength(samples.length);
        read.forEach((f, i) => {
          const s = samples[i]!;
          expect(feed.exact(s.pts) && feed.exact(s.dts)).toBe(true);
          expect(f.dtsMs).toBe(s.dts / perMs - samples[0]!.dts / perMs + FEED_OFFSET_MS);
          expect(feed.sourcePts(f.ptsMs)).toBe(s.pts);
          expect(feed.sourcePts(f.dtsMs)).toBe(s.dts);
          expect(f.keyframe).toBe(s.keyframe);
          expect(f.data).toEqual(s.data);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('reads back the same in any chunking (the bytes are a well-formed stream)', () => {
    const feed = new FlvFeed(track());
    const bytes = feedBytes(feed, source);
    const reader = new FlvFileReader();
    let count = 0;
    for (let at = 0; at < bytes.length; at += 7) {
      reader.push(bytes.subarray(at, at + 7));
      for (let item = reader.read(); item !== null; item = reader.read()) count += 1;
    }
    reader.end();
    expect(count).toBe(1 + 2 + source.length);
  });
});

describe('FlvFileWriter.tagPieces', () => {
  const writer = new FlvFileWriter({ hasAudio: false, hasVideo: true });
  const a = Uint8Array.of(0x17, 1, 0, 0, 0);
  const b = Uint8Array.of(0, 0, 0, 1, 0x65);

  it.each([
    ['two pieces', [a, b]],
    ['one piece', [b]],
    ['no piece (an empty body)', []],
    ['empty pieces among others', [new Uint8Array(0), a, new Uint8Array(0)]],
  ])('%s: [header, …pieces (the same arrays), trailer], the same bytes as tag() of the joined body', (_, pieces) => {
    const out = writer.tagPieces(9, 1234, pieces);
    expect(out).toHaveLength(pieces.length + 2);
    pieces.forEach((p, i) => expect(out[i + 1]).toBe(p));
    expect(joined(out)).toEqual(joined(writer.tag(9, 1234, joined(pieces))));
    const size = pieces.reduce((n, p) => n + p.length, 0);
    // DataSize u24, and PreviousTagSize = 11 + DataSize.
    expect([...out[0]!.subarray(1, 4)]).toEqual([size >> 16, (size >> 8) & 0xff, size & 0xff]);
    expect(Buffer.from(out.at(-1)!).readUInt32BE(0)).toBe(11 + size);
  });

  it.each([
    [0, [0, 0, 0, 0]],
    [0x12_34_56, [0x12, 0x34, 0x56, 0]],
    [0x7f_ff_ff_ff, [0xff, 0xff, 0xff, 0x7f]],
    [-1, [0xff, 0xff, 0xff, 0xff]],
    [-0x80_00_00_00, [0, 0, 0, 0x80]],
  ])('timestamp %i → Timestamp u24 + TimestampExtended %j, read back the same', (ts, bytes) => {
    const out = writer.tagPieces(9, ts, [a, b]);
    expect([...out[0]!.subarray(4, 8)]).toEqual(bytes);
    const file = joined([writer.header(), ...out]);
    expect(readBack(file).tags[0]).toMatchObject({ type: 9, timestamp: ts, body: joined([a, b]) });
  });

  it('sets the Filter bit when asked', () => {
    expect(writer.tagPieces(8, 0, [a], true)[0]![0]).toBe(0x28);
  });

  it.each([
    ['a body over 16 MiB − 1 in total', () => writer.tagPieces(9, 0, [new Uint8Array(FLV_MAX_TAG_BODY_BYTES), new Uint8Array(1)]), 'ERR_FLV_TAG_TOO_LARGE'],
    ['a timestamp past SI32', () => writer.tagPieces(9, 2 ** 31, [a]), 'ERR_FLV_TAG_MALFORMED'],
    ['a fractional timestamp', () => writer.tagPieces(9, 1.5, [a]), 'ERR_FLV_TAG_MALFORMED'],
    ['TagType 7', () => writer.tagPieces(7 as 9, 0, [a]), 'ERR_FLV_UNKNOWN_TAG_TYPE'],
  ])('%s → %s', (_, fn, code) => {
    expect(fn).toThrow(FlvError);
    try {
      fn();
    } catch (err) {
      expect((err as FlvError).code).toBe(code);
    }
  });

  it('takes a body of exactly 16 MiB − 1 split in pieces', () => {
    const out = writer.tagPieces(9, 0, [new Uint8Array(FLV_MAX_TAG_BODY_BYTES - 1), new Uint8Array(1)]);
    expect([...out[0]!.subarray(1, 4)]).toEqual([0xff, 0xff, 0xff]);
  });
});

// ---------------------------------------------------------------------------------------------
// ffprobe as the oracle

const ffprobe = await ffprobePath();
const dir = mkdtempSync(join(tmpdir(), 'tidecast-flv-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The first `count` video frames of fixtures/media/h264-aac.flv (B-frames: dts ≠ pts) as 90 kHz samples, and its track. */
function realSource(count: number): { track: VideoTrack; samples: Sample[] } {
  const { tags } = readFlvFile(new Uint8Array(readFileSync(fixturePath('media/h264-aac.flv'))));
  let config: Uint8Array | undefined;
  const samples: Sample[] = [];
  for (const tag of tags) {
    if (tag.type !== 9) continue;
    const v = parseVideoTag(tag.body) as VideoMediaTag;
    if (v.packetType === 'sequence-start') config = v.data;
    else if (v.packetType === 'coded-frames' && samples.length < count) samples.push(sample(tag.timestamp * 90, (tag.timestamp + v.compositionTimeMs) * 90, v.frameType === 'key', v.data));
  }
  return { track: track({ decoderConfig: config!, codecString: 'avc1.64000d' }), samples };
}

describe('FlvFeed read by ffprobe', () => {
  it.skipIf(ffprobe === undefined)('ffprobe sees every frame at the feed’s dts and pts, with its key flag, and the stream as AVC 320x240', async () => {
    const { track: source, samples } = realSource(75);
    const feed = new FlvFeed(source);
    const file = join(dir, 'feed.flv');
    writeFileSync(file, feedBytes(feed, samples));

    const packets = (await probePackets(file))['video'] ?? [];
    const base = samples[0]!.dts / 90;
    expect(packets).toHaveLength(samples.length);
    expect(packets.map((p) => p.dtsMs)).toEqual(samples.map((s) => s.dts / 90 - base + FEED_OFFSET_MS));
    expect(packets.map((p) => p.ptsMs)).toEqual(samples.map((s) => s.pts / 90 - base + FEED_OFFSET_MS));
    expect(packets.map((p) => p.keyframe)).toEqual(samples.map((s) => s.keyframe));
    expect(packets.map((p) => p.size)).toEqual(samples.map((s) => s.data.length));
    // What ffmpeg would hand the ladder back: each pts maps to its source frame.
    expect(packets.map((p) => feed.sourcePts(p.ptsMs!))).toEqual(samples.map((s) => s.pts));

    const streams = await runFfprobeJson<{ streams: { codec_name: string; width: number; height: number; profile: string }[] }>(['-select_streams', 'v', '-show_entries', 'stream=codec_name,width,height,profile', file]);
    expect(streams.streams).toEqual([{ codec_name: 'h264', profile: 'High', width: 320, height: 240 }]);
  });
});
