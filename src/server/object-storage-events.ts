import type { UploadKind } from './object-storage-plan.js';

/** What the object storage uploader (object-storage.ts) tells and counts. */

export interface UploadEvent {
  readonly outcome: 'completed' | 'failed';
  readonly op: 'put' | 'delete';
  readonly app: string;
  readonly streamKey: string;
  readonly kind: UploadKind;
  readonly bucket: string;
  /** The object's key in the bucket (with the prefix). */
  readonly key: string;
  readonly bytes: number;
  /** 1 for the first try. */
  readonly attempt: number;
  /** From the put (or the start, for a resumed upload) to this outcome. */
  readonly elapsedMs: number;
  /** A failure: what the service or the network said. */
  readonly error?: string;
  /** A failure: when it is tried again (it always is, unless closing). */
  readonly retryInMs?: number;
}

export interface ObjectStorageEvents {
  upload: [event: UploadEvent];
  /** The journal could not be written or cleaned: the upload goes on from memory (kept there whatever the bound). */
  journalError: [error: unknown];
}

export interface ObjectStorageCounters {
  /** Objects put or deleted. */
  completed: number;
  /** Failed attempts (each retried). */
  failedAttempts: number;
  /** Bytes of the objects put. */
  uploadedBytes: number;
  /** Operations resumed from the journal at start. */
  resumed: number;
  /** Journal writes or removals that failed. */
  journalErrors: number;
}
