import { lookup, malformed, need, printableFourCc, readFourCc, unsupported, unwrapModEx, type ExPacketRule } from './tag-fields.js';

/**
 * AUDIODATA tag bodies (FLV 10.1 E.4.2.1) and the E-RTMP v2 ExAudioTagHeader:
 *
 *   legacy    SoundFormat UB4 | SoundRate UB2 | SoundSize UB1 | SoundType UB1 | [AACPacketType UI8] | data
 *   enhanced  SoundFormat 9 UB4 | AudioPacketType UB4 | [ModEx…] | FourCC | data
 *
 * Every legacy SoundFormat parses, named, so a caller can refuse the ones it does not package;
 * only AAC has packet types. An empty body is RTMP's "audio silence" message (E-RTMP v2,
 * AudioPacketType notes): it has no header to parse and is reported as ERR_FLV_TAG_MALFORMED,
 * so callers that honour silence check `body.length === 0` first. `data` is a view of the body.
 */

export type AudioCodec =
  | 'aac'
  | 'mp3'
  | 'opus'
  | 'flac'
  | 'ac3'
  | 'eac3'
  | 'pcm'
  | 'adpcm'
  | 'pcm-le'
  | 'nellymoser-16k'
  | 'nellymoser-8k'
  | 'nellymoser'
  | 'g711a'
  | 'g711u'
  | 'speex'
  | 'mp3-8k'
  | 'native';

export type AudioPacketType = 'sequence-start' | 'coded-frames' | 'sequence-end';

export interface AudioTag {
  readonly codec: AudioCodec;
  /** Legacy formats other than AAC have only coded frames. */
  readonly packetType: AudioPacketType;
  /**
   * Legacy header only, in Hz. E.4.2.1: for AAC the header always says 44 kHz stereo and the
   * AudioSpecificConfig is what counts; Nellymoser 8/16 kHz, Speex and MP3 8 kHz imply their rate.
   */
  readonly soundRate?: number;
  /** Legacy SoundSize: bits per uncompressed sample. */
  readonly sampleBits?: 8 | 16;
  /** Legacy SoundType: 1 mono, 2 stereo. */
  readonly channels?: 1 | 2;
  /** sequence-start: AudioSpecificConfig (aac), OpusHead (opus), STREAMINFO (flac); else frames. */
  readonly data: Uint8Array;
  readonly enhanced: boolean;
}

/** SoundFormat 9 switches to the ExAudioTagHeader (E-RTMP v2). */
export const SOUND_FORMAT_EX_HEADER = 9;

/** Legacy SoundFormat → codec, and the rate a format fixes regardless of SoundRate. 12, 13 reserved. */
export const LEGACY_SOUND_FORMATS: readonly ({ readonly codec: AudioCodec; readonly fixedRate?: number } | undefined)[] = [
  { codec: 'pcm' },
  { codec: 'adpcm' },
  { codec: 'mp3' },
  { codec: 'pcm-le' },
  { codec: 'nellymoser-16k', fixedRate: 16_000 },
  { codec: 'nellymoser-8k', fixedRate: 8_000 },
  { codec: 'nellymoser' },
  { codec: 'g711a' },
  { codec: 'g711u' },
  undefined,
  { codec: 'aac' },
  { codec: 'speex', fixedRate: 16_000 },
  undefined,
  undefined,
  { codec: 'mp3-8k', fixedRate: 8_000 },
  { codec: 'native' },
];

/** SoundRate 0–3 (E.4.2.1: 5.5, 11, 22, 44 kHz), as the exact rates the players use. */
export const SOUND_RATES: readonly number[] = [5_512, 11_025, 22_050, 44_100];

export const SOUND_FORMAT_AAC = 10;

/** AACPacketType (E.4.2.1): 0 AudioSpecificConfig, 1 raw frame. */
const AAC_PACKET_TYPES: readonly AudioPacketType[] = ['sequence-start', 'coded-frames'];

/** E-RTMP v2 AudioFourCc values. */
export const AUDIO_FOURCCS: Readonly<Partial<Record<AudioCodec, string>>> = {
  aac: 'mp4a',
  mp3: '.mp3',
  opus: 'Opus',
  flac: 'fLaC',
  ac3: 'ac-3',
  eac3: 'ec-3',
};
const FOURCC_CODECS: Readonly<Record<string, AudioCodec>> = {
  mp4a: 'aac',
  '.mp3': 'mp3',
  Opus: 'opus',
  fLaC: 'flac',
  'ac-3': 'ac3',
  'ec-3': 'eac3',
};

/** E-RTMP v2 AudioPacketType by value; 7 (ModEx) is unwrapped before the table is read. */
export const EX_AUDIO_PACKET_TYPES: readonly (ExPacketRule<AudioPacketType> | undefined)[] = [
  { carries: 'sequence-start' },
  { carries: 'coded-frames' },
  { carries: 'sequence-end' },
  undefined,
  { unsupported: 'MultichannelConfig' },
  { unsupported: 'Multitrack' },
];

/** Parses an audio tag body; throws FlvError (ERR_FLV_TAG_MALFORMED, ERR_FLV_UNSUPPORTED_CODEC). */
export function parseAudioTag(body: Uint8Array): AudioTag {
  need(body, 0, 1, 'audio', 'soundFormat');
  const b0 = body[0]!;
  const soundFormat = b0 >> 4;
  if (soundFormat === SOUND_FORMAT_EX_HEADER) return parseEnhanced(body, b0);
  const format = LEGACY_SOUND_FORMATS[soundFormat];
  if (format === undefined) throw unsupported('audio', `reserved SoundFormat ${soundFormat}`, { codecId: soundFormat });
  if (soundFormat !== SOUND_FORMAT_AAC) return legacyTag(format, b0, 'coded-frames', body.subarray(1));
  need(body, 1, 1, 'audio', 'AACPacketType');
  const packetType = AAC_PACKET_TYPES[body[1]!];
  if (packetType === undefined) {
    throw malformed('audio', 'AACPacketType', `AACPacketType ${body[1]} is not 0 or 1`, { packetType: body[1]! });
  }
  return legacyTag(format, b0, packetType, body.subarray(2));
}

/**
 * One literal with every field, not a shared header spread into each tag: V8 builds
 * `{ ...header, more }` in its runtime, about 2 µs per tag, which was two thirds of the time
 * FLV → CMAF packaging took (bench/packaging.bench.ts).
 */
function legacyTag(format: { readonly codec: AudioCodec; readonly fixedRate?: number }, b0: number, packetType: AudioPacketType, data: Uint8Array): AudioTag {
  return {
    codec: format.codec,
    packetType,
    soundRate: format.fixedRate ?? SOUND_RATES[(b0 >> 2) & 0x03]!,
    sampleBits: (b0 & 0x02) !== 0 ? 16 : 8,
    channels: (b0 & 0x01) !== 0 ? 2 : 1,
    data,
    enhanced: false,
  };
}

function parseEnhanced(body: Uint8Array, b0: number): AudioTag {
  const { packetType, pos } = unwrapModEx(body, b0 & 0x0f, 1, 'audio');
  const rule = EX_AUDIO_PACKET_TYPES[packetType];
  if (rule === undefined) throw malformed('audio', 'audioPacketType', `reserved AudioPacketType ${packetType}`, { packetType });
  if ('unsupported' in rule) throw unsupported('audio', `E-RTMP ${rule.unsupported} is not supported`, { packetType: rule.unsupported });
  need(body, pos, 4, 'audio', 'audioFourCc');
  const fourCc = readFourCc(body, pos);
  const codec = lookup(FOURCC_CODECS, fourCc);
  if (codec === undefined) throw unsupported('audio', `FourCC ${printableFourCc(fourCc)}`, { fourcc: printableFourCc(fourCc) });
  return { codec, packetType: rule.carries, data: body.subarray(pos + 4), enhanced: true };
}
