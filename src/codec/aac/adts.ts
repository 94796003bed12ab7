import { checkRange, invalidField, truncated } from '../codec-error.js';
import { AAC_SAMPLE_RATES } from './sample-rates.js';

/**
 * ADTS frame header (ISO/IEC 14496-3 1.A.2.2 / 13818-7 6.2), as raw .aac files and MPEG-TS carry
 * AAC. 56 bits, then a 16-bit CRC when protection_absent is 0:
 *
 *   syncword 12 = 0xFFF | ID 1 | layer 2 = 0 | protection_absent 1 | profile_ObjectType 2
 *   | sampling_frequency_index 4 | private_bit 1 | channel_configuration 3 | original_copy 1 | home 1
 *   | copyright_identification_bit 1 | copyright_identification_start 1 | aac_frame_length 13
 *   | adts_buffer_fullness 11 | number_of_raw_data_blocks_in_frame 2
 */
export interface AdtsHeader {
  /** ID: 0 is MPEG-4, 1 is MPEG-2 (same syntax; MPEG-2 has no object types above 3). */
  readonly mpegVersion: 2 | 4;
  readonly protectionAbsent: boolean;
  /** profile_ObjectType + 1: 1 Main, 2 LC, 3 SSR, 4 LTP. ADTS cannot signal SBR or PS. */
  readonly objectType: number;
  readonly sampleRateIndex: number;
  readonly sampleRate: number;
  /** 0: a program_config_element in the payload gives the channels. */
  readonly channelConfiguration: number;
  /** aac_frame_length: the whole frame in bytes, header included. */
  readonly frameLength: number;
  /** 7, or 9 with the CRC. */
  readonly headerLength: 7 | 9;
  /** adts_buffer_fullness; 0x7FF means variable rate. */
  readonly bufferFullness: number;
  /** number_of_raw_data_blocks_in_frame + 1: AAC frames (1024 samples each) in this ADTS frame. */
  readonly rawDataBlocks: number;
}

export interface AdtsFrame {
  readonly header: AdtsHeader;
  /** The raw data block(s) after the header and CRC: a view of the input. */
  readonly payload: Uint8Array;
}

const STRUCTURE = 'ADTS header';
const HEADER_BYTES = 7;
const MAX_FRAME_LENGTH = 0x1fff;

/** Parses the header at `offset` of `bytes`. */
export function parseAdtsHeader(bytes: Uint8Array, offset: number = 0): AdtsHeader {
  if (bytes.length - offset < HEADER_BYTES) throw truncated(STRUCTURE, HEADER_BYTES, Math.max(0, bytes.length - offset), 'bytes', offset);
  const b = (i: number): number => bytes[offset + i]!;
  if (b(0) !== 0xff || (b(1) & 0xf0) !== 0xf0) throw invalidField(STRUCTURE, 'syncword', (b(0) << 4) | (b(1) >>> 4), `is not 0xFFF at byte ${offset}`);
  const layer = (b(1) >>> 1) & 0x03;
  if (layer !== 0) throw invalidField(STRUCTURE, 'layer', layer, 'is not 0');
  const protectionAbsent = (b(1) & 0x01) === 1;
  const sampleRateIndex = (b(2) >>> 2) & 0x0f;
  const sampleRate = AAC_SAMPLE_RATES[sampleRateIndex];
  if (sampleRate === undefined) throw invalidField(STRUCTURE, 'sampling_frequency_index', sampleRateIndex, 'is reserved or escape (not allowed in ADTS)');
  const frameLength = ((b(3) & 0x03) << 11) | (b(4) << 3) | (b(5) >>> 5);
  const headerLength = protectionAbsent ? 7 : 9;
  if (frameLength < headerLength) throw invalidField(STRUCTURE, 'aac_frame_length', frameLength, `is shorter than the ${headerLength}-byte header`);
  return {
    mpegVersion: (b(1) & 0x08) !== 0 ? 2 : 4,
    protectionAbsent,
    objectType: (b(2) >>> 6) + 1,
    sampleRateIndex,
    sampleRate,
    channelConfiguration: ((b(2) & 0x01) << 2) | (b(3) >>> 6),
    frameLength,
    headerLength,
    bufferFullness: ((b(5) & 0x1f) << 6) | (b(6) >>> 2),
    rawDataBlocks: (b(6) & 0x03) + 1,
  };
}

/** What `buildAdtsHeader` writes; an AacConfig spreads into it (objectType, sampleRateIndex, channelConfiguration). */
export interface AdtsHeaderInput {
  readonly objectType: number;
  readonly sampleRateIndex: number;
  readonly channelConfiguration: number;
  /** Bytes of raw AAC data after the header. */
  readonly payloadLength: number;
  /** Default 0x7FF (variable rate). */
  readonly bufferFullness?: number;
  /** Default 1. */
  readonly rawDataBlocks?: number;
  /** Default 4. */
  readonly mpegVersion?: 2 | 4;
}

/** A 7-byte header (protection_absent = 1, no CRC) for a frame of `payloadLength` bytes. */
export function buildAdtsHeader(input: AdtsHeaderInput): Uint8Array {
  const profile = checkRange('ADTS header', 'objectType', input.objectType, 1, 4) - 1;
  const sfi = checkRange('ADTS header', 'sampleRateIndex', input.sampleRateIndex, 0, AAC_SAMPLE_RATES.length - 1);
  const channels = checkRange('ADTS header', 'channelConfiguration', input.channelConfiguration, 0, 7);
  const length = checkRange('ADTS header', 'aac_frame_length', HEADER_BYTES + input.payloadLength, HEADER_BYTES, MAX_FRAME_LENGTH);
  const fullness = checkRange('ADTS header', 'adts_buffer_fullness', input.bufferFullness ?? 0x7ff, 0, 0x7ff);
  const blocks = checkRange('ADTS header', 'rawDataBlocks', input.rawDataBlocks ?? 1, 1, 4) - 1;
  const id = input.mpegVersion === 2 ? 0x08 : 0;
  return Uint8Array.of(
    0xff,
    0xf1 | id,
    (profile << 6) | (sfi << 2) | (channels >>> 2),
    ((channels & 0x03) << 6) | (length >>> 11),
    (length >>> 3) & 0xff,
    ((length & 0x07) << 5) | (fullness >>> 6),
    ((fullness & 0x3f) << 2) | blocks,
  );
}

/**
 * The frame starting at `offset`, or null when `data` ends before the frame does (need more
 * bytes): the resumable form for a caller reading a stream in pieces.
 */
export function nextAdtsFrame(data: Uint8Array, offset: number = 0): AdtsFrame | null {
  if (data.length - offset < HEADER_BYTES) return null;
  const header = parseAdtsHeader(data, offset);
  if (data.length - offset < header.frameLength) return null;
  return { header, payload: data.subarray(offset + header.headerLength, offset + header.frameLength) };
}

/** Every frame of a complete ADTS stream; ERR_CODEC_TRUNCATED if it ends inside a frame. */
export function splitAdts(data: Uint8Array): AdtsFrame[] {
  const frames: AdtsFrame[] = [];
  let offset = 0;
  while (offset < data.length) {
    const frame = nextAdtsFrame(data, offset);
    if (frame === null) {
      const need = data.length - offset < HEADER_BYTES ? HEADER_BYTES : parseAdtsHeader(data, offset).frameLength;
      throw truncated('ADTS stream', need, data.length - offset, 'bytes', offset);
    }
    frames.push(frame);
    offset += frame.header.frameLength;
  }
  return frames;
}
