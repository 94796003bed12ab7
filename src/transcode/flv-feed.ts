import { FlvFileWriter, buildScriptTag, buildVideoTagParts } from '../flv/index.js';
import type { Sample, VideoTrack } from '../media/index.js';
import { TranscodeError } from '../errors/index.js';

/**
 * The source's video as FLV for ffmpeg's stdin (research/transcode.md §2): the FLV header, an
 * onMetaData that names the codec and size (so ffmpeg opens its stream from the first bytes, with
 * `-probesize 32768 -analyzeduration 0` and no `-fflags nobuffer`, which drops the first GOP), the
 * sequence header, then every frame. Audio never goes to ffmpeg: the source's AAC is packaged as it
 * is, the ladder's one audio group.
 *
 * Timestamps are the contract. FLV carries milliseconds; the hub's video ticks come from RTMP
 * milliseconds, so they convert exactly, and a rung frame's time converts back to the very tick
 * count of the source frame it was made from (`sourcePts`). Each process's feed is rebased so the
 * first frame's decode time is FEED_OFFSET_MS: never negative (a B-frame source's first keyframe decodes
 * before it presents) and far from 0 (ffmpeg shifted a source starting at PTS 0 by the B-frame
 * delay despite -copyts), and far from the 32-bit wrap whatever the source's clock says.
 */

/** Where each ffmpeg process's first decode time is placed on its FLV timeline. */
export const FEED_OFFSET_MS = 10_000;

/** FLV 10.1 E.4.3.1 CodecID 7: AVC. */
const AVC_CODEC_ID = 7;

export class FlvFeed {
  readonly track: VideoTrack;
  /** The source decode time (ms) placed at FEED_OFFSET_MS: the first frame's. */
  #baseMs: number | undefined;
  readonly #writer = new FlvFileWriter({ hasAudio: false, hasVideo: true });
  readonly #ticksPerMs: number;
  readonly #codec: 'avc' | 'hevc';

  constructor(track: VideoTrack) {
    if (track.codec !== 'avc' && track.codec !== 'hevc') {
      throw new TranscodeError('ERR_TRANSCODE_UNSUPPORTED', `the FLV feed carries AVC and HEVC sources, not ${track.codec}`, { codec: track.codec });
    }
    if (track.timescale % 1000 !== 0) {
      throw new TranscodeError('ERR_TRANSCODE_UNSUPPORTED', `a video timescale of ${track.timescale} does not count whole milliseconds; the FLV feed needs one that does`, { timescale: track.timescale });
    }
    this.track = track;
    this.#ticksPerMs = track.timescale / 1000;
    this.#codec = track.codec;
  }

  /**
   * The FLV header, onMetaData and the sequence header: the first bytes ffmpeg reads. onMetaData
   * is stamped 0, as FLV writers put it: at FEED_OFFSET_MS ffmpeg 5.1 took it for a data stream
   * of its own (an extra input stream, and a frame-rate guess of 30.30).
   */
  start(): Uint8Array[] {
    const { track } = this;
    const metadata = buildScriptTag('onMetaData', {
      width: track.width,
      height: track.height,
      ...(track.frameRate === undefined ? {} : { framerate: Math.round(track.frameRate * 1000) / 1000 }),
      // HEVC goes as Enhanced RTMP (FourCC hvc1), which ffmpeg reads from 6.1 on: no legacy codec id names it.
      ...(track.codec === 'avc' ? { videocodecid: AVC_CODEC_ID } : {}),
    });
    const config = buildVideoTagParts({ codec: this.#codec, frameType: 'key', packetType: 'sequence-start', data: track.decoderConfig });
    return [this.#writer.header(), ...this.#writer.tag(18, 0, metadata), ...this.#tag(FEED_OFFSET_MS, config.header, config.payload)];
  }

  /** One frame: tag header, the body's header, the payload (not copied), the trailer. */
  frame(sample: Sample): Uint8Array[] {
    const dtsMs = this.#ms(sample.dts);
    this.#baseMs ??= dtsMs;
    const body = buildVideoTagParts({ codec: this.#codec, frameType: sample.keyframe ? 'key' : 'inter', packetType: 'coded-frames', compositionTimeMs: this.#ms(sample.pts) - dtsMs, data: sample.data });
    return this.#tag(dtsMs - this.#baseMs + FEED_OFFSET_MS, body.header, body.payload);
  }

  /** The source presentation time (track ticks) of an output frame stamped `flvPtsMs` by ffmpeg. */
  sourcePts(flvPtsMs: number): number {
    return (flvPtsMs - FEED_OFFSET_MS + (this.#baseMs ?? 0)) * this.#ticksPerMs;
  }

  /** Whether `ticks` is a whole number of milliseconds: only such frames can be fed and found again. */
  exact(ticks: number): boolean {
    return ticks % this.#ticksPerMs === 0;
  }

  #ms(ticks: number): number {
    return Math.round(ticks / this.#ticksPerMs);
  }

  #tag(timestampMs: number, header: Uint8Array, payload: Uint8Array): Uint8Array[] {
    return this.#writer.tagPieces(9, timestampMs, payload.length === 0 ? [header] : [header, payload]);
  }
}
