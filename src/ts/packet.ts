import { MediaError } from '../errors/index.js';

/**
 * Transport stream packets (ISO/IEC 13818-1 2.4.3.2): 188 bytes, a 4-byte header, then an
 * adaptation field, a payload, or both.
 *
 *   sync_byte 0x47 | transport_error 1 | payload_unit_start 1 | priority 1 | PID 13
 *   | scrambling 2 = 00 | adaptation_field_control 2 | continuity_counter 4
 *   adaptation field (2.4.3.4): length 8 | discontinuity 1 | random_access 1 | ES_priority 1
 *   | PCR_flag 1 | OPCR, splicing, private, extension flags 4 = 0 | [PCR 48] | stuffing 0xFF…
 *
 * A payload that does not fill its last packet is padded with adaptation-field stuffing (2.4.3.5),
 * the only padding a PES may have, so every PES ends on a packet boundary.
 */

export const TS_PACKET_BYTES = 188;
export const TS_SYNC_BYTE = 0x47;
const HEADER_BYTES = 4;
/** Bytes after the header: shared by the adaptation field and the payload. */
const BODY_BYTES = TS_PACKET_BYTES - HEADER_BYTES;
/** The 13-bit PID space; 0x1FFF is the null packet. */
export const MAX_PID = 0x1ffe;
/** 2^33: PTS, DTS and PCR base are 33-bit counters of the 90 kHz clock that wrap (2.4.3.5, 2.4.3.7). */
export const TIMESTAMP_MODULUS = 2 ** 33;

const DISCONTINUITY = 0x80;
const RANDOM_ACCESS = 0x40;
const PCR_FLAG = 0x10;
const PCR_BYTES = 6;

/** What the first packet's adaptation field carries. */
export interface AdaptationFields {
  /** program_clock_reference_base in 90 kHz ticks (taken mod 2^33); the 27 MHz extension is 0. */
  readonly pcr?: number;
  /** random_access_indicator: the PES that starts here begins a random access point (an IDR). */
  readonly randomAccess?: boolean;
  /** discontinuity_indicator: the continuity counter, and on the PCR PID the time base, restart here. */
  readonly discontinuity?: boolean;
}

/** One PSI section or PES packet as consecutive packets of one PID. */
export interface PacketRun {
  readonly pid: number;
  /** payload_unit_start_indicator on the first packet (a PES or section begins there). */
  readonly unitStart: boolean;
  readonly adaptation?: AdaptationFields;
  /** The payload in pieces (views), written in order without being joined first. */
  readonly chunks: readonly Uint8Array[];
  /** Sum of the chunks' lengths. */
  readonly byteLength: number;
}

/**
 * continuity_counter per PID (2.4.3.3): +1 mod 16 with every packet that has a payload; a packet
 * with only an adaptation field repeats the last value. Kept by the muxer across segments.
 */
export class ContinuityCounters {
  readonly #last = new Map<number, number>();

  /** The counter for the next packet of `pid` with a payload: 0 for the first. */
  next(pid: number): number {
    const cc = ((this.#last.get(pid) ?? 15) + 1) & 0x0f;
    this.#last.set(pid, cc);
    return cc;
  }

  /** The counter a packet without payload repeats. */
  current(pid: number): number {
    return this.#last.get(pid) ?? 15;
  }
}

/** Bytes of the first packet's adaptation field without stuffing: 0 when it carries nothing. */
function adaptationBytes(a: AdaptationFields | undefined): number {
  if (a === undefined || (a.pcr === undefined && a.randomAccess !== true && a.discontinuity !== true)) return 0;
  return 2 + (a.pcr === undefined ? 0 : PCR_BYTES);
}

/** Packets `run` takes: none for an empty payload without fields, one adaptation-only packet with them. */
export function packetCount(run: PacketRun): number {
  const first = BODY_BYTES - adaptationBytes(run.adaptation);
  if (run.byteLength === 0) return first < BODY_BYTES ? 1 : 0;
  if (run.byteLength <= first) return 1;
  return 1 + Math.ceil((run.byteLength - first) / BODY_BYTES);
}

/** Writes `run` as packetCount(run) packets at `offset` of `out`; returns the offset after them. */
export function writePackets(out: Uint8Array, offset: number, run: PacketRun, counters: ContinuityCounters): number {
  checkRun(run);
  const count = packetCount(run);
  let remaining = run.byteLength;
  let chunk = 0;
  let inChunk = 0;
  for (let p = 0; p < count; p++) {
    const first = p === 0;
    const fields = first ? run.adaptation : undefined;
    const payload = Math.min(remaining, BODY_BYTES - adaptationBytes(fields));
    const cc = payload > 0 ? counters.next(run.pid) : counters.current(run.pid);
    const control = (BODY_BYTES - payload > 0 ? 0x20 : 0) | (payload > 0 ? 0x10 : 0);
    out[offset] = TS_SYNC_BYTE;
    out[offset + 1] = (first && run.unitStart ? 0x40 : 0) | (run.pid >>> 8);
    out[offset + 2] = run.pid & 0xff;
    out[offset + 3] = control | cc;
    let at = writeAdaptationField(out, offset + HEADER_BYTES, BODY_BYTES - payload, fields);
    for (let left = payload; left > 0; ) {
      const piece = run.chunks[chunk]!;
      const n = Math.min(left, piece.length - inChunk);
      out.set(piece.subarray(inChunk, inChunk + n), at);
      at += n;
      left -= n;
      inChunk += n;
      if (inChunk === piece.length) {
        chunk++;
        inChunk = 0;
      }
    }
    remaining -= payload;
    offset += TS_PACKET_BYTES;
  }
  return offset;
}

/** `run` as its own packets, e.g. for tests and for a caller that wants one PES alone. */
export function tsPackets(run: PacketRun, counters: ContinuityCounters = new ContinuityCounters()): Uint8Array {
  const out = new Uint8Array(packetCount(run) * TS_PACKET_BYTES);
  writePackets(out, 0, run, counters);
  return out;
}

/** Writes an adaptation field of exactly `size` bytes (0: none); returns the offset after it. */
function writeAdaptationField(out: Uint8Array, at: number, size: number, fields: AdaptationFields | undefined): number {
  if (size === 0) return at;
  const end = at + size;
  out[at++] = size - 1;
  if (size === 1) return at;
  const flags = (fields?.discontinuity === true ? DISCONTINUITY : 0) | (fields?.randomAccess === true ? RANDOM_ACCESS : 0) | (fields?.pcr === undefined ? 0 : PCR_FLAG);
  out[at++] = flags;
  if (fields?.pcr !== undefined) at = writePcr(out, at, fields.pcr);
  out.fill(0xff, at, end);
  return end;
}

/**
 * program_clock_reference (2.4.3.5): base 33 bits of 90 kHz, 6 reserved bits '1', extension
 * 9 bits of 27 MHz (0 here: our clock is the 90 kHz one). Returns the offset after its 6 bytes.
 */
export function writePcr(out: Uint8Array, at: number, base90kHz: number, extension: number = 0): number {
  const base = wrap33(base90kHz);
  const high = Math.floor(base / 2); // bits 32..1: fits 32 bits
  out[at] = (high >>> 24) & 0xff;
  out[at + 1] = (high >>> 16) & 0xff;
  out[at + 2] = (high >>> 8) & 0xff;
  out[at + 3] = high & 0xff;
  out[at + 4] = ((base % 2) << 7) | 0x7e | ((extension >>> 8) & 0x01);
  out[at + 5] = extension & 0xff;
  return at + PCR_BYTES;
}

/** A 90 kHz time as the 33-bit field value: negative times and times past 2^33 wrap. */
export function wrap33(ticks90kHz: number): number {
  const r = ticks90kHz % TIMESTAMP_MODULUS;
  return r < 0 ? r + TIMESTAMP_MODULUS : r;
}

function checkRun(run: PacketRun): void {
  if (!Number.isInteger(run.pid) || run.pid < 0 || run.pid > MAX_PID) {
    throw new MediaError('ERR_MEDIA_INVALID', `PID ${run.pid} is not from 0 to 0x1FFE`, { pid: run.pid });
  }
  let total = 0;
  for (const c of run.chunks) total += c.length;
  if (total !== run.byteLength) {
    throw new MediaError('ERR_MEDIA_INVALID', `packet run of PID ${run.pid}: chunks total ${total} bytes, byteLength says ${run.byteLength}`, { pid: run.pid, total, byteLength: run.byteLength });
  }
}
