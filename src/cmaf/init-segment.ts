import { CmafError } from '../errors/index.js';
import type { AudioTrack, Track, VideoTrack } from '../media/index.js';
import {
  type Box,
  type Brands,
  configurationBox,
  containerBox,
  dinf,
  encodeBoxes,
  esds,
  ftyp,
  hdlr,
  mdhd,
  mp4a,
  mvex,
  mvhd,
  needsAudioSampleEntryV1,
  pasp,
  smhd,
  stbl,
  stsd,
  tkhd,
  visualSampleEntry,
  vmhd,
} from './box/index.js';

/**
 * Brands of the CMAF header's ftyp (ISO/IEC 14496-12 4.3; ISO/IEC 23000-19 clause 7).
 *
 * - 'cmf2' (major) and 'cmfc': CMAF structural brands. 'cmfc' is the base; 'cmf2' adds, for video,
 *   no edit list, signed composition offsets in trun version 1 and per-fragment sample defaults —
 *   exactly how fragment.ts writes, so the stricter brand is the honest one to lead with.
 *   GStreamer's CMAF muxer uses the same major brand.
 * - 'iso6': the ISOBMFF edition whose features the file needs (tfdt v1, default-base-is-moof,
 *   styp), for readers that know nothing of CMAF.
 * - 'mp41': MPEG-4 file format (the esds in mp4a), for older sniffers that look for it.
 * - 'dash': the ISOBMFF segment format of MPEG-DASH (ISO/IEC 23009-1 6.3), since the same init
 *   and fragments are served to DASH clients.
 *
 * No reader tidecast targets picks a demuxer by the major brand: ffprobe reports it and reads the
 * boxes, hls.js parses moov/moof without looking at brands, and MSE/AVFoundation hand the bytes to
 * an ISOBMFF parser; the compatible list is what strict validators check.
 */
export const CMAF_HEADER_BRANDS: Brands = {
  major: 'cmf2',
  minorVersion: 0,
  compatible: ['cmf2', 'cmfc', 'iso6', 'mp41', 'dash'],
};

/**
 * Brands of a header with several tracks: a CMAF header holds exactly one track (ISO/IEC 23000-19
 * clause 7), so such a file must not claim 'cmfc'/'cmf2'; it is plain fragmented ISOBMFF/MP4.
 */
export const MULTI_TRACK_HEADER_BRANDS: Brands = {
  major: 'iso6',
  minorVersion: 0,
  compatible: ['iso6', 'mp41', 'dash'],
};

/** Ticks per second of mvhd; only its (zero) duration counts in it, so 1 ms is plenty. */
export const MOVIE_TIMESCALE = 1000;

/** 14496-1 Table 5: Audio ISO/IEC 14496-3 (MPEG-4 AAC). */
const OBJECT_TYPE_AAC = 0x40;
/** 14496-1 Table 6: AudioStream. */
const STREAM_TYPE_AUDIO = 0x05;
/**
 * ISO/IEC 14496-3 subpart 4 (decoder buffer requirements): the AAC decoder input buffer is 6144
 * bits per channel, so no access unit is larger; bufferSizeDB is that, in bytes.
 */
const AAC_BUFFER_BYTES_PER_CHANNEL = 6144 / 8;

/**
 * The CMAF header (ISO/IEC 23000-19 7.3.2.1) for `tracks`: an ISOBMFF initialization segment
 * with every sample table empty and an mvex, so all samples follow in movie fragments.
 *
 *   ftyp  major 'cmf2', compatible cmf2 cmfc iso6 mp41 dash   (several tracks: iso6 mp41 dash)
 *   moov
 *   ├─ mvhd                       timescale 1000, duration 0, next_track_ID
 *   ├─ trak                       one per track, in the order given
 *   │  ├─ tkhd                    enabled; width/height (video, SAR applied) or volume (audio)
 *   │  └─ mdia
 *   │     ├─ mdhd                 track timescale, language 'und'
 *   │     ├─ hdlr                 'vide' | 'soun'
 *   │     └─ minf
 *   │        ├─ vmhd | smhd
 *   │        ├─ dinf
 *   │        │  └─ dref
 *   │        │     └─ url         self-contained
 *   │        └─ stbl
 *   │           ├─ stsd
 *   │           │  └─ avc1|hvc1   ├─ avcC|hvcC (track.decoderConfig) └─ pasp (SAR ≠ 1:1)
 *   │           │   | mp4a        ├─ srat (rate > 65535)  └─ esds (track.decoderConfig = ASC)
 *   │           └─ stts stsc stsz stco   (no entries)
 *   └─ mvex
 *      └─ trex                    one per track, default sample description 1
 *
 * CMAF and HLS want one track per header (each rendition its own init segment); several tracks
 * are accepted for tools and files that want them together, and then the ftyp carries
 * MULTI_TRACK_HEADER_BRANDS instead, as such a file is not a CMAF header. Throws ERR_CMAF_INVALID for an
 * empty list, duplicate or out-of-range track ids, a zero timescale, or a codec without a sample
 * entry writer (AV1, VP9, Opus so far).
 */
export function initSegment(tracks: readonly Track[]): Uint8Array {
  validateTracks(tracks);
  const nextTrackId = Math.max(...tracks.map((t) => t.id)) + 1;
  const moov = containerBox('moov', [
    mvhd({ timescale: MOVIE_TIMESCALE, nextTrackId }),
    ...tracks.map(trak),
    mvex(tracks.map((t) => t.id)),
  ]);
  return encodeBoxes([ftyp(tracks.length === 1 ? CMAF_HEADER_BRANDS : MULTI_TRACK_HEADER_BRANDS), moov]);
}

function trak(track: Track): Box {
  const video = track.kind === 'video';
  const entry = video ? videoSampleEntry(track) : audioSampleEntry(track);
  const stsdVersion = !video && needsAudioSampleEntryV1(track.sampleRate) ? 1 : 0;
  const minf = containerBox('minf', [video ? vmhd() : smhd(), dinf(), stbl(stsd(stsdVersion, [entry]))]);
  const mdia = containerBox('mdia', [
    mdhd({ timescale: track.timescale, language: 'und' }),
    video ? hdlr('vide', 'VideoHandler') : hdlr('soun', 'SoundHandler'),
    minf,
  ]);
  return containerBox('trak', [trackHeader(track), mdia]);
}

/** 8.3.2.3: width/height are the presentation size, so the sample aspect ratio is applied. */
function trackHeader(track: Track): Box {
  if (track.kind === 'audio') return tkhd({ trackId: track.id, volume: 0x0100, width: 0, height: 0 });
  return tkhd({ trackId: track.id, volume: 0, width: (track.width * track.sarWidth) / track.sarHeight, height: track.height });
}

function videoSampleEntry(track: VideoTrack): Box {
  if (track.codec !== 'avc' && track.codec !== 'hevc') throw unsupported(track);
  const avc = track.codec === 'avc';
  const children = [configurationBox(avc ? 'avcC' : 'hvcC', track.decoderConfig)];
  if (track.sarWidth !== track.sarHeight) children.push(pasp(track.sarWidth, track.sarHeight));
  return visualSampleEntry({
    type: avc ? 'avc1' : 'hvc1',
    width: track.width,
    height: track.height,
    // ISO/IEC 14496-15 recommends these names ("\012AVC Coding", "\013HEVC Coding").
    compressorName: avc ? 'AVC Coding' : 'HEVC Coding',
    children,
  });
}

function audioSampleEntry(track: AudioTrack): Box {
  if (track.codec !== 'aac') throw unsupported(track);
  return mp4a({
    channelCount: track.channels,
    sampleRate: track.sampleRate,
    esds: esds({
      objectTypeIndication: OBJECT_TYPE_AAC,
      streamType: STREAM_TYPE_AUDIO,
      bufferSizeDB: AAC_BUFFER_BYTES_PER_CHANNEL * track.channels,
      // Unknown when the header is written, before the first frame; 0 is "unknown / variable".
      maxBitrate: 0,
      avgBitrate: 0,
      decoderSpecificInfo: track.decoderConfig,
    }),
  });
}

function validateTracks(tracks: readonly Track[]): void {
  if (tracks.length === 0) throw new CmafError('ERR_CMAF_INVALID', 'an init segment needs at least one track');
  const seen = new Set<number>();
  for (const t of tracks) {
    if (!isPositiveU32(t.id) || t.id === 0xffff_ffff) {
      throw new CmafError('ERR_CMAF_INVALID', `track id ${t.id} is not in 1..2^32-2`, { trackId: t.id });
    }
    if (seen.has(t.id)) throw new CmafError('ERR_CMAF_INVALID', `track id ${t.id} appears twice`, { trackId: t.id });
    seen.add(t.id);
    if (!isPositiveU32(t.timescale)) {
      throw new CmafError('ERR_CMAF_INVALID', `track ${t.id} timescale ${t.timescale} is not a positive 32-bit integer`, {
        trackId: t.id,
        timescale: t.timescale,
      });
    }
  }
}

function unsupported(track: Track): CmafError {
  return new CmafError('ERR_CMAF_INVALID', `track ${track.id}: no CMAF sample entry writer for codec '${track.codec}'`, {
    trackId: track.id,
    codec: track.codec,
  });
}

function isPositiveU32(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n <= 0xffff_ffff;
}
