import { MediaError, TidecastError } from '../errors/index.js';

/**
 * Runs `run`; a synchronous throw, or a rejection of the promise it returns, goes to `onError`
 * and never further. The returned promise always resolves, so callers may `void` it.
 */
export function guarded(run: () => unknown, onError: (error: unknown) => void): Promise<void> {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    onError(error);
    return Promise.resolve();
  }
  if (typeof (result as { then?: unknown } | undefined)?.then !== 'function') return Promise.resolve();
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
