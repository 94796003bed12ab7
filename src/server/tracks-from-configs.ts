import {
  aacCodecString,
  avcCodecString,
  hevcCodecString,
  parseAudioSpecificConfig,
  parseAvcC,
  parseH264Sps,
  parseHevcSps,
  parseHvcC,
} from '../codec/index.js';
import { MediaError } from '../errors/index.js';
import { VIDEO_TIMESCALE, type AudioTrack, type VideoTrack } from '../media/index.js';

/**
 * Track descriptions from the decoder configuration records an encoder sends first (FLV
 * sequence headers): the packagers need the display size, frame rate and codec string, which only
 * the parameter sets inside the record know.
 */

/** An AVC track from an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1). */
export function avcTrack(id: number, avcC: Uint8Array): VideoTrack {
  const config = parseAvcC(avcC);
  const sps = parseH264Sps(firstSps(config.sps, 'avcC', id));
  return videoTrack(id, 'avc', avcC, avcCodecString(config.profileIdc, config.profileCompatibility, config.levelIdc), sps);
}

/** An HEVC track from an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1). */
export function hevcTrack(id: number, hvcC: Uint8Array): VideoTrack {
  const config = parseHvcC(hvcC);
  return videoTrack(id, 'hevc', hvcC, hevcCodecString(config), parseHevcSps(firstSps(config.sps, 'hvcC', id)));
}

/** The display size, aspect and frame rate come from the first SPS of the record: the one a decoder starts with. */
function firstSps(list: readonly Uint8Array[], record: 'avcC' | 'hvcC', trackId: number): Uint8Array {
  const sps = list[0];
  if (sps === undefined) throw new MediaError('ERR_MEDIA_INVALID', `${record} carries no SPS`, { trackId });
  return sps;
}

type SpsGeometry = Pick<VideoTrack, 'width' | 'height' | 'frameRate' | 'sarWidth' | 'sarHeight'>;

function videoTrack(id: number, codec: VideoTrack['codec'], decoderConfig: Uint8Array, codecString: string, sps: SpsGeometry): VideoTrack {
  const { width, height, frameRate, sarWidth, sarHeight } = sps;
  return { id, kind: 'video', codec, timescale: VIDEO_TIMESCALE, codecString, decoderConfig, width, height, frameRate, sarWidth, sarHeight };
}

/**
 * An AAC track from an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1). The timescale is the output
 * sample rate (doubled by SBR), so every frame lasts exactly samplesPerFrame ticks.
 */
export function aacTrack(id: number, asc: Uint8Array): AudioTrack {
  const config = parseAudioSpecificConfig(asc);
  return {
    id,
    kind: 'audio',
    codec: 'aac',
    timescale: config.outputSampleRate,
    codecString: aacCodecString(config),
    decoderConfig: asc,
    sampleRate: config.outputSampleRate,
    channels: config.channels,
    samplesPerFrame: config.samplesPerFrame,
  };
}
