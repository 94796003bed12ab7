import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildAudioTag,
  buildScriptTag,
  buildVideoTag,
  parseAudioTag,
  parseScriptTag,
  parseVideoTag,
  readFlvFile,
  type AudioTag,
  type VideoMediaTag,
  type VideoTag,
} from '../../src/flv/index.js';
import { ChunkReader } from '../../src/rtmp/chunk/index.js';
import { fixturePath } from '../helpers/ffmpeg.js';

/**
 * Real bodies: every tag of the ffmpeg-made fixtures/media/h264-aac.flv and every audio and video
 * message that OBS, ffmpeg, GStreamer rtmp2sink and librtmp published in fixtures/rtmp/. Each
 * parses, and building the parsed tag again gives the original bytes.
 */

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function isMedia(tag: VideoTag): tag is VideoMediaTag {
  return tag.packetType !== 'command';
}

describe('fixtures/media/h264-aac.flv', () => {
  const { tags } = readFlvFile(new Uint8Array(readFileSync(fixturePath('media/h264-aac.flv'))));
  const video = tags.filter((t) => t.type === 9).map((t) => ({ timestamp: t.timestamp, body: t.body, tag: parseVideoTag(t.body) }));
  const audio = tags.filter((t) => t.type === 8).map((t) => ({ body: t.body, tag: parseAudioTag(t.body) }));
  const script = tags.filter((t) => t.type === 18).map((t) => ({ body: t.body, tag: parseScriptTag(t.body) }));

  it('every tag parses: 302 video, 433 audio, 1 script', () => {
    expect([video.length, audio.length, script.length]).toEqual([302, 433, 1]);
    expect(video.every((v) => isMedia(v.tag) && v.tag.codec === 'avc' && !v.tag.enhanced)).toBe(true);
    expect(audio.every((a) => a.tag.codec === 'aac' && !a.tag.enhanced)).toBe(true);
  });

  it('5 key frames (an IDR every 2 s over 10 s), one AVC and one AAC sequence header, one end of sequence', () => {
    const media = video.map((v) => v.tag).filter(isMedia);
    const count = (packetType: string, frameType?: string): number =>
      media.filter((t) => t.packetType === packetType && (frameType === undefined || t.frameType === frameType)).length;
    expect(count('coded-frames', 'key')).toBe(5);
    expect(count('coded-frames')).toBe(300);
    expect(count('sequence-start')).toBe(1);
    expect(count('sequence-end')).toBe(1);
    expect(audio.filter((a) => a.tag.packetType === 'sequence-start').length).toBe(1);
    expect(audio.filter((a) => a.tag.packetType === 'coded-frames').length).toBe(432);
    const keyTimes = video.filter((v) => isMedia(v.tag) && v.tag.packetType === 'coded-frames' && v.tag.frameType === 'key');
    expect(keyTimes.map((v) => v.timestamp)).toEqual([0, 2000, 4000, 6000, 8000]);
  });

  it('the decoder configurations are the avcC of H.264 High and the AudioSpecificConfig of AAC-LC 44.1 kHz stereo', () => {
    const avcC = video.map((v) => v.tag).find((t): t is VideoMediaTag => isMedia(t) && t.packetType === 'sequence-start')!;
    // ISO/IEC 14496-15 5.3.3.1: configurationVersion 1, AVCProfileIndication 100 (High).
    expect([avcC.data[0], avcC.data[1]]).toEqual([1, 100]);
    const asc = audio.find((a) => a.tag.packetType === 'sequence-start')!.tag;
    // ISO/IEC 14496-3 1.6.2.1: object type 2 (LC), frequency index 4 (44100), channel config 2,
    // then ffmpeg's explicit "no SBR" sync extension (0x2b7, object type 5, sbrPresentFlag 0).
    expect(toHex(asc.data)).toBe('121056e500');
  });

  it('B-frames: CompositionTime is non-zero on most frames, and pts = dts + CompositionTime walks 1/30 s steps', () => {
    const frames = video.filter((v): v is typeof v & { tag: VideoMediaTag } => isMedia(v.tag) && v.tag.packetType === 'coded-frames');
    const cts = frames.map((f) => f.tag.compositionTimeMs);
    expect(cts.filter((ct) => ct > 0).length).toBeGreaterThan(150);
    expect(Math.min(...cts)).toBeGreaterThanOrEqual(0);
    const pts = frames.map((f) => f.timestamp + f.tag.compositionTimeMs).sort((a, b) => a - b);
    const steps = new Set(pts.slice(1).map((p, i) => p - pts[i]!));
    expect([...steps].sort()).toEqual([33, 34]);
  });

  it('onMetaData describes the streams', () => {
    expect(script[0]!.tag.name).toBe('onMetaData');
    expect(script[0]!.tag.value).toMatchObject({ width: 320, height: 240, videocodecid: 7, audiocodecid: 10, audiosamplerate: 44100 });
  });

  it('building every parsed tag gives back the bytes ffmpeg wrote', () => {
    for (const v of video) expect(toHex(buildVideoTag(v.tag))).toBe(toHex(v.body));
    for (const a of audio) expect(toHex(buildAudioTag(a.tag))).toBe(toHex(a.body));
    for (const s of script) expect(toHex(buildScriptTag(s.tag.name, ...s.tag.values))).toBe(toHex(s.body));
  });
});

/** C0 + C1 + C2 (RTMP 5.2): the messages start after them. */
const HANDSHAKE_BYTES = 1 + 1536 + 1536;

const TRANSCRIPTS = [
  { file: 'obs-29.0.2-publish.c2s.bin', video: 61, audio: 92 },
  { file: 'ffmpeg-5.1-publish.c2s.bin', video: 31, audio: 46 },
  { file: 'gstreamer-1.22-rtmp2sink-publish.c2s.bin', video: 30, audio: 47 },
  { file: 'librtmp-2.4-rtmpsink-publish.c2s.bin', video: 30, audio: 47 },
];

describe('RTMP publisher transcripts (fixtures/rtmp)', () => {
  it.each(TRANSCRIPTS)('$file: every video and audio message parses and builds back', ({ file, video, audio }) => {
    const reader = new ChunkReader();
    reader.push(readFileSync(fixturePath(`rtmp/${file}`)).subarray(HANDSHAKE_BYTES));
    const videoTags: VideoTag[] = [];
    const audioTags: AudioTag[] = [];
    for (let m = reader.read(); m !== null; m = reader.read()) {
      if (m.typeId === 9) {
        const tag = parseVideoTag(m.payload);
        expect(toHex(buildVideoTag(tag))).toBe(toHex(m.payload));
        videoTags.push(tag);
      } else if (m.typeId === 8) {
        const tag = parseAudioTag(m.payload);
        expect(toHex(buildAudioTag(tag))).toBe(toHex(m.payload));
        audioTags.push(tag);
      }
    }
    expect([videoTags.length, audioTags.length]).toEqual([video, audio]);
    const media = videoTags.filter(isMedia);
    expect(media.length).toBe(video);
    expect(media.filter((t) => t.packetType === 'sequence-start').length).toBe(1);
    expect(media[0]).toMatchObject({ codec: 'avc', packetType: 'sequence-start', frameType: 'key' });
    expect(media.filter((t) => t.packetType === 'coded-frames' && t.frameType === 'key').length).toBeGreaterThanOrEqual(1);
    expect(audioTags.filter((t) => t.packetType === 'sequence-start').length).toBe(1);
    expect(audioTags.every((t) => t.codec === 'aac')).toBe(true);
  });
});
