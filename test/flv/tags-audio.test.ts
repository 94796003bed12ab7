import { describe, expect, it } from 'vitest';
import { buildAudioTag, FlvError, parseAudioTag, type AudioTag, type AudioTagInit } from '../../src/flv/index.js';

/**
 * Audio tag bodies both ways, as exact bytes: FLV 10.1 E.4.2.1 (every legacy SoundFormat, AAC
 * packet types) and the Enhanced RTMP v2 ExAudioTagHeader (FourCC, ModEx).
 */

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function plain(tag: AudioTag | AudioTagInit): Record<string, unknown> {
  return { ...tag, data: toHex(tag.data) };
}

/** AudioSpecificConfig: AAC-LC, 44.1 kHz, stereo (ISO/IEC 14496-3 1.6.2.1). */
const ASC = '1210';
const AAC_FRAME = '2100 4990 0000';
const MP3_FRAME = 'fffb9064 0000';
/** OpusHead (RFC 7845 5.1): version 1, 2 channels, pre-skip 312, 48 kHz, gain 0, family 0. */
const OPUS_HEAD = '4f70757348656164 01 02 3801 80bb0000 0000 00';

interface Case {
  name: string;
  bytes: string;
  /** What the parser returns; the builder is given the same object. */
  tag: AudioTag;
  parseOnly?: boolean;
}

const legacy = { enhanced: false } as const;
const CASES: Case[] = [
  {
    name: 'AAC sequence header (AudioSpecificConfig)',
    bytes: `af 00 ${ASC}`,
    tag: { codec: 'aac', packetType: 'sequence-start', soundRate: 44_100, sampleBits: 16, channels: 2, data: hex(ASC), ...legacy },
  },
  {
    name: 'AAC raw frame',
    bytes: `af 01 ${AAC_FRAME}`,
    tag: { codec: 'aac', packetType: 'coded-frames', soundRate: 44_100, sampleBits: 16, channels: 2, data: hex(AAC_FRAME), ...legacy },
  },
  {
    name: 'AAC with a header that disagrees with E.4.2.1 (mono 22 kHz) still parses; the builder writes 0xAF',
    bytes: `a8 01 ${AAC_FRAME}`,
    tag: { codec: 'aac', packetType: 'coded-frames', soundRate: 22_050, sampleBits: 8, channels: 1, data: hex(AAC_FRAME), ...legacy },
    parseOnly: true,
  },
  {
    name: 'MP3 44.1 kHz 16-bit mono',
    bytes: `2e ${MP3_FRAME}`,
    tag: { codec: 'mp3', packetType: 'coded-frames', soundRate: 44_100, sampleBits: 16, channels: 1, data: hex(MP3_FRAME), ...legacy },
  },
  {
    name: 'MP3 22.05 kHz 8-bit stereo',
    bytes: `29 ${MP3_FRAME}`,
    tag: { codec: 'mp3', packetType: 'coded-frames', soundRate: 22_050, sampleBits: 8, channels: 2, data: hex(MP3_FRAME), ...legacy },
  },
  {
    name: 'linear PCM little-endian 11 kHz',
    bytes: '37 0001 0002',
    tag: { codec: 'pcm-le', packetType: 'coded-frames', soundRate: 11_025, sampleBits: 16, channels: 2, data: hex('0001 0002'), ...legacy },
  },
  {
    name: 'G.711 A-law 5.5 kHz',
    bytes: '72 d5d5',
    tag: { codec: 'g711a', packetType: 'coded-frames', soundRate: 5_512, sampleBits: 16, channels: 1, data: hex('d5d5'), ...legacy },
  },
  {
    name: 'G.711 µ-law',
    bytes: '8e ffff',
    tag: { codec: 'g711u', packetType: 'coded-frames', soundRate: 44_100, sampleBits: 16, channels: 1, data: hex('ffff'), ...legacy },
  },
  {
    name: 'Speex: 16 kHz mono whatever SoundRate says, written with SoundRate 0',
    bytes: 'b2 1234',
    tag: { codec: 'speex', packetType: 'coded-frames', soundRate: 16_000, sampleBits: 16, channels: 1, data: hex('1234'), ...legacy },
  },
  {
    name: 'Nellymoser 8 kHz',
    bytes: '52 00',
    tag: { codec: 'nellymoser-8k', packetType: 'coded-frames', soundRate: 8_000, sampleBits: 16, channels: 1, data: hex('00'), ...legacy },
  },
  {
    name: 'Nellymoser 8 kHz with a stray SoundRate',
    bytes: '5e 00',
    tag: { codec: 'nellymoser-8k', packetType: 'coded-frames', soundRate: 8_000, sampleBits: 16, channels: 1, data: hex('00'), ...legacy },
    parseOnly: true,
  },
  {
    name: 'E-RTMP Opus SequenceStart (OpusHead)',
    bytes: `90 4f707573 ${OPUS_HEAD}`,
    tag: { codec: 'opus', packetType: 'sequence-start', data: hex(OPUS_HEAD), enhanced: true },
  },
  {
    name: 'E-RTMP Opus CodedFrames',
    bytes: '91 4f707573 fcfffe',
    tag: { codec: 'opus', packetType: 'coded-frames', data: hex('fcfffe'), enhanced: true },
  },
  {
    name: 'E-RTMP Opus SequenceEnd',
    bytes: '92 4f707573',
    tag: { codec: 'opus', packetType: 'sequence-end', data: hex(''), enhanced: true },
  },
  {
    name: 'E-RTMP mp4a SequenceStart',
    bytes: `90 6d703461 ${ASC}`,
    tag: { codec: 'aac', packetType: 'sequence-start', data: hex(ASC), enhanced: true },
  },
  {
    name: 'E-RTMP mp4a CodedFrames',
    bytes: `91 6d703461 ${AAC_FRAME}`,
    tag: { codec: 'aac', packetType: 'coded-frames', data: hex(AAC_FRAME), enhanced: true },
  },
  {
    name: 'E-RTMP .mp3 CodedFrames',
    bytes: `91 2e6d7033 ${MP3_FRAME}`,
    tag: { codec: 'mp3', packetType: 'coded-frames', data: hex(MP3_FRAME), enhanced: true },
  },
  {
    name: 'E-RTMP fLaC, ac-3 and ec-3 are named for callers to refuse',
    bytes: '91 664c6143 fff8',
    tag: { codec: 'flac', packetType: 'coded-frames', data: hex('fff8'), enhanced: true },
  },
  { name: 'E-RTMP ac-3', bytes: '91 61632d33 0b77', tag: { codec: 'ac3', packetType: 'coded-frames', data: hex('0b77'), enhanced: true } },
  { name: 'E-RTMP ec-3', bytes: '91 65632d33 0b77', tag: { codec: 'eac3', packetType: 'coded-frames', data: hex('0b77'), enhanced: true } },
  {
    name: 'E-RTMP ModEx TimestampOffsetNano around Opus CodedFrames',
    bytes: '97 02 000064 01 4f707573 fcfffe',
    tag: { codec: 'opus', packetType: 'coded-frames', data: hex('fcfffe'), enhanced: true },
    parseOnly: true,
  },
];

describe('parseAudioTag / buildAudioTag: exact bytes', () => {
  it.each(CASES)('parse: $name', ({ bytes, tag }) => {
    expect(plain(parseAudioTag(hex(bytes)))).toEqual(plain(tag));
  });

  it.each(CASES.filter((c) => c.parseOnly !== true))('build: $name', ({ bytes, tag }) => {
    expect(toHex(buildAudioTag(tag))).toBe(toHex(hex(bytes)));
  });

  it('AAC is built legacy with 0xAF whatever rate and channels are asked for', () => {
    const built = buildAudioTag({ codec: 'aac', packetType: 'coded-frames', data: hex('00'), soundRate: 8_000, channels: 1 });
    expect(toHex(built)).toBe('af0100');
  });

  it('packetType defaults to coded-frames', () => {
    expect(toHex(buildAudioTag({ codec: 'opus', data: hex('fc') }))).toBe('914f707573fc');
    expect(toHex(buildAudioTag({ codec: 'aac', data: hex('21') }))).toBe('af0121');
  });

  it('data is a view of the body', () => {
    const body = hex(`af 01 ${AAC_FRAME}`);
    const tag = parseAudioTag(body);
    expect(tag.data.buffer).toBe(body.buffer);
    expect(tag.data.byteOffset).toBe(body.byteOffset + 2);
  });
});

const ERRORS: { name: string; bytes: string; code: string; details: Record<string, unknown> }[] = [
  { name: 'empty body (the RTMP silence message)', bytes: '', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'soundFormat', length: 0 } },
  { name: 'AAC without AACPacketType', bytes: 'af', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'AACPacketType', length: 1 } },
  { name: 'AACPacketType 2', bytes: 'af 02', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'AACPacketType', packetType: 2 } },
  { name: 'reserved SoundFormat 12', bytes: 'c2 00', code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { codecId: 12 } },
  { name: 'reserved SoundFormat 13', bytes: 'd2 00', code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { codecId: 13 } },
  { name: 'FourCC cut short', bytes: '90 4f70', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'audioFourCc', length: 3 } },
  { name: 'unknown FourCC (case matters)', bytes: '90 6f707573', code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { fourcc: 'opus' } },
  { name: 'reserved AudioPacketType 3', bytes: '93 4f707573', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'audioPacketType', packetType: 3 } },
  { name: 'reserved AudioPacketType 15', bytes: '9f', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'audioPacketType', packetType: 15 } },
  { name: 'MultichannelConfig', bytes: '94 4f707573 01 02', code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { packetType: 'MultichannelConfig' } },
  { name: 'Multitrack', bytes: '95 00 4f707573', code: 'ERR_FLV_UNSUPPORTED_CODEC', details: { packetType: 'Multitrack' } },
  { name: 'ModEx cut short', bytes: '97 05 00', code: 'ERR_FLV_TAG_MALFORMED', details: { field: 'modExData' } },
];

describe('parseAudioTag: errors', () => {
  it.each(ERRORS)('$name → $code', ({ bytes, code, details }) => {
    const err = catchError(() => parseAudioTag(hex(bytes)));
    expect(err).toBeInstanceOf(FlvError);
    expect(err).toMatchObject({ code, details: { tag: 'audio', ...details } });
  });
});

describe('buildAudioTag: errors', () => {
  const data = hex('00');
  it.each([
    { name: 'Opus has no legacy SoundFormat', tag: { codec: 'opus', data, enhanced: false }, code: 'ERR_FLV_UNSUPPORTED_CODEC' },
    { name: 'PCM has no FourCC', tag: { codec: 'pcm', data, enhanced: true }, code: 'ERR_FLV_UNSUPPORTED_CODEC' },
    { name: 'legacy AAC has no sequence end', tag: { codec: 'aac', packetType: 'sequence-end', data }, code: 'ERR_FLV_TAG_MALFORMED' },
    { name: 'legacy MP3 has no sequence start', tag: { codec: 'mp3', packetType: 'sequence-start', data }, code: 'ERR_FLV_TAG_MALFORMED' },
    { name: 'a SoundRate the header cannot say', tag: { codec: 'mp3', soundRate: 48_000, data }, code: 'ERR_FLV_TAG_MALFORMED' },
  ] as { name: string; tag: AudioTagInit; code: string }[])('$name → $code', ({ tag, code }) => {
    expect(catchError(() => buildAudioTag(tag))).toMatchObject({ code });
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
