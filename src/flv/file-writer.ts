import { FlvError } from '../errors/index.js';

/**
 * Writes .flv files (Adobe FLV and F4V File Format Specification 10.1, Annex E), the mirror of
 * file-reader.ts:
 *
 *   header   'F' 'L' 'V' | 1 | flags (audio 0x04, video 0x01) | DataOffset u32 = 9
 *            | PreviousTagSize0 u32 = 0
 *   each tag flags u8 (Filter 0x20 | TagType) | DataSize u24 | Timestamp u24 | TimestampExtended u8
 *            | StreamID u24 = 0 | Data | PreviousTagSize u32 = 11 + DataSize
 *
 * `FlvFileWriter.tag` is zero-copy: it returns the 11-byte tag header, the caller's body (the same
 * array, not a copy) and the 4-byte trailer, for a writev-style sink. The caller must not change
 * a body until those pieces have been written. `writeFlvFile` joins a whole file into one buffer,
 * sized first and written once.
 */

export interface FlvFileWriterOptions {
  /** Sets the header's audio flag (E.2 TypeFlagsAudio). */
  readonly hasAudio: boolean;
  /** Sets the header's video flag (E.2 TypeFlagsVideo). */
  readonly hasVideo: boolean;
}

/** One tag to write; the same shape `readFlvFile` returns, so tags read can be written back. */
export interface FlvTagInput {
  /** TagType: 8 audio, 9 video, 18 script data. */
  readonly type: 8 | 9 | 18;
  /** Milliseconds, an SI32 (E.4.1: Timestamp + TimestampExtended). */
  readonly timestamp: number;
  readonly body: Uint8Array;
  /** Filter bit (E.4.1): the body is already encrypted. Default false. */
  readonly filtered?: boolean;
}

/** Largest body the 24-bit DataSize can describe. */
export const FLV_MAX_TAG_BODY_BYTES = 0xffffff;

const HEADER_BYTES = 9;
const PREVIOUS_TAG_SIZE_BYTES = 4;
const TAG_HEADER_BYTES = 11;
const FILTER_BIT = 0x20;

export class FlvFileWriter {
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;

  constructor(options: FlvFileWriterOptions) {
    this.hasAudio = options.hasAudio;
    this.hasVideo = options.hasVideo;
  }

  /** The 9-byte FLV header (E.2) followed by PreviousTagSize0 (E.3), 13 bytes. */
  header(): Uint8Array {
    const out = new Uint8Array(HEADER_BYTES + PREVIOUS_TAG_SIZE_BYTES);
    writeHeader(out, this.hasAudio, this.hasVideo);
    return out;
  }

  /**
   * One tag as [tag header, body, PreviousTagSize]. Header and trailer share one 15-byte
   * allocation. Throws FlvError for a body over 16 MiB − 1 or a timestamp outside SI32.
   */
  tag(type: 8 | 9 | 18, timestampMs: number, body: Uint8Array, filtered = false): Uint8Array[] {
    return this.tagPieces(type, timestampMs, [body], filtered);
  }

  /**
   * One tag whose body is the concatenation of `pieces` (a tag body's own header and its payload,
   * as buildVideoTagParts gives them): [tag header, ...pieces, PreviousTagSize], nothing copied.
   */
  tagPieces(type: 8 | 9 | 18, timestampMs: number, pieces: readonly Uint8Array[], filtered = false): Uint8Array[] {
    let size = 0;
    for (const piece of pieces) size += piece.length;
    const tag = { type, timestamp: timestampMs, body: { length: size }, filtered };
    checkTag(tag);
    const framing = new Uint8Array(TAG_HEADER_BYTES + PREVIOUS_TAG_SIZE_BYTES);
    writeTagHeader(framing, 0, tag);
    writeU32(framing, TAG_HEADER_BYTES, TAG_HEADER_BYTES + size);
    return [framing.subarray(0, TAG_HEADER_BYTES), ...pieces, framing.subarray(TAG_HEADER_BYTES)];
  }
}

/** A whole .flv file in one buffer: header, then every tag with its trailer. */
export function writeFlvFile(options: FlvFileWriterOptions, tags: Iterable<FlvTagInput>): Uint8Array {
  const list = [...tags];
  let size = HEADER_BYTES + PREVIOUS_TAG_SIZE_BYTES;
  for (const tag of list) {
    checkTag(tag);
    size += TAG_HEADER_BYTES + tag.body.length + PREVIOUS_TAG_SIZE_BYTES;
  }
  const out = new Uint8Array(size);
  writeHeader(out, options.hasAudio, options.hasVideo);
  let pos = HEADER_BYTES + PREVIOUS_TAG_SIZE_BYTES;
  for (const tag of list) {
    writeTagHeader(out, pos, tag);
    pos += TAG_HEADER_BYTES;
    out.set(tag.body, pos);
    pos += tag.body.length;
    writeU32(out, pos, TAG_HEADER_BYTES + tag.body.length);
    pos += PREVIOUS_TAG_SIZE_BYTES;
  }
  return out;
}

function writeHeader(out: Uint8Array, hasAudio: boolean, hasVideo: boolean): void {
  out.set([0x46, 0x4c, 0x56, 1, (hasAudio ? 0x04 : 0) | (hasVideo ? 0x01 : 0)], 0);
  writeU32(out, 5, HEADER_BYTES);
  // PreviousTagSize0 is already 0 in the fresh buffer.
}

/** What the tag header is written from: the body's length, not the body. */
type SizedTag = Omit<FlvTagInput, 'body'> & { readonly body: { readonly length: number } };

/** Throws FlvError for what the tag header cannot express; run before anything is allocated. */
function checkTag(tag: SizedTag): void {
  const { type, timestamp, body } = tag;
  if (type !== 8 && type !== 9 && type !== 18) {
    throw new FlvError('ERR_FLV_UNKNOWN_TAG_TYPE', `FLV TagType ${String(type)} is not 8, 9 or 18 (E.4.1)`, { tagType: String(type) });
  }
  if (body.length > FLV_MAX_TAG_BODY_BYTES) {
    throw new FlvError('ERR_FLV_TAG_TOO_LARGE', `a ${body.length}-byte tag body does not fit the 24-bit DataSize`, {
      dataSize: body.length,
      limit: FLV_MAX_TAG_BODY_BYTES,
    });
  }
  if (!Number.isInteger(timestamp) || timestamp < -0x80000000 || timestamp > 0x7fffffff) {
    throw new FlvError('ERR_FLV_TAG_MALFORMED', `FLV timestamp ${timestamp} is not an SI32 (E.4.1)`, {
      tag: 'file',
      field: 'timestamp',
      timestamp: String(timestamp),
    });
  }
}

function writeTagHeader(out: Uint8Array, pos: number, tag: SizedTag): void {
  const { type, timestamp, body } = tag;
  out[pos] = tag.filtered === true ? FILTER_BIT | type : type;
  out[pos + 1] = body.length >> 16;
  out[pos + 2] = body.length >> 8;
  out[pos + 3] = body.length;
  // E.4.1: the low 24 bits, then the upper 8 bits (TimestampExtended); two's complement keeps SI32.
  out[pos + 4] = timestamp >> 16;
  out[pos + 5] = timestamp >> 8;
  out[pos + 6] = timestamp;
  out[pos + 7] = timestamp >> 24;
  // StreamID (pos + 8 … 10) is always 0 and already zero.
}

function writeU32(out: Uint8Array, pos: number, value: number): void {
  out[pos] = value >>> 24;
  out[pos + 1] = value >>> 16;
  out[pos + 2] = value >>> 8;
  out[pos + 3] = value;
}
