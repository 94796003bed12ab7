export { parseAudioSpecificConfig } from './audio-specific-config.js';
export type { AacConfig } from './audio-specific-config.js';
export { buildAudioSpecificConfig } from './build-audio-specific-config.js';
export type { AacConfigInput } from './build-audio-specific-config.js';
export { parseAdtsHeader, buildAdtsHeader, nextAdtsFrame, splitAdts } from './adts.js';
export type { AdtsHeader, AdtsHeaderInput, AdtsFrame } from './adts.js';
export { aacCodecString } from './codec-string.js';
export { AAC_SAMPLE_RATES, aacSampleRateIndex } from './sample-rates.js';
