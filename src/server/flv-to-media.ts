import type { AmfValue } from '../amf/index.js';
import { FlvError } from '../errors/index.js';
import { parseAudioTag, parseScriptTag, parseVideoTag } from '../flv/index.js';
import { AudioTimestamps, RtmpClock, VideoTimestamps, sameBytes, type AudioTrack, type Sample, type Track, type VideoTrack } from '../media/index.js';
import { aacTrack, avcTrack, hevcTrack } from './tracks-from-configs.js';

/** What an FLV tag (or an RTMP audio/video/data message) turns into. */
export type MediaEvent =
  | { type: 'track'; track: Track }
  | { type: 'sample'; sample: Sample }
  | { type: 'metadata'; name: string; value: AmfValue };

/** Track ids within one presentation: video first, as players list it. */
export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;

/** Tags that could not be used, by reason, so a caller can report what it dropped. */
export interface FlvToMediaCounters {
  /** Frames before their track's sequence header (nothing can decode them). */
  beforeConfig: number;
  /** Codecs the packagers do not carry (MP3, Opus, AV1, VP9 for now). */
  unsupported: number;
  /** Video command frames and sequence-end markers: no media in them. */
  control: number;
}

/**
 * Turns FLV tag bodies — from a .flv file or from RTMP audio/video/data messages, which carry the
 * same bodies — into Tracks and Samples. Pure and incremental: one call per tag, events out.
 * A new sequence header with a different configuration yields a new 'track' event (same id) that
 * a packager answers with a new init segment. Sample data are views of the tag bodies.
 */
export class FlvToMedia {
  /** Its own counters, or ones shared with others (every publish of one stream key adds to the same). */
  readonly counters: FlvToMediaCounters;
  private video: VideoTrack | undefined;
  private audio: AudioTrack | undefined;
  private videoTimes: VideoTimestamps | undefined;
  private audioTimes: AudioTimestamps | undefined;
  /** One clock for both tracks, so a 32-bit wrap is seen the same way by both. */
  private readonly clock = new RtmpClock();

  constructor(counters: FlvToMediaCounters = { beforeConfig: 0, unsupported: 0, control: 0 }) {
    this.counters = counters;
  }

  get videoTrack(): VideoTrack | undefined {
    return this.video;
  }

  get audioTrack(): AudioTrack | undefined {
    return this.audio;
  }

  /** One tag: type 8 audio, 9 video, 18 script data; `timestampMs` as the FLV tag or RTMP message has it. */
  push(type: number, timestampMs: number, body: Uint8Array): MediaEvent[] {
    if (type === 9) return this.pushVideo(timestampMs, body);
    if (type === 8) return this.pushAudio(timestampMs, body);
    if (type === 18) {
      const script = parseScriptTag(body);
      return [{ type: 'metadata', name: script.name, value: script.value }];
    }
    return [];
  }

  private pushVideo(timestampMs: number, body: Uint8Array): MediaEvent[] {
    let tag: ReturnType<typeof parseVideoTag>;
    try {
      tag = parseVideoTag(body);
    } catch (error) {
      // A codec the FLV parser does not know (Sorenson H.263, VP6, screen video): dropped and counted, as MP3 audio is.
      if (!(error instanceof FlvError && error.code === 'ERR_FLV_UNSUPPORTED_CODEC')) throw error;
      this.counters.unsupported++;
      return [];
    }
    if (tag.packetType === 'command' || tag.packetType === 'sequence-end' || tag.packetType === 'metadata') {
      this.counters.control++;
      return [];
    }
    if (tag.codec !== 'avc' && tag.codec !== 'hevc') {
      this.counters.unsupported++;
      return [];
    }
    if (tag.packetType === 'sequence-start') {
      if (this.video !== undefined && sameBytes(this.video.decoderConfig, tag.data)) return [];
      this.video = tag.codec === 'avc' ? avcTrack(VIDEO_TRACK_ID, tag.data) : hevcTrack(VIDEO_TRACK_ID, tag.data);
      this.videoTimes ??= new VideoTimestamps({ clock: this.clock });
      return [{ type: 'track', track: this.video }];
    }
    if (this.video === undefined || this.videoTimes === undefined || tag.data.length === 0) {
      this.counters.beforeConfig++;
      return [];
    }
    const { dts, pts } = this.videoTimes.next(timestampMs, tag.compositionTimeMs);
    const keyframe = tag.frameType === 'key' || tag.frameType === 'generated-key';
    return [{ type: 'sample', sample: { trackId: VIDEO_TRACK_ID, dts, pts, duration: 0, keyframe, data: tag.data } }];
  }

  private pushAudio(timestampMs: number, body: Uint8Array): MediaEvent[] {
    if (body.length === 0) return []; // E.4.2.1: an empty audio tag is silence signalling
    const tag = parseAudioTag(body);
    if (tag.codec !== 'aac') {
      this.counters.unsupported++;
      return [];
    }
    if (tag.packetType === 'sequence-end') {
      this.counters.control++;
      return [];
    }
    if (tag.packetType === 'sequence-start') {
      if (this.audio !== undefined && sameBytes(this.audio.decoderConfig, tag.data)) return [];
      this.audio = aacTrack(AUDIO_TRACK_ID, tag.data);
      this.audioTimes = new AudioTimestamps(this.audio, { clock: this.clock });
      return [{ type: 'track', track: this.audio }];
    }
    if (this.audio === undefined || this.audioTimes === undefined) {
      this.counters.beforeConfig++;
      return [];
    }
    const { dts, duration } = this.audioTimes.next(timestampMs);
    return [{ type: 'sample', sample: { trackId: AUDIO_TRACK_ID, dts, pts: dts, duration, keyframe: true, data: tag.data } }];
  }
}
