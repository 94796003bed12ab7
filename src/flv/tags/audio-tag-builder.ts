import {
  AUDIO_FOURCCS,
  LEGACY_SOUND_FORMATS,
  SOUND_FORMAT_AAC,
  SOUND_FORMAT_EX_HEADER,
  SOUND_RATES,
  type AudioCodec,
  type AudioPacketType,
} from './audio-tag.js';
import { joinTagParts, malformed, unsupported, writeFourCc, type FlvTagParts } from './tag-fields.js';

/**
 * Builds AUDIODATA bodies (FLV 10.1 E.4.2.1, E-RTMP v2 ExAudioTagHeader), sized first and written
 * once (`buildAudioTagParts`: the header apart and the payload as the view given, copied by no one
 * here). Codecs with a legacy SoundFormat are written legacy, the form every player reads; Opus,
 * FLAC, AC-3 and E-AC-3 exist only as FourCCs and are written enhanced. `enhanced: true` writes
 * AAC and MP3 as 'mp4a' / '.mp3' FourCCs instead.
 *
 * Legacy AAC always gets the header byte 0xAF (44 kHz, 16-bit, stereo) whatever the stream is:
 * E.4.2.1 says so, and players take rate and channels from the AudioSpecificConfig.
 */
export interface AudioTagInit {
  readonly codec: AudioCodec;
  /** Default 'coded-frames'. Legacy formats other than AAC have nothing else. */
  readonly packetType?: AudioPacketType;
  readonly data: Uint8Array;
  /** Legacy non-AAC only, in Hz: 5512, 11025, 22050 or 44100 (default). Ignored by fixed-rate formats. */
  readonly soundRate?: number;
  /** Legacy non-AAC only; default 16. */
  readonly sampleBits?: 8 | 16;
  /** Legacy non-AAC only; default 2. */
  readonly channels?: 1 | 2;
  /** Default: true for codecs that have no legacy SoundFormat. */
  readonly enhanced?: boolean;
}

/** E-RTMP v2 AudioPacketType values the builder writes. */
const EX_PACKET_TYPE_VALUES: Readonly<Record<AudioPacketType, number>> = { 'sequence-start': 0, 'coded-frames': 1, 'sequence-end': 2 };
const AAC_PACKET_TYPE_VALUES: Readonly<Record<AudioPacketType, number | undefined>> = {
  'sequence-start': 0,
  'coded-frames': 1,
  'sequence-end': undefined,
};
/** SoundFormat 10 | SoundRate 3 | SoundSize 1 | SoundType 1 (E.4.2.1). */
const AAC_LEGACY_HEADER = 0xaf;

export function buildAudioTag(tag: AudioTagInit): Uint8Array {
  return joinTagParts(buildAudioTagParts(tag));
}

/** The same tag as `buildAudioTag`, as its header bytes and `data` itself. */
export function buildAudioTagParts(tag: AudioTagInit): FlvTagParts {
  const soundFormat = LEGACY_SOUND_FORMATS.findIndex((f) => f?.codec === tag.codec);
  const enhanced = tag.enhanced ?? soundFormat < 0;
  if (enhanced) return { header: enhancedHeader(tag), payload: tag.data };
  if (soundFormat < 0) throw unsupported('audio', `${tag.codec} has no legacy SoundFormat; build it enhanced`, { codec: tag.codec });
  return { header: soundFormat === SOUND_FORMAT_AAC ? legacyAacHeader(tag) : legacyHeader(tag, soundFormat), payload: tag.data };
}

function enhancedHeader(tag: AudioTagInit): Uint8Array {
  const fourCc = AUDIO_FOURCCS[tag.codec];
  if (fourCc === undefined) throw unsupported('audio', `${tag.codec} has no E-RTMP FourCC; build it legacy`, { codec: tag.codec });
  const out = new Uint8Array(5);
  out[0] = (SOUND_FORMAT_EX_HEADER << 4) | EX_PACKET_TYPE_VALUES[tag.packetType ?? 'coded-frames'];
  writeFourCc(out, 1, fourCc);
  return out;
}

function legacyAacHeader(tag: AudioTagInit): Uint8Array {
  const packetType = AAC_PACKET_TYPE_VALUES[tag.packetType ?? 'coded-frames'];
  if (packetType === undefined) {
    throw malformed('audio', 'AACPacketType', 'legacy AAC has no sequence-end packet; build it enhanced', { packetType: 'sequence-end' });
  }
  return Uint8Array.of(AAC_LEGACY_HEADER, packetType);
}

function legacyHeader(tag: AudioTagInit, soundFormat: number): Uint8Array {
  if ((tag.packetType ?? 'coded-frames') !== 'coded-frames') {
    throw malformed('audio', 'soundFormat', `legacy ${tag.codec} tags carry coded frames only`, { packetType: tag.packetType ?? '' });
  }
  // Fixed-rate formats write SoundRate 0, as E.4.2.1 asks of Speex.
  const rateIndex = LEGACY_SOUND_FORMATS[soundFormat]!.fixedRate !== undefined ? 0 : SOUND_RATES.indexOf(tag.soundRate ?? 44_100);
  if (rateIndex < 0) {
    throw malformed('audio', 'soundRate', `soundRate ${tag.soundRate} is not one of ${SOUND_RATES.join(', ')}`, {
      soundRate: String(tag.soundRate),
    });
  }
  return Uint8Array.of((soundFormat << 4) | (rateIndex << 2) | ((tag.sampleBits ?? 16) === 16 ? 0x02 : 0) | ((tag.channels ?? 2) === 2 ? 0x01 : 0));
}
