import { HlsError } from '../../src/errors/index.js';

/** The HlsError `run` throws; fails the test when it returns or throws anything else. */
export function hlsErrorOf(run: () => unknown): HlsError {
  try {
    run();
  } catch (err) {
    if (err instanceof HlsError) return err;
    throw new Error(`expected an HlsError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected an HlsError, but nothing was thrown');
}

/** Multi-line expectations written as one line per array entry, ending in LF like the renderers. */
export function lines(...text: string[]): string {
  return text.join('\n') + '\n';
}
