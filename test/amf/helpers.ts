import { AmfError } from '../../src/errors/index.js';

/** Bytes from hex written with any spacing: `hex('02 0001 61')`. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** Runs `fn` and returns the AmfError code it threw; fails on success or any other error. */
export function amfErrorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AmfError) return err.code;
    throw err;
  }
  throw new Error('expected an AmfError, nothing was thrown');
}
