import { AAC_SAMPLE_RATES, buildAdtsHeader, parseAudioSpecificConfig } from '../codec/index.js';
import { MediaError } from '../errors/index.js';
import type { AudioTrack, Sample } from '../media/index.js';

/**
 * AAC in MPEG-TS: stream_type 0x0F, each raw access unit behind a 7-byte ADTS header (ISO/IEC
 * 13818-7 6.2 / 14496-3 1.A.2.2, protection_absent = 1), several frames to a PES so that a 23 ms
 * frame does not pay a PES header and a packet's stuffing each.
 *
 * ADTS can only say object types 1–4 and a sampling frequency index: HE-AAC (SBR, PS) is written
 * as its AAC-LC core at the core rate, and decoders find the SBR data implicitly (14496-3 1.6.5.2),
 * as they do for any ADTS stream.
 */

/** The AudioSpecificConfig fields an ADTS header repeats. */
export interface AdtsConfig {
  /** profile_ObjectType + 1: 1 Main, 2 LC, 3 SSR, 4 LTP. */
  readonly objectType: number;
  readonly sampleRateIndex: number;
  /** 1–7 (0, a program_config_element, is refused by the AudioSpecificConfig parser). */
  readonly channelConfiguration: number;
}

const ADTS_HEADER_BYTES = 7;

/**
 * Audio per PES: at most 100 ms, so a player that splits the PES into frames has the first one
 * within 100 ms of the PES's arrival (and PCR on an audio-only stream, which rides on these PES
 * packets, stays within the 100 ms interval of 13818-1 2.7.2).
 */
export const MAX_AUDIO_PES_TICKS = 9_000;
/** ADTS bytes per PES: a PES_packet_length of 65 535 minus the flags and a PTS+DTS header. */
const MAX_AUDIO_PES_PAYLOAD = 0xffff - 3 - 10;

/** The ADTS fields of an AAC track (CodecError for a bad AudioSpecificConfig, MediaError for other codecs). */
export function adtsConfig(track: AudioTrack): AdtsConfig {
  if (track.codec !== 'aac') {
    throw new MediaError('ERR_MEDIA_INVALID', `track ${track.id}: ${track.codec} has no MPEG-TS mapping here (AAC only)`, { trackId: track.id, codec: track.codec });
  }
  const asc = parseAudioSpecificConfig(track.decoderConfig);
  const index = asc.sampleRateIndex < AAC_SAMPLE_RATES.length ? asc.sampleRateIndex : AAC_SAMPLE_RATES.indexOf(asc.sampleRate);
  if (asc.objectType > 4 || index < 0) {
    throw new MediaError('ERR_MEDIA_INVALID', `track ${track.id}: AAC object type ${asc.objectType} at ${asc.sampleRate} Hz cannot be signalled in ADTS`, {
      trackId: track.id,
      objectType: asc.objectType,
      sampleRate: asc.sampleRate,
    });
  }
  return { objectType: asc.objectType, sampleRateIndex: index, channelConfiguration: asc.channelConfiguration };
}

/** The 7-byte ADTS header of a raw AAC frame of `payloadLength` bytes (CodecError past 8 184 bytes). */
export function adtsHeader(config: AdtsConfig, payloadLength: number): Uint8Array {
  return buildAdtsHeader({ ...config, payloadLength });
}

/** AAC frames of one PES: ADTS header and raw frame, alternately (views of the samples). */
export interface AudioPesFrames {
  readonly first: Sample;
  readonly chunks: Uint8Array[];
  byteLength: number;
}

/**
 * Groups a track's frames (in decode order) into PES payloads: a group ends at MAX_AUDIO_PES_TICKS
 * of audio, at MAX_AUDIO_PES_PAYLOAD bytes, and wherever the next frame does not start where the
 * last one ended, since a decoder times every frame after a PES's first by counting frames.
 */
export function groupAudioFrames(samples: readonly Sample[], config: AdtsConfig, to90kHz: (ticks: number) => number): AudioPesFrames[] {
  const groups: AudioPesFrames[] = [];
  let group: AudioPesFrames | undefined;
  let startTicks = 0;
  let endTrackTicks = 0;
  for (const s of samples) {
    const bytes = ADTS_HEADER_BYTES + s.data.length;
    const joins =
      group !== undefined && s.dts === endTrackTicks && to90kHz(s.dts + s.duration) - startTicks <= MAX_AUDIO_PES_TICKS && group.byteLength + bytes <= MAX_AUDIO_PES_PAYLOAD;
    if (!joins) {
      group = { first: s, chunks: [], byteLength: 0 };
      groups.push(group);
      startTicks = to90kHz(s.dts);
    }
    group!.chunks.push(adtsHeader(config, s.data.length), s.data);
    group!.byteLength += bytes;
    endTrackTicks = s.dts + s.duration;
  }
  return groups;
}
