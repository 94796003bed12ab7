/**
 * `length` bytes not zeroed first, for a caller that writes all of them before anyone reads them
 * (no byte of old memory can leave): under 4 KiB a slice of Node's shared 8 KiB pool, else a buffer
 * of its own.
 */
export function uninitialized(length: number): Uint8Array {
  return length < 4096 ? Buffer.allocUnsafe(length) : Buffer.allocUnsafeSlow(length);
}
