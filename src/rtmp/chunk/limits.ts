/** Limits the chunk reader enforces; each breach is a typed RtmpError that closes the session. */
export interface ChunkReaderLimits {
  /**
   * Largest Set Chunk Size accepted. Default 0xFFFFFF (16 MiB − 1): no message can be longer
   * (the length field has 24 bits, RTMP 5.3.1.2.1), so a larger chunk size means nothing but a
   * probe; the spec's own ceiling is 2^31 − 1.
   */
  maxChunkSize: number;
  /**
   * Largest message length accepted from a header. Default 8 MiB: a 4K intra frame at 50 Mb/s
   * stays well under 4 MiB, and each incomplete message reserves its declared length (against
   * maxPendingBytes and the server's PendingBudget) while its body grows with what arrives.
   */
  maxMessageLength: number;
  /**
   * Distinct chunk stream ids per session. Default 64: real encoders use fewer than 10
   * (OBS 2–7, librtmp 2–8), and each id keeps header state for the session's life.
   */
  maxChunkStreams: number;
  /**
   * Bytes declared by all incomplete messages at once. Default 16 MiB: two maximal messages in
   * flight, which is more than interleaved audio and video ever need, and it bounds what a peer can
   * make us allocate by opening many chunk streams with large declared lengths.
   */
  maxPendingBytes: number;
}

export const DEFAULT_CHUNK_READER_LIMITS: Readonly<ChunkReaderLimits> = Object.freeze({
  maxChunkSize: 0xffffff,
  maxMessageLength: 8 * 1024 * 1024,
  maxChunkStreams: 64,
  maxPendingBytes: 16 * 1024 * 1024,
});

/** RTMP 5.4.1: the chunk size both sides start with. */
export const INITIAL_CHUNK_SIZE = 128;
