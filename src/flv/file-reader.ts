import { BufferQueue } from '../bytes/index.js';
import { checkIntegerOption } from '../config/index.js';
import { FlvError } from '../errors/index.js';

/**
 * An incremental reader of .flv files (Adobe FLV and F4V File Format Specification 10.1, Annex E).
 * Layout: header (E.2), then the body (E.3) as PreviousTagSize0, then Tag1, PreviousTagSize1, …
 *
 *   header  'F' 'L' 'V' | version u8 | flags u8 (audio 0x04, video 0x01) | DataOffset u32
 *   tag     flags u8 (reserved 2, Filter 1, TagType 5) | DataSize u24 | Timestamp u24
 *           | TimestampExtended u8 | StreamID u24 | Data[DataSize]
 *   trailer PreviousTagSize u32 = 11 + DataSize
 *
 * Lifetime: a tag's `body` is a view of the pushed buffer when it lies in one (a copy only when it
 * spans two), so callers must not reuse a pushed buffer while they still hold tags read from it.
 */

/** FLV header (E.2). */
export interface FlvFileHeader {
  readonly kind: 'header';
  readonly version: number;
  readonly hasAudio: boolean;
  readonly hasVideo: boolean;
  /** Header length in bytes, 9 for FLV version 1; bytes past the 9 known ones are skipped. */
  readonly dataOffset: number;
}

/** One FLV tag (E.4.1) with its body still encoded (AUDIODATA, VIDEODATA or SCRIPTDATA). */
export interface FlvFileTag {
  readonly kind: 'tag';
  /** TagType: 8 audio, 9 video, 18 script data. */
  readonly type: 8 | 9 | 18;
  /** Milliseconds; E.4.1 makes Timestamp + TimestampExtended an SI32, so it may be negative. */
  readonly timestamp: number;
  /** Filter bit: the body is encrypted and starts with the E.4.1 EncryptionTagHeader. */
  readonly filtered: boolean;
  readonly body: Uint8Array;
}

/**
 * Default limit on DataSize: 16 MiB covers every value the 24-bit field can hold, so a spec-valid
 * file always reads; readers of untrusted input lower it to bound what one tag may buffer.
 */
export const DEFAULT_FLV_MAX_TAG_BYTES = 16 * 1024 * 1024;

/**
 * Largest DataOffset accepted. E.2 keeps the field "to accommodate larger headers in future
 * versions"; no such version exists, so 4 KiB is generous and stops a corrupt offset from making
 * the reader buffer gigabytes before it reports anything.
 */
export const FLV_MAX_DATA_OFFSET = 4096;

export interface FlvFileReaderOptions {
  /** Largest tag body accepted, in bytes. Default `DEFAULT_FLV_MAX_TAG_BYTES` (16 MiB). */
  maxTagBytes?: number;
  /**
   * Check that each PreviousTagSize equals 11 + DataSize of the tag before it (and 0 for the
   * first). Default true; turn off for files from writers known to get it wrong.
   */
  checkPreviousTagSize?: boolean;
}

const HEADER_BYTES = 9;
const TAG_HEADER_BYTES = 11;
const PREVIOUS_TAG_SIZE_BYTES = 4;

type State = 'header' | 'previousTagSize' | 'tagHeader' | 'tagBody';

export class FlvFileReader {
  private readonly queue = new BufferQueue();
  private readonly scratch = new Uint8Array(PREVIOUS_TAG_SIZE_BYTES + TAG_HEADER_BYTES);
  private readonly maxTagBytes: number;
  private readonly checkPreviousTagSize: boolean;
  private state: State = 'header';
  private expectedPreviousTagSize = 0;
  // The tag whose header was read and whose body is awaited, as fields rather than an object: one
  // object less per tag (tens of thousands per file) for the collector.
  private pendingType: 8 | 9 | 18 = 8;
  private pendingTimestamp = 0;
  private pendingFiltered = false;
  private pendingSize = 0;
  private failure: FlvError | undefined;
  /** File offset of the next unread byte, for error details. */
  private offset = 0;

  constructor(options: FlvFileReaderOptions = {}) {
    this.maxTagBytes = checkIntegerOption('maxTagBytes', options.maxTagBytes ?? DEFAULT_FLV_MAX_TAG_BYTES, 0, Number.MAX_SAFE_INTEGER);
    this.checkPreviousTagSize = options.checkPreviousTagSize ?? true;
  }

  push(buf: Uint8Array): void {
    this.queue.push(buf);
  }

  /**
   * Bytes pushed and not yet consumed: the reader holds exactly the last `bufferedBytes` of the
   * input, so a pushed buffer that ended before them is no longer referenced by the reader (tags
   * already read may still be views of it).
   */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  /** The next header or tag, or null when more bytes are needed. After an error, rethrows it. */
  read(): FlvFileHeader | FlvFileTag | null {
    if (this.failure !== undefined) throw this.failure;
    try {
      return this.step();
    } catch (err) {
      if (err instanceof FlvError) this.failure = err;
      throw err;
    }
  }

  /** Declares the input complete: throws ERR_FLV_TRUNCATED unless it ended after a whole tag. */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    const clean = this.state === 'tagHeader' && this.queue.length === 0;
    if (!clean) {
      this.failure = new FlvError('ERR_FLV_TRUNCATED', `FLV input ended inside the ${this.state} at offset ${this.offset}`, {
        offset: this.offset,
        state: this.state,
        bufferedBytes: this.queue.length,
      });
      throw this.failure;
    }
  }

  private step(): FlvFileHeader | FlvFileTag | null {
    for (;;) {
      switch (this.state) {
        case 'header':
          return this.readHeader();
        case 'previousTagSize': {
          const tag = this.readWholeTag();
          if (tag !== undefined) return tag;
          if (!this.readPreviousTagSize()) return null;
          break;
        }
        case 'tagHeader':
          if (!this.readTagHeader()) return null;
          break;
        case 'tagBody':
          return this.readTagBody();
      }
    }
  }

  private readHeader(): FlvFileHeader | null {
    if (this.queue.length < HEADER_BYTES) return null;
    const w = this.queue.window(HEADER_BYTES, this.scratch);
    const p = this.queue.windowStart;
    if (w[p] !== 0x46 || w[p + 1] !== 0x4c || w[p + 2] !== 0x56) {
      throw new FlvError('ERR_FLV_BAD_SIGNATURE', 'FLV header does not start with "FLV" (E.2)', {
        offset: 0,
        signature: Array.from(w.subarray(p, p + 3), (b) => b.toString(16).padStart(2, '0')).join(''),
      });
    }
    const flags = w[p + 4]!;
    const dataOffset = w[p + 5]! * 0x1000000 + ((w[p + 6]! << 16) | (w[p + 7]! << 8) | w[p + 8]!);
    if (dataOffset < HEADER_BYTES || dataOffset > FLV_MAX_DATA_OFFSET) {
      throw new FlvError('ERR_FLV_BAD_HEADER', `FLV DataOffset ${dataOffset} is outside ${HEADER_BYTES}..${FLV_MAX_DATA_OFFSET}`, {
        offset: 5,
        dataOffset,
        limit: FLV_MAX_DATA_OFFSET,
      });
    }
    if (this.queue.length < dataOffset) return null;
    const header: FlvFileHeader = {
      kind: 'header',
      version: w[p + 3]!,
      hasAudio: (flags & 0x04) !== 0,
      hasVideo: (flags & 0x01) !== 0,
      dataOffset,
    };
    this.consume(dataOffset);
    this.state = 'previousTagSize';
    return header;
  }

  /**
   * The common case in one step: PreviousTagSize, tag header and body all in the head buffer, and
   * every check passing — one window, one skip, one view. Otherwise undefined, and the step-by-step
   * path below reads the same bytes, makes the same checks and throws the same errors.
   */
  private readWholeTag(): FlvFileTag | undefined {
    const queue = this.queue;
    const framing = PREVIOUS_TAG_SIZE_BYTES + TAG_HEADER_BYTES;
    if (queue.length < framing) return undefined;
    const w = queue.window(framing, this.scratch);
    if (w === this.scratch) return undefined;
    const p = queue.windowStart;
    const h = p + PREVIOUS_TAG_SIZE_BYTES;
    const size = (w[h + 1]! << 16) | (w[h + 2]! << 8) | w[h + 3]!;
    const type = w[h]! & 0x1f;
    const previous = w[p]! * 0x1000000 + ((w[p + 1]! << 16) | (w[p + 2]! << 8) | w[p + 3]!);
    if (w.length - h - TAG_HEADER_BYTES < size || size > this.maxTagBytes || (type !== 8 && type !== 9 && type !== 18)) return undefined;
    if (this.checkPreviousTagSize && previous !== this.expectedPreviousTagSize) return undefined;
    const timestamp = (w[h + 7]! << 24) | (w[h + 4]! << 16) | (w[h + 5]! << 8) | w[h + 6]!;
    const body = w.subarray(h + TAG_HEADER_BYTES, h + TAG_HEADER_BYTES + size);
    queue.skip(framing + size);
    this.offset += framing + size;
    this.expectedPreviousTagSize = TAG_HEADER_BYTES + size;
    return { kind: 'tag', type, timestamp, filtered: (w[h]! & 0x20) !== 0, body };
  }

  private readPreviousTagSize(): boolean {
    if (this.queue.length < PREVIOUS_TAG_SIZE_BYTES) return false;
    const w = this.queue.window(PREVIOUS_TAG_SIZE_BYTES, this.scratch);
    const p = this.queue.windowStart;
    const size = w[p]! * 0x1000000 + ((w[p + 1]! << 16) | (w[p + 2]! << 8) | w[p + 3]!);
    if (this.checkPreviousTagSize && size !== this.expectedPreviousTagSize) {
      throw new FlvError(
        'ERR_FLV_PREVIOUS_TAG_SIZE_MISMATCH',
        `PreviousTagSize ${size} at offset ${this.offset}, expected ${this.expectedPreviousTagSize} (E.3)`,
        { offset: this.offset, previousTagSize: size, expected: this.expectedPreviousTagSize },
      );
    }
    this.consume(PREVIOUS_TAG_SIZE_BYTES);
    this.state = 'tagHeader';
    return true;
  }

  private readTagHeader(): boolean {
    if (this.queue.length < TAG_HEADER_BYTES) return false;
    const w = this.queue.window(TAG_HEADER_BYTES, this.scratch);
    const p = this.queue.windowStart;
    // E.4.1: the top two bits are reserved for FMS and ignored, as other readers do.
    const type = w[p]! & 0x1f;
    if (type !== 8 && type !== 9 && type !== 18) {
      throw new FlvError('ERR_FLV_UNKNOWN_TAG_TYPE', `FLV TagType ${type} at offset ${this.offset} is not 8, 9 or 18 (E.4.1)`, {
        offset: this.offset,
        tagType: type,
      });
    }
    const size = (w[p + 1]! << 16) | (w[p + 2]! << 8) | w[p + 3]!;
    if (size > this.maxTagBytes) {
      throw new FlvError('ERR_FLV_TAG_TOO_LARGE', `FLV tag of ${size} bytes at offset ${this.offset} exceeds maxTagBytes ${this.maxTagBytes}`, {
        offset: this.offset,
        dataSize: size,
        limit: this.maxTagBytes,
      });
    }
    // SI32 per E.4.1: the extended byte is the upper 8 bits, so `<< 24` keeps its sign.
    const timestamp = (w[p + 7]! << 24) | (w[p + 4]! << 16) | (w[p + 5]! << 8) | w[p + 6]!;
    this.pendingType = type;
    this.pendingTimestamp = timestamp;
    this.pendingFiltered = (w[p]! & 0x20) !== 0;
    this.pendingSize = size;
    this.consume(TAG_HEADER_BYTES);
    this.state = 'tagBody';
    return true;
  }

  private readTagBody(): FlvFileTag | null {
    const size = this.pendingSize;
    if (this.queue.length < size) return null;
    const body = this.queue.take(size);
    this.offset += size;
    this.expectedPreviousTagSize = TAG_HEADER_BYTES + size;
    this.state = 'previousTagSize';
    return { kind: 'tag', type: this.pendingType, timestamp: this.pendingTimestamp, filtered: this.pendingFiltered, body };
  }

  private consume(n: number): void {
    this.queue.skip(n);
    this.offset += n;
  }
}

/** Reads a whole .flv file held in memory; tag bodies are views of `bytes`. */
export function readFlvFile(
  bytes: Uint8Array,
  options: FlvFileReaderOptions = {},
): { header: FlvFileHeader; tags: FlvFileTag[] } {
  const reader = new FlvFileReader(options);
  reader.push(bytes);
  let header: FlvFileHeader | undefined;
  const tags: FlvFileTag[] = [];
  for (let item = reader.read(); item !== null; item = reader.read()) {
    if (item.kind === 'header') header = item;
    else tags.push(item);
  }
  reader.end();
  return { header: header!, tags };
}
