import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { encodeAmf0 } from '../src/amf/index.js';
import { readFlvFile } from '../src/flv/index.js';
import { ChunkWriter } from '../src/rtmp/chunk/index.js';
import { ChunkStreamId, commandMessage, MessageType, setChunkSizeMessage, type RtmpMessage } from '../src/rtmp/message/index.js';
import { locateFfmpeg } from '../src/transcode/index.js';

/**
 * The benchmarks' input: 1080p30 H.264 + AAC FLVs that ffmpeg makes once and that are cached in
 * os.tmpdir()/tidecast-bench/, one file per length. The chunk stream suite replays the 20 s one as
 * a publish session (its tags become RTMP messages written by ChunkWriter after a Set Chunk Size,
 * as OBS sends them); the packaging suite reads the 60 s one as a file.
 */

const CACHE_DIR = path.join(tmpdir(), 'tidecast-bench');

/** The chunk stream suite's recording, and the packaging suite's in --quick runs. */
export const SHORT_RECORDING_SECONDS = 20;
/** The packaging suite's full-run input: 60 s, long enough that 30 segments per track are cut. */
export const LONG_RECORDING_SECONDS = 60;

/**
 * x264 ultrafast at a 6 Mb/s cap with a 2 s VBV buffer: the upper end of what OBS and streaming
 * platforms recommend for 1080p30, so chunk traffic is typical of a real heavy publisher.
 */
function ffmpegArgs(seconds: number): string[] {
  return [
    '-hide_banner', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '6M', '-maxrate', '6M', '-bufsize', '12M', '-g', '60', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '128k',
    '-f', 'flv',
  ];
}

/** ffmpeg's run time bound: 60 s of 1080p at ultrafast takes about 15 s on two cores. */
const FFMPEG_TIMEOUT_MS = 300_000;

/** Path of the cached `seconds`-long FLV, made with ffmpeg on first use. */
export async function benchFlvPath(seconds: number = SHORT_RECORDING_SECONDS): Promise<string> {
  const file = path.join(CACHE_DIR, `testsrc2-1080p30-6M-${seconds}s.flv`);
  if (await isFile(file)) return file;
  const ffmpeg = await locateFfmpeg();
  if (ffmpeg === undefined) throw new Error('the benchmark needs ffmpeg (FFMPEG_PATH, PATH or @ffmpeg-installer/ffmpeg) to make its 1080p recording once');
  await mkdir(CACHE_DIR, { recursive: true });
  // Written under a temporary name and renamed, so an interrupted run never leaves a truncated cache.
  const partial = `${file}.${process.pid}.partial`;
  await promisify(execFile)(ffmpeg.path, [...ffmpegArgs(seconds), partial], { timeout: FFMPEG_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
  await rename(partial, file);
  return file;
}

/**
 * Path of a cached FLV of `copies` back-to-back copies of the `pieceSeconds` recording, made once
 * with ffmpeg's concat demuxer and `-c copy` (no re-encoding: x264 at 1080p would take minutes for
 * 10 minutes of media on two cores). The concat demuxer offsets each copy by the previous one's
 * duration, so timestamps run on without a jump; every copy starts with a keyframe (`-g 60` over a
 * whole number of seconds), so the joins are ordinary segment boundaries.
 */
export async function concatenatedFlvPath(pieceSeconds: number, copies: number): Promise<string> {
  const file = path.join(CACHE_DIR, `testsrc2-1080p30-6M-${pieceSeconds}s-x${copies}.flv`);
  if (await isFile(file)) return file;
  const piece = await benchFlvPath(pieceSeconds);
  const ffmpeg = await locateFfmpeg();
  if (ffmpeg === undefined) throw new Error('the benchmark needs ffmpeg to join its recording into a long file once');
  const list = `${file}.${process.pid}.txt`;
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(list, `${Array.from({ length: copies }, () => `file '${piece.replaceAll("'", "'\\''")}'`).join('\n')}\n`);
  try {
    await promisify(execFile)(ffmpeg.path, ['-hide_banner', '-nostdin', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', '-f', 'flv', partial], { timeout: FFMPEG_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    await rename(partial, file);
  } finally {
    await rm(list, { force: true });
    await rm(partial, { force: true });
  }
  return file;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

export interface Recording {
  /** The chunk stream bytes, from the first chunk on (the handshake is not part of it). */
  bytes: Buffer;
  /** The messages written, in order (control and commands included). */
  messages: RtmpMessage[];
  /** Sum of the messages' payload lengths. */
  payloadBytes: number;
  chunkSize: number;
}

/** The FLV's tags as a publisher's messages: commands, then `@setDataFrame` and media on stream 1. */
export async function publishMessages(): Promise<RtmpMessage[]> {
  const { tags } = readFlvFile(new Uint8Array(await readFile(await benchFlvPath())));
  const streamId = 1;
  const messages: RtmpMessage[] = [
    commandMessage({ name: 'connect', transactionId: 1, commandObject: { app: 'live', type: 'nonprivate', tcUrl: 'rtmp://127.0.0.1/live' }, args: [] }),
    commandMessage({ name: 'releaseStream', transactionId: 2, commandObject: null, args: ['bench'] }),
    commandMessage({ name: 'FCPublish', transactionId: 3, commandObject: null, args: ['bench'] }),
    commandMessage({ name: 'createStream', transactionId: 4, commandObject: null, args: [] }),
    commandMessage({ name: 'publish', transactionId: 5, commandObject: null, args: ['bench', 'live'] }, streamId),
  ];
  const setDataFrame = encodeAmf0('@setDataFrame');
  for (const tag of tags) {
    const timestamp = tag.timestamp >>> 0;
    if (tag.type === MessageType.AUDIO) messages.push({ chunkStreamId: ChunkStreamId.AUDIO, typeId: MessageType.AUDIO, timestamp, messageStreamId: streamId, payload: tag.body });
    else if (tag.type === MessageType.VIDEO) messages.push({ chunkStreamId: ChunkStreamId.VIDEO, typeId: MessageType.VIDEO, timestamp, messageStreamId: streamId, payload: tag.body });
    else messages.push({ chunkStreamId: ChunkStreamId.DATA, typeId: MessageType.DATA_AMF0, timestamp, messageStreamId: streamId, payload: Buffer.concat([setDataFrame, tag.body]) });
  }
  return messages;
}

/** Writes `messages` as one publisher would at `chunkSize`: Set Chunk Size first (RTMP 5.4.1). */
export function record(messages: readonly RtmpMessage[], chunkSize: number): Recording {
  const writer = new ChunkWriter();
  const all = chunkSize === writer.chunkSize ? [...messages] : [setChunkSizeMessage(chunkSize), ...messages];
  const parts: Buffer[] = [];
  for (const m of all) {
    parts.push(writer.encode(m));
    if (m.typeId === MessageType.SET_CHUNK_SIZE) writer.setChunkSize(chunkSize);
  }
  return { bytes: Buffer.concat(parts), messages: all, payloadBytes: all.reduce((n, m) => n + m.payload.length, 0), chunkSize };
}
