import { describe, expect, it } from 'vitest';
import { initSegment } from '../../src/cmaf/index.js';
import { CmafError } from '../../src/errors/index.js';
import type { AudioTrack, Track, VideoTrack } from '../../src/media/index.js';
import { hevcFixture, loadFixtureMedia, parseMp4 } from '../helpers/mp4box.js';

const { video, audio } = loadFixtureMedia();

/** The stsd entry and box tree of track `id` as mp4box.js parsed them. */
function trakOf(parsed: ReturnType<typeof parseMp4>, id: number) {
  const trak = parsed.file.getTrackById(id);
  return { trak, stsd: trak.mdia.minf.stbl.stsd, entry: trak.mdia.minf.stbl.stsd.entries[0] as unknown as Record<string, unknown> };
}

describe('initSegment: read back by mp4box.js', () => {
  it('AVC (real avcC from the fixture): codec string, size, timescale, brands, fragmented', () => {
    const parsed = parseMp4(initSegment([video]));
    expect(parsed.majorBrand).toBe('cmf2');
    expect(parsed.compatibleBrands).toEqual(['cmf2', 'cmfc', 'iso6', 'mp41', 'dash']);
    expect(parsed.file.getInfo().isFragmented).toBe(true);
    expect(parsed.tracks).toEqual([
      { id: 1, kind: 'video', timescale: 90_000, codec: video.codecString, width: 320, height: 240, sampleRate: undefined, channels: undefined },
    ]);
    expect(video.codecString).toBe('avc1.64000d');
    const { trak, entry } = trakOf(parsed, 1);
    expect(trak.tkhd.flags).toBe(3);
    expect(trak.tkhd.width / 65536).toBe(320);
    expect(trak.mdia.mdhd.languageString).toBe('und');
    expect(trak.mdia.hdlr.handler).toBe('vide');
    expect(entry['compressorname']).toBe('AVC Coding');
    expect(entry['depth']).toBe(0x18);
    expect(entry['pasp']).toBeUndefined();
    expect(parsed.file.moov.mvex!.trexs.map((t) => [t.track_id, t.default_sample_description_index])).toEqual([[1, 1]]);
  });

  it('AAC (real AudioSpecificConfig): codec string, rate, channels, esds', () => {
    const parsed = parseMp4(initSegment([audio]));
    expect(parsed.tracks).toEqual([
      { id: 2, kind: 'audio', timescale: 44_100, codec: 'mp4a.40.2', width: undefined, height: undefined, sampleRate: 44_100, channels: 2 },
    ]);
    const { trak, stsd, entry } = trakOf(parsed, 2);
    expect(stsd.version).toBe(0);
    expect(trak.tkhd.volume).toBe(1);
    expect(trak.mdia.hdlr.handler).toBe('soun');
    const esds = entry['esds'] as { esd: { descs: { oti: number; streamType: number; descs: { data: Uint8Array }[] }[] } };
    const dcd = esds.esd.descs[0]!;
    expect(dcd.oti).toBe(0x40);
    expect(dcd.streamType).toBe(5);
    expect(Buffer.from(dcd.descs[0]!.data)).toEqual(Buffer.from(audio.decoderConfig));
  });

  it('HEVC as hvc1 with the real hvcC: codec string matches the track', () => {
    const { track } = hevcFixture();
    const parsed = parseMp4(initSegment([track]));
    expect(parsed.tracks[0]).toMatchObject({ codec: track.codecString, width: 64, height: 48 });
    expect(trakOf(parsed, 1).entry['compressorname']).toBe('HEVC Coding');
  });

  it('several tracks: one trak and one trex each, next_track_ID past the largest id, no CMAF brand', () => {
    const parsed = parseMp4(initSegment([video, audio]));
    // Not a CMAF header (one track each): plain fragmented ISOBMFF brands.
    expect(parsed.majorBrand).toBe('iso6');
    expect(parsed.compatibleBrands).toEqual(['iso6', 'mp41', 'dash']);
    expect(parsed.tracks.map((t) => [t.id, t.kind, t.codec])).toEqual([
      [1, 'video', video.codecString],
      [2, 'audio', 'mp4a.40.2'],
    ]);
    expect(parsed.file.moov.mvex!.trexs.map((t) => t.track_id)).toEqual([1, 2]);
    expect(parsed.file.moov.mvhd.next_track_id).toBe(3);
  });

  it('a sample aspect ratio other than 1:1 adds pasp and scales the tkhd width', () => {
    const anamorphic: VideoTrack = { ...video, sarWidth: 4, sarHeight: 3 };
    const parsed = parseMp4(initSegment([anamorphic]));
    const { trak, entry } = trakOf(parsed, 1);
    expect(entry['pasp']).toMatchObject({ hSpacing: 4, vSpacing: 3 });
    expect(trak.tkhd.width).toBe(Math.round((320 * 4 * 65536) / 3));
    expect(trak.tkhd.height / 65536).toBe(240);
    expect(parsed.tracks[0]).toMatchObject({ width: 320, height: 240 });
  });

  it('96 kHz audio: AudioSampleEntryV1 with srat in an stsd of version 1', () => {
    const hiRes: AudioTrack = { ...audio, sampleRate: 96_000, timescale: 96_000, decoderConfig: new Uint8Array([0x10, 0x10]) };
    const parsed = parseMp4(initSegment([hiRes]));
    const { stsd, entry } = trakOf(parsed, 2);
    expect(stsd.version).toBe(1);
    expect(entry['version']).toBe(1);
    expect(entry['srat']).toMatchObject({ sampling_rate: 96_000 });
    expect(parsed.tracks[0]).toMatchObject({ channels: 2, sampleRate: 48_000, timescale: 96_000 });
  });
});

describe('initSegment: validation', () => {
  const cases: [string, Track[], RegExp][] = [
    ['no track', [], /at least one track/],
    ['a duplicate track id', [video, { ...audio, id: 1 }], /appears twice/],
    ['track id 0', [{ ...video, id: 0 }], /track id 0/],
    ['a zero timescale', [{ ...audio, timescale: 0 }], /timescale 0/],
    ['Opus (no writer yet)', [{ ...audio, codec: 'opus' }], /codec 'opus'/],
    ['AV1 (no writer yet)', [{ ...video, codec: 'av1' }], /codec 'av1'/],
    ['a zero width', [{ ...video, width: 0 }], /video size 0x240/],
    ['an empty avcC', [{ ...video, decoderConfig: new Uint8Array(0) }], /empty avcC/],
    ['no audio channels', [{ ...audio, channels: 0 }], /channel count 0/],
  ];

  it.each(cases)('rejects %s with ERR_CMAF_INVALID', (_name, tracks, message) => {
    let caught: unknown;
    try {
      initSegment(tracks);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CmafError);
    expect((caught as CmafError).code).toBe('ERR_CMAF_INVALID');
    expect((caught as CmafError).message).toMatch(message);
  });
});
