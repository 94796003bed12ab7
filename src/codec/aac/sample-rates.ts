import type { BitReader } from '../../bytes/index.js';
import { invalidField } from '../codec-error.js';

/** samplingFrequencyIndex 0..12 (ISO/IEC 14496-3 Table 1.18); 13 and 14 are reserved, 15 is "explicit". */
export const AAC_SAMPLE_RATES: readonly number[] = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** samplingFrequencyIndex value after which a 24-bit samplingFrequency follows. */
export const EXPLICIT_SAMPLE_RATE_INDEX = 15;

/** The index for `rate`, or 15 (explicit) when the table lacks it. */
export function aacSampleRateIndex(rate: number): number {
  const index = AAC_SAMPLE_RATES.indexOf(rate);
  return index >= 0 ? index : EXPLICIT_SAMPLE_RATE_INDEX;
}

/** Reads samplingFrequencyIndex and, at 15, the explicit 24-bit rate. */
export function readSampleRate(r: BitReader, structure: string, field: string): { index: number; rate: number } {
  const index = r.bits(4);
  if (index === EXPLICIT_SAMPLE_RATE_INDEX) {
    const rate = r.bits(24);
    if (rate === 0) throw invalidField(structure, field.replace(/Index$/, ''), 0, 'is zero');
    return { index, rate };
  }
  const rate = AAC_SAMPLE_RATES[index];
  if (rate === undefined) throw invalidField(structure, field, index, 'is reserved');
  return { index, rate };
}

/** Bits `writeSampleRate` needs for `rate`. */
export function sampleRateBits(rate: number): number {
  return aacSampleRateIndex(rate) === EXPLICIT_SAMPLE_RATE_INDEX ? 28 : 4;
}

/**
 * Channels of channelConfiguration (Table 1.19, with the values 11–14 of the 2009+ amendments);
 * 0 means a program_config_element defines them, and 8–10 and 15 are reserved.
 */
export function channelsOfConfiguration(configuration: number): number | undefined {
  if (configuration >= 1 && configuration <= 6) return configuration;
  return CHANNELS_ABOVE_6[configuration];
}

const CHANNELS_ABOVE_6: Readonly<Record<number, number>> = Object.freeze({ 7: 8, 11: 7, 12: 8, 13: 24, 14: 8 });

/** channelConfiguration for a channel count a builder accepts (1–6, 8). */
export function configurationOfChannels(channels: number): number | undefined {
  if (channels >= 1 && channels <= 6 && Number.isInteger(channels)) return channels;
  return channels === 8 ? 7 : undefined;
}
