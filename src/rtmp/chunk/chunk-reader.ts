import { BufferQueue, uninitialized } from '../../bytes/index.js';
import { RtmpError } from '../../errors/index.js';
import { decodeAbort } from '../message/abort.js';
import { MessageType, type RtmpMessage } from '../message/rtmp-message.js';
import { decodeSetChunkSize } from '../message/set-chunk-size.js';
import { ChunkStreamState } from './chunk-stream-state.js';
import { DEFAULT_CHUNK_READER_LIMITS, INITIAL_CHUNK_SIZE, type ChunkReaderLimits } from './limits.js';
import type { PendingAccount } from './pending-budget.js';

/** Basic header (≤ 3) + type 0 message header (11) + extended timestamp (4): RTMP 5.3.1. */
const MAX_HEADER_BYTES = 18;
const MESSAGE_HEADER_BYTES = [11, 7, 3, 0] as const;

/**
 * Incremental chunk stream reader (RTMP 1.0 section 5.3): push received bytes, then call `read()`
 * until it returns null ("need more data"). Chunks of all chunk streams are de-interleaved and
 * reassembled into messages; Set Chunk Size and Abort are applied here, as soon as they are
 * read, because they change how the very next chunk is framed (5.4.1, 5.4.2). They are applied on
 * whichever chunk and message stream they arrive: 5.4 says they travel on chunk stream 2, but a
 * peer that sends them elsewhere still frames its next chunks by them, and ignoring them would
 * misread every chunk after. They are still returned so the session sees them.
 *
 * Copies: every message is copied out of the pushed buffers into a body of its own bytes: under
 * 4 KiB from Node's shared pool, up to SLAB_BODY_BYTES cut from this reader's slab (body()),
 * larger ones in a buffer of their own. The declared length is reserved first against
 * `maxPendingBytes` and, given one, the server-wide PendingBudget; the body itself takes
 * INITIAL_BODY_BYTES first and its declared length only once that much has arrived, so a peer that
 * declares 8 MiB and sends 128 bytes makes us hold 64 KiB, not 8 MiB. Messages up to 64 KiB — audio
 * and most video frames — are copied once; a larger one (a keyframe) once more, its first 64 KiB.
 */
export class ChunkReader {
  readonly limits: Readonly<ChunkReaderLimits>;
  private readonly queue = new BufferQueue();
  private readonly scratch = new Uint8Array(MAX_HEADER_BYTES);
  private readonly lowStreams: (ChunkStreamState | undefined)[] = new Array(64).fill(undefined);
  private readonly highStreams = new Map<number, ChunkStreamState>();
  private streamCount = 0;
  private pendingBytes = 0;
  /** The chunk stream whose chunk header was read and whose chunk body is awaited. */
  private current: ChunkStreamState | undefined = undefined;
  private size = INITIAL_CHUNK_SIZE;
  private readonly account: PendingAccount | undefined;
  /** Where bodies of 4 KiB to SLAB_BODY_BYTES are cut from, and how much of it is cut (body()). */
  private slab: Uint8Array | undefined = undefined;
  private slabUsed = 0;

  constructor(limits: Partial<ChunkReaderLimits> = {}, account?: PendingAccount) {
    this.limits = { ...DEFAULT_CHUNK_READER_LIMITS, ...limits };
    this.account = account;
  }

  /** The peer's current chunk size. */
  get chunkSize(): number {
    return this.size;
  }

  /** Bytes pushed and not yet consumed. */
  get buffered(): number {
    return this.queue.length;
  }

  push(bytes: Uint8Array): void {
    this.queue.push(bytes);
  }

  /** Keeps no view of the bytes pushed so far: what is not yet read is copied (at most about a chunk). */
  own(): void {
    this.queue.own();
  }

  /** The next complete message, or null when more bytes are needed. Throws RtmpError. */
  read(): RtmpMessage | null {
    for (;;) {
      const stream = this.current ?? this.readHeader();
      if (stream === undefined) return null;
      this.current = stream;
      const message = this.readBody(stream);
      if (message === undefined) return null;
      if (message !== null) return this.applyControl(message);
    }
  }

  /** Parses one chunk header; undefined when it is not all here yet (nothing is consumed then). */
  private readHeader(): ChunkStreamState | undefined {
    const q = this.queue;
    const avail = Math.min(q.length, MAX_HEADER_BYTES);
    if (avail === 0) return undefined;
    const w = q.window(avail, this.scratch);
    const start = q.windowStart;
    const end = start + avail;
    let p = start;
    const b0 = w[p++]!;
    const fmt = b0 >>> 6;
    let csid = b0 & 0x3f;
    // 5.3.1.1: ids 0 and 1 announce the 2- and 3-byte forms (64–319, 64–65599).
    if (csid === 0) {
      if (end - p < 1) return undefined;
      csid = w[p++]! + 64;
    } else if (csid === 1) {
      if (end - p < 2) return undefined;
      csid = w[p]! + w[p + 1]! * 256 + 64;
      p += 2;
    }
    const headerBytes = MESSAGE_HEADER_BYTES[fmt as 0 | 1 | 2 | 3];
    if (end - p < headerBytes) return undefined;
    const s = this.stream(csid);
    if (fmt !== 0 && !s.started) {
      throw new RtmpError('ERR_RTMP_CHUNK_NO_PREVIOUS_HEADER', `type ${fmt} chunk on chunk stream ${csid} before any type 0`, { fmt, csid });
    }
    if (fmt === 3) return this.readType3(s, w, p, end);
    const field = (w[p]! << 16) | (w[p + 1]! << 8) | w[p + 2]!;
    const ext = field === 0xffffff;
    const total = p - start + headerBytes + (ext ? 4 : 0);
    if (end - start < total) return undefined;
    const tsField = ext ? u32(w, p + headerBytes) : field;
    if (s.received !== 0) {
      throw new RtmpError('ERR_RTMP_MESSAGE_MALFORMED', `new message header on chunk stream ${csid} while a message is incomplete`, { csid, fmt });
    }
    if (fmt <= 1) {
      const length = (w[p + 3]! << 16) | (w[p + 4]! << 8) | w[p + 5]!;
      if (length > this.limits.maxMessageLength) {
        throw new RtmpError('ERR_RTMP_MESSAGE_TOO_LARGE', `message of ${length} bytes exceeds maxMessageLength ${this.limits.maxMessageLength}`, { length, limit: this.limits.maxMessageLength, csid });
      }
      s.length = length;
      s.typeId = w[p + 6]!;
      // 5.3.1.2.1: the message stream id is the one little-endian field of the header.
      if (fmt === 0) s.messageStreamId = (w[p + 7]! | (w[p + 8]! << 8) | (w[p + 9]! << 16)) + w[p + 10]! * 0x1000000;
    }
    s.timestamp = fmt === 0 ? tsField : (s.timestamp + tsField) >>> 0;
    s.timestampField = tsField;
    s.extended = ext;
    s.started = true;
    q.skip(total);
    return s;
  }

  private readType3(s: ChunkStreamState, w: Uint8Array, p: number, end: number): ChunkStreamState | undefined {
    let total = p - this.queue.windowStart;
    if (s.extended) {
      // 5.3.1.3: a type 3 chunk repeats the extended timestamp of its stream's last header.
      // Encoders differ on continuation chunks (FFmpeg and librtmp repeat it, some do not), so
      // there it is consumed only when the 4 bytes equal the value it would repeat.
      if (end - p < 4) return undefined;
      if (s.received === 0 || u32(w, p) === s.timestampField) total += 4;
    }
    if (s.received === 0) s.timestamp = (s.timestamp + s.timestampField) >>> 0;
    this.queue.skip(total);
    return s;
  }

  /**
   * Reads the current chunk's body. Returns the completed message, null when the chunk was read
   * but the message needs more chunks, or undefined when the chunk's bytes are not all here yet.
   */
  private readBody(s: ChunkStreamState): RtmpMessage | null | undefined {
    const q = this.queue;
    const want = Math.min(this.size, s.length - s.received);
    if (q.length < want) return undefined;
    this.current = undefined;
    let payload: Uint8Array;
    if (s.received === 0 && want === s.length) {
      // Copied, not a view of the socket's buffer: an AAC frame kept for a segment's life would pin
      // the whole read it came in (up to 64 KiB). Small copies share Node's 8 KiB pool slabs.
      payload = want === 0 ? EMPTY : this.body(want);
      if (want > 0) q.readInto(payload, 0, want);
    } else {
      if (s.body === undefined) {
        this.reserve(s.length);
        // A body that may grow (declared above a slab body) gets a buffer of its own from the start.
        s.body = s.length <= SLAB_BODY_BYTES ? this.body(s.length) : uninitialized(Math.min(s.length, Math.max(INITIAL_BODY_BYTES, want)));
      } else if (s.received + want > s.body.length) {
        // The peer has sent the first INITIAL_BODY_BYTES: the body takes its declared length (already
        // reserved against the budgets) at once, so a keyframe is copied once more, not at every doubling.
        s.body = grown(s.body, s.received, s.length);
      }
      q.readInto(s.body, s.received, want);
      s.received += want;
      if (s.received < s.length) return null;
      payload = s.body;
      this.pendingBytes -= s.length;
      this.account?.release(s.length);
      s.body = undefined;
      s.received = 0;
    }
    return { chunkStreamId: s.id, typeId: s.typeId, timestamp: s.timestamp, messageStreamId: s.messageStreamId, payload };
  }

  /**
   * Room for a body of `length` bytes. From 4 KiB to SLAB_BODY_BYTES (a video frame, most of them)
   * it is cut from this reader's current slab, a new one of SLAB_BYTES when the rest is too short:
   * one ArrayBuffer per slab instead of one per frame (each costs an allocation, and counts
   * toward V8's next full collection as an object to mark and a backing store to sweep). A slab
   * lives while any body cut from it does; a stream's frames are dropped in about the order they
   * came, so that keeps at most about a slab more per session. Smaller bodies come from Node's
   * shared pool, larger ones get their own buffer.
   */
  private body(length: number): Uint8Array {
    if (length < 4096 || length > SLAB_BODY_BYTES) return uninitialized(length);
    if (this.slab === undefined || this.slabUsed + length > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.slabUsed = 0;
    }
    const body = this.slab.subarray(this.slabUsed, this.slabUsed + length);
    // 8-byte steps keep every body aligned as an allocation would be.
    this.slabUsed += (length + 7) & ~7;
    return body;
  }

  private reserve(length: number): void {
    const pending = this.pendingBytes + length;
    if (pending > this.limits.maxPendingBytes) {
      throw new RtmpError('ERR_RTMP_PENDING_TOO_LARGE', `incomplete messages declare ${pending} bytes, above maxPendingBytes ${this.limits.maxPendingBytes}`, { pending, limit: this.limits.maxPendingBytes });
    }
    this.account?.reserve(length);
    this.pendingBytes = pending;
  }

  private applyControl(m: RtmpMessage): RtmpMessage {
    if (m.typeId === MessageType.SET_CHUNK_SIZE) {
      this.size = decodeSetChunkSize(m.payload, this.limits.maxChunkSize).chunkSize;
    } else if (m.typeId === MessageType.ABORT) {
      this.abort(decodeAbort(m.payload).chunkStreamId);
    }
    return m;
  }

  /** 5.4.2: discard the partly received message of a chunk stream. */
  private abort(csid: number): void {
    const s = csid < 64 ? this.lowStreams[csid] : this.highStreams.get(csid);
    if (s === undefined || s.received === 0) return;
    this.pendingBytes -= s.length;
    this.account?.release(s.length);
    s.body = undefined;
    s.received = 0;
  }

  private stream(csid: number): ChunkStreamState {
    let s = csid < 64 ? this.lowStreams[csid] : this.highStreams.get(csid);
    if (s !== undefined) return s;
    if (this.streamCount >= this.limits.maxChunkStreams) {
      throw new RtmpError('ERR_RTMP_TOO_MANY_CHUNK_STREAMS', `chunk stream ${csid} would be number ${this.streamCount + 1}, above maxChunkStreams ${this.limits.maxChunkStreams}`, { csid, limit: this.limits.maxChunkStreams });
    }
    s = new ChunkStreamState(csid);
    this.streamCount++;
    if (csid < 64) this.lowStreams[csid] = s;
    else this.highStreams.set(csid, s);
    return s;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * 64 KiB: the first allocation of a multi-chunk message (or its declared length, when smaller).
 * AAC frames and most inter frames fit, so they are allocated once; larger ones double from here.
 */
export const INITIAL_BODY_BYTES = 64 * 1024;

/** Size of the slabs message bodies are cut from (ChunkReader.body). */
export const SLAB_BYTES = 256 * 1024;

/** The largest body cut from a slab: a quarter of it, so a slab's unused end stays small. */
export const SLAB_BODY_BYTES = SLAB_BYTES / 4;

/** A body of `capacity` bytes holding the first `used` bytes of `body`. */
function grown(body: Uint8Array, used: number, capacity: number): Uint8Array {
  const next = uninitialized(capacity);
  next.set(body.subarray(0, used));
  return next;
}

function u32(b: Uint8Array, p: number): number {
  return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}
