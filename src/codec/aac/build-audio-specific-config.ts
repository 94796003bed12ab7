import { BitWriter } from '../../bytes/index.js';
import { checkRange, invalidField, unsupportedField } from '../codec-error.js';
import { aacSampleRateIndex, configurationOfChannels, EXPLICIT_SAMPLE_RATE_INDEX, sampleRateBits } from './sample-rates.js';

/** What `buildAudioSpecificConfig` writes. */
export interface AacConfigInput {
  /** Core object type: 1 Main, 2 LC, 3 SSR, 4 LTP. */
  readonly objectType: number;
  /** Core sampling rate in Hz; a rate outside the index table is written explicitly (24 bits). */
  readonly sampleRate: number;
  /** Core channels: 1–6 or 8 (channelConfiguration 1–7). With `ps`, 1 (PS makes stereo of mono). */
  readonly channels: number;
  /** Default 1024. */
  readonly frameLength?: 960 | 1024;
  readonly sbr?: boolean;
  /** Parametric stereo; requires `sbr`. */
  readonly ps?: boolean;
  /** SBR output rate; default twice `sampleRate`. */
  readonly outputSampleRate?: number;
  /**
   * 'hierarchical' (default): object type 5 (or 29 with PS) first, as HE-AAC encoders and FLV
   * write it, so codec string and decoder agree at once. 'backward-compatible': the core config
   * then the 0x2b7 sync extension (1.6.5.2), so a decoder without SBR still plays the core.
   */
  readonly sbrSignalling?: 'hierarchical' | 'backward-compatible';
}

const STRUCTURE = 'AudioSpecificConfig';

/** Writes an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1): bit size first, one allocation. */
export function buildAudioSpecificConfig(input: AacConfigInput): Uint8Array {
  const objectType = checkRange(STRUCTURE, 'audioObjectType', input.objectType, 1, 31);
  if (objectType > 4) throw unsupportedField(STRUCTURE, 'audioObjectType', objectType, 'cannot be written (1–4 only)');
  checkRange(STRUCTURE, 'samplingFrequency', input.sampleRate, 1, 0xffffff);
  const channelConfiguration = configurationOfChannels(input.channels);
  if (channelConfiguration === undefined) throw invalidField(STRUCTURE, 'channels', input.channels, 'has no channelConfiguration (1–6, 8)');
  const sbr = input.sbr === true;
  const ps = input.ps === true;
  if (ps && !sbr) throw invalidField(STRUCTURE, 'ps', 'true', 'requires sbr');
  const outputRate = sbr ? checkRange(STRUCTURE, 'extensionSamplingFrequency', input.outputSampleRate ?? 2 * input.sampleRate, 1, 0xffffff) : 0;
  const hierarchical = sbr && input.sbrSignalling !== 'backward-compatible';

  let bits = 5 + sampleRateBits(input.sampleRate) + 4 + 3;
  if (hierarchical) bits += sampleRateBits(outputRate) + 5;
  else if (sbr) bits += 11 + 5 + 1 + sampleRateBits(outputRate) + (ps ? 12 : 0);

  const w = new BitWriter(Math.ceil(bits / 8));
  w.bits(hierarchical ? (ps ? 29 : 5) : objectType, 5);
  writeSampleRate(w, input.sampleRate);
  w.bits(channelConfiguration, 4);
  if (hierarchical) {
    writeSampleRate(w, outputRate);
    w.bits(objectType, 5);
  }
  // GASpecificConfig: frameLengthFlag, dependsOnCoreCoder 0, extensionFlag 0.
  w.flag(input.frameLength === 960).bits(0, 2);
  if (sbr && !hierarchical) {
    w.bits(0x2b7, 11).bits(5, 5).flag(true);
    writeSampleRate(w, outputRate);
    if (ps) w.bits(0x548, 11).flag(true);
  }
  return w.buf;
}

function writeSampleRate(w: BitWriter, rate: number): void {
  const index = aacSampleRateIndex(rate);
  w.bits(index, 4);
  if (index === EXPLICIT_SAMPLE_RATE_INDEX) w.bits(rate, 24);
}
