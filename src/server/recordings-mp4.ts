import { CmafError } from '../errors/index.js';
import { MULTI_TRACK_HEADER_BRANDS, MOVIE_TIMESCALE } from '../cmaf/index.js';
import { encodeBoxes, ftyp } from '../cmaf/box/index.js';

/**
 * The box surgery behind a recording's export (recordings-export.ts): the recorder keeps the
 * packager's CMAF as it was served — one track per init segment and per fragment — and an export
 * is one fragmented MP4 file with every track, so the headers are merged and the fragments are
 * renumbered, with no sample touched (ISO/IEC 14496-12 box offsets cited per field).
 *
 *   ftyp                     iso6 mp41 dash (several tracks: not a CMAF header), or the track's own
 *   moov
 *   ├─ mvhd                  the first header's, duration = the export's, next_track_ID = n + 1
 *   ├─ trak …                each header's trak, tkhd track_ID = 1..n in the order given
 *   └─ mvex
 *      ├─ mehd               fragment_duration: the export's length, for readers that show it
 *      └─ trex …             each header's trex, track_ID renumbered likewise
 *   moof mdat …              each fragment: mfhd sequence_number renumbered, tfhd track_ID
 *                            renumbered, tfdt moved so the export starts at 0
 *
 * A fragment's trun data_offset counts from its own moof (default-base-is-moof, which the
 * packager sets), so a moof keeps its mdat right behind it and moves as a pair; styp and any
 * other top-level box of a segment are left out.
 */

export interface BoxRef {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  /** Where the payload starts: 8, or 16 with a 64-bit largesize. */
  readonly body: number;
}

/** The boxes laid end to end in `bytes[from, to)` (4.2: size 1 = largesize follows, 0 = to the end). */
export function listBoxes(bytes: Uint8Array, from = 0, to = bytes.byteLength): BoxRef[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BoxRef[] = [];
  let at = from;
  while (at + 8 <= to) {
    let size = view.getUint32(at);
    let body = at + 8;
    if (size === 1) {
      if (at + 16 > to) break;
      size = Number(view.getBigUint64(at + 8));
      body = at + 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < body - at || at + size > to) throw malformed(`box at ${at} claims ${size} bytes of ${to - at}`);
    out.push({ type: String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!), start: at, end: at + size, body });
    at += size;
  }
  if (at !== to) throw malformed(`${to - at} bytes after the last whole box`);
  return out;
}

/** The first child box of `parent` of `type`. */
export function child(bytes: Uint8Array, parent: BoxRef, type: string): BoxRef | undefined {
  return listBoxes(bytes, parent.body, parent.end).find((b) => b.type === type);
}

export function required(box: BoxRef | undefined, what: string): BoxRef {
  if (box === undefined) throw malformed(`no ${what}`);
  return box;
}

export function malformed(message: string): CmafError {
  return new CmafError('ERR_CMAF_INVALID', `export: ${message}`, {});
}

/** A track's header as the export uses it. */
export interface TrackHeader {
  readonly bytes: Uint8Array;
  /** mdhd timescale (8.4.2.3). */
  readonly timescale: number;
}

/** The parts of an init segment the export needs; throws ERR_CMAF_INVALID if one is missing. */
export function readTrackHeader(bytes: Uint8Array): TrackHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const moov = required(listBoxes(bytes).find((b) => b.type === 'moov'), 'moov');
  const trak = required(child(bytes, moov, 'trak'), 'trak');
  const mdia = required(child(bytes, trak, 'mdia'), 'mdia');
  const mdhd = required(child(bytes, mdia, 'mdhd'), 'mdhd');
  // 8.4.2.2: version 1 has 64-bit creation and modification times before the timescale.
  const timescale = view.getUint32(mdhd.body + 4 + (bytes[mdhd.body] === 1 ? 16 : 8));
  if (timescale === 0) throw malformed('mdhd timescale 0');
  return { bytes, timescale };
}

/** One header holding every track of `headers`, renumbered 1..n, lasting `durationMs`. */
export function mergeHeaders(headers: readonly TrackHeader[], durationMs: number): Uint8Array {
  const first = headers[0]!.bytes;
  const traks: Uint8Array[] = [];
  const trexes: Uint8Array[] = [];
  headers.forEach(({ bytes }, i) => {
    const moov = required(listBoxes(bytes).find((b) => b.type === 'moov'), 'moov');
    const trak = required(child(bytes, moov, 'trak'), 'trak');
    const trex = required(child(bytes, required(child(bytes, moov, 'mvex'), 'mvex'), 'trex'), 'trex');
    const tkhd = required(child(bytes, trak, 'tkhd'), 'tkhd');
    const trakCopy = bytes.slice(trak.start, trak.end);
    // 8.3.2.2: track_ID follows the creation and modification times (32- or 64-bit by version).
    view(trakCopy).setUint32(tkhd.body - trak.start + 4 + (bytes[tkhd.body] === 1 ? 16 : 8), i + 1);
    const trexCopy = bytes.slice(trex.start, trex.end);
    view(trexCopy).setUint32(trex.body - trex.start + 4, i + 1); // 8.8.3.2: track_ID first
    traks.push(trakCopy);
    trexes.push(trexCopy);
  });
  const firstMoov = required(listBoxes(first).find((b) => b.type === 'moov'), 'moov');
  const mvhd = required(child(first, firstMoov, 'mvhd'), 'mvhd');
  const header = movieHeader(first.slice(mvhd.start, mvhd.end), mvhd.body - mvhd.start, durationMs, headers.length + 1);
  const mehd = fullBoxBytes('mehd', 0, 4, (v, at) => v.setUint32(at, Math.round(durationMs)));
  const mvex = boxBytes('mvex', [mehd, ...trexes]);
  const moov = boxBytes('moov', [header, ...traks, mvex]);
  const brands = headers.length === 1 ? first.slice(0, required(listBoxes(first).find((b) => b.type === 'ftyp'), 'ftyp').end) : encodeBoxes([ftyp(MULTI_TRACK_HEADER_BRANDS)]);
  return concat([brands, moov]);
}

/** mvhd with the export's duration in MOVIE_TIMESCALE ticks (8.2.2.2; both versions) and next_track_ID. */
function movieHeader(mvhd: Uint8Array, body: number, durationMs: number, nextTrackId: number): Uint8Array {
  const v = view(mvhd);
  const version1 = mvhd[body] === 1;
  const timescaleAt = body + 4 + (version1 ? 16 : 8);
  v.setUint32(timescaleAt, MOVIE_TIMESCALE);
  const ticks = Math.round(durationMs);
  if (version1) v.setBigUint64(timescaleAt + 4, BigInt(ticks));
  else v.setUint32(timescaleAt + 4, Math.min(ticks, 0xffff_ffff));
  v.setUint32(mvhd.byteLength - 4, nextTrackId);
  return mvhd;
}

/** A moof with its mdat, from a segment, ready to be renumbered. */
export interface FragmentPair {
  /** The moof and mdat bytes (a view of the segment read, which this module patches in place). */
  readonly bytes: Uint8Array;
  /** tfdt after the move, in the track's ticks. */
  readonly decodeTicks: number;
  /** Where mfhd's sequence_number is in `bytes`. */
  readonly sequenceAt: number;
}

/**
 * The moof+mdat pairs of a CMAF segment (as the recorder keeps it: [styp] moof mdat [moof mdat]…),
 * each with tfhd's track_ID set to `trackId` and tfdt moved back by `shiftTicks`. The segment's
 * bytes are patched in place: pass a buffer this owns.
 */
export function segmentFragments(segment: Uint8Array, trackId: number, shiftTicks: number): FragmentPair[] {
  const v = view(segment);
  const top = listBoxes(segment);
  const out: FragmentPair[] = [];
  for (let i = 0; i < top.length; i++) {
    const moof = top[i]!;
    if (moof.type !== 'moof') continue;
    const mdat = top[i + 1];
    if (mdat?.type !== 'mdat') throw malformed(`moof at ${moof.start} without its mdat`);
    const mfhd = required(child(segment, moof, 'mfhd'), 'mfhd');
    const traf = required(child(segment, moof, 'traf'), 'traf');
    const tfhd = required(child(segment, traf, 'tfhd'), 'tfhd');
    const tfdt = required(child(segment, traf, 'tfdt'), 'tfdt');
    v.setUint32(tfhd.body + 4, trackId); // 8.8.7.2: track_ID after version and flags
    const decodeTicks = moveDecodeTime(v, tfdt, segment[tfdt.body] === 1, shiftTicks);
    out.push({ bytes: segment.subarray(moof.start, mdat.end), decodeTicks, sequenceAt: mfhd.body + 4 - moof.start });
    i += 1;
  }
  return out;
}

/** 8.8.12.2 baseMediaDecodeTime (u64 in version 1, u32 in 0), less `shiftTicks`; the new value. */
function moveDecodeTime(v: DataView, tfdt: BoxRef, version1: boolean, shiftTicks: number): number {
  const at = tfdt.body + 4;
  const before = version1 ? Number(v.getBigUint64(at)) : v.getUint32(at);
  const after = Math.max(0, before - shiftTicks);
  if (version1) v.setBigUint64(at, BigInt(after));
  else v.setUint32(at, after);
  return after;
}

/** The first fragment's baseMediaDecodeTime of a segment, unmoved. */
export function firstDecodeTicks(segment: Uint8Array): number {
  const moof = required(listBoxes(segment).find((b) => b.type === 'moof'), 'moof');
  const tfdt = required(child(segment, required(child(segment, moof, 'traf'), 'traf'), 'tfdt'), 'tfdt');
  const v = view(segment);
  return segment[tfdt.body] === 1 ? Number(v.getBigUint64(tfdt.body + 4)) : v.getUint32(tfdt.body + 4);
}

/** 8.8.5.2 sequence_number of a pair. */
export function renumber(pair: FragmentPair, sequenceNumber: number): void {
  view(pair.bytes).setUint32(pair.sequenceAt, sequenceNumber);
}

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A box of `type` around `children` (bytes). */
export function boxBytes(type: string, children: readonly Uint8Array[]): Uint8Array {
  const size = 8 + children.reduce((n, c) => n + c.byteLength, 0);
  const out = new Uint8Array(size);
  view(out).setUint32(0, size);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  let at = 8;
  for (const c of children) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** A full box (version, flags 0) of `bodyBytes`, written by `write` from `at`. */
export function fullBoxBytes(type: string, version: number, bodyBytes: number, write: (v: DataView, at: number) => void): Uint8Array {
  const out = boxBytes(type, [new Uint8Array(4 + bodyBytes)]);
  out[8] = version;
  write(view(out), 12);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
