import { describe, expect, it } from 'vitest';
import { buildVideoTag, FlvError, parseVideoTag, type VideoTag, type VideoTagInit } from '../../src/flv/index.js';

/**
 * Video tag bodies both ways, as exact bytes: FLV 10.1 E.4.3.1 (legacy AVC, HEVC under CodecID 12)
 * and Enhanced RTMP v2 (ExVideoTagHeader with FourCC, CodedFrames / CodedFramesX, ModEx).
 */

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** A tag as comparable data, `data` as hex. */
function plain(tag: VideoTag): Record<string, unknown> {
  return 'data' in tag ? { ...tag, data: toHex(tag.data) } : { ...tag };
}

const AVCC = '01 64 001f ff e1 0004 6764001f 01 0004 68ee3c80';
const HVCC = '01 01 60000000 900000000000 5d f000 fc fd f8 f8 00 00 0f 00';
const AV1C = '81 08 0c 00';
const NALUS = '00000005 6588840021 00000002 419a';

interface Case {
  name: string;
  bytes: string;
  /** What the parser returns; the builder is given the same object. */
  tag: VideoTag;
  /** The builder writes another (equally valid) form; only parse is checked. */
  parseOnly?: boolean;
}

const CASES: Case[] = [
  {
    name: 'legacy AVC sequence header',
    bytes: `17 00 000000 ${AVCC}`,
    tag: { codec: 'avc', frameType: 'key', packetType: 'sequence-start', compositionTimeMs: 0, data: hex(AVCC), enhanced: false },
  },
  {
    name: 'legacy AVC key frame, CompositionTime +66 ms',
    bytes: `17 01 000042 ${NALUS}`,
    tag: { codec: 'avc', frameType: 'key', packetType: 'coded-frames', compositionTimeMs: 66, data: hex(NALUS), enhanced: false },
  },
  {
    name: 'legacy AVC inter frame, negative CompositionTime (SI24 −33)',
    bytes: `27 01 ffffdf ${NALUS}`,
    tag: { codec: 'avc', frameType: 'inter', packetType: 'coded-frames', compositionTimeMs: -33, data: hex(NALUS), enhanced: false },
  },
  {
    name: 'legacy AVC CompositionTime at the SI24 limits',
    bytes: '27 01 800000 00',
    tag: { codec: 'avc', frameType: 'inter', packetType: 'coded-frames', compositionTimeMs: -0x800000, data: hex('00'), enhanced: false },
  },
  {
    name: 'legacy AVC disposable frame, CompositionTime +8388607',
    bytes: '37 01 7fffff',
    tag: { codec: 'avc', frameType: 'disposable', packetType: 'coded-frames', compositionTimeMs: 0x7fffff, data: hex(''), enhanced: false },
  },
  {
    name: 'legacy AVC end of sequence',
    bytes: '17 02 000000',
    tag: { codec: 'avc', frameType: 'key', packetType: 'sequence-end', compositionTimeMs: 0, data: hex(''), enhanced: false },
  },
  {
    name: 'legacy HEVC under CodecID 12 (CDN convention)',
    bytes: `1c 00 000000 ${HVCC}`,
    tag: { codec: 'hevc', frameType: 'key', packetType: 'sequence-start', compositionTimeMs: 0, data: hex(HVCC), enhanced: false },
  },
  {
    name: 'legacy generated key frame',
    bytes: `4c 01 000021 ${NALUS}`,
    tag: { codec: 'hevc', frameType: 'generated-key', packetType: 'coded-frames', compositionTimeMs: 33, data: hex(NALUS), enhanced: false },
  },
  {
    name: 'E-RTMP hvc1 SequenceStart',
    bytes: `90 68766331 ${HVCC}`,
    tag: { codec: 'hevc', frameType: 'key', packetType: 'sequence-start', compositionTimeMs: 0, data: hex(HVCC), enhanced: true },
  },
  {
    name: 'E-RTMP hvc1 CodedFrames with CompositionTime +33',
    bytes: `91 68766331 000021 ${NALUS}`,
    tag: { codec: 'hevc', frameType: 'key', packetType: 'coded-frames', compositionTimeMs: 33, data: hex(NALUS), enhanced: true },
  },
  {
    name: 'E-RTMP hvc1 CodedFrames with negative CompositionTime',
    bytes: `a1 68766331 ffffbe ${NALUS}`,
    tag: { codec: 'hevc', frameType: 'inter', packetType: 'coded-frames', compositionTimeMs: -66, data: hex(NALUS), enhanced: true },
  },
  {
    name: 'E-RTMP hvc1 CodedFramesX (CompositionTime implied 0)',
    bytes: `a3 68766331 ${NALUS}`,
    tag: { codec: 'hevc', frameType: 'inter', packetType: 'coded-frames', compositionTimeMs: 0, data: hex(NALUS), enhanced: true },
  },
  {
    name: 'E-RTMP hvc1 CodedFrames with an explicit 0 (the builder writes CodedFramesX)',
    bytes: `a1 68766331 000000 ${NALUS}`,
    tag: { codec: 'hevc', frameType: 'inter', packetType: 'coded-frames', compositionTimeMs: 0, data: hex(NALUS), enhanced: true },
    parseOnly: true,
  },
  {
    name: 'E-RTMP hvc1 SequenceEnd',
    bytes: '92 68766331',
    tag: { codec: 'hevc', frameType: 'key', packetType: 'sequence-end', compositionTimeMs: 0, data: hex(''), enhanced: true },
  },
  {
    name: 'E-RTMP av01 SequenceStart',
    bytes: `90 61763031 ${AV1C}`,
    tag: { codec: 'av1', frameType: 'key', packetType: 'sequence-start', compositionTimeMs: 0, data: hex(AV1C), enhanced: true },
  },
  {
    name: 'E-RTMP av01 CodedFrames (no CompositionTime field for AV1)',
    bytes: '91 61763031 1200 0a0b00000024',
    tag: { codec: 'av1', frameType: 'key', packetType: 'coded-frames', compositionTimeMs: 0, data: hex('1200 0a0b00000024'), enhanced: true },
  },
  {
    name: 'E-RTMP av01 CodedFramesX is read like CodedFrames',
    bytes: 'a3 61763031 1200',
    tag: { codec: 'av1', frameType: 'inter', packetType: 'coded-frames', compositionTimeMs: 0, data: hex('1200'), enhanced: true },
    parseOnly: true,
  },
  {
    name: 'E-RTMP vp09 CodedFrames',
    bytes: 'a1 76703039 8249834200',
    tag: { codec: 'vp9', frameType: 'inter', packetType: 'coded-frames', compositionTimeMs: 0, data: hex('8249834200'), enhanced: true },
  },
  {
    name: 'E-RTMP avc1 CodedFrames (enhanced AVC keeps its CompositionTime)',
    bytes: `91 61766331 fffffe ${NALUS}`,
    tag: { codec: 'avc', frameType: 'key', packetType: 'coded-frames', compositionTimeMs: -2, data: hex(NALUS), enhanced: true },
  },
  {
    name: 'E-RTMP Metadata (AMF0 colorInfo), frame type ignored and reported',
    bytes: '94 68766331 0200 09 636f6c6f72496e666f 05',
    tag: { codec: 'hevc', frameType: 'key', packetType: 'metadata', compositionTimeMs: 0, data: hex('0200 09 636f6c6f72496e666f 05'), enhanced: true },
  },
  {
    name: 'E-RTMP Metadata with FrameType command is still metadata',
    bytes: 'd4 61763031 05',
    tag: { codec: 'av1', frameType: 'command', packetType: 'metadata', compositionTimeMs: 0, data: hex('05'), enhanced: true },
  },
  {
    name: 'E-RTMP ModEx TimestampOffsetNano wrapping CodedFrames',
    bytes: `97 02 0f4240 01 68766331 000021 ${NALUS}`,
    tag: { codec: 'hevc', frameType: 'key', packetType: 'coded-frames', compositionTimeMs: 33, data: hex(NALUS), enhanced: true },
    parseOnly: true,
  },
  {
    name: 'E-RTMP ModEx with a UI16 size, twice',
    bytes: `a7 ff 0100 ${'00'.repeat(257)} 07 00 aa 03 68766331 ${NALUS}`,
    tag: { codec: 'hevc', frameType: 'inter', packetType: 'coded-frames', compositionTimeMs: 0, data: hex(NALUS), enhanced: true },
    parseOnly: true,
  },
  {
    name: 'legacy command frame: end of client-side seeking',
    bytes: '57 01',
    tag: { frameType: 'command', packetType: 'command', command: 1, codec: 'avc', enhanced: false },
  },
  {
    name: 'legacy command frame of a codec we do not carry',
    bytes: '52 00',
    tag: { frameType: 'command', packetType: 'command', command: 0, codec: undefined, enhanced: false },
    parseOnly: true,
  },
  {
    name: 'E-RTMP command frame (no FourCC)',
    bytes: 'd1 00',
    tag: { frameType: 'command', packetType: 'command', command: 0, codec: undefined, enhanced: true },
  },
];

describe('parseVideoTag / buildVideoTag: exact bytes', () => {
  it.each(CASES)('parse: $name', ({ bytes, tag }) => {
    const parsed = parseVideoTag(hex(bytes));
    expect(plain(parsed)).toEqual(plain(tag));
  });

  it.each(CASES.filter((c) => c.parseOnly !== true))('build: $name', ({ bytes, tag }) => {
    expect(toHex(buildVideoTag(tag))).toBe(toHex(hex(bytes)));
  });

  it('data is a view of the body, not a copy', () => {
    const body = hex(`17 01 000042 ${NALUS}`);
    const tag = parseVideoTag(body);
    expect(tag.packetType).toBe('coded-frames');
    if (tag.packetType === 'command') return;
    expect(tag.data.buffer).toBe(body.buffer);
    expect(tag.data.byteOffset).toBe(body.byteOffset + 5);
  });

  it('builds HEVC, AV1 and VP9 enhanced and AVC legacy by default', () => {
    const data = hex('00');
    expect(buildVideoTag({ codec: 'avc', frameType: 'key', packetType: 'coded-frames', data })[0]).toBe(0x17);
    for (const codec of ['hevc', 'av1', 'vp9'] as const) {
      expect(buildVideoTag({ codec, frameType: 'key', packetType: 'coded-frames', data })[0]! & 0x80).toBe(0x80);
    }
  });
});

interface ErrorCase {
  name: string;
  bytes: string;
  code: 'ERR_FLV_TAG_MALFORMED' | 'ERR_FLV_UNSUPPORTED_CODEC';
  details: Record<string, unknown>;
}

const ERRORS: ErrorCase[] = [
  { name: 'empty body', bytes: '', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'VideoTagHeader', length: 0 } },
  { name: 'AVC without AVCPacketType', bytes: '17', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'AVCPacketType', length: 1 } },
  { name: 'AVC cut inside CompositionTime', bytes: '17 01 00', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'AVCPacketType', length: 3 } },
  { name: 'AVCPacketType 3', bytes: '17 03 000000', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'AVCPacketType', packetType: 3 } },
  { name: 'legacy frame type 0', bytes: '07 01 000000', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'frameType', frameType: 0 } },
  { name: 'legacy frame type 6', bytes: '67 01 000000', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'frameType', frameType: 6 } },
  { name: 'enhanced frame type 7', bytes: 'f0 68766331', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'frameType', frameType: 7 } },
  { name: 'Sorenson H.263 (CodecID 2)', bytes: '22 0000', code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { codecId: 2 } },
  { name: 'VP6 (CodecID 4)', bytes: '14 00', code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { codecId: 4 } },
  { name: 'reserved CodecID 15', bytes: '1f 00', code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { codecId: 15 } },
  { name: 'command frame without its command byte', bytes: '57', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'videoCommand' } },
  { name: 'FourCC cut short', bytes: '90 6876', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'videoFourCc', length: 3 } },
  { name: 'vp08 FourCC', bytes: '90 76703038', code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { fourcc: 'vp08' } },
  { name: 'non-ASCII FourCC', bytes: '90 00010203', code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { fourcc: '0x00010203' } },
  { name: 'CodedFrames cut inside CompositionTime', bytes: '91 68766331 00', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'compositionTimeOffset' } },
  { name: 'MPEG2TSSequenceStart', bytes: '95 61763031', code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { packetType: 'MPEG2TSSequenceStart' } },
  { name: 'Multitrack', bytes: '96 00 68766331', code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { packetType: 'Multitrack' } },
  { name: 'reserved VideoPacketType 8', bytes: '98 68766331', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'videoPacketType', packetType: 8 } },
  { name: 'ModEx without its size', bytes: '97', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'modExDataSize' } },
  { name: 'ModEx without its UI16 size', bytes: '97 ff 01', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'modExDataSize' } },
  { name: 'ModEx data cut short', bytes: '97 02 0000', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'modExData' } },
];

describe('parseVideoTag: errors', () => {
  it.each(ERRORS)('$name → $code', ({ bytes, code, details }) => {
    const err = catchError(() => parseVideoTag(hex(bytes)));
    expect(err).toBeInstanceOf(FlvError);
    expect((err as FlvError).code).toBe(code);
    expect((err as FlvError).details).toMatchObject({ tag: 'video', ...details });
  });
});

describe('buildVideoTag: errors', () => {
  const data = hex('00');
  it.each([
    { name: 'CompositionTime beyond SI24', tag: { codec: 'avc', frameType: 'key', packetType: 'coded-frames', compositionTimeMs: 0x800000, data } },
    { name: 'fractional CompositionTime', tag: { codec: 'avc', frameType: 'key', packetType: 'coded-frames', compositionTimeMs: 1.5, data } },
    { name: 'AV1 with a CompositionTime', tag: { codec: 'av1', frameType: 'key', packetType: 'coded-frames', compositionTimeMs: 33, data } },
    { name: 'HEVC sequence start with a CompositionTime', tag: { codec: 'hevc', frameType: 'key', packetType: 'sequence-start', compositionTimeMs: 1, data } },
    { name: 'legacy metadata', tag: { codec: 'avc', frameType: 'key', packetType: 'metadata', data } },
    { name: 'coded frames with FrameType command', tag: { codec: 'hevc', frameType: 'command', packetType: 'coded-frames', data } },
    { name: 'command 256', tag: { frameType: 'command', packetType: 'command', command: 256 } },
  ] as { name: string; tag: VideoTagInit }[])('$name → ERR_FLV_TAG_MALFORMED', ({ tag }) => {
    expect(catchError(() => buildVideoTag(tag))).toMatchObject({ code: 'ERR_FLV_TAG_MALFORMED' });
  });

  it('AV1 and VP9 have no legacy form', () => {
    for (const codec of ['av1', 'vp9'] as const) {
      const err = catchError(() => buildVideoTag({ codec, frameType: 'key', packetType: 'coded-frames', data, enhanced: false }));
      expect(err).toMatchObject({ code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { codec } });
    }
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
