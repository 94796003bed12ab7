import type { MediaServer } from './media-server.js';
import type { MediaServerOptions } from './media-server-options.js';
import { ObjectStorageUploader } from './object-storage.js';
import { RecordingUploads } from './object-storage-recordings.js';
import type { Recorder } from './recorder.js';

declare module './media-server.js' {
  interface MediaServer {
    /** The upload of live HLS to an S3-compatible bucket (docs/storage.md); undefined without the `objectStorage` option. */
    readonly objectStorage: ObjectStorageUploader | undefined;
  }
}

/**
 * The `objectStorage` option, wired (one line in media-server.ts): the uploader as a tap of the
 * server's store (closed with it, after the playlists' last versions), its outcomes as the
 * server's 'upload' events (and the `upload.*` webhooks, control-plane.ts), its counters as
 * metrics, and `server.objectStorage`.
 */
export function wireObjectStorage(server: MediaServer, options: MediaServerOptions): void {
  const uploader = options.objectStorage === undefined ? undefined : new ObjectStorageUploader(options.objectStorage);
  Object.defineProperty(server, 'objectStorage', { value: uploader, enumerable: true });
  if (uploader === undefined) return;
  server.storage.addTap(uploader);
  uploader.on('upload', (event) => server.emit('upload', event));
  server.control.metrics.watchUploads(() => ({
    completed: uploader.counters.completed,
    failedAttempts: uploader.counters.failedAttempts,
    uploadedBytes: uploader.counters.uploadedBytes,
    pending: uploader.pending,
    pendingBytes: uploader.pendingBytes,
    memoryBytes: uploader.memoryBytes,
  }));
}

/**
 * The recording mode (`objectStorage.recordings`), wired by wireRecording once the recorder is
 * made: each recording the recorder completes goes up (and, after a 'failed' one, the finished
 * recordings not uploaded yet: the recorder closed what it had); at start, after its repair,
 * every finished recording not uploaded yet. Closed with the store's taps.
 */
export function wireRecordingUploads(server: MediaServer, recorder: Recorder): void {
  const uploader = server.objectStorage;
  if (uploader === undefined || !uploader.settings.recordings) return;
  const uploads = new RecordingUploads(uploader, recorder);
  uploader.recordings = uploads;
  server.on('recording', (event) => {
    if (event.type === 'completed') uploads.finished(event.id);
    else if (event.type === 'failed') void recorder.idle().then(() => uploads.scan(), () => undefined);
  });
  server.storage.addTap({ put: () => undefined, delete: () => undefined, close: () => uploads.close() });
}
