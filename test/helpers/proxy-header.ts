import { RtmpError } from '../../src/errors/index.js';
import { ProxyHeaderReader, type ProxyHeader } from '../../src/rtmp/proxy-protocol.js';

/** Shared by the PROXY protocol tests (test/rtmp/proxy-protocol*.test.ts). */

export const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
export const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

export type FeedResult = { readonly header: ProxyHeader; readonly rest: Uint8Array } | 'waiting' | RtmpError;

/**
 * Feeds `bytes` to a ProxyHeaderReader in pieces of `sizes` (cycled): the header and every byte
 * after it (the `rest` of the completing piece and the pieces after), 'waiting', or the RtmpError
 * it threw. Anything else thrown is rethrown.
 */
export function feed(bytes: Uint8Array, sizes: readonly number[], maxBytes?: number): FeedResult {
  const reader = new ProxyHeaderReader(maxBytes);
  const rest: Uint8Array[] = [];
  let header: ProxyHeader | undefined;
  try {
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const piece = bytes.subarray(at, at + sizes[i % sizes.length]!);
      at += piece.length;
      if (header !== undefined) {
        rest.push(piece);
        continue;
      }
      const step = reader.push(piece);
      if (!step.done) continue;
      header = step.header;
      rest.push(step.rest);
    }
  } catch (err) {
    if (err instanceof RtmpError) return err;
    throw err;
  }
  return header === undefined ? 'waiting' : { header, rest: Uint8Array.from(Buffer.concat(rest)) };
}
