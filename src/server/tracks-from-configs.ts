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
  const spsNal = config.sps[0];
  if (spsNal === undefined) throw new MediaError('ERR_MEDIA_INVALID', 'avcC carries no SPS', { trackId: id });
  const sps = parseH264Sps(spsNal);
  return {
    id,
    kind: 'video',
    codec: 'avc',
    timescale: VIDEO_TIMESCALE,
    codecString: avcCodecString(config.profileIdc, config.profileCompatibility, config.levelIdc),
    decoderConfig: avcC,
    width: sps.width,
    height: sps.height,
    frameRate: sps.frameRate,
    sarWidth: sps.sarWidth,
    sarHeight: sps.sarHeight,
  };
}

/** An HEVC track from an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1). */
export function hevcTrack(id: number, hvcC: Uint8Array): VideoTrack {
  const config = parseHvcC(hvcC);
  const spsNal = config.sps[0];
  if (spsNal === undefined) throw new MediaError('ERR_MEDIA_INVALID', 'hvcC carries no SPS', { trackId: id });
  const sps = parseHevcSps(spsNal);
  return {
    id,
    kind: 'video',
    codec: 'hevc',
    timescale: VIDEO_TIMESCALE,
    codecString: hevcCodecString(config),
    decoderConfig: hvcC,
    width: sps.width,
    height: sps.height,
    frameRate: sps.frameRate,
    sarWidth: sps.sarWidth,
    sarHeight: sps.sarHeight,
  };
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
