import { checkIntegerOption } from '../config/index.js';

/**
 * Bounds on what one decoder accepts. AMF arrives from unauthenticated peers (connect is the first
 * message of a session), so every count and length in the bytes is checked against these before
 * anything is allocated or recursed into.
 */
export interface AmfLimits {
  /** Deepest nesting of objects and arrays; a top-level object is depth 1. Default 32. */
  readonly maxDepth: number;
  /** Longest string, key, class name or XML document, in UTF-8 bytes. Default 1 MiB. */
  readonly maxStringBytes: number;
  /** Most entries in one object, ECMA array, strict array or AMF3 array. Default 65 536. */
  readonly maxItems: number;
}

/**
 * Default maxDepth: 32. Real RTMP commands nest at most 3 deep (connect's command object holding
 * an object) and onMetaData at most 2; 32 leaves room for odd encoders while recursion stops long
 * before the JS stack.
 */
export const AMF_DEFAULT_MAX_DEPTH = 32;

/**
 * Default maxStringBytes: 1 MiB. The longest strings seen in practice are tcUrl/swfUrl and
 * metadata tags (well under 4 KiB); a long string (AMF0 2.14) may declare up to 4 GiB, which must
 * not be trusted.
 */
export const AMF_DEFAULT_MAX_STRING_BYTES = 1024 * 1024;

/**
 * Default maxItems: 65 536. onMetaData carries a few dozen keys and keyframe index arrays a few
 * thousand entries (one per keyframe of a file); a strict array's u32 count (AMF0 2.12) would
 * otherwise allow 2^32-1.
 */
export const AMF_DEFAULT_MAX_ITEMS = 65_536;

/**
 * The highest maxDepth accepted, and the nesting limit of the encoder (which takes no limits).
 * Each level costs a few stack frames, so 1000 levels stay far inside Node's default stack
 * (about 10 000 frames) and deep input always ends in ERR_AMF_DEPTH_EXCEEDED, never a RangeError.
 */
export const AMF_DEPTH_CEILING = 1000;

export const AMF_DEFAULT_LIMITS: AmfLimits = Object.freeze({
  maxDepth: AMF_DEFAULT_MAX_DEPTH,
  maxStringBytes: AMF_DEFAULT_MAX_STRING_BYTES,
  maxItems: AMF_DEFAULT_MAX_ITEMS,
});

/** Fills in defaults and validates; a bad value throws ERR_CONFIG_INVALID naming the option. */
export function resolveAmfLimits(limits?: Partial<AmfLimits>): AmfLimits {
  if (limits === undefined) return AMF_DEFAULT_LIMITS;
  const resolved: AmfLimits = {
    maxDepth: limits.maxDepth ?? AMF_DEFAULT_MAX_DEPTH,
    maxStringBytes: limits.maxStringBytes ?? AMF_DEFAULT_MAX_STRING_BYTES,
    maxItems: limits.maxItems ?? AMF_DEFAULT_MAX_ITEMS,
  };
  checkIntegerOption('maxDepth', resolved.maxDepth, 0, AMF_DEPTH_CEILING);
  checkIntegerOption('maxStringBytes', resolved.maxStringBytes, 0, Number.MAX_SAFE_INTEGER);
  checkIntegerOption('maxItems', resolved.maxItems, 0, Number.MAX_SAFE_INTEGER);
  return resolved;
}
