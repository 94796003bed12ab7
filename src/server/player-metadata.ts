import { AmfEcmaArray, encodeAmf0, type AmfValue } from '../amf/index.js';
import type { StreamRates } from '../hub/index.js';
import type { AudioTrack, Track, VideoTrack } from '../media/index.js';

/**
 * The onMetaData a player gets before a run's sequence headers (FLV 10.1 E.5 onMetaData), built
 * from the tracks: what the decoder configurations say (size, frame rate, sample rate, channels),
 * and what the hub measured when the bitstream does not say it (frame rate) or cannot (data
 * rates). Players size their window and pick decoders from it before the first frame; ffmpeg's
 * FLV demuxer reads the codec ids to open its streams before probing.
 */

/** FLV 10.1 E.4.3.1 CodecID 7 (AVC); 12 is HEVC as nginx-rtmp, SRS and ffmpeg's legacy FLV write it. */
export const VIDEO_CODEC_IDS: Readonly<Partial<Record<VideoTrack['codec'], number>>> = { avc: 7, hevc: 12 };
/** FLV 10.1 E.4.2.1 SoundFormat 10 (AAC). */
export const AUDIO_CODEC_IDS: Readonly<Partial<Record<AudioTrack['codec'], number>>> = { aac: 10 };

/** The onMetaData fields for `tracks`; `rates` is the stream's measurement, when there is one. */
export function playerMetadata(tracks: readonly Track[], rates?: StreamRates): AmfEcmaArray {
  const entries: Array<[string, AmfValue]> = [];
  for (const track of tracks) {
    const bitrateBps = rates?.tracks.find((t) => t.trackId === track.id)?.bitrateBps;
    if (track.kind === 'video') {
      const codecId = VIDEO_CODEC_IDS[track.codec];
      if (codecId === undefined) continue;
      entries.push(['width', track.width], ['height', track.height]);
      const frameRate = track.frameRate ?? positive(rates?.frameRate);
      if (frameRate !== undefined) entries.push(['framerate', round3(frameRate)]);
      entries.push(['videocodecid', codecId]);
      if (positive(bitrateBps) !== undefined) entries.push(['videodatarate', round3(bitrateBps! / 1000)]);
    } else {
      const codecId = AUDIO_CODEC_IDS[track.codec];
      if (codecId === undefined) continue;
      entries.push(['audiocodecid', codecId], ['audiosamplerate', track.sampleRate], ['audiosamplesize', 16]);
      entries.push(['audiochannels', track.channels], ['stereo', track.channels === 2]);
      if (positive(bitrateBps) !== undefined) entries.push(['audiodatarate', round3(bitrateBps! / 1000)]);
    }
  }
  return AmfEcmaArray.from(entries);
}

/** The data message body: `onMetaData` and the fields as an ECMA array, as FMS and nginx-rtmp send it. */
export function onMetaDataBody(tracks: readonly Track[], rates?: StreamRates): Uint8Array {
  return encodeAmf0('onMetaData', playerMetadata(tracks, rates));
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Kilobits and frame rates to three decimals: 29.97 stays 29.97, not 29.970029970029973. */
function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
