import { RtmpError } from '../../errors/index.js';
import type { BufferQueue } from '../../bytes/index.js';
import {
  C0_C1_SIZE,
  CLIENT_VERSION,
  DIGEST_SIZE,
  FMS_KEY,
  FMS_KEY_TEXT,
  FP_KEY,
  FP_KEY_TEXT,
  RESPONSE_BODY_SIZE,
  RTMP_VERSION,
  S0_S1_S2_SIZE,
  SIGNATURE_RANDOM_SIZE,
  SIGNATURE_SIZE,
} from './constants.js';
import { complexResponse, complexResponseValid, findDigest, writeDigest } from './digest.js';
import {
  checkVersion,
  defaultRandom,
  signatureVersion,
  writeEcho,
  writeSignature,
  zeroClock,
} from './signature.js';
import type { HandshakeOptions, HandshakeOutput } from './signature.js';

export interface ClientHandshakeOptions extends HandshakeOptions {
  /**
   * Send a complex C1 (version 128.0.7.2 and a Flash Player digest in scheme 1, as Flash Player
   * does) instead of a plain one. Some CDNs only serve such clients. Default: false.
   */
  complex?: boolean;
}

/**
 * The client side of the RTMP handshake (RTMP 5.2.5), without I/O.
 *
 *   client                      server
 *   start() → C0+C1  ─────────▶
 *                    ◀─────────  S0+S1+S2 (3073 bytes, waited for together)
 *   C2, done         ─────────▶
 *
 * Waiting for S2 before sending C2 is allowed (RTMP 5.2.1 only requires C2 after S1) and keeps
 * one round trip, as librtmp and ffmpeg do.
 */
export class ClientHandshake {
  private readonly complexRequested: boolean;
  private readonly random: (n: number) => Uint8Array;
  private readonly now: () => number;
  private c0c1: Uint8Array | undefined;
  /** Our C1 digest, which a complex server keys its S2 with. */
  private c1Digest: Uint8Array | undefined;
  private finished = false;
  private s1DigestFound = false;
  private s2Valid: boolean | undefined;

  constructor(options: ClientHandshakeOptions = {}) {
    this.complexRequested = options.complex ?? false;
    this.random = options.random ?? defaultRandom;
    this.now = options.now ?? zeroClock;
  }

  get done(): boolean {
    return this.finished;
  }

  /** S1 carried a valid server digest (and C2 was computed from it). */
  get serverComplex(): boolean {
    return this.s1DigestFound;
  }

  /**
   * In a complex handshake, whether S2 carried the HMAC keyed from our C1 digest (librtmp treats
   * a mismatch as "Server not genuine Adobe!"); undefined when plain or before S2. Informational.
   */
  get peerResponseValid(): boolean | undefined {
    return this.s2Valid;
  }

  /** C0+C1, to send first. Calling it again returns the same bytes. */
  start(): Uint8Array {
    if (this.c0c1 !== undefined) return this.c0c1;
    const out = new Uint8Array(C0_C1_SIZE);
    out[0] = RTMP_VERSION;
    const c1 = out.subarray(1);
    const version = this.complexRequested ? CLIENT_VERSION : 0;
    writeSignature(c1, this.now(), version, this.random(SIGNATURE_RANDOM_SIZE));
    if (this.complexRequested) {
      const offset = writeDigest(c1, FP_KEY_TEXT, 1);
      this.c1Digest = c1.slice(offset, offset + DIGEST_SIZE);
    }
    this.c0c1 = out;
    return out;
  }

  /**
   * Waits for S0+S1+S2, then returns C2 and done=true, consuming exactly 3073 bytes. Throws
   * RtmpError ERR_RTMP_HANDSHAKE_VERSION on an S0 other than 3, and a plain Error when called
   * before start() (a bug in the caller, not a protocol error).
   */
  receive(queue: BufferQueue): HandshakeOutput {
    if (this.c0c1 === undefined) throw new Error('ClientHandshake.receive() called before start()');
    if (this.finished) return { send: [], done: true };
    checkVersion(queue, 'S0');
    if (queue.length < S0_S1_S2_SIZE) return { send: [], done: false };
    queue.skip(1);
    const s1 = new Uint8Array(SIGNATURE_SIZE);
    queue.readInto(s1, 0, SIGNATURE_SIZE);
    const readTimeMs = this.now();
    const s2 = queue.take(SIGNATURE_SIZE);
    const c2 = new Uint8Array(SIGNATURE_SIZE);
    // Like librtmp: a server whose S1 carries no version did a plain handshake, so we fall back to
    // echoing S1; one that claims the complex form (non-zero version) must carry a valid digest.
    const ownDigest = this.c1Digest;
    const complexServer = ownDigest !== undefined && signatureVersion(s1) !== 0;
    const server = complexServer ? findDigest(s1, FMS_KEY_TEXT) : undefined;
    if (complexServer && server === undefined) {
      throw new RtmpError('ERR_RTMP_HANDSHAKE_DIGEST', 'S1 claims a version but carries no valid server digest in either scheme', { packet: 'S1' });
    }
    if (ownDigest === undefined || server === undefined) {
      writeEcho(c2, s1, readTimeMs);
    } else {
      this.s1DigestFound = true;
      this.s2Valid = complexResponseValid(s2, ownDigest, FMS_KEY);
      const s1Digest = s1.subarray(server.offset, server.offset + DIGEST_SIZE);
      complexResponse(s1Digest, FP_KEY, this.random(RESPONSE_BODY_SIZE), c2);
    }
    this.finished = true;
    return { send: [c2], done: true };
  }
}
