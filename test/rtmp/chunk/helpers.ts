import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ChunkReader } from '../../../src/rtmp/chunk/index.js';
import type { RtmpMessage } from '../../../src/rtmp/message/index.js';
import { RtmpError } from '../../../src/errors/index.js';
import { fixturePath } from '../../helpers/ffmpeg.js';

/** Bytes from hex written with any spacing: `hex('04 000000 000003 08')`. */
export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * One message on each basic header form (RTMP 5.3.1.1): 1 byte for ids 2–63, 2 bytes for 64–319,
 * 3 bytes (id − 64, little-endian) for 320–65599. The writer must produce exactly these bytes too.
 */
export const BASIC_HEADER_FORMS: Array<{ csid: number; basic: string }> = [
  { csid: 2, basic: '02' },
  { csid: 3, basic: '03' },
  { csid: 63, basic: '3f' },
  { csid: 64, basic: '00 00' },
  { csid: 65, basic: '00 01' },
  { csid: 319, basic: '00 ff' },
  { csid: 320, basic: '01 00 01' },
  { csid: 321, basic: '01 01 01' },
  { csid: 65599, basic: '01 ff ff' },
];

/** A message whose payload is given as hex. */
export function msg(chunkStreamId: number, typeId: number, timestamp: number, messageStreamId: number, payloadHex = ''): RtmpMessage {
  return { chunkStreamId, typeId, timestamp, messageStreamId, payload: hex(payloadHex) };
}

/** A message as plain comparable data, the payload as hex. */
export interface PlainMessage {
  chunkStreamId: number;
  typeId: number;
  timestamp: number;
  messageStreamId: number;
  payload: string;
}

export function plain(m: RtmpMessage): PlainMessage {
  return { chunkStreamId: m.chunkStreamId, typeId: m.typeId, timestamp: m.timestamp, messageStreamId: m.messageStreamId, payload: toHex(m.payload) };
}

/** Reads messages until the reader needs more bytes. */
export function drain(reader: ChunkReader, into: RtmpMessage[] = []): RtmpMessage[] {
  for (let m = reader.read(); m !== null; m = reader.read()) into.push(m);
  return into;
}

/** Pushes `pieces` one by one, draining after each; returns every message read. */
export function readPieces(reader: ChunkReader, pieces: Iterable<Uint8Array>): RtmpMessage[] {
  const out: RtmpMessage[] = [];
  for (const piece of pieces) {
    reader.push(piece);
    drain(reader, out);
  }
  return out;
}

/** `bytes` cut at the given offsets (sorted, deduplicated, clamped to the length). */
export function cutAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => Math.min(Math.max(o, 0), bytes.length)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const to of [...points, bytes.length]) {
    if (to > from) pieces.push(bytes.subarray(from, to));
    from = to;
  }
  return pieces;
}

/**
 * A running SHA-1 over the fields and payload of each message read, so thousands of splits of the
 * same transcript can be compared without keeping their messages.
 */
export class MessageDigest {
  private readonly hash = createHash('sha1');
  private readonly header = Buffer.alloc(16);
  count = 0;
  payloadBytes = 0;

  add(m: RtmpMessage): void {
    const h = this.header;
    h.writeUInt32BE(m.chunkStreamId, 0);
    h.writeUInt32BE(m.typeId, 4);
    h.writeUInt32BE(m.timestamp, 8);
    h.writeUInt32BE(m.messageStreamId >>> 0, 12);
    this.hash.update(h);
    this.hash.update(m.payload);
    this.count++;
    this.payloadBytes += m.payload.length;
  }

  digest(): string {
    return `${this.count}:${this.payloadBytes}:${this.hash.digest('hex')}`;
  }
}

/** Pushes `pieces` one by one into a fresh reader; the digest of the messages, and what is left. */
export function digestPieces(pieces: Iterable<Uint8Array>): { digest: string; buffered: number } {
  const reader = new ChunkReader();
  const d = new MessageDigest();
  for (const piece of pieces) {
    reader.push(piece);
    for (let m = reader.read(); m !== null; m = reader.read()) d.add(m);
  }
  return { digest: d.digest(), buffered: reader.buffered };
}

/** C0 + C1 + C2 (RTMP 5.2.5): 1 + 1536 + 1536 bytes before the first chunk. */
export const HANDSHAKE_BYTES = 3073;

/** A client → server transcript from fixtures/rtmp/ with its handshake removed. */
export function loadTranscript(file: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(`rtmp/${file}`))).subarray(HANDSHAKE_BYTES);
}

/** The RtmpError code `fn` threw; fails on success or any other error. */
export function rtmpErrorCode(fn: () => unknown): string {
  return rtmpError(fn).code;
}

export function rtmpError(fn: () => unknown): RtmpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RtmpError) return err;
    throw err;
  }
  throw new Error('expected an RtmpError, nothing was thrown');
}

/** A small seeded PRNG (mulberry32) so random splits are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
