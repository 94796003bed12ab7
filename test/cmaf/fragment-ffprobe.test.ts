import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fragment, initSegment, writeFragment } from '../../src/cmaf/index.js';
import type { Sample, Track } from '../../src/media/index.js';
import { ffprobePath, runFfprobeJson } from '../helpers/ffmpeg.js';
import { concatBytes, hevcFixture, loadFixtureMedia } from '../helpers/mp4box.js';

/**
 * ffprobe (FFmpeg's mov/mp4 demuxer) as the second oracle: init + fragments written to a file,
 * `ffprobe -show_packets -show_streams`, and every packet's dts/pts (in the stream time base,
 * which is the track timescale), size and keyframe flag compared with the input samples.
 *
 * One FFmpeg habit to know: with negative composition offsets and no edit list, the mov demuxer
 * keeps dts and adds a constant `dts_shift` = −(most negative offset) to every pts so that pts
 * never precedes dts. The tests check exactly that: dts equal, pts equal up to that constant.
 */

const ffprobe = await ffprobePath();
const dir = mkdtempSync(join(tmpdir(), 'tidecast-cmaf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ProbeStream {
  index: number;
  codec_name?: string;
  profile?: string;
  codec_tag_string?: string;
  time_base?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
}
interface ProbePacket {
  stream_index: number;
  pts?: number;
  dts?: number;
  size?: string;
  flags?: string;
}
interface Probe {
  streams: ProbeStream[];
  packets: ProbePacket[];
}

let fileCount = 0;
async function probe(parts: readonly Uint8Array[]): Promise<Probe> {
  const file = join(dir, `out-${fileCount++}.mp4`);
  writeFileSync(file, concatBytes(parts));
  return runFfprobeJson<Probe>(['-show_packets', '-show_streams', file]);
}

function fragments(track: Track, groups: readonly (readonly Sample[])[], firstSequence = 1): Uint8Array[] {
  return groups.map((samples, i) =>
    writeFragment(fragment({ sequenceNumber: firstSequence + i, track, samples, baseMediaDecodeTime: samples[0]!.dts, styp: true })),
  );
}

function chunk<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function gops(samples: readonly Sample[]): Sample[][] {
  const out: Sample[][] = [];
  for (const s of samples) {
    if (s.keyframe || out.length === 0) out.push([]);
    out[out.length - 1]!.push(s);
  }
  return out;
}

/** Compares ffprobe's packets of one stream with the samples, allowing FFmpeg's dts_shift on pts. */
function expectPackets(packets: readonly ProbePacket[], samples: readonly Sample[]): void {
  expect(packets).toHaveLength(samples.length);
  const dtsShift = Math.max(0, ...samples.map((s) => s.dts - s.pts));
  const got = packets.map((p) => ({ dts: p.dts, pts: p.pts, size: Number(p.size), keyframe: (p.flags ?? '').includes('K') }));
  const want = samples.map((s) => ({ dts: s.dts, pts: s.pts + dtsShift, size: s.data.byteLength, keyframe: s.keyframe }));
  expect(got).toEqual(want);
}

const media = loadFixtureMedia();
/** The fixture's video with pts moved so the first pts equals the first dts: offsets of both signs. */
const shiftedVideo = media.videoSamples.map((s) => ({ ...s, pts: s.pts - (media.videoSamples[0]!.pts - media.videoSamples[0]!.dts) }));

describe.skipIf(ffprobe === undefined)('CMAF output read by ffprobe', () => {
  it('H.264 High with B-frames (negative and positive offsets), one GOP per fragment', async () => {
    const out = await probe([initSegment([media.video]), ...fragments(media.video, gops(shiftedVideo))]);
    expect(out.streams[0]).toMatchObject({ codec_name: 'h264', profile: 'High', codec_tag_string: 'avc1', time_base: '1/90000', width: 320, height: 240 });
    expectPackets(out.packets, shiftedVideo);
  });

  it('H.264 with the encoder’s own offsets (all positive): pts and dts exactly as written', async () => {
    const out = await probe([initSegment([media.video]), ...fragments(media.video, gops(media.videoSamples))]);
    expect(out.packets.map((p) => [p.dts, p.pts])).toEqual(media.videoSamples.map((s) => [s.dts, s.pts]));
  });

  it('AAC-LC, about a second per fragment', async () => {
    const out = await probe([initSegment([media.audio]), ...fragments(media.audio, chunk(media.audioSamples, 43))]);
    expect(out.streams[0]).toMatchObject({ codec_name: 'aac', profile: 'LC', codec_tag_string: 'mp4a', time_base: '1/44100', sample_rate: '44100', channels: 2 });
    expectPackets(out.packets, media.audioSamples);
  });

  it('HEVC as hvc1 with B-frames', async () => {
    const { track, samples } = hevcFixture();
    const out = await probe([initSegment([track]), ...fragments(track, [samples])]);
    expect(out.streams[0]).toMatchObject({ codec_name: 'hevc', profile: 'Main', codec_tag_string: 'hvc1', width: 64, height: 48 });
    expectPackets(out.packets, samples);
  });

  it('video and audio in one header, their fragments interleaved', async () => {
    const videoGroups = gops(shiftedVideo);
    const audioGroups = chunk(media.audioSamples, 43 * 2);
    const parts = [initSegment([media.video, media.audio])];
    let sequence = 1;
    for (let i = 0; i < Math.max(videoGroups.length, audioGroups.length); i++) {
      if (videoGroups[i]) parts.push(...fragments(media.video, [videoGroups[i]!], sequence++));
      if (audioGroups[i]) parts.push(...fragments(media.audio, [audioGroups[i]!], sequence++));
    }
    const out = await probe(parts);
    const byStream = (codec: string) => {
      const index = out.streams.find((s) => s.codec_name === codec)!.index;
      return out.packets.filter((p) => p.stream_index === index);
    };
    expectPackets(byStream('h264'), shiftedVideo);
    expectPackets(byStream('aac'), media.audioSamples);
  });

  it('96 kHz AAC: the AudioSampleEntryV1 with srat is read as ISO, not as a QuickTime sound description', async () => {
    const track = { ...media.audio, sampleRate: 96_000, decoderConfig: new Uint8Array([0x10, 0x10]) };
    const out = await probe([initSegment([track]), ...fragments(track, [media.audioSamples.slice(0, 20)])]);
    expect(out.streams[0]).toMatchObject({ codec_name: 'aac', sample_rate: '96000', channels: 2 });
    expect(out.packets.map((p) => Number(p.size))).toEqual(media.audioSamples.slice(0, 20).map((s) => s.data.byteLength));
  });
});
