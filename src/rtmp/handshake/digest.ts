import { createHmac } from 'node:crypto';
import {
  DIGEST_BLOCK_SIZE,
  DIGEST_OFFSET_MODULO,
  DIGEST_SIZE,
  RESPONSE_BODY_SIZE,
  SIGNATURE_HEADER_SIZE,
  SIGNATURE_SIZE,
} from './constants.js';

/**
 * Where the digest block sits in a complex C1/S1 (see the layout in constants.ts):
 * 0 = key block then digest block (digest block at 772; nginx-rtmp's "offset 772"),
 * 1 = digest block then key block (digest block at 8; the one Flash Player, librtmp and ffmpeg send).
 */
export type DigestScheme = 0 | 1;

export interface DigestLocation {
  scheme: DigestScheme;
  /** Offset of the 32 digest bytes from the start of C1/S1. */
  offset: number;
}

/** Scheme 1 first: it is what nearly every client sends, so the common case costs one HMAC. */
const SCHEMES: readonly DigestScheme[] = [1, 0];

function digestBlockStart(scheme: DigestScheme): number {
  return scheme === 0 ? SIGNATURE_HEADER_SIZE + DIGEST_BLOCK_SIZE : SIGNATURE_HEADER_SIZE;
}

/** The digest position the 4 offset bytes of `scheme`'s digest block point at. */
export function digestOffset(signature: Uint8Array, scheme: DigestScheme): number {
  const start = digestBlockStart(scheme);
  const sum = signature[start]! + signature[start + 1]! + signature[start + 2]! + signature[start + 3]!;
  return start + 4 + (sum % DIGEST_OFFSET_MODULO);
}

/** HMAC-SHA256 keyed by `key` over the 1536 bytes of `signature` without the 32 at `offset`. */
export function computeDigest(signature: Uint8Array, offset: number, key: Uint8Array): Buffer {
  return createHmac('sha256', key)
    .update(signature.subarray(0, offset))
    .update(signature.subarray(offset + DIGEST_SIZE, SIGNATURE_SIZE))
    .digest();
}

/**
 * Looks for a valid digest keyed by `key` (FP_KEY_TEXT for a C1, FMS_KEY_TEXT for an S1) in
 * both schemes. Returns undefined when neither verifies: the peer did a plain handshake, or used
 * a key we do not know.
 */
export function findDigest(signature: Uint8Array, key: Uint8Array): DigestLocation | undefined {
  if (signature.length !== SIGNATURE_SIZE) return undefined;
  for (const scheme of SCHEMES) {
    const offset = digestOffset(signature, scheme);
    const expected = computeDigest(signature, offset, key);
    if (bytesEqual(expected, signature.subarray(offset, offset + DIGEST_SIZE))) return { scheme, offset };
  }
  return undefined;
}

/**
 * Computes the digest of `signature` (time, version and random already written) for `scheme`
 * and writes it in place. Returns its offset.
 */
export function writeDigest(signature: Uint8Array, key: Uint8Array, scheme: DigestScheme): number {
  const offset = digestOffset(signature, scheme);
  signature.set(computeDigest(signature, offset, key), offset);
  return offset;
}

/**
 * The HMAC that closes a complex C2/S2: keyed by HMAC-SHA256(peer's C1/S1 digest) under the
 * full key (FMS_KEY for S2, FP_KEY for C2), over the 1504 bytes before it.
 */
export function responseHmac(peerDigest: Uint8Array, fullKey: Uint8Array, body: Uint8Array): Buffer {
  const responseKey = createHmac('sha256', fullKey).update(peerDigest).digest();
  return createHmac('sha256', responseKey).update(body).digest();
}

/**
 * A complex C2/S2: the first 1504 bytes of `random`, then their HMAC (see responseHmac). Written
 * into `target` (1536 bytes, e.g. a view of the S0+S1+S2 buffer) when given.
 */
export function complexResponse(
  peerDigest: Uint8Array,
  fullKey: Uint8Array,
  random: Uint8Array,
  target: Uint8Array = new Uint8Array(SIGNATURE_SIZE),
): Uint8Array {
  const body = target.subarray(0, RESPONSE_BODY_SIZE);
  body.set(random.subarray(0, RESPONSE_BODY_SIZE));
  target.set(responseHmac(peerDigest, fullKey, body), RESPONSE_BODY_SIZE);
  return target;
}

/** Whether `response` (a C2/S2) ends with the HMAC a peer who read our `ownDigest` would compute. */
export function complexResponseValid(response: Uint8Array, ownDigest: Uint8Array, fullKey: Uint8Array): boolean {
  if (response.length !== SIGNATURE_SIZE) return false;
  const expected = responseHmac(ownDigest, fullKey, response.subarray(0, RESPONSE_BODY_SIZE));
  return bytesEqual(expected, response.subarray(RESPONSE_BODY_SIZE));
}

/** Digests are not secrets here (the keys are public), so a plain comparison is fine. */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
