import type { JournalRecord } from './object-storage-journal.js';
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
  /** A failure: when it is tried again (always, unless closing, or the file of a recording's object is gone). */
  readonly retryInMs?: number;
  /** A recording's object (or, kind `recording`, the whole recording's outcome): the recording's id. */
  readonly recording?: string;
}

/** A put of a local file (object-storage-recordings.ts: a finished recording's), ObjectStorageUploader.putFile. */
export interface FileUpload {
  /** The object's path under the prefix: `recordings/<id>/<path in the folder>`. */
  readonly objectPath: string;
  readonly kind: UploadKind;
  /** The local file, read at each attempt (streamed). */
  readonly path: string;
  readonly byteLength: number;
  readonly contentType: string;
  /** Objects uploaded first while they are pending (a playlist's media, recording.json's everything). */
  readonly deps: readonly string[];
  /** For the events: the recording's app, stream key and id. */
  readonly app: string;
  readonly streamKey: string;
  readonly recording: string;
  /** Told once: true when the object is in the bucket, false when the file is gone (ENOENT: not retried). */
  readonly settled: (uploaded: boolean) => void;
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

/** The event of an operation's outcome: its app and stream key from its path (`<app>/<key>/…`), or the recording's for a recording's file. */
export function uploadEvent(outcome: UploadEvent['outcome'], record: JournalRecord, where: { bucket: string; key: string }, attempt: number, elapsedMs: number, file?: FileUpload, error?: string, retryInMs?: number): UploadEvent {
  const [app = '', streamKey = ''] = file === undefined ? record.objectPath.split('/') : [file.app, file.streamKey];
  return {
    outcome,
    op: record.op,
    app,
    streamKey,
    kind: record.kind,
    ...where,
    bytes: record.byteLength,
    attempt,
    elapsedMs,
    ...(file === undefined ? {} : { recording: file.recording }),
    ...(error === undefined ? {} : { error, ...(retryInMs === undefined ? {} : { retryInMs }) }),
  };
}
