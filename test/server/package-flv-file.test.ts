import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackagedFile } from '../../src/hls/index.js';
import { buildScriptTag, readFlvFile, writeFlvFile, type FlvTagInput } from '../../src/flv/index.js';
import { packageFlv } from '../../src/server/index.js';
import { packageFlvFile } from '../../src/server/package-flv-file.js';
import { RecycledChunks } from '../../src/server/recycled-chunks.js';
import { fixturePath } from '../helpers/ffmpeg.js';
import { PACKAGING_FIXTURES } from '../helpers/packaging.js';

/**
 * packageFlvFile reads into buffers it refills once their samples are written, so a sample kept
 * one write too long would be overwritten by later bytes. The oracle is packageFlv on the whole
 * file in memory (no buffer is ever reused): every file must come out byte for byte the same, at
 * read sizes that put buffer ends everywhere — inside tag headers, inside bodies, between tags —
 * and with the bytes taken at write time, as a writer sees them before they are reused.
 */

/** A file's bytes, copied now (the pieces of packageFlvFile are only valid during write). */
const snapshot = (f: PackagedFile): [string, string] => [f.path, Buffer.concat(f.pieces as Uint8Array[]).toString('hex')];

async function inMemory(bytes: Uint8Array): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  async function* whole(): AsyncGenerator<Uint8Array> {
    yield bytes;
  }
  await packageFlv(whole(), (f) => void files.set(...snapshot(f)));
  return files;
}

function fromFile(path: string, readBytes: number): { files: Map<string, string>; progress: { bytesRead: number; files: number } } {
  const files = new Map<string, string>();
  const { progress } = packageFlvFile(path, (f) => void files.set(...snapshot(f)), { readBytes });
  return { files, progress };
}

/** 4099: a prime-ish size smaller than most video tags, so nearly every body spans buffers. */
const READ_SIZES = [4099, 65_536, 1_000_003, 1024 * 1024];

describe('packageFlvFile', () => {
  describe.each(PACKAGING_FIXTURES.map((f) => f.file))('%s', (file) => {
    const path = fixturePath(`media/${file}`);
    let expected: Map<string, string>;
    beforeAll(async () => {
      expected = await inMemory(new Uint8Array(readFileSync(path)));
    });

    it.each(READ_SIZES)('writes the same files, byte for byte, as packageFlv in memory, reading %i bytes at a time', (readBytes) => {
      const { files, progress } = fromFile(path, readBytes);
      expect([...files.keys()]).toEqual([...expected.keys()]);
      for (const [name, hex] of expected) expect(files.get(name), name).toBe(hex);
      expect(progress).toMatchObject({ bytesRead: readFileSync(path).length, files: expected.size });
    });
  });

  it('reuses a handful of read buffers over a whole file instead of one per read', () => {
    const path = fixturePath('media/h264-aac.flv');
    const readBytes = 2048;
    const reads = Math.ceil(readFileSync(path).length / readBytes);
    // The open segments (2 s of video and audio) and the reader's tail need a few dozen 2 KiB
    // buffers; without reuse it would be one per read.
    const { readBuffers } = packageFlvFile(path, () => undefined, { readBytes });
    expect(readBuffers).toBeLessThan(reads / 4);
  });

  it('keeps reusing buffers, and writes the same files, when script tags come every second (cue points)', async () => {
    const { tags } = readFlvFile(readFileSync(fixturePath('media/h264-aac.flv')));
    const withCues: FlvTagInput[] = [];
    let nextCueMs = 0;
    for (const tag of tags) {
      if (tag.timestamp >= nextCueMs) {
        withCues.push({ type: 18, timestamp: tag.timestamp, body: buildScriptTag('onCuePoint', { name: `cue ${nextCueMs}`, time: nextCueMs / 1000 }) });
        nextCueMs += 1000;
      }
      withCues.push(tag);
    }
    const dir = mkdtempSync(join(tmpdir(), 'tidecast-cues-'));
    try {
      const path = join(dir, 'cues.flv');
      const bytes = writeFlvFile({ hasAudio: true, hasVideo: true }, withCues);
      writeFileSync(path, bytes);
      const readBytes = 2048;
      const files = new Map<string, string>();
      const { readBuffers } = packageFlvFile(path, (f) => void files.set(...snapshot(f)), { readBytes });
      // A script tag's buffer is not held: as many buffers as without the cues (a pinned buffer
      // per cue would add one a second).
      const withoutCues = packageFlvFile(fixturePath('media/h264-aac.flv'), () => undefined, { readBytes }).readBuffers;
      expect(readBuffers).toBeLessThanOrEqual(withoutCues + 2);
      expect(files).toEqual(await inMemory(bytes));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('errors', () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'tidecast-package-file-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('throws the FLV reader’s error for a file cut inside a tag, after writing what was complete', () => {
      const whole = readFileSync(fixturePath('media/h264-aac.flv'));
      const cut = join(dir, 'cut.flv');
      writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
      const written: string[] = [];
      expect(() => packageFlvFile(cut, (f) => void written.push(f.path))).toThrow(/FLV input ended inside the tag/);
      expect(written).toContain('video/init.mp4');
    });

    it('throws ENOENT for a missing file', () => {
      expect(() => packageFlvFile(join(dir, 'missing.flv'), () => undefined)).toThrow(/ENOENT/);
    });
  });
});

describe('RecycledChunks', () => {
  it('gives a buffer back only when the reader has passed it, its sample views are written and nothing pinned it', () => {
    const chunks = new RecycledChunks(8);
    const a = chunks.next();
    chunks.filled(a, 8);
    const b = chunks.next();
    chunks.filled(b, 16);
    const sample = a.subarray(2, 6);
    chunks.retain(sample);
    chunks.readerFrom(10);
    expect(chunks.next()).not.toBe(a); // a sample of a is not written yet
    chunks.release(sample);
    expect(chunks.next()).toBe(a);
    chunks.pin(b.subarray(0, 4));
    chunks.readerFrom(16);
    expect(chunks.next()).not.toBe(b); // pinned: a track's decoder config is a view of it
    expect(chunks.allocated).toBe(4);
  });

  it('ignores views of buffers it did not hand out', () => {
    const chunks = new RecycledChunks(8);
    const other = new Uint8Array(8);
    chunks.retain(other);
    chunks.release(other);
    chunks.pin(other);
    expect(chunks.next()).not.toBe(other);
  });
});
