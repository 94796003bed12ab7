import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  complexResponse,
  complexResponseValid,
  digestOffset,
  findDigest,
  FMS_KEY,
  FMS_KEY_TEXT,
  FP_KEY,
  FP_KEY_TEXT,
  writeDigest,
} from '../../../src/rtmp/handshake/index.js';

/*
 * A reference digest computation written from the description of the complex handshake alone
 * (block start 8 or 772, offset = sum of 4 bytes % 728 + start + 4, HMAC-SHA256 over the 1536
 * bytes minus the digest), sharing no code with src/rtmp/handshake.
 */
const SUFFIX = Buffer.from('F0EEC24A8068BEE82E00D0D1029E7E576EEC5D2D29806FAB93B8E636CFEB31AE', 'hex');
const REF_FP = Buffer.concat([Buffer.from('Genuine Adobe Flash Player 001'), SUFFIX]);
const REF_FMS = Buffer.concat([Buffer.from('Genuine Adobe Flash Media Server 001'), SUFFIX]);

function refOffset(sig: Uint8Array, scheme: 0 | 1): number {
  const start = scheme === 1 ? 8 : 772;
  return ((sig[start]! + sig[start + 1]! + sig[start + 2]! + sig[start + 3]!) % 728) + start + 4;
}

function refDigest(sig: Uint8Array, offset: number, key: Uint8Array): Buffer {
  const message = Buffer.concat([sig.subarray(0, offset), sig.subarray(offset + 32)]);
  return createHmac('sha256', key).update(message).digest();
}

function patterned(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + (i >> 7)) & 0xff);
}

describe('keys', () => {
  it('are the Flash Player (62 bytes) and Flash Media Server (68 bytes) keys, text parts 30 and 36', () => {
    expect(Buffer.from(FP_KEY).equals(REF_FP)).toBe(true);
    expect(Buffer.from(FMS_KEY).equals(REF_FMS)).toBe(true);
    expect(Buffer.from(FP_KEY_TEXT).toString('latin1')).toBe('Genuine Adobe Flash Player 001');
    expect(Buffer.from(FMS_KEY_TEXT).toString('latin1')).toBe('Genuine Adobe Flash Media Server 001');
  });
});

describe('digestOffset', () => {
  const table: { bytes: [number, number, number, number]; scheme: 0 | 1; offset: number }[] = [
    { bytes: [0, 0, 0, 0], scheme: 1, offset: 12 },
    { bytes: [0, 0, 0, 0], scheme: 0, offset: 776 },
    { bytes: [255, 255, 255, 255], scheme: 1, offset: 12 + (1020 % 728) },
    { bytes: [182, 182, 182, 182], scheme: 0, offset: 776 },
    { bytes: [181, 182, 182, 182], scheme: 1, offset: 12 + 727 },
  ];
  it.each(table)('bytes $bytes, scheme $scheme → $offset', ({ bytes, scheme, offset }) => {
    const sig = new Uint8Array(1536);
    sig.set(bytes, scheme === 1 ? 8 : 772);
    expect(digestOffset(sig, scheme)).toBe(offset);
    expect(refOffset(sig, scheme)).toBe(offset);
  });

  it('keeps the digest inside its block for every offset sum', () => {
    for (let sum = 0; sum <= 1020; sum++) {
      const sig = new Uint8Array(1536);
      sig.set([Math.min(sum, 255), Math.min(Math.max(sum - 255, 0), 255), Math.min(Math.max(sum - 510, 0), 255), Math.max(sum - 765, 0)], 8);
      const offset = digestOffset(sig, 1);
      expect(offset).toBeGreaterThanOrEqual(12);
      expect(offset + 32).toBeLessThanOrEqual(772);
    }
  });
});

describe('writeDigest / findDigest', () => {
  it.each([0, 1] as const)('scheme %i: the written digest is the reference digest and is found again', (scheme) => {
    const sig = patterned(1536, scheme + 3);
    const offset = writeDigest(sig, FP_KEY_TEXT, scheme);
    expect(offset).toBe(refOffset(sig, scheme));
    expect(Buffer.from(sig.subarray(offset, offset + 32)).equals(refDigest(sig, offset, REF_FP.subarray(0, 30)))).toBe(true);
    expect(findDigest(sig, FP_KEY_TEXT)).toEqual({ scheme, offset });
    expect(findDigest(sig, FMS_KEY_TEXT)).toBeUndefined();
  });

  it('finds a digest made by the reference computation', () => {
    const sig = patterned(1536, 9);
    const offset = refOffset(sig, 0);
    sig.set(refDigest(sig, offset, REF_FMS.subarray(0, 36)), offset);
    expect(findDigest(sig, FMS_KEY_TEXT)).toEqual({ scheme: 0, offset });
  });

  it('finds nothing in random bytes, in a flipped digest, or in a short block', () => {
    const sig = patterned(1536, 5);
    expect(findDigest(sig, FP_KEY_TEXT)).toBeUndefined();
    const offset = writeDigest(sig, FP_KEY_TEXT, 1);
    sig[offset + 31] = sig[offset + 31]! ^ 1;
    expect(findDigest(sig, FP_KEY_TEXT)).toBeUndefined();
    expect(findDigest(sig.subarray(0, 1535), FP_KEY_TEXT)).toBeUndefined();
  });

  it("verifies the digest ffmpeg 5.1 put in its real C1 (scheme 1, as ffmpeg's rtmpproto.c writes it)", () => {
    const transcript = readFileSync(new URL('../../../fixtures/rtmp/ffmpeg-5.1-publish.c2s.bin', import.meta.url));
    const c1 = transcript.subarray(1, 1537);
    const found = findDigest(c1, FP_KEY_TEXT);
    expect(found).toEqual({ scheme: 1, offset: refOffset(c1, 1) });
  });
});

describe('complexResponse', () => {
  it('is 1504 bytes of the random input then HMAC(HMAC(fullKey, peerDigest), those bytes)', () => {
    const peerDigest = patterned(32, 1);
    const random = patterned(1536, 2);
    const response = complexResponse(peerDigest, FMS_KEY, random);
    expect(response.length).toBe(1536);
    expect(response.subarray(0, 1504)).toEqual(random.subarray(0, 1504));
    const key = createHmac('sha256', REF_FMS).update(peerDigest).digest();
    const expected = createHmac('sha256', key).update(random.subarray(0, 1504)).digest();
    expect(Buffer.from(response.subarray(1504)).equals(expected)).toBe(true);
    expect(complexResponseValid(response, peerDigest, FMS_KEY)).toBe(true);
    expect(complexResponseValid(response, peerDigest, FP_KEY)).toBe(false);
  });

  it('writes into a given target view', () => {
    const target = new Uint8Array(3000);
    const view = target.subarray(100, 1636);
    expect(complexResponse(patterned(32, 4), FP_KEY, patterned(1504, 5), view)).toBe(view);
    expect(complexResponseValid(view, patterned(32, 4), FP_KEY)).toBe(true);
    expect(target[99]).toBe(0);
    expect(target[1636]).toBe(0);
  });
});
