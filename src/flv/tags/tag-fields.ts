import { FlvError } from '../../errors/index.js';

/**
 * What the audio, video and script tag parsers and builders share: the two error shapes, the
 * length check that names the field it guards, SI24 and FourCC fields, and the Enhanced RTMP
 * packet-type table with its ModEx unwrapping. Tag bodies are read by index after one length
 * check per field group, so a truncated body always surfaces as ERR_FLV_TAG_MALFORMED naming the
 * field that did not fit, never as a RangeError or a BytesError.
 */

/** Which tag body a field belongs to, for error details. */
export type TagKind = 'audio' | 'video' | 'script';

/** ERR_FLV_TAG_MALFORMED: a body too short for `field`, or a value the spec does not define. */
export function malformed(
  kind: TagKind,
  field: string,
  message: string,
  details: Record<string, string | number> = {},
  cause?: unknown,
): FlvError {
  return new FlvError('ERR_FLV_TAG_MALFORMED', `${kind} tag: ${message}`, { tag: kind, field, ...details }, { cause });
}

/** ERR_FLV_UNSUPPORTED_CODEC: a codec id, sound format, FourCC or E-RTMP feature we do not carry. */
export function unsupported(kind: TagKind, message: string, details: Record<string, string | number>): FlvError {
  return new FlvError('ERR_FLV_UNSUPPORTED_CODEC', `${kind} tag: ${message}`, { tag: kind, ...details });
}

/** Throws unless `body` holds `n` bytes from `pos`; after it, `n` unchecked reads are safe. */
export function need(body: Uint8Array, pos: number, n: number, kind: TagKind, field: string): void {
  if (body.length - pos < n) {
    throw malformed(kind, field, `body of ${body.length} bytes ends inside ${field} (needs ${n} at offset ${pos})`, {
      length: body.length,
      offset: pos,
      need: n,
    });
  }
}

/** SI24 (FLV 10.1 E.4.3.1 CompositionTime): big-endian, two's complement. */
export function readSi24(body: Uint8Array, pos: number): number {
  return ((body[pos]! << 24) | (body[pos + 1]! << 16) | (body[pos + 2]! << 8)) >> 8;
}

export const SI24_MIN = -0x800000;
export const SI24_MAX = 0x7fffff;

export function writeSi24(out: Uint8Array, pos: number, value: number): void {
  out[pos] = value >> 16;
  out[pos + 1] = value >> 8;
  out[pos + 2] = value;
}

/** A FourCC as the four characters it spells (E-RTMP "FOURCC": four UI8, read as ASCII). */
export function readFourCc(body: Uint8Array, pos: number): string {
  return String.fromCharCode(body[pos]!, body[pos + 1]!, body[pos + 2]!, body[pos + 3]!);
}

export function writeFourCc(out: Uint8Array, pos: number, fourCc: string): void {
  for (let i = 0; i < 4; i++) out[pos + i] = fourCc.charCodeAt(i);
}

/**
 * A tag body in two pieces: the header the builder wrote and the caller's payload, a view of the
 * bytes it was given (not a copy). It stays valid as long as those bytes are. The RTMP chunk writer
 * copies both straight into its chunks, so a relayed frame is copied once on its way out.
 */
export interface FlvTagParts {
  readonly header: Uint8Array;
  readonly payload: Uint8Array;
}

/** The parts as one body: one allocation, each part copied once. */
export function joinTagParts(parts: FlvTagParts): Uint8Array {
  const out = new Uint8Array(parts.header.length + parts.payload.length);
  out.set(parts.header, 0);
  out.set(parts.payload, parts.header.length);
  return out;
}

/** A FourCC safe to log: the characters when printable ASCII, else the bytes in hex. */
export function printableFourCc(fourCc: string): string {
  return /^[\x20-\x7e]{4}$/.test(fourCc)
    ? fourCc
    : `0x${Array.from(fourCc, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('')}`;
}

/** Looks `key` up in a constant table without reaching Object.prototype. */
export function lookup<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * One row of an Enhanced RTMP packet-type table (E-RTMP v2, VideoPacketType / AudioPacketType):
 * either the packet kind it carries, or the name of a feature we recognise but do not carry yet
 * (Multitrack, MultichannelConfig, MPEG2TSSequenceStart), reported as ERR_FLV_UNSUPPORTED_CODEC.
 * Adding a feature is adding or changing a row, not another branch in the parser.
 */
export type ExPacketRule<P extends string> =
  | {
      readonly carries: P;
      /** The packet has an SI24 CompositionTime (for avc1 and hvc1 only). */
      readonly compositionTime?: boolean;
    }
  | { readonly unsupported: string };

/** Packet type 7 in both tables (E-RTMP v2): a modifier that wraps the real packet type. */
const PACKET_TYPE_MOD_EX = 7;

/**
 * Unwraps E-RTMP v2 ModEx packets: UI8 size − 1 (UI16 size − 1 when the UI8 is 255), that many
 * bytes of modifier data, then a byte whose high nibble is the modifier type and low nibble the
 * next packet type, which may be ModEx again. The only modifier defined, TimestampOffsetNano, is
 * under 1 ms and our timelines are in ms, so the data is skipped. Each round consumes at least
 * three bytes, so the loop ends within the body.
 */
export function unwrapModEx(body: Uint8Array, packetType: number, pos: number, kind: TagKind): { packetType: number; pos: number } {
  let type = packetType;
  let p = pos;
  while (type === PACKET_TYPE_MOD_EX) {
    need(body, p, 1, kind, 'modExDataSize');
    let size = body[p++]! + 1;
    if (size === 256) {
      need(body, p, 2, kind, 'modExDataSize');
      size = ((body[p]! << 8) | body[p + 1]!) + 1;
      p += 2;
    }
    need(body, p, size + 1, kind, 'modExData');
    p += size;
    type = body[p++]! & 0x0f;
  }
  return { packetType: type, pos: p };
}
