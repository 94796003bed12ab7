import { ChunkReader, ChunkWriter } from '../src/rtmp/chunk/index.js';
import { MessageType } from '../src/rtmp/message/index.js';
import { publishMessages, record, type Recording } from './recording.js';
import { timeCases, type BenchCase, type BenchRunOptions, type BenchRow, type BenchSuite } from './suite.js';

/**
 * Chunk stream throughput on one core: MB/s of message payload through ChunkReader replaying a
 * recorded 1080p30 6 Mb/s publish session, and through ChunkWriter producing it.
 */

/** What a socket hands over per 'data' event on Linux (the stream's default highWaterMark). */
const SOCKET_READ_BYTES = 64 * 1024;

/** OBS and FFmpeg send 4096; 128 is the RTMP default (5.4.1) that librtmp and GStreamer keep. */
const CHUNK_SIZES = [4096, 128];

/** The recording cut as a socket delivers it: views of one buffer, made once outside the timing. */
function socketReads(bytes: Buffer): Buffer[] {
  const reads: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += SOCKET_READ_BYTES) reads.push(bytes.subarray(at, at + SOCKET_READ_BYTES));
  return reads;
}

/** One replay with a fresh reader; returns the payload bytes read so the work cannot be skipped. */
function replay(reads: readonly Buffer[]): number {
  const reader = new ChunkReader();
  let payloadBytes = 0;
  for (const bytes of reads) {
    reader.push(bytes);
    for (let m = reader.read(); m !== null; m = reader.read()) payloadBytes += m.payload.length;
  }
  return payloadBytes;
}

/** A replay must read back what was recorded; a fast wrong reader is no result. */
function checkReplay(recording: Recording, reads: readonly Buffer[]): void {
  const reader = new ChunkReader();
  let count = 0;
  for (const bytes of reads) {
    reader.push(bytes);
    for (let m = reader.read(); m !== null; m = reader.read()) {
      const want = recording.messages[count++];
      if (want === undefined || m.timestamp !== want.timestamp || m.typeId !== want.typeId || !Buffer.from(m.payload).equals(want.payload)) {
        throw new Error(`replay at chunk size ${recording.chunkSize}: message ${count - 1} differs from the recording`);
      }
    }
  }
  if (count !== recording.messages.length || reader.buffered !== 0) throw new Error(`replay read ${count} of ${recording.messages.length} messages`);
}

export const chunkStreamSuite: BenchSuite = {
  name: 'rtmp chunk stream',
  async run(options: BenchRunOptions): Promise<BenchRow[]> {
    const messages = await publishMessages();
    const cases: BenchCase[] = [];
    for (const chunkSize of CHUNK_SIZES) {
      const recording = record(messages, chunkSize);
      const reads = socketReads(recording.bytes);
      checkReplay(recording, reads);
      cases.push({
        name: `ChunkReader, chunk size ${chunkSize}, 64 KiB reads`,
        payloadBytes: recording.payloadBytes,
        fn: () => {
          if (replay(reads) !== recording.payloadBytes) throw new Error('replay lost bytes');
        },
      });
    }
    for (const chunkSize of CHUNK_SIZES) {
      const recording = record(messages, chunkSize);
      cases.push({
        name: `ChunkWriter, chunk size ${chunkSize}`,
        payloadBytes: recording.payloadBytes,
        fn: () => {
          const writer = new ChunkWriter();
          for (const m of recording.messages) {
            writer.encode(m);
            if (m.typeId === MessageType.SET_CHUNK_SIZE) writer.setChunkSize(chunkSize);
          }
        },
      });
    }
    return timeCases(this.name, cases, options);
  },
};
