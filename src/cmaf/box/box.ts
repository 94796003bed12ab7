import { ByteWriter } from '../../bytes/index.js';
import { CmafError } from '../../errors/index.js';

/**
 * The box model every writer in this folder builds on (ISO/IEC 14496-12 4.2, "Object structure").
 *
 * A box knows its whole size before any byte is written, so a segment is encoded by one size
 * pass (summing `byteLength` up the tree, done when the boxes are built), one allocation at the
 * root and one write pass in which every box writes its own header and body straight into that
 * buffer. Nothing is assembled per nesting level, unlike builders that concatenate child arrays
 * at every level and copy the same bytes once per depth.
 *
 *   Box { type, byteLength, writeTo(w) }
 *     leaf:      size u32 | type u32 | body
 *     full box:  size u32 | type u32 | version u8 | flags u24 | body      (4.2 FullBox)
 *     container: size u32 | type u32 | child boxes
 *
 * Only 32-bit `size` is written: a live CMAF header or fragment never nears 4 GiB, and a size
 * that would need `largesize` is refused (ERR_CMAF_INVALID) rather than silently truncated.
 */
export interface Box {
  /** Four-character code, e.g. 'moov' (4.2 BoxHeader.type). */
  readonly type: string;
  /** Size of the whole box in bytes, header included. */
  readonly byteLength: number;
  /** Writes exactly `byteLength` bytes at `w.pos`. */
  writeTo(w: ByteWriter): void;
}

/** size + type (4.2). */
export const BOX_HEADER_BYTES = 8;
/** size + type + version + flags (4.2 FullBox). */
export const FULL_BOX_HEADER_BYTES = 12;
const MAX_U32 = 0xffff_ffff;

/** A four-character code as the big-endian u32 it is written as (4.2: type is 4 bytes). */
export function fourcc(code: string): number {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const c = code.charCodeAt(i);
    if (!(c >= 0x20 && c <= 0x7e) || code.length !== 4) {
      throw new CmafError('ERR_CMAF_INVALID', `four-character code must be 4 printable ASCII characters, got "${code}"`, { code });
    }
    value = value * 0x100 + c;
  }
  return value;
}

function checkSize(type: string, byteLength: number): void {
  if (byteLength > MAX_U32) {
    throw new CmafError('ERR_CMAF_INVALID', `box '${type}' would be ${byteLength} bytes, beyond the 32-bit size field`, {
      type,
      byteLength,
    });
  }
}

/** A box with a fixed body written by `writeBody` (which must write exactly `bodyBytes`). */
export function leafBox(type: string, bodyBytes: number, writeBody: (w: ByteWriter) => void): Box {
  const code = fourcc(type);
  const byteLength = BOX_HEADER_BYTES + bodyBytes;
  checkSize(type, byteLength);
  return {
    type,
    byteLength,
    writeTo(w) {
      w.u32(byteLength).u32(code);
      writeBody(w);
    },
  };
}

/** A FullBox (4.2): the body follows version and flags. */
export function fullBox(type: string, version: number, flags: number, bodyBytes: number, writeBody: (w: ByteWriter) => void): Box {
  const code = fourcc(type);
  const byteLength = FULL_BOX_HEADER_BYTES + bodyBytes;
  checkSize(type, byteLength);
  return {
    type,
    byteLength,
    writeTo(w) {
      w.u32(byteLength).u32(code).u8(version).u24(flags);
      writeBody(w);
    },
  };
}

/** A box whose payload is its children (moov, trak, mdia, minf, stbl, dinf, mvex, moof, traf). */
export function containerBox(type: string, children: readonly Box[]): Box {
  return leafBox(type, sumByteLength(children), (w) => {
    for (const child of children) writeBox(w, child);
  });
}

export function sumByteLength(boxes: readonly Box[]): number {
  let total = 0;
  for (const box of boxes) total += box.byteLength;
  return total;
}

/**
 * Writes one box and checks it wrote what it declared: a size mismatch is a bug in a writer, and
 * catching it at the box that caused it beats a parser failing somewhere downstream.
 */
export function writeBox(w: ByteWriter, box: Box): void {
  const start = w.pos;
  box.writeTo(w);
  if (w.pos - start !== box.byteLength) {
    throw new CmafError('ERR_CMAF_INVALID', `box '${box.type}' wrote ${w.pos - start} bytes but declared ${box.byteLength}`, {
      type: box.type,
      written: w.pos - start,
      declared: box.byteLength,
    });
  }
}

/**
 * Encodes a sequence of top-level boxes into one exactly sized buffer: one allocation, one write.
 * Every byte is written (writeBox checks each box), so the memory need not be zeroed first.
 */
export function encodeBoxes(boxes: readonly Box[]): Uint8Array {
  const out = allocateOwned(sumByteLength(boxes));
  const w = new ByteWriter(out);
  for (const box of boxes) writeBox(w, box);
  return out;
}

/**
 * A plain Uint8Array over its own, exactly sized ArrayBuffer (not a slice of Node's shared pool
 * and not a Buffer), so `.buffer` is safe to hand on and `.slice()` copies as Uint8Array's does.
 * The memory is not zeroed: the caller writes every byte.
 */
export function allocateOwned(byteLength: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(byteLength);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** A 64-bit unsigned field (e.g. tfdt v1 baseMediaDecodeTime) from a safe integer. */
export function writeU64(w: ByteWriter, value: number): void {
  w.u32(Math.floor(value / 0x1_0000_0000)).u32(value % 0x1_0000_0000);
}

/** `count` zero bytes, for the reserved and pre_defined fields the spec fixes at 0. */
export function writeZeros(w: ByteWriter, count: number): void {
  const at = w.reserve(count);
  w.buf.fill(0, at, at + count);
}

/** 16.16 fixed point (14496-12 uses it for sizes, rates and matrix entries). */
export function fixed16x16(value: number): number {
  return Math.round(value * 0x1_0000) >>> 0;
}

/**
 * The unity transformation matrix of mvhd/tkhd (8.2.2, 8.3.2): { 0x00010000, 0, 0, 0,
 * 0x00010000, 0, 0, 0, 0x40000000 } — a, b, u, c, d, v, x, y, w with u, v, w in 2.30 fixed point.
 */
export function writeUnityMatrix(w: ByteWriter): void {
  w.u32(0x0001_0000).u32(0).u32(0);
  w.u32(0).u32(0x0001_0000).u32(0);
  w.u32(0).u32(0).u32(0x4000_0000);
}

/** Bytes of the unity matrix: nine 32-bit entries. */
export const MATRIX_BYTES = 36;
