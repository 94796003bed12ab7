import type { BitReader } from '../../bytes/index.js';
import { codecBitReader, invalidField, unsupportedField } from '../codec-error.js';
import { channelsOfConfiguration, readSampleRate } from './sample-rates.js';

/**
 * AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1), the AAC decoder configuration of an FLV AAC
 * sequence header, an MP4 esds and an HLS/CMAF audio track:
 *
 *   audioObjectType 5 bits (31: escape, 32 + 6 more) | samplingFrequencyIndex 4 (15: + 24-bit rate)
 *   | channelConfiguration 4 | [SBR/PS (type 5 or 29): extension rate index (+ rate), core type]
 *   | GASpecificConfig: frameLengthFlag, dependsOnCoreCoder (+ 14-bit delay), extensionFlag …
 *   | [bits left ≥ 16: syncExtensionType 0x2b7, extension type 5, sbrPresentFlag, rate, 0x548 PS]
 */
export interface AacConfig {
  /** The core audio object type (2 = AAC-LC), also when SBR or PS is signalled on top of it. */
  readonly objectType: number;
  /** samplingFrequencyIndex as coded (15: the rate was explicit). */
  readonly sampleRateIndex: number;
  /** Core sampling rate in Hz. */
  readonly sampleRate: number;
  readonly channelConfiguration: number;
  /** Output channels: of the configuration, or 2 with parametric stereo (a mono core). */
  readonly channels: number;
  /** Core frame length from frameLengthFlag. */
  readonly frameLength: 960 | 1024;
  /** Explicitly signalled SBR (HE-AAC), hierarchical (type 5/29) or by the 0x2b7 sync extension. */
  readonly sbr: boolean;
  /** Explicitly signalled parametric stereo (HE-AAC v2). */
  readonly ps: boolean;
  /** The decoder's output rate: the SBR extension rate (usually twice the core), else the core rate. */
  readonly outputSampleRate: number;
  /** PCM samples per frame at the output rate: frameLength, doubled with SBR. */
  readonly samplesPerFrame: number;
}

const STRUCTURE = 'AudioSpecificConfig';
const SBR = 5;
const PS = 29;
/** Object types whose config is GASpecificConfig with 1024/960-sample frames (Table 1.17 ff.). */
const GA_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 4, 6, 17, 19, 20]);
/** Error-resilient types among them, which add epConfig after GASpecificConfig (1.6.2.1). */
const ER_TYPES: ReadonlySet<number> = new Set([17, 19, 20]);
const SYNC_SBR = 0x2b7;
const SYNC_PS = 0x548;

export function parseAudioSpecificConfig(bytes: Uint8Array): AacConfig {
  const r = codecBitReader(bytes, STRUCTURE);
  let objectType = readObjectType(r);
  const core = readSampleRate(r, STRUCTURE, 'samplingFrequencyIndex');
  const channelConfiguration = r.bits(4);
  let sbr = false;
  let ps = false;
  let extensionRate: number | undefined;
  if (objectType === SBR || objectType === PS) {
    sbr = true;
    ps = objectType === PS;
    extensionRate = readSampleRate(r, STRUCTURE, 'extensionSamplingFrequencyIndex').rate;
    objectType = readObjectType(r);
  }
  if (!GA_TYPES.has(objectType)) throw unsupportedField(STRUCTURE, 'audioObjectType', objectType, 'is not an AAC type tidecast handles');
  const frameLength = readGaSpecificConfig(r, objectType, channelConfiguration);
  if (!sbr && r.remaining >= 16) {
    const ext = readSyncExtension(r);
    sbr = ext.sbr;
    ps = ext.ps;
    extensionRate = ext.rate;
  }
  const baseChannels = channelsOfConfiguration(channelConfiguration);
  if (baseChannels === undefined) throw invalidField(STRUCTURE, 'channelConfiguration', channelConfiguration, 'is reserved');
  const outputSampleRate = sbr && extensionRate !== undefined ? extensionRate : core.rate;
  return {
    objectType, sampleRateIndex: core.index, sampleRate: core.rate, channelConfiguration, channels: ps ? 2 : baseChannels,
    frameLength, sbr, ps, outputSampleRate, samplesPerFrame: sbr ? frameLength * 2 : frameLength,
  };
}

/** GetAudioObjectType(): 5 bits, 31 escaping to 32 + the next 6. */
function readObjectType(r: BitReader): number {
  const type = r.bits(5);
  return type === 31 ? 32 + r.bits(6) : type;
}

/** GASpecificConfig (4.4.1) and, for error-resilient types, epConfig. */
function readGaSpecificConfig(r: BitReader, objectType: number, channelConfiguration: number): 960 | 1024 {
  const frameLength = r.flag() ? 960 : 1024;
  if (r.flag()) r.skip(14); // dependsOnCoreCoder → coreCoderDelay
  const extensionFlag = r.flag();
  if (channelConfiguration === 0) {
    throw unsupportedField(STRUCTURE, 'channelConfiguration', 0, '(a program_config_element) is not supported');
  }
  if (objectType === 6 || objectType === 20) r.skip(3); // layerNr
  if (extensionFlag) {
    if (ER_TYPES.has(objectType)) r.skip(3); // aacSectionDataResilienceFlag, aacScalefactorDataResilienceFlag, aacSpectralDataResilienceFlag
    r.skip(1); // extensionFlag3
  }
  if (ER_TYPES.has(objectType)) {
    const epConfig = r.bits(2);
    if (epConfig >= 2) throw unsupportedField(STRUCTURE, 'epConfig', epConfig, '(ErrorProtectionSpecificConfig) is not supported');
  }
  return frameLength;
}

/** The backward-compatible extension (1.6.5.2): SBR and PS signalled after the core config. */
function readSyncExtension(r: BitReader): { sbr: boolean; ps: boolean; rate: number | undefined } {
  const none = { sbr: false, ps: false, rate: undefined };
  if (r.bits(11) !== SYNC_SBR) return none;
  if (readObjectType(r) !== SBR) return none;
  if (!r.flag()) return none;
  const rate = readSampleRate(r, STRUCTURE, 'extensionSamplingFrequencyIndex').rate;
  const ps = r.remaining >= 12 && r.bits(11) === SYNC_PS && r.flag();
  return { sbr: true, ps, rate };
}
