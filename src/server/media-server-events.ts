import type { LivePartEvent, LiveSegmentEvent } from '../hls/index.js';
import type { StreamName } from './hls-egress.js';
import type { UploadEvent } from './object-storage-events.js';
import type { RecordingEvent } from './recorder-recording.js';

/** What a MediaServer emits (eventemitter3). */
export interface MediaServerEvents {
  publish: [stream: StreamName];
  unpublish: [stream: StreamName];
  /** A segment was published to the store (every rendition). */
  segment: [stream: StreamName, segment: LiveSegmentEvent];
  /** LL-HLS: a part was published to the store (every rendition); blocking requests for it are released right after. */
  part: [stream: StreamName, part: LivePartEvent];
  /**
   * A stream's health: its packaging, end or clean-up failed (a store write, media the packager
   * refused), or its publish was ended by a limit (ERR_MEDIA_KEYFRAME_OVERDUE). That stream only;
   * the server goes on.
   */
  streamError: [stream: StreamName, error: unknown];
  /** A publish or play was refused by the authorization (docs/auth.md): what was asked, by whom, and why. */
  authDenied: [denial: { atMs: number; action: string; app: string; key: string; ip: string; reason: string }];
  /** A stream's ladder had trouble it works around: an ffmpeg crash and respawn, a timestamp mismatch, a backlog skip. */
  transcodeWarning: [stream: StreamName, message: string, details: Record<string, unknown>];
  /** Object storage (docs/storage.md): an object put or deleted in the bucket, or an attempt that failed (it is retried). */
  upload: [event: UploadEvent];
  /** Recording (docs/recording.md): a recording started, a segment of it is on disk, it completed, or it failed (with the reason). */
  recording: [event: RecordingEvent];
}

/** What the server's limits did since it started (docs/limits.md). */
export interface MediaServerCounters {
  /** Publishes ended for want of a video keyframe (ERR_MEDIA_KEYFRAME_OVERDUE). */
  keyframeOverdue: number;
  /** streamError events, all causes. */
  streamErrors: number;
  /** Publishes and plays refused (bad names, a key already published, the embedder's rejects). */
  refusedStreams: number;
}
