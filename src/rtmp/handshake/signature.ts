import { randomBytes } from 'node:crypto';
import { RtmpError } from '../../errors/index.js';
import type { BufferQueue } from '../../bytes/index.js';
import { RTMP_VERSION, RTMPE_VERSIONS, SIGNATURE_HEADER_SIZE, SIGNATURE_RANDOM_SIZE, SIGNATURE_SIZE } from './constants.js';

/** What one `receive` call produced: bytes to write to the peer, in order, and whether the handshake is over. */
export interface HandshakeOutput {
  send: Uint8Array[];
  done: boolean;
}

/** Options shared by both sides. Neither side reads a clock or a random source of its own. */
export interface HandshakeOptions {
  /**
   * Returns `n` bytes for the random fields. RTMP 5.2.3 asks only that they be "sufficiently
   * random" to tell sessions apart, not secret. Default: node:crypto randomBytes.
   */
  random?: (n: number) => Uint8Array;
  /**
   * The time, in milliseconds since an epoch the caller picks, written in the time fields
   * (truncated to 32 bits). RTMP 5.2.3: the epoch is arbitrary and "may be 0", so the default
   * returns 0.
   */
  now?: () => number;
}

export function defaultRandom(n: number): Uint8Array {
  return randomBytes(n);
}

export function zeroClock(): number {
  return 0;
}

/**
 * Checks the version byte at the head of `queue` (C0 or S0) as soon as it arrives, before the
 * 1536 bytes that follow, so a non-RTMP peer is turned away at its first byte. RTMP 5.2.2 lets a
 * server answer 3 to an unknown version, but a peer that asked for RTMPE (6, 8, 9) would read our
 * plain reply as ciphertext, and 32–255 are not RTMP at all (often an HTTP request), so we stop.
 */
export function checkVersion(queue: BufferQueue, packet: 'C0' | 'S0'): void {
  if (queue.length === 0) return;
  const version = queue.peek(0);
  if (version === RTMP_VERSION) return;
  const why = RTMPE_VERSIONS.includes(version)
    ? `${version} requests RTMPE (encrypted RTMP), which is not supported`
    : `${version} is not RTMP version ${RTMP_VERSION}`;
  throw new RtmpError('ERR_RTMP_HANDSHAKE_VERSION', `${packet} version ${why}`, {
    packet,
    version,
    expected: RTMP_VERSION,
  });
}

/** RTMP 5.2.3: time (4), then `version` (zero in the plain form), then 1528 random bytes. */
export function writeSignature(target: Uint8Array, timeMs: number, version: number, random: Uint8Array): void {
  writeU32(target, 0, timeMs);
  writeU32(target, 4, version);
  target.set(random.subarray(0, SIGNATURE_RANDOM_SIZE), SIGNATURE_HEADER_SIZE);
}

/**
 * RTMP 5.2.4: C2/S2 echoes the peer's C1/S1, with time2 (bytes 4–7) set to when we read it. The
 * peer's time and random come back unchanged, which is what librtmp compares in plain mode.
 */
export function writeEcho(target: Uint8Array, peer: Uint8Array, readTimeMs: number): void {
  target.set(peer.subarray(0, SIGNATURE_SIZE));
  writeU32(target, 4, readTimeMs);
}

/** Bytes 4–7 of a C1/S1: zero in the plain handshake, a product version in the complex one. */
export function signatureVersion(signature: Uint8Array): number {
  return ((signature[4]! << 24) | (signature[5]! << 16) | (signature[6]! << 8) | signature[7]!) >>> 0;
}

function writeU32(target: Uint8Array, at: number, value: number): void {
  const v = value >>> 0;
  target[at] = v >>> 24;
  target[at + 1] = v >>> 16;
  target[at + 2] = v >>> 8;
  target[at + 3] = v;
}
