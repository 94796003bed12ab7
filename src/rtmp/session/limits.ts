import type { AmfLimits } from '../../amf/index.js';
import type { ChunkReaderLimits, PendingBudget } from '../chunk/index.js';

/** Per-session limits and settings. Each default has its reason; breaching one closes that session only. */
export interface SessionOptions {
  /** Chunk stream limits; see ChunkReaderLimits. */
  chunk: Partial<ChunkReaderLimits>;
  /** AMF decoding limits for commands and data; see AmfLimits. */
  amf: Partial<AmfLimits>;
  /**
   * Outgoing chunk size announced after the handshake. Default 4096: the value OBS, FFmpeg and
   * nginx-rtmp use; 128-byte chunks would add a header every 128 bytes of video.
   */
  outgoingChunkSize: number;
  /**
   * Window Acknowledgement Size and Set Peer Bandwidth announced to the peer. Default 2 500 000
   * bytes, what FMS, nginx-rtmp and SRS announce and what clients are tested against.
   */
  windowAckSize: number;
  /**
   * Bytes a player may have queued in the socket before tidecast drops its non-key frames until
   * the queue drains below half of this; once twice this behind (queued plus skipped bytes) the
   * player is disconnected (ERR_RTMP_OUTGOING_BUFFER_FULL). Default 4 MiB: about 5 s of 6 Mb/s video, enough to ride out a
   * brief stall, small enough that a thousand stalled players cost 8 GiB at worst.
   *
   * Every session, not only players: while more than an eighth of this is unsent, the peer's
   * messages are not read (TCP holds the rest on its side), so a peer that sends commands and never
   * reads the replies makes us queue at most that much; a session with more than twice this unsent
   * is closed.
   */
  maxOutgoingBufferBytes: number;
  /**
   * Streams one session may publish and play at once; a publish or play past it is refused.
   * Default 8: OBS and FFmpeg publish one stream per connection (librtmp plays one), and each
   * published stream is a hub stream with its own packager.
   */
  maxStreamsPerSession: number;
  /**
   * The server-wide budget for incomplete incoming messages this session's chunk reader reserves
   * from (RtmpServer gives every session the same one, sized by maxTotalPendingBytes). None: only
   * `chunk.maxPendingBytes` bounds the session.
   */
  pendingBudget?: PendingBudget;
}

export const DEFAULT_SESSION_OPTIONS: Readonly<Omit<SessionOptions, 'chunk' | 'amf' | 'pendingBudget'>> = Object.freeze({
  outgoingChunkSize: 4096,
  windowAckSize: 2_500_000,
  maxOutgoingBufferBytes: 4 * 1024 * 1024,
  maxStreamsPerSession: 8,
});
