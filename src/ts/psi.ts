import { crc32Mpeg2 } from './crc32.js';

/**
 * Program specific information (ISO/IEC 13818-1 2.4.4): one program, so one PAT section on PID 0
 * naming the PMT's PID, and one PMT section listing an elementary stream per track.
 *
 *   PAT: table_id 0x00 | '1' '0' '11' section_length 12 | transport_stream_id 16
 *        | '11' version 5 | current_next 1 | section_number 8 | last_section_number 8
 *        | { program_number 16 | '111' program_map_PID 13 } | CRC_32
 *   PMT: table_id 0x02 | '1' '0' '11' section_length 12 | program_number 16
 *        | '11' version 5 | current_next 1 | section_number 8 | last_section_number 8
 *        | '111' PCR_PID 13 | '1111' program_info_length 12 = 0
 *        | { stream_type 8 | '111' elementary_PID 13 | '1111' ES_info_length 12 = 0 } … | CRC_32
 *
 * A section is sent after a pointer_field of 0 (2.4.4.2) and the rest of its packet stuffed 0xFF.
 */

export const PAT_PID = 0x0000;
/** program_number of our one program. */
export const PROGRAM_NUMBER = 1;
const TRANSPORT_STREAM_ID = 1;

/** stream_type values (13818-1 Table 2-34 and its amendments). */
export const STREAM_TYPE = {
  /** ISO/IEC 13818-7 AAC with ADTS transport syntax. */
  aacAdts: 0x0f,
  /** ITU-T H.264 | ISO/IEC 14496-10. */
  h264: 0x1b,
  /** ITU-T H.265 | ISO/IEC 23008-2. */
  hevc: 0x24,
} as const;

export interface PmtStream {
  readonly streamType: number;
  readonly pid: number;
}

export interface PmtInput {
  readonly pcrPid: number;
  readonly streams: readonly PmtStream[];
  /** version_number (5 bits), to be changed whenever the PMT's content does. Default 0. */
  readonly version?: number;
}

/**
 * A section's payload fills its packet: the bytes after the CRC are 0xFF stuffing (2.4.4.1), as
 * decoders expect after the last section rather than adaptation-field stuffing.
 */
const PSI_PAYLOAD_BYTES = 184;
/** Streams one PMT packet holds: (184 − pointer 1 − header 12 − CRC 4) / 5 bytes per stream. */
export const MAX_PMT_STREAMS = 33;

/** The PAT section, pointer_field first, stuffed to one packet's payload. */
export function patPayload(pmtPid: number): Uint8Array {
  const body = [PROGRAM_NUMBER >>> 8, PROGRAM_NUMBER & 0xff, 0xe0 | (pmtPid >>> 8), pmtPid & 0xff];
  return section(0x00, TRANSPORT_STREAM_ID, 0, body);
}

/** The PMT section, pointer_field first, stuffed to one packet's payload (≤ MAX_PMT_STREAMS streams). */
export function pmtPayload(input: PmtInput): Uint8Array {
  const body = [0xe0 | (input.pcrPid >>> 8), input.pcrPid & 0xff, 0xf0, 0x00];
  for (const s of input.streams) body.push(s.streamType, 0xe0 | (s.pid >>> 8), s.pid & 0xff, 0xf0, 0x00);
  return section(0x02, PROGRAM_NUMBER, input.version ?? 0, body);
}

/** pointer_field + a long-form section (section_syntax_indicator 1) around `body`, with its CRC_32. */
function section(tableId: number, idExtension: number, version: number, body: readonly number[]): Uint8Array {
  // section_length counts from after itself: 5 bytes of extension header, the body, the CRC.
  const sectionLength = 5 + body.length + 4;
  const crcAt = 1 + 3 + sectionLength - 4;
  const out = new Uint8Array(Math.max(PSI_PAYLOAD_BYTES, crcAt + 4)).fill(0xff);
  out.set(
    [0x00, tableId, 0xb0 | (sectionLength >>> 8), sectionLength & 0xff, idExtension >>> 8, idExtension & 0xff, 0xc1 | ((version & 0x1f) << 1), 0x00, 0x00],
    0,
  );
  out.set(body, 9);
  const crc = crc32Mpeg2(out, 1, crcAt);
  out[crcAt] = crc >>> 24;
  out[crcAt + 1] = (crc >>> 16) & 0xff;
  out[crcAt + 2] = (crc >>> 8) & 0xff;
  out[crcAt + 3] = crc & 0xff;
  return out;
}
