import { DeleteObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DEFAULT_UPLOAD_REQUEST_TIMEOUT_MS, regionOf, type ObjectStorageOptions } from './object-storage-options.js';

/**
 * The S3 requests of the uploader: one PutObject (or a multipart Upload for a large object) or
 * DeleteObject per attempt. The SDK's own retries are off
 * (createClient): the uploader's backoff decides when to try again. Loaded by the uploader when it
 * starts (a dynamic import), so a server without object storage never loads the AWS SDK.
 */

/**
 * The client: the embedder's, or one from the options. Checksums only where an operation requires
 * them: the SDK's default (since 3.729) adds CRC32 headers and, on streamed bodies, aws-chunked
 * trailers that many S3-compatible services do not read.
 */
export function createClient(o: ObjectStorageOptions): S3Client {
  if (o.client !== undefined) return o.client;
  const config: S3ClientConfig = {
    region: regionOf(o),
    forcePathStyle: o.forcePathStyle ?? false,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The uploader retries by itself, with its own backoff and events: one SDK attempt per try.
    maxAttempts: 1,
    // Its failures are the uploader's events: without a logger of its own the SDK would console.warn each failed streamed attempt.
    logger: SILENT_LOGGER,
    requestHandler: { requestTimeout: o.requestTimeoutMs ?? DEFAULT_UPLOAD_REQUEST_TIMEOUT_MS, connectionTimeout: Math.min(o.requestTimeoutMs ?? DEFAULT_UPLOAD_REQUEST_TIMEOUT_MS, 10_000) },
    ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
    ...(o.accessKeyId === undefined || o.secretAccessKey === undefined ? {} : { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey, ...(o.sessionToken === undefined ? {} : { sessionToken: o.sessionToken }) } }),
  };
  return new S3Client(config);
}

const SILENT_LOGGER = { debug: (): void => undefined, info: (): void => undefined, warn: (): void => undefined, error: (): void => undefined };

export interface PutRequest {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  readonly cacheControl: string;
  readonly byteLength: number;
  /**
   * The bytes: in memory, a stream of the journal's file (a multipart upload of a large object), or
   * a local file (a recording's) opened here and streamed, its size read at the open.
   */
  readonly body: Uint8Array | Readable | { readonly localFile: string };
  /** At least this many bytes go up in parts of this size (lib-storage). */
  readonly multipartBytes: number;
}

export async function putObject(client: S3Client, request: PutRequest, signal: AbortSignal): Promise<void> {
  const body = request.body;
  if (!(body instanceof Uint8Array) && 'localFile' in body) {
    // A missing file throws here (ENOENT, which the uploader does not retry); the stream is closed whatever the outcome.
    const handle = await open(body.localFile, 'r');
    const stream = handle.createReadStream();
    try {
      return await putObject(client, { ...request, body: stream, byteLength: (await handle.stat()).size }, signal);
    } finally {
      stream.destroy();
    }
  }
  const params = { Bucket: request.bucket, Key: request.key, Body: body, ContentType: request.contentType, CacheControl: request.cacheControl };
  if (request.byteLength < request.multipartBytes) {
    await client.send(new PutObjectCommand({ ...params, ContentLength: request.byteLength }), { abortSignal: signal });
    return;
  }
  // One part at a time: the uploader's own concurrency bounds the requests and the memory (a part each).
  const upload = new Upload({ client, params, partSize: request.multipartBytes, queueSize: 1, leavePartsOnError: false });
  const abort = (): void => void upload.abort().catch(() => undefined);
  signal.addEventListener('abort', abort, { once: true });
  try {
    await upload.done();
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

export async function deleteObject(client: S3Client, bucket: string, key: string, signal: AbortSignal): Promise<void> {
  // S3 answers 204 for a key that is not there: a repeated delete is not an error.
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
}
