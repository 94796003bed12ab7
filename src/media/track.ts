/**
 * A track as the packagers see it (design.md "Core types"): what a player needs to set up a
 * decoder, and the timescale all of the track's sample times are counted in.
 */
export type VideoCodec = 'avc' | 'hevc' | 'av1' | 'vp9';
export type AudioCodec = 'aac' | 'opus';

interface TrackBase {
  /** 1-based, unique within a presentation (ISO/IEC 14496-12 8.3.2 track_ID). */
  id: number;
  /** Ticks per second of every dts, pts and duration of this track. */
  timescale: number;
  /** RFC 6381 codec string for HLS CODECS and MIME types, e.g. "avc1.64001f", "mp4a.40.2". */
  codecString: string;
  /**
   * The decoder configuration record as carried in the sample entry: AVCDecoderConfigurationRecord
   * (avcC), HEVCDecoderConfigurationRecord (hvcC), AudioSpecificConfig (AAC).
   */
  decoderConfig: Uint8Array;
}

export interface VideoTrack extends TrackBase {
  kind: 'video';
  codec: VideoCodec;
  /** Display size in pixels, after cropping. */
  width: number;
  height: number;
  /** Frames per second from the bitstream's timing info, when it says; undefined otherwise. */
  frameRate: number | undefined;
  /** Sample aspect ratio (1:1 unless the SPS says otherwise). */
  sarWidth: number;
  sarHeight: number;
}

export interface AudioTrack extends TrackBase {
  kind: 'audio';
  codec: AudioCodec;
  sampleRate: number;
  channels: number;
  /** PCM samples per coded frame: 1024 for AAC-LC, 2048 for HE-AAC output, 960 for Opus at 20 ms. */
  samplesPerFrame: number;
}

export type Track = VideoTrack | AudioTrack;

/** 90 kHz: the MPEG clock, an exact multiple of every common frame rate's tick and of 1 ms. */
export const VIDEO_TIMESCALE = 90_000;
