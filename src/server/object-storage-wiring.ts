import type { MediaServer } from './media-server.js';
import type { MediaServerOptions } from './media-server-options.js';
import { ObjectStorageUploader } from './object-storage.js';

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
