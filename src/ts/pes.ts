import { MediaError } from '../errors/index.js';
import { rescale } from '../media/index.js';
import { wrap33 } from './packet.js';

/**
 * PES packet header (ISO/IEC 13818-1 2.4.3.6/2.4.3.7), the form every audio and video PES takes:
 *
 *   packet_start_code_prefix 24 = 0x000001 | stream_id 8 | PES_packet_length 16
 *   | '10' scrambling 2 | priority 1 | data_alignment_indicator 1 = 1 | copyright 1 | original 1
 *   | PTS_DTS_flags 2 | ESCR, ES_rate, DSM_trick, additional_copy, CRC, extension flags 6 = 0
 *   | PES_header_data_length 8 | PTS 40 | [DTS 40]
 *
 * PTS and DTS: '0010' (PTS alone) / '0011' + '0001' (both), then the 33 bits as 3 + 15 + 15 with a
 * marker bit '1' after each part. DTS is written only when it differs from PTS (2.4.3.7: a DTS equal
 * to the PTS shall not be coded).
 */

/** stream_id of the first video and audio streams (Table 2-22: 1110 xxxx video, 110x xxxx audio). */
export const VIDEO_STREAM_ID = 0xe0;
export const AUDIO_STREAM_ID = 0xc0;
/** The 90 kHz system clock PTS, DTS and the PCR base count in. */
export const MPEG_TIMESCALE = 90_000;
/** Largest PES_packet_length; only a video PES may say 0 (unbounded) instead (2.4.3.7). */
export const MAX_PES_PACKET_LENGTH = 0xffff;
const TIMESTAMP_BYTES = 5;
/** Bytes of the header after PES_packet_length and before the timestamps. */
const FLAG_BYTES = 3;

export interface PesHeaderInput {
  readonly streamId: number;
  /** 90 kHz ticks; taken mod 2^33. */
  readonly pts: number;
  /** 90 kHz ticks; omitted (or equal to pts) writes PTS alone. */
  readonly dts?: number;
  /** Bytes of elementary stream data after the header. */
  readonly payloadLength: number;
}

/** Bytes of the header for these timestamps: 14 with PTS alone, 19 with DTS as well. */
export function pesHeaderLength(pts: number, dts: number | undefined): number {
  return 6 + FLAG_BYTES + (hasDts(pts, dts) ? 2 : 1) * TIMESTAMP_BYTES;
}

/**
 * The header of a PES whose payload is `payloadLength` bytes. A video PES too long for the 16-bit
 * length says 0 (unbounded); any other stream throws ERR_MEDIA_INVALID, as it must be split.
 */
export function pesHeader(input: PesHeaderInput): Uint8Array {
  const withDts = hasDts(input.pts, input.dts);
  const out = new Uint8Array(pesHeaderLength(input.pts, input.dts));
  const headerData = out.length - 6 - FLAG_BYTES;
  let length = FLAG_BYTES + headerData + input.payloadLength;
  if (length > MAX_PES_PACKET_LENGTH) {
    if ((input.streamId & 0xf0) !== VIDEO_STREAM_ID) {
      throw new MediaError('ERR_MEDIA_INVALID', `a PES of stream ${input.streamId} would be ${length} bytes, above ${MAX_PES_PACKET_LENGTH}`, { streamId: input.streamId, length });
    }
    length = 0;
  }
  out.set([0x00, 0x00, 0x01, input.streamId, length >>> 8, length & 0xff, 0x84, withDts ? 0xc0 : 0x80, headerData], 0);
  writeTimestamp(out, 9, withDts ? 0b0011 : 0b0010, input.pts);
  if (withDts) writeTimestamp(out, 14, 0b0001, input.dts!);
  return out;
}

/** A PTS or DTS field: 4-bit `prefix`, then the 33-bit value split 3/15/15, each part followed by a marker bit. */
export function writeTimestamp(out: Uint8Array, at: number, prefix: number, ticks90kHz: number): void {
  const t = wrap33(ticks90kHz);
  const top = Math.floor(t / 2 ** 30); // bits 32..30
  const low = t % 2 ** 30; // bits 29..0: plain 32-bit arithmetic from here
  out[at] = (prefix << 4) | (top << 1) | 1;
  out[at + 1] = (low >>> 22) & 0xff;
  out[at + 2] = ((low >>> 14) & 0xfe) | 1;
  out[at + 3] = (low >>> 7) & 0xff;
  out[at + 4] = ((low << 1) & 0xfe) | 1;
}

/**
 * A time of `timescale` ticks on the 90 kHz clock, rounded to the nearest tick from the absolute
 * value, so rounding never accumulates along a track. Not wrapped: callers compare and subtract
 * these, and the 33-bit wrap happens only when a field is written. Throws ERR_MEDIA_INVALID for a
 * non-integer time or a bad timescale.
 */
export function to90kHz(ticks: number, timescale: number): number {
  return rescale(ticks, timescale, MPEG_TIMESCALE);
}

function hasDts(pts: number, dts: number | undefined): boolean {
  return dts !== undefined && wrap33(dts) !== wrap33(pts);
}
