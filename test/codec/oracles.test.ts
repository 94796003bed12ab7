import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  aacCodecString,
  avcCodecString,
  avcConfigFromParameterSets,
  buildAudioSpecificConfig,
  buildAvcC,
  buildHvcC,
  h264NalType,
  hevcCodecString,
  hevcConfigFromParameterSets,
  hevcNalType,
  parseAudioSpecificConfig,
  parseH264Sps,
  parseHevcSps,
  splitAdts,
  splitAnnexB,
} from '../../src/codec/index.js';
import { ffmpegPath, fixturePath, spawnFfmpeg } from '../helpers/ffmpeg.js';
import { parseMp4 } from '../helpers/mp4box.js';
import { codecFixture, toHex } from './helpers.js';

/**
 * Real tools as oracles for the builders and codec strings. ffmpeg remuxes each committed
 * fixture into MP4 (stream copy: its own avcC/hvcC/esds writers fill the sample entry), then:
 * our records built from the same in-band parameter sets must equal ffmpeg's byte for byte, and
 * mp4box.js (GPAC's parser) must derive the codec string and display size we do.
 */

const ffmpeg = await ffmpegPath();
const dir = mkdtempSync(join(tmpdir(), 'tidecast-codec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function remux(name: string, extra: string[] = []): Promise<Uint8Array> {
  const out = join(dir, `${name}.mp4`);
  const run = await spawnFfmpeg(['-loglevel', 'error', '-y', '-i', fixturePath(`codec/${name}`), '-c', 'copy', ...extra, '-f', 'mp4', out], { timeoutMs: 30_000 });
  const result = await run.done;
  if (result.code !== 0) throw new Error(`ffmpeg remux of ${name} failed: ${result.stderr}`);
  return new Uint8Array(readFileSync(out));
}

/** The payload of the first box of type `fourcc` (searched by name: sample entry boxes are unique here). */
function boxPayload(file: Uint8Array, fourcc: string): Uint8Array {
  const at = Buffer.from(file.buffer, file.byteOffset, file.byteLength).indexOf(fourcc, 0, 'latin1');
  if (at < 4) throw new Error(`no ${fourcc} box`);
  const size = new DataView(file.buffer, file.byteOffset).getUint32(at - 4);
  return file.subarray(at + 4, at - 4 + size);
}

/** DecoderSpecificInfo (tag 5) of an esds payload (14496-1 7.2.6), skipping the descriptors around it. */
function decoderSpecificInfo(esds: Uint8Array): Uint8Array {
  let pos = 4; // version + flags
  for (;;) {
    const tag = esds[pos++]!;
    let size = 0;
    for (let b = 0x80; b & 0x80; ) size = (size << 7) | ((b = esds[pos++]!) & 0x7f);
    if (tag === 5) return esds.subarray(pos, pos + size);
    pos += tag === 3 ? 3 : tag === 4 ? 13 : size; // ES_Descriptor and DecoderConfigDescriptor fields before their children
  }
}

describe.skipIf(ffmpeg === undefined)('codec builders and strings against ffmpeg and mp4box.js', () => {
  it.each(['h264-high-1366x768.h264', 'h264-high422-10bit-1366x766.h264', 'h264-high-1440x1080i-sar4x3.h264', 'h264-baseline-176x144-sar5x7.h264'])('%s', async (name) => {
    const mp4 = await remux(name);
    const units = splitAnnexB(codecFixture(name));
    const sps = units.filter((n) => h264NalType(n) === 7);
    const pps = units.filter((n) => h264NalType(n) === 8);
    expect(toHex(buildAvcC(avcConfigFromParameterSets(sps, pps)))).toBe(toHex(boxPayload(mp4, 'avcC')));
    const parsed = parseH264Sps(sps[0]!);
    const track = parseMp4(mp4).tracks[0]!;
    expect(avcCodecString(parsed.profileIdc, parsed.constraintFlags, parsed.levelIdc)).toBe(track.codec);
    expect([track.width, track.height]).toEqual([parsed.width, parsed.height]);
  });

  it.each(['hevc-main-1280x720-25fps.hevc', 'hevc-main10-1366x768.hevc', 'hevc-main422-10-640x358.hevc'])('%s', async (name) => {
    const mp4 = await remux(name, ['-tag:v', 'hvc1']);
    const units = splitAnnexB(codecFixture(name));
    const of = (type: number) => units.filter((n) => hevcNalType(n) === type);
    const config = hevcConfigFromParameterSets({ vps: of(32), sps: of(33), pps: of(34) });
    expect(toHex(buildHvcC(config))).toBe(toHex(boxPayload(mp4, 'hvcC')));
    const track = parseMp4(mp4).tracks[0]!;
    // E.3 leaves the hex case open: mp4box.js writes lowercase, we write Apple's uppercase.
    expect(hevcCodecString(config).toLowerCase()).toBe(track.codec.toLowerCase());
    const sps = parseHevcSps(of(33)[0]!);
    expect([track.width, track.height]).toEqual([sps.width, sps.height]);
  });

  it('aac-lc-48k-mono.adts', async () => {
    const mp4 = await remux('aac-lc-48k-mono.adts');
    const asc = decoderSpecificInfo(boxPayload(mp4, 'esds'));
    const header = splitAdts(codecFixture('aac-lc-48k-mono.adts'))[0]!.header;
    expect(toHex(buildAudioSpecificConfig({ objectType: header.objectType, sampleRate: header.sampleRate, channels: header.channelConfiguration }))).toBe(toHex(asc));
    const track = parseMp4(mp4).tracks[0]!;
    const config = parseAudioSpecificConfig(asc);
    expect(aacCodecString(config)).toBe(track.codec);
    // The sample entry's channelcount is the 14496-12 template value 2 whatever the stream has, so
    // only the rate is comparable there.
    expect(track.sampleRate).toBe(config.sampleRate);
    expect(config.channels).toBe(1);
  });
});
