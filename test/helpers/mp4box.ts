import { readFileSync } from 'node:fs';
import { createFile, type ISOFile, MP4BoxBuffer, type Sample as Mp4boxSample, type Track as Mp4boxTrack } from 'mp4box';
import { readFlvFile } from '../../src/flv/index.js';
import type { AudioTrack, Sample, VideoTrack } from '../../src/media/index.js';

/**
 * mp4box.js (GPAC's parser in JavaScript) as an independent oracle for tidecast's CMAF output:
 * `parseMp4` reads a buffer (an init segment with fragments appended) the way a player would and
 * returns what it understood — tracks, samples with their times, flags and bytes, and the
 * fragment headers. A writer checked only against its own parser proves nothing; this one was
 * written by other people against the spec.
 */

export interface ParsedTrack {
  readonly id: number;
  readonly kind: string | undefined;
  readonly timescale: number;
  /** mp4box.js's RFC 6381 codec string, computed from the sample entry (avcC/hvcC/esds). */
  readonly codec: string;
  readonly width: number | undefined;
  readonly height: number | undefined;
  readonly sampleRate: number | undefined;
  readonly channels: number | undefined;
}

export interface ParsedSample {
  readonly dts: number;
  readonly cts: number;
  readonly duration: number;
  readonly size: number;
  readonly isSync: boolean;
  readonly data: Uint8Array;
}

export interface ParsedFragment {
  readonly sequenceNumber: number;
  readonly trackId: number;
  readonly baseMediaDecodeTime: number;
}

export interface ParsedMp4 {
  readonly majorBrand: string;
  readonly compatibleBrands: readonly string[];
  readonly tracks: readonly ParsedTrack[];
  /** Samples per track id, in decode order. */
  readonly samples: ReadonlyMap<number, readonly ParsedSample[]>;
  readonly fragments: readonly ParsedFragment[];
  /** The parser itself, for assertions on boxes the summary leaves out. */
  readonly file: ISOFile;
}

/** Parses `bytes` with mp4box.js; throws if mp4box.js reports an error or finds no moov. */
export function parseMp4(bytes: Uint8Array): ParsedMp4 {
  const file = createFile(true);
  const errors: string[] = [];
  const samples = new Map<number, ParsedSample[]>();
  let tracks: ParsedTrack[] | undefined;
  file.onError = (module, message) => errors.push(`${module}: ${message}`);
  file.onReady = (info) => {
    tracks = info.tracks.map(toTrack);
    for (const t of info.tracks) file.setExtractionOptions(t.id, undefined, { nbSamples: Number.MAX_SAFE_INTEGER });
    file.start();
  };
  file.onSamples = (id, _user, list) => {
    const out = samples.get(id) ?? [];
    for (const s of list) out.push(toSample(s));
    samples.set(id, out);
  };
  // mp4box.js takes ownership of an ArrayBuffer tagged with its file offset: give it a copy.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(copy.buffer, 0));
  file.flush();
  if (errors.length > 0) throw new Error(`mp4box.js: ${errors.join('; ')}`);
  if (tracks === undefined) throw new Error('mp4box.js found no complete moov');
  return {
    majorBrand: file.ftyp.major_brand,
    compatibleBrands: [...file.ftyp.compatible_brands],
    tracks,
    samples,
    fragments: file.moofs.flatMap((moof) =>
      moof.trafs.map((traf) => ({
        sequenceNumber: moof.mfhd!.sequence_number,
        trackId: traf.tfhd!.track_id,
        baseMediaDecodeTime: Number(traf.tfdt!.baseMediaDecodeTime),
      })),
    ),
    file,
  };
}

function toTrack(t: Mp4boxTrack): ParsedTrack {
  return {
    id: t.id,
    kind: t.type,
    timescale: t.timescale,
    codec: t.codec,
    width: t.video?.width,
    height: t.video?.height,
    sampleRate: t.audio?.sample_rate,
    channels: t.audio?.channel_count,
  };
}

function toSample(s: Mp4boxSample): ParsedSample {
  if (s.data === undefined) throw new Error(`mp4box.js kept no data for sample ${s.number}`);
  return { dts: s.dts, cts: s.cts, duration: s.duration, size: s.size, isSync: s.is_sync, data: s.data };
}

/** Concatenates an init segment and fragments into one file image. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Real media for the oracle tests, from fixtures/media/h264-aac.flv (see fixtures/README.md):
 * H.264 High 320×240 30 fps with B-frames, AAC-LC 44.1 kHz stereo. Parsed here with nothing but
 * the FLV file reader so the CMAF tests do not depend on the codec layer:
 *
 *   video tag body  0x17|0x27 | AVCPacketType u8 | CompositionTime s24 | avcC or AVCC NAL units
 *   audio tag body  0xAF | AACPacketType u8 | AudioSpecificConfig or one raw AAC frame
 *
 * Video times are in 90 kHz ticks, each duration the gap to the next dts (the last repeats the
 * one before); audio times count 1024 samples per frame at 44.1 kHz.
 */
export interface FixtureMedia {
  readonly video: VideoTrack;
  readonly audio: AudioTrack;
  readonly videoSamples: Sample[];
  readonly audioSamples: Sample[];
}

export function loadFixtureMedia(): FixtureMedia {
  const { tags } = readFlvFile(readFileSync(new URL('../../fixtures/media/h264-aac.flv', import.meta.url)));
  let avcC: Uint8Array | undefined;
  let asc: Uint8Array | undefined;
  const frames: { dtsMs: number; ctsMs: number; keyframe: boolean; data: Uint8Array }[] = [];
  const audioFrames: Uint8Array[] = [];
  for (const t of tags) {
    const b = t.body;
    if (t.type === 9 && b[1] === 0) avcC = b.subarray(5);
    else if (t.type === 9 && b[1] === 1) {
      const ctsMs = (((b[2]! << 16) | (b[3]! << 8) | b[4]!) << 8) >> 8;
      frames.push({ dtsMs: t.timestamp, ctsMs, keyframe: b[0]! >> 4 === 1, data: b.subarray(5) });
    } else if (t.type === 8 && b[1] === 0) asc = b.subarray(2);
    else if (t.type === 8 && b[1] === 1) audioFrames.push(b.subarray(2));
  }
  if (avcC === undefined || asc === undefined) throw new Error('fixture lacks a sequence header');
  const hex = (n: number) => n.toString(16).padStart(2, '0');
  const video: VideoTrack = {
    kind: 'video',
    id: 1,
    codec: 'avc',
    timescale: 90_000,
    codecString: `avc1.${hex(avcC[1]!)}${hex(avcC[2]!)}${hex(avcC[3]!)}`,
    decoderConfig: avcC,
    width: 320,
    height: 240,
    frameRate: 30,
    sarWidth: 1,
    sarHeight: 1,
  };
  const audio: AudioTrack = {
    kind: 'audio',
    id: 2,
    codec: 'aac',
    timescale: 44_100,
    codecString: 'mp4a.40.2',
    decoderConfig: asc,
    sampleRate: 44_100,
    channels: 2,
    samplesPerFrame: 1024,
  };
  const videoSamples = frames.map((f, i): Sample => {
    const next = frames[i + 1] ?? { dtsMs: f.dtsMs + (f.dtsMs - frames[i - 1]!.dtsMs) };
    return { trackId: 1, dts: f.dtsMs * 90, pts: (f.dtsMs + f.ctsMs) * 90, duration: (next.dtsMs - f.dtsMs) * 90, keyframe: f.keyframe, data: f.data };
  });
  const audioSamples = audioFrames.map((data, i): Sample => ({ trackId: 2, dts: i * 1024, pts: i * 1024, duration: 1024, keyframe: true, data }));
  return { video, audio, videoSamples, audioSamples };
}

/**
 * A real HEVC Main stream for the oracle tests: 64×48, 25 fps, 6 frames with B-frames, encoded
 * once with ffmpeg 5.1 / libx265 (`-preset ultrafast -x265-params bframes=2:keyint=6`, `-tag:v
 * hvc1`, bitexact) and embedded here as its hvcC and its frames (4-byte length-prefixed NAL
 * units) — small enough to keep in the test tree, real enough for ffprobe to parse. Frame times
 * are in frames (decode order, presentation order); `hevcFixture` turns them into 90 kHz ticks
 * with the first pts equal to the first dts, so composition offsets are negative and positive.
 */
const HEVC_HVCC =

  '0101600000009000000000001ef000fcfdf8f800000f03a00001001840010c01ffff0160000003009000000300000300' +
  '1e959009a10001002942010101600000030090000003000003001ea0208316595912930bc05a02000003000200000300' +
  '3210a2000100064401c073c089';

const HEVC_FRAMES: readonly (readonly [dtsFrame: number, ptsFrame: number, keyframe: boolean, data: string])[] = [
  [
    0,
    2,
    true,
    '000003862801ac76a0e6048a1f00da43e7954fb4db29f440ae79a8d9ca79733eaa87c8e35c4853fe08cbd7b4fe824717' +
    '7feca1c735e585340bd37fa6723331db6fd2e871539420d356cf7cf507456bb415d9e5bb73146ed8d9c05f917525a7bf' +
    '23c1a37acb3dffffec17dd46af9094b24d22f3add33d95dd793e10b69d7abdb50ee367e92b8336747e111793b9112bdb' +
    'f913c943939b23ccf2e4e8e8cbe8ac93ec4d3fa6ea58557caeb28f86cb57d0c846bd881d99fff35cfdf827039183c879' +
    '0de3fce5acda83f912b344d38e1de1cf307bcab3b53c2932c1b095647b26ec5a2078a43bd7d91557ea9fcfcc837e3a7f' +
    'd73b142309c33aa98de5371aebaf5a0acf3a732f92aa0275d0debb2a0e94d81e5ebfff841e882d811ec67e3d236e0fa9' +
    'bd25e87a51bf780031030daa11441863a3b41c3da6753bbdf7b84ed5b8ec6ee44fd54816680d9414efc53f7158f6065f' +
    'bbb8f611977fedebb2c915eeff3926998312028d93f86e76568167cd91d46c95280b6f791b07d1a33c9a52774faa7805' +
    'e80cb7cc6550e7ee7d7d896f6a6b85a7c9b6dff9453b0dd38ba9017520dea1b3af139460a7446c2319eba8818ad419ec' +
    '7dff11746badf9c04acd713240797b42a1fc841349baf336397444b0e29f9ed9960f75ad6ffb91ea50d698558d2808ba' +
    'f6bf5c6f0cd376fe6d5de381eb293e308b13c9f8e9e50e6c7dbd50a12dc953fc2dd7c641388ae0dabaafd7181e0c6c10' +
    'dd1557a9b5e4cd6ae3fee281826d41796a82954e4b23b13359f7dc6f330d2ff809854a44bd947228797565573e05454b' +
    '76127a356890230044e04d0e4f5be8cc54540d2f7a334a3d1f8ca36ff99294d63abeb1feaa6010ea4a73ec710ee42a5a' +
    '350f221a2502af93f78426f2ad1dbe2d62eaa1301568b8ce2925f376b1e628f1640ddfd961d2277aee9fb05a5a183717' +
    'db8293a0bf57ba39ca8dc3833d7fe906a5f31b0853df4ecbb5fa0c664a760ba4197dc9581336348b38f4b49ebd3dff89' +
    '0e5b87321c722d66cd166794b8c8a71261e0d419713da955dd77c3d1c3eea14cd3b26905bd1848e33e05647d8313e275' +
    'caa2308216ba1dbf2a6d773a194fb51a5a34b8cdc010b87b881fd936904b9ef44aa97a32b101996efc9440180fd19b52' +
    '0b2a2ee6433c3c9b371ae7dff11e5b9992b14e5da809d893e1ad0f39ea1563b093feeba006b24220444cb2a66d527abe' +
    '920212088d31b90b96081a3641c16485a48dca77c67027c64e49f6aff075e8ad18fd458a6e14bc151a20',
  ],
  [
    1,
    5,
    false,
    '000000350201d0195e20e4dded8d7ffdcd870eebe6c82d47e1d45d7aced74289e0fb6be877501c4ee1acd337e997c581' +
    '359a38d1e1d1b17835',
  ],
  [2, 4, false, '000000160201e04497820490e12bff255ec9b3a459bd36bcdea0'],
  [3, 3, false, '0000000b0001e024ffe89029809b68'],
  [4, 7, false, '0000000a0201d02895d620e49e5c'],
  [5, 6, false, '0000000b0001e0822f5e0814c09b68'],
];

/** 25 fps in 90 kHz ticks. */
const HEVC_FRAME_TICKS = 3600;
/** The first frame's presentation delay (frames), removed so that pts starts at dts. */
const HEVC_DELAY_FRAMES = 2;

export function hevcFixture(): { track: VideoTrack; samples: Sample[] } {
  const track: VideoTrack = {
    kind: 'video',
    id: 1,
    codec: 'hevc',
    timescale: 90_000,
    codecString: 'hvc1.1.6.L30.90',
    decoderConfig: Buffer.from(HEVC_HVCC, 'hex'),
    width: 64,
    height: 48,
    frameRate: 25,
    sarWidth: 1,
    sarHeight: 1,
  };
  const samples = HEVC_FRAMES.map(([dtsFrame, ptsFrame, keyframe, data]): Sample => ({
    trackId: 1,
    dts: dtsFrame * HEVC_FRAME_TICKS,
    pts: (ptsFrame - HEVC_DELAY_FRAMES) * HEVC_FRAME_TICKS,
    duration: HEVC_FRAME_TICKS,
    keyframe,
    data: Buffer.from(data, 'hex'),
  }));
  return { track, samples };
}
