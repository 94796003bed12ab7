import { ByteWriter, type ByteReader } from '../../bytes/index.js';
import { checkRange, codecByteReader, invalidField, truncated, unsupportedField } from '../codec-error.js';
import { checkNalLengthSize, type NalLengthSize } from '../nal/length-prefixed.js';
import { parseH264Sps } from './sps.js';

/**
 * AVCDecoderConfigurationRecord ("avcC", ISO/IEC 14496-15 5.3.3.1), the H.264 decoder
 * configuration an FLV AVC sequence header and an MP4 avc1 sample entry carry:
 *
 *   u8 configurationVersion = 1 | u8 AVCProfileIndication | u8 profile_compatibility
 *   u8 AVCLevelIndication | 6 bits '1' + u2 lengthSizeMinusOne | 3 bits '1' + u5 numOfSPS
 *   { u16 length, SPS NAL unit } × numOfSPS | u8 numOfPPS | { u16 length, PPS NAL unit } × numOfPPS
 *   profiles 100, 110, 122, 144 only: 6 bits '1' + u2 chroma_format | 5 bits '1' + u3 bit_depth_luma_minus8
 *   | 5 bits '1' + u3 bit_depth_chroma_minus8 | u8 numOfSPSExt | { u16 length, SPS extension } × n
 *
 * Parameter sets come back as views of the record's bytes.
 */
export interface AvcConfig {
  readonly profileIdc: number;
  readonly profileCompatibility: number;
  readonly levelIdc: number;
  /** Bytes of each NAL unit's length prefix in the samples (lengthSizeMinusOne + 1). */
  readonly nalLengthSize: NalLengthSize;
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
  /** The High-profile fields, when the record has them (writers before 2010, and FFmpeg 5, omit them). */
  readonly ext?: AvcConfigExt;
}

export interface AvcConfigExt {
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly spsExt: readonly Uint8Array[];
}

const STRUCTURE = 'avcC';
/** Profiles for which 14496-15 5.3.3.1.2 appends chroma_format and bit depths to the record. */
const EXT_PROFILES: ReadonlySet<number> = new Set([100, 110, 122, 144]);

export function parseAvcC(bytes: Uint8Array): AvcConfig {
  const r = codecByteReader(bytes, STRUCTURE);
  r.need(6);
  const version = r.u8();
  if (version !== 1) throw unsupportedField(STRUCTURE, 'configurationVersion', version, 'is not 1');
  const profileIdc = r.u8();
  const profileCompatibility = r.u8();
  const levelIdc = r.u8();
  const lengthSize = (r.u8() & 0x03) + 1;
  if (lengthSize === 3) throw invalidField(STRUCTURE, 'lengthSizeMinusOne', 2, 'is not 0, 1 or 3');
  const sps = readUnits(r, r.u8() & 0x1f);
  const pps = readUnits(r, r.u8());
  const config = { profileIdc, profileCompatibility, levelIdc, nalLengthSize: lengthSize as NalLengthSize, sps, pps };
  if (!EXT_PROFILES.has(profileIdc) || r.remaining < 4) return config;
  const chromaFormatIdc = r.u8() & 0x03;
  const bitDepthLuma = (r.u8() & 0x07) + 8;
  const bitDepthChroma = (r.u8() & 0x07) + 8;
  const spsExt = readUnits(r, r.u8());
  return { ...config, ext: { chromaFormatIdc, bitDepthLuma, bitDepthChroma, spsExt } };
}

function readUnits(r: ByteReader, count: number): Uint8Array[] {
  const units: Uint8Array[] = [];
  for (let i = 0; i < count; i++) units.push(r.bytes(r.u16()));
  return units;
}

/** Writes a record: size first, one allocation, one pass. The `ext` fields are written when given. */
export function buildAvcC(config: AvcConfig): Uint8Array {
  checkNalLengthSize(STRUCTURE, config.nalLengthSize);
  checkRange(STRUCTURE, 'numOfSequenceParameterSets', config.sps.length, 0, 31);
  checkRange(STRUCTURE, 'numOfPictureParameterSets', config.pps.length, 0, 255);
  for (const [field, value] of [['AVCProfileIndication', config.profileIdc], ['profile_compatibility', config.profileCompatibility], ['AVCLevelIndication', config.levelIdc]] as const) {
    checkRange(STRUCTURE, field, value, 0, 255);
  }
  const ext = config.ext;
  let size = 7 + unitsSize(config.sps) + unitsSize(config.pps);
  if (ext !== undefined) {
    checkRange(STRUCTURE, 'chroma_format', ext.chromaFormatIdc, 0, 3);
    checkRange(STRUCTURE, 'bit_depth_luma', ext.bitDepthLuma, 8, 15);
    checkRange(STRUCTURE, 'bit_depth_chroma', ext.bitDepthChroma, 8, 15);
    checkRange(STRUCTURE, 'numOfSequenceParameterSetExt', ext.spsExt.length, 0, 255);
    size += 4 + unitsSize(ext.spsExt);
  }
  const w = new ByteWriter(size);
  w.u8(1).u8(config.profileIdc).u8(config.profileCompatibility).u8(config.levelIdc);
  w.u8(0xfc | (config.nalLengthSize - 1)).u8(0xe0 | config.sps.length);
  writeUnits(w, config.sps);
  w.u8(config.pps.length);
  writeUnits(w, config.pps);
  if (ext !== undefined) {
    w.u8(0xfc | ext.chromaFormatIdc).u8(0xf8 | (ext.bitDepthLuma - 8)).u8(0xf8 | (ext.bitDepthChroma - 8)).u8(ext.spsExt.length);
    writeUnits(w, ext.spsExt);
  }
  return w.buf;
}

function unitsSize(units: readonly Uint8Array[]): number {
  let size = 0;
  for (const nal of units) size += 2 + checkRange(STRUCTURE, 'NAL unit length', nal.length, 1, 0xffff);
  return size;
}

function writeUnits(w: ByteWriter, units: readonly Uint8Array[]): void {
  for (const nal of units) w.u16(nal.length).bytes(nal);
}

/**
 * The record for parameter sets found in a stream (an Annex B source, an Enhanced RTMP encoder):
 * profile, compatibility and level are the first SPS's bytes 1–3, as 14496-15 requires, and for
 * the High profiles the chroma and bit depth fields come from parsing it.
 */
export function avcConfigFromParameterSets(sps: readonly Uint8Array[], pps: readonly Uint8Array[], nalLengthSize: NalLengthSize = 4): AvcConfig {
  const first = sps[0];
  if (first === undefined) throw invalidField(STRUCTURE, 'numOfSequenceParameterSets', 0, 'is 0; a configuration needs an SPS');
  if (first.length < 4) throw truncated('H.264 SPS', 4, first.length, 'bytes', 0);
  const config = { profileIdc: first[1]!, profileCompatibility: first[2]!, levelIdc: first[3]!, nalLengthSize, sps, pps };
  if (!EXT_PROFILES.has(config.profileIdc)) return config;
  const parsed = parseH264Sps(first);
  return { ...config, ext: { chromaFormatIdc: parsed.chromaFormatIdc, bitDepthLuma: parsed.bitDepthLuma, bitDepthChroma: parsed.bitDepthChroma, spsExt: [] } };
}
