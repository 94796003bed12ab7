/**
 * Sizes, versions and keys of the RTMP handshake.
 *
 * The plain handshake is RTMP 1.0 (Adobe, 2012) section 5.2. The complex ("digest", "FP9")
 * handshake is not in the published spec: it is the form Flash Player 9+ and Flash Media Server
 * use, documented only by the open implementations (librtmp handshake.h, nginx-rtmp
 * ngx_rtmp_handshake.c, SRS srs_rtmp_handshake.cpp, ffmpeg rtmpproto.c). Its layout:
 *
 * ```
 * C1/S1 (1536 bytes)
 * +--------+-----------+------------------------------------------------------------+
 * | time 4 | version 4 | 1528 bytes: two 764-byte blocks                            |
 * +--------+-----------+------------------------------------------------------------+
 *   scheme 0:          | key block (8..772)          | digest block (772..1536)     |
 *   scheme 1:          | digest block (8..772)       | key block (772..1536)        |
 *
 * digest block: | offset sum 4 | 728 bytes holding the 32-byte digest somewhere | ... |
 * digest offset = block start + 4 + (sum of the 4 bytes at block start) % 728
 * ```
 *
 * The key block carries the Diffie-Hellman public key in RTMPE only; in plain-but-digested RTMP
 * it is random filler.
 */

/** RTMP 5.2.2: the only version we speak, sent in C0/S0. */
export const RTMP_VERSION = 3;

/**
 * C0/S0 values that request RTMPE (Adobe's encrypted RTMP: a Diffie-Hellman exchange in the key
 * block, then RC4 over the stream): 6 is RTMPE, 8 and 9 its FP10 variants (librtmp, SRS). Named
 * only to give a clearer error; tidecast does not implement RTMPE.
 */
export const RTMPE_VERSIONS: readonly number[] = [6, 8, 9];

/** RTMP 5.2.3: C1, S1, C2 and S2 are 1536 bytes each. */
export const SIGNATURE_SIZE = 1536;
/** Bytes of time and version (or time2) before the random field (RTMP 5.2.3, 5.2.4). */
export const SIGNATURE_HEADER_SIZE = 8;
/** The random field of a plain C1/S1: 1536 − 8 (RTMP 5.2.3). */
export const SIGNATURE_RANDOM_SIZE = SIGNATURE_SIZE - SIGNATURE_HEADER_SIZE;

/** What the server waits for first: C0 (1 byte) + C1. */
export const C0_C1_SIZE = 1 + SIGNATURE_SIZE;
/** What the client waits for: S0 + S1 + S2 (RTMP 5.2.1: the server may send them at once). */
export const S0_S1_S2_SIZE = 1 + 2 * SIGNATURE_SIZE;

/** A digest is one HMAC-SHA256 output. */
export const DIGEST_SIZE = 32;
/** Each of the two halves of the 1528-byte body. */
export const DIGEST_BLOCK_SIZE = 764;
/** The digest may start anywhere in the block after the 4 offset bytes and before its last 32. */
export const DIGEST_OFFSET_MODULO = DIGEST_BLOCK_SIZE - 4 - DIGEST_SIZE;

/** A complex C2/S2 is this many random bytes followed by their 32-byte HMAC. */
export const RESPONSE_BODY_SIZE = SIGNATURE_SIZE - DIGEST_SIZE;

/** The server version we put in a complex S1: 13.14.10.13, as nginx-rtmp sends. Any non-zero value works. */
export const SERVER_VERSION = 0x0d0e0a0d;
/** The client version of a complex C1: 128.0.7.2, as Flash Player 10+ sends. */
export const CLIENT_VERSION = 0x80000702;

/** The 32 bytes every implementation appends to the two text keys. */
const KEY_SUFFIX_HEX = 'f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae';

function key(text: string): Uint8Array {
  return Uint8Array.from(Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from(KEY_SUFFIX_HEX, 'hex')]));
}

/**
 * "Genuine Adobe Flash Player 001" + suffix (62 bytes). Its first 30 bytes key the client's C1
 * digest; all 62 key the server's check of C2 (and the client's C2 response). Never written to.
 */
export const FP_KEY: Uint8Array = key('Genuine Adobe Flash Player 001');
/** The 30-byte text part of FP_KEY, which keys the C1 digest. */
export const FP_KEY_TEXT: Uint8Array = FP_KEY.subarray(0, 30);

/**
 * "Genuine Adobe Flash Media Server 001" + suffix (68 bytes). Its first 36 bytes key the S1
 * digest; all 68 key the S2 response to a client's C1 digest. Never written to.
 */
export const FMS_KEY: Uint8Array = key('Genuine Adobe Flash Media Server 001');
/** The 36-byte text part of FMS_KEY, which keys the S1 digest. */
export const FMS_KEY_TEXT: Uint8Array = FMS_KEY.subarray(0, 36);
