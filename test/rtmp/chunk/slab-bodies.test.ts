import { describe, expect, it } from 'vitest';
import { ChunkReader, ChunkWriter } from '../../../src/rtmp/chunk/index.js';
import { SLAB_BODY_BYTES, SLAB_BYTES } from '../../../src/rtmp/chunk/chunk-reader.js';
import { setChunkSizeMessage, type RtmpMessage } from '../../../src/rtmp/message/index.js';

function video(timestamp: number, length: number): RtmpMessage {
  const payload = new Uint8Array(length);
  for (let i = 0; i < length; i++) payload[i] = (i * 7 + timestamp) & 0xff;
  return { chunkStreamId: 6, typeId: 9, timestamp, messageStreamId: 1, payload };
}

/** Every message of `sent` read back from the bytes ChunkWriter makes of them at chunk size 4096. */
function readBack(sent: RtmpMessage[]): RtmpMessage[] {
  const writer = new ChunkWriter();
  const reader = new ChunkReader();
  reader.push(writer.encode(setChunkSizeMessage(4096)));
  writer.setChunkSize(4096);
  for (const m of sent) reader.push(writer.encode(m));
  const got: RtmpMessage[] = [];
  for (let m = reader.read(); m !== null; m = reader.read()) if (m.typeId === 9) got.push(m);
  return got;
}

describe('ChunkReader bodies cut from slabs', () => {
  it('frames from 4 KiB to a quarter slab share a slab, each with its own bytes', () => {
    const sent = [video(1, 4096), video(2, 25_000), video(3, 30_001), video(4, SLAB_BODY_BYTES)];
    const got = readBack(sent);
    expect(got.map((m) => [...m.payload])).toEqual(sent.map((m) => [...m.payload]));
    const slab = got[0]!.payload.buffer;
    expect(slab.byteLength).toBe(SLAB_BYTES);
    for (const m of got) expect(m.payload.buffer).toBe(slab);
    // Aligned and apart: none overlaps the next.
    for (let i = 1; i < got.length; i++) expect(got[i]!.payload.byteOffset).toBeGreaterThanOrEqual(got[i - 1]!.payload.byteOffset + got[i - 1]!.payload.length);
    for (const m of got) expect(m.payload.byteOffset % 8).toBe(0);
  });

  it('starts a new slab when the rest of the current one is too short', () => {
    const sent = Array.from({ length: 12 }, (_, i) => video(i, 60_000));
    const got = readBack(sent);
    expect(got.map((m) => [...m.payload])).toEqual(sent.map((m) => [...m.payload]));
    const slabs = new Set(got.map((m) => m.payload.buffer));
    // Four 60 000-byte bodies fit a 256 KiB slab.
    expect(slabs.size).toBe(3);
  });

  it('gives a larger frame, and a small message, a buffer that is not a slab', () => {
    const got = readBack([video(1, SLAB_BODY_BYTES + 1), video(2, 300)]);
    expect(got[0]!.payload.length).toBe(SLAB_BODY_BYTES + 1);
    expect(got[0]!.payload.buffer.byteLength).not.toBe(SLAB_BYTES);
    expect(got[1]!.payload.buffer.byteLength).not.toBe(SLAB_BYTES);
  });
});
