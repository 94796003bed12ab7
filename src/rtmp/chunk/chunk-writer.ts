import { RtmpError } from '../../errors/index.js';
import type { RtmpMessage, RtmpMessageHeader } from '../message/rtmp-message.js';
import { INITIAL_CHUNK_SIZE } from './limits.js';

/** What the writer remembers per chunk stream to compress the next header (RTMP 5.3.1.2). */
interface SentHeader {
  timestamp: number;
  /** The timestamp field of the last type 1 or 2 header; -1 after a type 0 (see `encode`). */
  delta: number;
  length: number;
  typeId: number;
  messageStreamId: number;
}

/**
 * Chunk stream writer: turns messages into chunks of the current outgoing chunk size with the
 * smallest header that stays unambiguous for every reader. Each call returns one buffer: its size
 * is computed first and it is written once. `encodeParts` takes the body in pieces (an FLV tag
 * header and the frame it came with) and copies each straight into the chunks, so the pieces are
 * never joined first.
 *
 *   first chunk:  basic header | message header (type 0, 1, 2 or 3) | [extended ts] | payload[0 … size)
 *   each further: basic header (type 3)                                | [extended ts] | next `size` bytes
 */
export class ChunkWriter {
  private size = INITIAL_CHUNK_SIZE;
  private readonly sent = new Map<number, SentHeader>();

  get chunkSize(): number {
    return this.size;
  }

  /** Sets the size used from the next message on; send a Set Chunk Size message first. */
  setChunkSize(size: number): void {
    if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) {
      throw new RtmpError('ERR_RTMP_CHUNK_SIZE_INVALID', `outgoing chunk size ${size} outside 1 ... 2^31-1`, { size });
    }
    this.size = size;
  }

  encode(m: RtmpMessage): Buffer {
    return this.encodeParts(m, [m.payload]);
  }

  /** The message `header` with the concatenation of `parts` as its body. */
  encodeParts(header: RtmpMessageHeader, parts: readonly Uint8Array[]): Buffer {
    const csid = header.chunkStreamId;
    let length = 0;
    for (const part of parts) length += part.length;
    const timestamp = header.timestamp >>> 0;
    const prev = this.sent.get(csid);
    const fmt = headerType(prev, header, length, timestamp);
    const field = fmt === 0 ? timestamp : (timestamp - prev!.timestamp) >>> 0;
    const ext = field >= 0xffffff;
    const basic = csid < 64 ? 1 : csid < 320 ? 2 : 3;
    const extBytes = ext ? 4 : 0;
    const chunks = Math.max(1, Math.ceil(length / this.size));
    const out = Buffer.allocUnsafe(basic + MESSAGE_HEADER_BYTES[fmt] + extBytes + length + (chunks - 1) * (basic + extBytes));
    let p = writeBasic(out, 0, fmt, csid);
    if (fmt <= 2) {
      out.writeUIntBE(ext ? 0xffffff : field, p, 3);
      p += 3;
    }
    if (fmt <= 1) {
      out.writeUIntBE(length, p, 3);
      out[p + 3] = header.typeId;
      p += 4;
    }
    if (fmt === 0) p = out.writeUInt32LE(header.messageStreamId >>> 0, p);
    const body = new PartCursor(parts);
    for (let offset = 0; ; ) {
      // 5.3.1.3: the extended timestamp is repeated in every type 3 chunk of the message, as
      // Flash Player, FFmpeg and librtmp write (and expect) it.
      if (ext) p = out.writeUInt32BE(field, p);
      const n = Math.min(this.size, length - offset);
      body.copy(out, p, n);
      p += n;
      offset += n;
      if (offset >= length) break;
      p = writeBasic(out, p, 3, csid);
    }
    this.sent.set(csid, {
      timestamp,
      delta: fmt === 0 ? -1 : fmt === 3 ? prev!.delta : field,
      length,
      typeId: header.typeId,
      messageStreamId: header.messageStreamId,
    });
    return out;
  }
}

/** Reads a body given in pieces front to back, whatever the chunk boundaries. */
class PartCursor {
  private readonly parts: readonly Uint8Array[];
  private index = 0;
  private offset = 0;

  constructor(parts: readonly Uint8Array[]) {
    this.parts = parts;
  }

  /** Copies the next `n` bytes of the body to `out` at `at`. */
  copy(out: Buffer, at: number, n: number): void {
    let p = at;
    let left = n;
    while (left > 0) {
      const part = this.parts[this.index]!;
      const take = Math.min(left, part.length - this.offset);
      out.set(take === part.length ? part : part.subarray(this.offset, this.offset + take), p);
      p += take;
      left -= take;
      this.offset += take;
      if (this.offset === part.length) {
        this.index += 1;
        this.offset = 0;
      }
    }
  }
}

const MESSAGE_HEADER_BYTES = [11, 7, 3, 0] as const;

/**
 * Type 0 on a new chunk stream, a new message stream or a timestamp going back; type 1 when the
 * length or type changed; type 2 for a new delta; type 3 only when the delta repeats that of a
 * type 1 or 2 header — after a type 0, readers disagree on what a type 3 adds, so we never rely on it.
 */
function headerType(prev: SentHeader | undefined, m: RtmpMessageHeader, length: number, timestamp: number): 0 | 1 | 2 | 3 {
  if (prev === undefined || prev.messageStreamId !== m.messageStreamId || timestamp < prev.timestamp) return 0;
  if (prev.length !== length || prev.typeId !== m.typeId) return 1;
  const delta = timestamp - prev.timestamp;
  return delta === prev.delta ? 3 : 2;
}

function writeBasic(out: Buffer, p: number, fmt: number, csid: number): number {
  if (csid < 64) {
    out[p] = (fmt << 6) | csid;
    return p + 1;
  }
  if (csid < 320) {
    out[p] = fmt << 6;
    out[p + 1] = csid - 64;
    return p + 2;
  }
  out[p] = (fmt << 6) | 1;
  out[p + 1] = (csid - 64) & 0xff;
  out[p + 2] = (csid - 64) >>> 8;
  return p + 3;
}
