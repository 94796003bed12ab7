import type { FileHandle } from 'node:fs/promises';

/**
 * The few ISO BMFF reads the start-up repair needs (ISO/IEC 14496-12): where a segment file's
 * complete fragments end, so a crash's half-written one is cut off, and how long its fragments
 * last, from their track runs, so the repaired playlist can list it. Only headers are read from
 * disk: a segment's samples are never loaded.
 *
 *   segment file:  [styp] moof mdat moof mdat … [moof [mdat…]]   ← a partial tail after a crash
 *   moof:          mfhd, traf (tfhd, tfdt, trun…)
 *   init segment:  ftyp, moov (mvhd, trak (… mdia (mdhd …)), mvex (trex))
 */

export interface TopLevelBox {
  readonly type: string;
  readonly offset: number;
  readonly size: number;
}

/** 4.2: size (u32), type; size 1 means a u64 largesize follows. */
const HEADER_BYTES = 8;
const LARGE_HEADER_BYTES = 16;

/**
 * The top-level boxes that are whole in the file's first `fileSize` bytes, in order; the walk stops
 * at the first box that runs past the end or has no valid size (0 "to the end of the file" is never
 * written by the packager, so here it marks a box whose header was not finished).
 */
export async function topLevelBoxes(file: FileHandle, fileSize: number): Promise<TopLevelBox[]> {
  const boxes: TopLevelBox[] = [];
  const header = Buffer.alloc(LARGE_HEADER_BYTES);
  let offset = 0;
  while (offset + HEADER_BYTES <= fileSize) {
    const { bytesRead } = await file.read(header, 0, Math.min(LARGE_HEADER_BYTES, fileSize - offset), offset);
    if (bytesRead < HEADER_BYTES) break;
    let size = header.readUInt32BE(0);
    const type = header.toString('latin1', 4, 8);
    if (size === 1) {
      if (bytesRead < LARGE_HEADER_BYTES) break;
      size = Number(header.readBigUInt64BE(8));
    }
    if (size < HEADER_BYTES || offset + size > fileSize) break;
    boxes.push({ type, offset, size });
    offset += size;
  }
  return boxes;
}

/**
 * Where the last complete fragment ends: the end of the last `mdat` that follows a `moof` (a moof
 * alone, its media unwritten, is not a fragment). 0 when the file has none. Boxes between fragments
 * that need no pairing (styp, prft, emsg) are kept when a fragment follows them.
 */
export function completeFragmentsEnd(boxes: readonly TopLevelBox[]): { end: number; moofs: TopLevelBox[] } {
  let end = 0;
  let moof: TopLevelBox | undefined;
  const moofs: TopLevelBox[] = [];
  for (const box of boxes) {
    if (box.type === 'moof') moof = box;
    else if (box.type === 'mdat' && moof !== undefined) {
      moofs.push(moof);
      moof = undefined;
      end = box.offset + box.size;
    }
  }
  return { end, moofs };
}

/** What an init segment says that fragments may leave out: the timescale, trex's default duration. */
export interface TrackDefaults {
  readonly timescale: number;
  readonly defaultSampleDuration: number;
}

interface Child {
  readonly type: string;
  /** The body's start (after the header) and the box's end, in `bytes`. */
  readonly body: number;
  readonly end: number;
}

function children(bytes: Uint8Array, start: number, end: number): Child[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Child[] = [];
  let at = start;
  while (at + HEADER_BYTES <= end) {
    let size = view.getUint32(at);
    let body = at + HEADER_BYTES;
    if (size === 1) {
      if (at + LARGE_HEADER_BYTES > end) break;
      size = Number(view.getBigUint64(at + 8));
      body = at + LARGE_HEADER_BYTES;
    }
    if (size < body - at || at + size > end) break;
    out.push({ type: String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!), body, end: at + size });
    at += size;
  }
  return out;
}

function child(bytes: Uint8Array, parent: Child | undefined, path: readonly string[]): Child | undefined {
  let current = parent;
  for (const type of path) {
    current = current === undefined ? undefined : children(bytes, current.body, current.end).find((c) => c.type === type);
  }
  return current;
}

/** The first track's timescale (8.4.2 mdhd) and trex default sample duration (8.8.3), from an init segment. */
export function initDefaults(init: Uint8Array): TrackDefaults | undefined {
  const view = new DataView(init.buffer, init.byteOffset, init.byteLength);
  const moov = children(init, 0, init.byteLength).find((c) => c.type === 'moov');
  const mdhd = child(init, moov, ['trak', 'mdia', 'mdhd']);
  if (mdhd === undefined) return undefined;
  const version = init[mdhd.body]!;
  // FullBox header (4), then creation and modification times: 4 bytes each in version 0, 8 in version 1.
  const timescaleAt = mdhd.body + 4 + (version === 1 ? 16 : 8);
  if (timescaleAt + 4 > mdhd.end) return undefined;
  const timescale = view.getUint32(timescaleAt);
  const trex = child(init, moov, ['mvex', 'trex']);
  // trex: FullBox (4), track_ID, default_sample_description_index, default_sample_duration.
  const defaultSampleDuration = trex !== undefined && trex.body + 16 <= trex.end ? view.getUint32(trex.body + 12) : 0;
  return timescale > 0 ? { timescale, defaultSampleDuration } : undefined;
}

/** 8.8.7.1 tf_flags and 8.8.8.1 tr_flags that decide where the durations are. */
const TFHD_BASE_DATA_OFFSET = 0x01;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x02;
const TFHD_DEFAULT_SAMPLE_DURATION = 0x08;
const TRUN_DATA_OFFSET = 0x01;
const TRUN_FIRST_SAMPLE_FLAGS = 0x04;
const TRUN_SAMPLE_DURATION = 0x100;
const TRUN_PER_SAMPLE_FIELDS = [0x100, 0x200, 0x400, 0x800];

/** The fragment's media time: the sum of its samples' durations (trun, else tfhd's or trex's default), in the track's ticks. */
export function fragmentDurationTicks(moof: Uint8Array, defaults: TrackDefaults): number {
  const view = new DataView(moof.buffer, moof.byteOffset, moof.byteLength);
  const top = children(moof, 0, moof.byteLength).find((c) => c.type === 'moof');
  if (top === undefined) return 0;
  let ticks = 0;
  for (const traf of children(moof, top.body, top.end).filter((c) => c.type === 'traf')) {
    const boxes = children(moof, traf.body, traf.end);
    let defaultDuration = defaults.defaultSampleDuration;
    const tfhd = boxes.find((c) => c.type === 'tfhd');
    if (tfhd !== undefined && tfhd.body + 8 <= tfhd.end) {
      const flags = view.getUint32(tfhd.body) & 0xff_ffff;
      // track_ID (4), then base_data_offset (8) and sample_description_index (4) when flagged.
      const at = tfhd.body + 8 + (flags & TFHD_BASE_DATA_OFFSET ? 8 : 0) + (flags & TFHD_SAMPLE_DESCRIPTION_INDEX ? 4 : 0);
      if (flags & TFHD_DEFAULT_SAMPLE_DURATION && at + 4 <= tfhd.end) defaultDuration = view.getUint32(at);
    }
    for (const trun of boxes.filter((c) => c.type === 'trun')) {
      if (trun.body + 8 > trun.end) continue;
      const flags = view.getUint32(trun.body) & 0xff_ffff;
      const count = view.getUint32(trun.body + 4);
      if (!(flags & TRUN_SAMPLE_DURATION)) {
        ticks += count * defaultDuration;
        continue;
      }
      const stride = TRUN_PER_SAMPLE_FIELDS.filter((f) => flags & f).length * 4;
      let at = trun.body + 8 + (flags & TRUN_DATA_OFFSET ? 4 : 0) + (flags & TRUN_FIRST_SAMPLE_FLAGS ? 4 : 0);
      for (let i = 0; i < count && at + 4 <= trun.end; i++, at += stride) ticks += view.getUint32(at);
    }
  }
  return ticks;
}

/** 8.8.12 baseMediaDecodeTime of a fragment's first track (tfdt, version 0 or 1), in the track's ticks; undefined without one. */
export function fragmentDecodeTicks(moof: Uint8Array): number | undefined {
  const view = new DataView(moof.buffer, moof.byteOffset, moof.byteLength);
  const top = children(moof, 0, moof.byteLength).find((c) => c.type === 'moof');
  const tfdt = child(moof, top, ['traf', 'tfdt']);
  if (tfdt === undefined || tfdt.body + 8 > tfdt.end) return undefined;
  if (moof[tfdt.body] !== 1) return view.getUint32(tfdt.body + 4);
  return tfdt.body + 12 <= tfdt.end ? Number(view.getBigUint64(tfdt.body + 4)) : undefined;
}

/**
 * What an init segment says of its (first) track for an MPD: the sample entry's format (12.1.3
 * VisualSampleEntry, 12.2.3 AudioSampleEntry), the coded size and pixel aspect ratio (pasp), the
 * channel count, and the configuration record (avcC, hvcC) the codec string is made from.
 */
export interface InitSampleEntry {
  readonly format: string;
  readonly timescale: number;
  readonly width?: number;
  readonly height?: number;
  readonly sarWidth?: number;
  readonly sarHeight?: number;
  readonly channels?: number;
  readonly sampleRate?: number;
  /** The avcC or hvcC body. */
  readonly configuration?: Uint8Array;
}

/** 8.5.2 SampleEntry: reserved (6) and data_reference_index (2); then VisualSampleEntry's fields up to its boxes (70), or AudioSampleEntry's (20). */
const SAMPLE_ENTRY_BYTES = 8;
const VISUAL_FIELDS_BYTES = 70;
const AUDIO_FIELDS_BYTES = 20;

/** The first track's sample entry (stsd's first), or undefined when the init has none. */
export function initSampleEntry(init: Uint8Array): InitSampleEntry | undefined {
  const defaults = initDefaults(init);
  const moov = children(init, 0, init.byteLength).find((c) => c.type === 'moov');
  const stsd = child(init, moov, ['trak', 'mdia', 'minf', 'stbl', 'stsd']);
  // stsd: FullBox (4), entry_count (4), then the entries.
  const entry = stsd === undefined || defaults === undefined ? undefined : children(init, stsd.body + 8, stsd.end)[0];
  if (entry === undefined) return undefined;
  const view = new DataView(init.buffer, init.byteOffset, init.byteLength);
  const at = entry.body + SAMPLE_ENTRY_BYTES;
  const base = { format: entry.type, timescale: defaults!.timescale };
  if (at + VISUAL_FIELDS_BYTES <= entry.end && ['avc1', 'avc3', 'hvc1', 'hev1'].includes(entry.type)) {
    const boxes = children(init, at + VISUAL_FIELDS_BYTES, entry.end);
    const configuration = boxes.find((c) => c.type === 'avcC' || c.type === 'hvcC');
    const pasp = boxes.find((c) => c.type === 'pasp' && c.body + 8 <= c.end);
    return {
      ...base,
      // pre_defined, reserved, pre_defined[3] (16), then width and height (u16 each).
      width: view.getUint16(at + 16),
      height: view.getUint16(at + 18),
      sarWidth: pasp === undefined ? 1 : view.getUint32(pasp.body),
      sarHeight: pasp === undefined ? 1 : view.getUint32(pasp.body + 4),
      ...(configuration === undefined ? {} : { configuration: init.subarray(configuration.body, configuration.end) }),
    };
  }
  if (at + AUDIO_FIELDS_BYTES <= entry.end) {
    // entry_version and reserved (8), channelcount, samplesize, pre_defined, reserved (u16 each), samplerate 16.16.
    return { ...base, channels: view.getUint16(at + 8), sampleRate: view.getUint32(at + 16) >>> 16 };
  }
  return base;
}

/** A box header at `at` of `bytes` (`available` of them read), the box `offset` into a file of `fileSize`; undefined when not whole or invalid. */
function headerAt(bytes: Uint8Array, at: number, available: number, offset: number, fileSize: number): TopLevelBox | undefined {
  if (at + HEADER_BYTES > available) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let size = view.getUint32(at);
  if (size === 1) size = at + LARGE_HEADER_BYTES <= available ? Number(view.getBigUint64(at + 8)) : 0;
  if (size < HEADER_BYTES || offset + size > fileSize) return undefined;
  return { type: String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!), offset, size };
}

/**
 * The moof boxes of a file's complete fragments (each followed by a whole mdat), in order. Each
 * moof is read together with the header of the box after it, so a fragment costs two reads (its
 * moof's header, then the moof) and the media is never read.
 */
export async function fragmentHeaders(file: FileHandle, fileSize: number): Promise<Uint8Array[]> {
  const moofs: Uint8Array[] = [];
  const header = Buffer.alloc(LARGE_HEADER_BYTES);
  let next: TopLevelBox | undefined;
  let offset = 0;
  while (offset + HEADER_BYTES <= fileSize) {
    let box = next;
    next = undefined;
    if (box === undefined) {
      const { bytesRead } = await file.read(header, 0, Math.min(LARGE_HEADER_BYTES, fileSize - offset), offset);
      box = headerAt(header, 0, bytesRead, offset, fileSize);
    }
    if (box === undefined) break;
    if (box.type === 'moof') {
      const bytes = Buffer.alloc(Math.min(box.size + LARGE_HEADER_BYTES, fileSize - offset));
      const { bytesRead } = await file.read(bytes, 0, bytes.byteLength, offset);
      if (bytesRead < box.size) break;
      next = headerAt(bytes, box.size, bytesRead, offset + box.size, fileSize);
      if (next?.type === 'mdat') moofs.push(bytes.subarray(0, box.size));
    }
    offset += box.size;
  }
  return moofs;
}

/** The same as fragmentHeaders, of a file still in memory as the pieces it is written from: only the moofs and the box headers are copied. */
export function piecesFragmentHeaders(pieces: readonly Uint8Array[]): Uint8Array[] {
  const starts: number[] = [];
  let total = 0;
  for (const piece of pieces) {
    starts.push(total);
    total += piece.byteLength;
  }
  let cursor = 0;
  /** `length` bytes from `from` (the walk only moves forward, so the piece cursor does too). */
  const copy = (from: number, length: number): Uint8Array => {
    const out = new Uint8Array(length);
    while (cursor + 1 < pieces.length && starts[cursor + 1]! <= from) cursor += 1;
    for (let i = cursor, done = 0; done < length && i < pieces.length; i++) {
      const piece = pieces[i]!;
      const at = Math.max(0, from + done - starts[i]!);
      const take = Math.min(piece.byteLength - at, length - done);
      if (take <= 0) continue;
      out.set(piece.subarray(at, at + take), done);
      done += take;
    }
    return out;
  };
  const moofs: Uint8Array[] = [];
  let offset = 0;
  while (offset + HEADER_BYTES <= total) {
    const head = Math.min(LARGE_HEADER_BYTES, total - offset);
    const box = headerAt(copy(offset, head), 0, head, offset, total);
    if (box === undefined) break;
    if (box.type === 'moof') {
      const moof = copy(offset, box.size);
      const after = Math.min(LARGE_HEADER_BYTES, total - offset - box.size);
      if (headerAt(copy(offset + box.size, after), 0, after, offset + box.size, total)?.type === 'mdat') moofs.push(moof);
    }
    offset += box.size;
  }
  return moofs;
}
