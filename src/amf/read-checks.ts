import { ByteReader, utf8Decode } from '../bytes/index.js';
import { AmfError } from '../errors/index.js';
import type { AmfLimits } from './limits.js';

/**
 * Checks shared by the AMF0 and AMF3 decoders. Each runs before the allocation or recursion it
 * guards, so a hostile count or length costs a comparison, not memory.
 */

/** A reader whose every overrun is ERR_AMF_TRUNCATED with the offset it happened at. */
export function amfReader(buf: Uint8Array): ByteReader {
  const reader: ByteReader = new ByteReader(buf, (need, have) => {
    return new AmfError('ERR_AMF_TRUNCATED', `AMF value needs ${need} bytes at offset ${reader.pos}, ${have} left`, {
      need,
      have,
      offset: reader.pos,
    });
  });
  return reader;
}

/** Reads `byteLength` bytes of UTF-8, refusing lengths above maxStringBytes before reading them. */
export function readUtf8(reader: ByteReader, byteLength: number, limits: AmfLimits): string {
  if (byteLength > limits.maxStringBytes) {
    throw new AmfError('ERR_AMF_STRING_TOO_LONG', `AMF string of ${byteLength} bytes exceeds maxStringBytes ${limits.maxStringBytes}`, {
      byteLength,
      maxStringBytes: limits.maxStringBytes,
      offset: reader.pos,
    });
  }
  return byteLength === 0 ? '' : utf8Decode(reader.bytes(byteLength));
}

/** Returns the depth of a container opened at `parentDepth`, refusing it beyond maxDepth. */
export function enterContainer(parentDepth: number, limits: AmfLimits, reader: ByteReader): number {
  const depth = parentDepth + 1;
  if (depth > limits.maxDepth) {
    throw new AmfError('ERR_AMF_DEPTH_EXCEEDED', `AMF nesting deeper than maxDepth ${limits.maxDepth}`, {
      maxDepth: limits.maxDepth,
      offset: reader.pos,
    });
  }
  return depth;
}

/** Refuses a container about to hold its `count`-th entry when count exceeds maxItems. */
export function checkItems(count: number, limits: AmfLimits, reader: ByteReader): void {
  if (count > limits.maxItems) {
    throw new AmfError('ERR_AMF_TOO_MANY_ITEMS', `AMF container with ${count} entries exceeds maxItems ${limits.maxItems}`, {
      count,
      maxItems: limits.maxItems,
      offset: reader.pos,
    });
  }
}

/**
 * Checks a declared element count before the elements are read: against maxItems, then against
 * the bytes left, since every encoded value takes at least one byte. A count of 2^32-1 thus fails
 * at once instead of looping or pre-allocating.
 */
export function checkDeclaredCount(count: number, limits: AmfLimits, reader: ByteReader): void {
  checkItems(count, limits, reader);
  if (count > reader.remaining) {
    throw new AmfError('ERR_AMF_TRUNCATED', `AMF array declares ${count} values, only ${reader.remaining} bytes left`, {
      count,
      have: reader.remaining,
      offset: reader.pos,
    });
  }
}

export function unknownMarker(marker: number, what: string, offset: number): AmfError {
  const hex = `0x${marker.toString(16).padStart(2, '0')}`;
  return new AmfError('ERR_AMF_UNKNOWN_MARKER', `${what} ${hex} at offset ${offset} is not supported`, {
    marker,
    offset,
  });
}

export function badReference(kind: string, index: number, tableSize: number, offset: number): AmfError {
  return new AmfError('ERR_AMF_BAD_REFERENCE', `AMF ${kind} reference ${index} points past the ${tableSize} entries decoded so far`, {
    kind,
    index,
    tableSize,
    offset,
  });
}
