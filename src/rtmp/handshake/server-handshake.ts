import type { BufferQueue } from '../../bytes/index.js';
import {
  C0_C1_SIZE,
  DIGEST_SIZE,
  FMS_KEY,
  FMS_KEY_TEXT,
  FP_KEY,
  FP_KEY_TEXT,
  RESPONSE_BODY_SIZE,
  RTMP_VERSION,
  S0_S1_S2_SIZE,
  SERVER_VERSION,
  SIGNATURE_RANDOM_SIZE,
  SIGNATURE_SIZE,
} from './constants.js';
import { complexResponse, complexResponseValid, findDigest, writeDigest } from './digest.js';
import type { DigestScheme } from './digest.js';
import {
  checkVersion,
  defaultRandom,
  signatureVersion,
  writeEcho,
  writeSignature,
  zeroClock,
} from './signature.js';
import type { HandshakeOptions, HandshakeOutput } from './signature.js';

type ServerState = 'awaitC0C1' | 'awaitC2' | 'done';

/**
 * The server side of the RTMP handshake (RTMP 5.2.5), without I/O: feed it the bytes received,
 * write what it returns.
 *
 *   client                      server
 *   C0+C1  ───────────────────▶  (wait for 1537 bytes)
 *          ◀───────────────────  S0+S1+S2, one array
 *   C2     ───────────────────▶  (wait for 1536 bytes) → done
 *
 * Sending S2 with S1, before C2, is what RTMP 5.2.1 allows ("the server MUST wait until C1 has
 * been received before sending S2") and what nginx-rtmp, SRS and librtmp do. A C1 with a non-zero
 * version and a valid Flash Player digest gets a complex answer; anything else a plain one.
 */
export class ServerHandshake {
  private state: ServerState = 'awaitC0C1';
  private readonly random: (n: number) => Uint8Array;
  private readonly now: () => number;
  private digestScheme: DigestScheme | undefined;
  /** Our S1 digest, which a complex client keys its C2 with. */
  private s1Digest: Uint8Array | undefined;
  private c2Valid: boolean | undefined;

  constructor(options: HandshakeOptions = {}) {
    this.random = options.random ?? defaultRandom;
    this.now = options.now ?? zeroClock;
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** The client's C1 carried a valid digest (either scheme) and we answered in kind. */
  get complex(): boolean {
    return this.digestScheme !== undefined;
  }

  /** The scheme of the client's digest, undefined for a plain handshake (or before C1). */
  get scheme(): DigestScheme | undefined {
    return this.digestScheme;
  }

  /**
   * In a complex handshake, whether C2 carried the HMAC keyed from our S1 digest; undefined in
   * a plain one or before C2. For logs only: OBS, ffmpeg and others send an echo or filler, and
   * nginx-rtmp and SRS accept that, so neither do we reject it.
   */
  get peerResponseValid(): boolean | undefined {
    return this.c2Valid;
  }

  /**
   * Consumes what it needs from `queue` and no byte more: anything after C2 stays there for the
   * chunk reader. Throws RtmpError ERR_RTMP_HANDSHAKE_VERSION on a C0 other than 3; otherwise
   * returns what to send (S0+S1+S2 once) and whether the handshake is complete.
   */
  receive(queue: BufferQueue): HandshakeOutput {
    const send: Uint8Array[] = [];
    if (this.state === 'awaitC0C1') {
      checkVersion(queue, 'C0');
      if (queue.length < C0_C1_SIZE) return { send, done: false };
      queue.skip(1);
      const c1 = new Uint8Array(SIGNATURE_SIZE);
      queue.readInto(c1, 0, SIGNATURE_SIZE);
      send.push(this.answer(c1));
      this.state = 'awaitC2';
    }
    if (this.state === 'awaitC2') {
      if (queue.length < SIGNATURE_SIZE) return { send, done: false };
      this.readC2(queue);
      this.state = 'done';
    }
    return { send, done: true };
  }

  private answer(c1: Uint8Array): Uint8Array {
    const out = new Uint8Array(S0_S1_S2_SIZE);
    out[0] = RTMP_VERSION;
    const s1 = out.subarray(1, 1 + SIGNATURE_SIZE);
    const s2 = out.subarray(1 + SIGNATURE_SIZE);
    const timeMs = this.now();
    // A plain C1 has zero in bytes 4–7 (RTMP 5.2.3); only then is a digest worth looking for.
    const client = signatureVersion(c1) !== 0 ? findDigest(c1, FP_KEY_TEXT) : undefined;
    if (client === undefined) {
      writeSignature(s1, timeMs, 0, this.random(SIGNATURE_RANDOM_SIZE));
      writeEcho(s2, c1, timeMs);
      return out;
    }
    this.digestScheme = client.scheme;
    writeSignature(s1, timeMs, SERVER_VERSION, this.random(SIGNATURE_RANDOM_SIZE));
    const offset = writeDigest(s1, FMS_KEY_TEXT, client.scheme);
    this.s1Digest = s1.slice(offset, offset + DIGEST_SIZE);
    const c1Digest = c1.subarray(client.offset, client.offset + DIGEST_SIZE);
    complexResponse(c1Digest, FMS_KEY, this.random(RESPONSE_BODY_SIZE), s2);
    return out;
  }

  private readC2(queue: BufferQueue): void {
    if (this.s1Digest === undefined) {
      queue.skip(SIGNATURE_SIZE);
      return;
    }
    const c2 = queue.take(SIGNATURE_SIZE);
    this.c2Valid = complexResponseValid(c2, this.s1Digest, FP_KEY);
  }
}
