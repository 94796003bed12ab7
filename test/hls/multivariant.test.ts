import { describe, expect, it } from 'vitest';
import {
  buildMultivariantPlaylist,
  renderMultivariantPlaylist,
  type MultivariantPlaylist,
  type Rendition,
  type VariantStream,
} from '../../src/hls/index.js';
import type { AudioTrack, VideoTrack } from '../../src/media/index.js';
import { hlsErrorOf, lines } from './helpers.js';

function videoTrack(width: number, height: number, codecString: string, frameRate?: number): VideoTrack {
  return { id: 1, kind: 'video', codec: 'avc', timescale: 90_000, codecString, decoderConfig: new Uint8Array(), width, height, frameRate, sarWidth: 1, sarHeight: 1 };
}

function audioTrack(codecString = 'mp4a.40.2', channels = 2): AudioTrack {
  return { id: 2, kind: 'audio', codec: 'aac', timescale: 48_000, codecString, decoderConfig: new Uint8Array(), sampleRate: 48_000, channels, samplesPerFrame: 1024 };
}

const audio: Rendition = { type: 'AUDIO', groupId: 'aud', name: 'English', language: 'en', default: true, autoselect: true, channels: '2', uri: 'audio/en.m3u8' };
const variant: VariantStream = { uri: 'v720/index.m3u8', bandwidth: 2_628_000, codecs: ['avc1.64001f', 'mp4a.40.2'], audio: 'aud' };

describe('renderMultivariantPlaylist (RFC 8216bis 4.4.6)', () => {
  it('an audio group and two variants; TYPE and DEFAULT unquoted, strings quoted', () => {
    const model: MultivariantPlaylist = {
      version: 6,
      independentSegments: true,
      renditions: [audio, { type: 'AUDIO', groupId: 'aud', name: 'Deutsch', language: 'de', default: false, autoselect: true, channels: '6', uri: 'audio/de.m3u8' }],
      variants: [
        { ...variant, averageBandwidth: 2_200_000, resolution: { width: 1280, height: 720 }, frameRate: 30 },
        { uri: 'v360/index.m3u8', bandwidth: 928_000, codecs: ['avc1.4d401e', 'mp4a.40.2'], resolution: { width: 640, height: 360 }, frameRate: 30000 / 1001, audio: 'aud' },
      ],
    };
    expect(renderMultivariantPlaylist(model)).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/en.m3u8"',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Deutsch",LANGUAGE="de",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="6",URI="audio/de.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=2628000,AVERAGE-BANDWIDTH=2200000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="aud"',
        'v720/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=928000,CODECS="avc1.4d401e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=29.970,AUDIO="aud"',
        'v360/index.m3u8',
      ),
    );
  });

  it('defaults the version to the minimum: 4 with rendition groups (Section 8 MAY), else 1', () => {
    expect(renderMultivariantPlaylist({ renditions: [audio], variants: [variant] }).split('\n')[1]).toBe('#EXT-X-VERSION:4');
    expect(renderMultivariantPlaylist({ variants: [{ uri: 'a.m3u8', bandwidth: 1, codecs: ['mp4a.40.2'] }] })).toBe(
      lines('#EXTM3U', '#EXT-X-VERSION:1', '#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="mp4a.40.2"', 'a.m3u8'),
    );
  });

  const cases: Array<[string, MultivariantPlaylist, string]> = [
    ['no variants', { variants: [] }, 'variants'],
    ['a zero bandwidth', { renditions: [audio], variants: [{ ...variant, bandwidth: 0 }] }, 'variants[0].bandwidth'],
    ['a fractional bandwidth', { renditions: [audio], variants: [{ ...variant, bandwidth: 1.5 }] }, 'variants[0].bandwidth'],
    ['no codecs', { renditions: [audio], variants: [{ ...variant, codecs: [] }] }, 'variants[0].codecs'],
    ['a comma inside a codec string', { renditions: [audio], variants: [{ ...variant, codecs: ['avc1.64001f,x'] }] }, 'variants[0].codecs[0]'],
    ['a quote inside a codec string', { renditions: [audio], variants: [{ ...variant, codecs: ['avc1"'] }] }, 'variants[0].codecs[0]'],
    ['a newline in a variant URI', { renditions: [audio], variants: [{ ...variant, uri: 'a.m3u8\n#EXTINF:1,' }] }, 'variants[0].uri'],
    ['an AUDIO group nobody declared', { renditions: [audio], variants: [{ ...variant, audio: 'other' }] }, 'variants[0].audio'],
    ['a VIDEO reference to an AUDIO group', { renditions: [audio], variants: [{ ...variant, video: 'aud' }] }, 'variants[0].video'],
    ['a zero width', { renditions: [audio], variants: [{ ...variant, resolution: { width: 0, height: 720 } }] }, 'variants[0].resolution.width'],
    ['a NaN frame rate', { renditions: [audio], variants: [{ ...variant, frameRate: Number.NaN }] }, 'variants[0].frameRate'],
    ['a quote in NAME', { renditions: [{ ...audio, name: 'Eng "main"' }], variants: [variant] }, 'renditions[0].name'],
    ['a newline in NAME', { renditions: [{ ...audio, name: 'Eng\nlish' }], variants: [variant] }, 'renditions[0].name'],
    ['an empty GROUP-ID', { renditions: [{ ...audio, groupId: '' }], variants: [{ ...variant, audio: '' }] }, 'renditions[0].groupId'],
    ['a bad language tag', { renditions: [{ ...audio, language: 'en us' }], variants: [variant] }, 'renditions[0].language'],
    ['CHANNELS not starting with a count', { renditions: [{ ...audio, channels: 'stereo' }], variants: [variant] }, 'renditions[0].channels'],
    ['CHANNELS on a VIDEO rendition', { renditions: [audio, { type: 'VIDEO', groupId: 'v', name: 'cam', channels: '2' }], variants: [variant] }, 'renditions[1].channels'],
    ['an unknown TYPE', { renditions: [{ ...audio, type: 'CLOSED-CAPTIONS' as 'AUDIO' }], variants: [{ ...variant, audio: undefined }] }, 'renditions[0].type'],
    ['two renditions with one NAME in a group', { renditions: [audio, { ...audio, default: false, language: 'en-GB' }], variants: [variant] }, 'renditions[1].name'],
    ['two DEFAULT=YES in a group', { renditions: [audio, { ...audio, name: 'Other' }], variants: [variant] }, 'renditions[1].default'],
    ['DEFAULT=YES with AUTOSELECT=NO', { renditions: [{ ...audio, autoselect: false }], variants: [variant] }, 'renditions[0].autoselect'],
    ['version 3 with a rendition group', { version: 3, renditions: [audio], variants: [variant] }, 'version'],
  ];

  it.each(cases)('rejects %s', (_, model, field) => {
    const err = hlsErrorOf(() => renderMultivariantPlaylist(model));
    expect(err.code).toBe('ERR_HLS_INVALID');
    expect(err.details['field']).toBe(field);
  });
});

describe('buildMultivariantPlaylist from tracks and measured bit rates', () => {
  const en = { track: audioTrack(), uri: 'audio/en/index.m3u8', name: 'English', language: 'en', bitrate: { peakBitsPerSecond: 131_000, averageBitsPerSecond: 128_500 } };

  it('one variant per video rung, all referring to one audio group; BANDWIDTH sums video and audio peaks', () => {
    const model = buildMultivariantPlaylist({
      video: [
        { track: videoTrack(1280, 720, 'avc1.64001f', 30), uri: 'v720/index.m3u8', bitrate: { peakBitsPerSecond: 2_497_000, averageBitsPerSecond: 2_071_500 } },
        { track: videoTrack(640, 360, 'avc1.4d401e', 30000 / 1001), uri: 'v360/index.m3u8', bitrate: { peakBitsPerSecond: 797_000 } },
      ],
      audio: [en, { track: audioTrack('mp4a.40.5', 6), uri: 'audio/de/index.m3u8', name: 'Deutsch', language: 'de', bitrate: { peakBitsPerSecond: 200_000, averageBitsPerSecond: 190_000 } }],
    });
    expect(renderMultivariantPlaylist(model)).toBe(
      lines(
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="audio/en/index.m3u8"',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Deutsch",LANGUAGE="de",DEFAULT=NO,AUTOSELECT=YES,CHANNELS="6",URI="audio/de/index.m3u8"',
        '#EXT-X-STREAM-INF:BANDWIDTH=2697000,AVERAGE-BANDWIDTH=2261500,CODECS="avc1.64001f,mp4a.40.2,mp4a.40.5",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="audio"',
        'v720/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=997000,CODECS="avc1.4d401e,mp4a.40.2,mp4a.40.5",RESOLUTION=640x360,FRAME-RATE=29.970,AUDIO="audio"',
        'v360/index.m3u8',
      ),
    );
  });

  it('the marked default wins; AUTOSELECT for the default and the first rendition of every other language; no frame rate when unknown', () => {
    const model = buildMultivariantPlaylist({
      video: [{ track: videoTrack(320, 240, 'avc1.64000d'), uri: 'v/index.m3u8', bitrate: { peakBitsPerSecond: 300_000 } }],
      audio: [en, { ...en, name: 'English (AD)', uri: 'audio/ad/index.m3u8', default: true }],
      audioGroupId: 'stereo',
    });
    expect(model.renditions?.map((r) => [r.name, r.default, r.autoselect])).toEqual([
      ['English', false, false],
      ['English (AD)', true, true],
    ]);
    expect(renderMultivariantPlaylist(model)).toContain('\n#EXT-X-STREAM-INF:BANDWIDTH=431000,CODECS="avc1.64000d,mp4a.40.2",RESOLUTION=320x240,AUDIO="stereo"\n');
  });

  it('video without audio, and audio without video', () => {
    const videoOnly = buildMultivariantPlaylist({ video: [{ track: videoTrack(320, 240, 'avc1.64000d', 30), uri: 'v.m3u8', bitrate: { peakBitsPerSecond: 300_000 } }] });
    expect(renderMultivariantPlaylist(videoOnly)).toBe(
      lines('#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS', '#EXT-X-STREAM-INF:BANDWIDTH=300000,CODECS="avc1.64000d",RESOLUTION=320x240,FRAME-RATE=30.000', 'v.m3u8'),
    );
    const audioOnly = buildMultivariantPlaylist({ video: [], audio: [en] });
    expect(renderMultivariantPlaylist(audioOnly)).toBe(
      lines('#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS', '#EXT-X-STREAM-INF:BANDWIDTH=131000,AVERAGE-BANDWIDTH=128500,CODECS="mp4a.40.2"', 'audio/en/index.m3u8'),
    );
  });

  it('rejects unmeasured bit rates, swapped tracks and two defaults', () => {
    const v = { track: videoTrack(320, 240, 'avc1.64000d'), uri: 'v.m3u8', bitrate: { peakBitsPerSecond: 0 } };
    expect(hlsErrorOf(() => buildMultivariantPlaylist({ video: [v] })).details['field']).toBe('video.bitrate.peakBitsPerSecond');
    const swapped = { ...v, track: audioTrack() as unknown as VideoTrack, bitrate: { peakBitsPerSecond: 1 } };
    expect(hlsErrorOf(() => buildMultivariantPlaylist({ video: [swapped] })).details['field']).toBe('video.track');
    const twoDefaults = { video: [{ ...v, bitrate: { peakBitsPerSecond: 1 } }], audio: [{ ...en, default: true }, { ...en, name: 'B', default: true }] };
    expect(hlsErrorOf(() => buildMultivariantPlaylist(twoDefaults)).details['field']).toBe('audio[1].default');
  });
});
