import type { StoredFile } from '../store/index.js';
import type { RecordingRendition } from './recording-catalog.js';

/** What a recording tells (the server's 'recording' events, the `recording.*` webhooks) and what it asks (recorder-recording.ts). */

export type RecordingEvent =
  | { readonly type: 'started'; readonly id: string; readonly app: string; readonly streamKey: string; readonly startedAtMs: number }
  | { readonly type: 'segment_completed'; readonly id: string; readonly app: string; readonly streamKey: string; readonly rendition: string; readonly msn: number; readonly durationSeconds: number; readonly byteLength: number }
  | { readonly type: 'completed'; readonly id: string; readonly app: string; readonly streamKey: string; readonly startedAtMs: number; readonly endedAtMs: number; readonly durationSeconds: number; readonly bytes: number }
  | { readonly type: 'failed'; readonly id: string; readonly app: string; readonly streamKey: string; readonly reason: string };

/** What a recording asks of the live stream: its renditions' descriptions and init segments. */
export interface RenditionSource {
  /** The rendition's codecs, sizes and rates (its bandwidth is the recording's own measure). */
  describe(rendition: string): Omit<RecordingRendition, 'bandwidth'> | undefined;
  /** The rendition's init segment of `generation`, or its newest one. */
  init(rendition: string, generation?: number): { generation: number; file: StoredFile } | undefined;
}

export interface RecordingContext {
  readonly now: () => number;
  readonly emit: (event: RecordingEvent) => void;
  /** The live target duration: an EVENT playlist's target stays put (RFC 8216bis 6.2.1). */
  readonly minTargetSeconds: number;
  readonly maxQueuedBytes: number;
  readonly source: RenditionSource;
}
