import type { AacConfig } from './audio-specific-config.js';

/**
 * RFC 6381 codec string for MPEG-4 audio, 'mp4a.40.' + object type (RFC 6381 3.3, ISO/IEC 14496-3
 * Table 1.17): 'mp4a.40.2' for AAC-LC, and the type that names the whole decoder for HE-AAC —
 * 'mp4a.40.5' with SBR, 'mp4a.40.29' with SBR + PS — as HLS players and MSE expect (Apple's HLS
 * authoring spec lists exactly these three).
 */
export function aacCodecString(config: Pick<AacConfig, 'objectType' | 'sbr' | 'ps'>): string {
  const type = config.ps ? 29 : config.sbr ? 5 : config.objectType;
  return `mp4a.40.${type}`;
}
