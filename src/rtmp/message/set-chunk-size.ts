import { RtmpError } from '../../errors/index.js';
import { readU32Body, u32Body } from './control-body.js';

/** RTMP 5.4.1 Set Chunk Size: the largest chunk body the sender uses from now on. */
export interface SetChunkSize {
  /** 1 … 2^31 − 1: bit 31 is reserved and must be 0. */
  chunkSize: number;
}

/** The largest chunk size 5.4.1 allows: 31 bits. */
export const MAX_CHUNK_SIZE = 0x7fffffff;

export function encodeSetChunkSize(m: SetChunkSize): Uint8Array {
  return u32Body(m.chunkSize & MAX_CHUNK_SIZE);
}

/**
 * Throws ERR_RTMP_MESSAGE_MALFORMED for a short body, ERR_RTMP_CHUNK_SIZE_INVALID for 0, bit 31
 * set, or a size above `maxChunkSize` (a reader's limit, ChunkReaderLimits.maxChunkSize).
 */
export function decodeSetChunkSize(payload: Uint8Array, maxChunkSize = MAX_CHUNK_SIZE): SetChunkSize {
  const chunkSize = readU32Body(payload, 'Set Chunk Size', 1);
  const limit = Math.min(maxChunkSize, MAX_CHUNK_SIZE);
  if (chunkSize < 1 || chunkSize > limit) {
    throw new RtmpError('ERR_RTMP_CHUNK_SIZE_INVALID', `Set Chunk Size ${chunkSize} outside 1 ... ${limit}`, { size: chunkSize, limit });
  }
  return { chunkSize };
}
