import { readFileSync } from 'node:fs';
import { readFlvFile } from '../../src/flv/index.js';
import { CodecError } from '../../src/errors/index.js';
import { fixturePath } from '../helpers/ffmpeg.js';

/** Bytes from hex text; whitespace is ignored so tables can group fields. */
export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The CodecError `fn` throws; anything else thrown (or nothing) fails the test. */
export function codecError(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CodecError) return err;
    throw err;
  }
  throw new Error('expected a CodecError, nothing was thrown');
}

/** Runs `fn` on hostile input: returning or a CodecError are fine, any other exception is a bug. */
export function onlyCodecErrors(fn: () => unknown): 'ok' | 'codec-error' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof CodecError) return 'codec-error';
    throw err;
  }
}

/** A committed file under fixtures/codec/. */
export function codecFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(`codec/${name}`)));
}

/**
 * The decoder configurations of fixtures/media/h264-aac.flv: the first video tag body is the
 * 5-byte FLV VIDEODATA header then the avcC (FLV 10.1 E.4.3.1), the first audio tag body the
 * 2-byte AUDIODATA header then the AudioSpecificConfig (E.4.2.1).
 */
export function flvFixtureConfigs(): { avcC: Uint8Array; asc: Uint8Array } {
  const { tags } = readFlvFile(readFileSync(fixturePath('media/h264-aac.flv')));
  const video = tags.find((t) => t.type === 9 && t.body[1] === 0);
  const audio = tags.find((t) => t.type === 8 && t.body[1] === 0);
  if (video === undefined || audio === undefined) throw new Error('fixture lacks sequence headers');
  return { avcC: video.body.subarray(5), asc: audio.body.subarray(2) };
}
