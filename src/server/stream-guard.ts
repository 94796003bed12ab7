import { MediaError, TidecastError } from '../errors/index.js';

/**
 * Runs `run`; a synchronous throw, or a rejection of the promise it returns, goes to `onError`
 * and never further. Returns a promise (that always resolves) only when `run` returned one, so
 * the synchronous path — every sample with a MemoryStore — allocates nothing.
 */
export function guarded(run: () => unknown, onError: (error: unknown) => void): Promise<void> | undefined {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    onError(error);
    return undefined;
  }
  if (typeof (result as { then?: unknown } | undefined)?.then !== 'function') return undefined;
  return Promise.resolve(result).then(
    () => undefined,
    (error: unknown) => onError(error),
  );
}

/** A lifecycle step's failure as ERR_MEDIA_STREAM_LIFECYCLE, naming the stream and the step, the failure as cause. */
export function lifecycleError(stream: { app: string; streamKey: string }, step: string, cause: unknown): MediaError {
  const code = cause instanceof TidecastError ? cause.code : undefined;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new MediaError('ERR_MEDIA_STREAM_LIFECYCLE', `stream ${stream.app}/${stream.streamKey}: ${step} failed: ${reason}`, { app: stream.app, streamKey: stream.streamKey, step, causeCode: code }, { cause });
}
