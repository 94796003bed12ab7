import { FlvFileReader, parseVideoTag } from '../flv/index.js';
import { TranscodeError } from '../errors/index.js';

/**
 * One rung's FLV as ffmpeg writes it on its pipe, read back with our own FLV reader: the AVC (or,
 * from an h265 rung, the enhanced-FLV HEVC) sequence header (the rung's decoder configuration) and each coded frame with its presentation
 * time in FLV milliseconds (tag timestamp + composition time). Incremental: push what the pipe
 * gave, take what is complete. ffmpeg's onMetaData and end-of-sequence tags carry nothing the
 * packager needs and are skipped; anything else in the pipe is an error of the tier, not a drift.
 */

export type RungEvent =
  | { readonly kind: 'config'; readonly config: Uint8Array; readonly codec: 'avc' | 'hevc' }
  | { readonly kind: 'frame'; readonly ptsMs: number; readonly dtsMs: number; readonly keyframe: boolean; readonly data: Uint8Array };

/**
 * A rung frame is one encoded picture: far below this even at 4K and a high bit rate (and below
 * what FLV's 24-bit size can state, so a broken pipe claiming a huge tag fails at its header).
 */
const MAX_RUNG_TAG_BYTES = 8 * 1024 * 1024;

export class RungReader {
  readonly name: string;
  readonly #reader = new FlvFileReader({ maxTagBytes: MAX_RUNG_TAG_BYTES });

  constructor(name: string) {
    this.name = name;
  }

  /** Bytes held for an incomplete tag. */
  get bufferedBytes(): number {
    return this.#reader.bufferedBytes;
  }

  /** The next bytes of the pipe; returns the events they complete. Throws FlvError on a broken stream. */
  push(chunk: Uint8Array): RungEvent[] {
    this.#reader.push(chunk);
    const events: RungEvent[] = [];
    for (let item = this.#reader.read(); item !== null; item = this.#reader.read()) {
      if (item.kind === 'header' || item.type === 18) continue;
      if (item.type !== 9) throw new TranscodeError('ERR_TRANSCODE_OUTPUT', `rung ${this.name}: an FLV tag of type ${item.type} on a video-only pipe`, { rung: this.name });
      const tag = parseVideoTag(item.body);
      if (tag.packetType === 'sequence-end' || tag.packetType === 'metadata') continue;
      if (tag.packetType === 'command' || (tag.codec !== 'avc' && tag.codec !== 'hevc')) {
        throw new TranscodeError('ERR_TRANSCODE_OUTPUT', `rung ${this.name}: ffmpeg wrote ${tag.packetType === 'command' ? 'a command frame' : tag.codec}, not AVC or HEVC frames`, { rung: this.name });
      }
      if (tag.packetType === 'sequence-start') events.push({ kind: 'config', config: tag.data, codec: tag.codec });
      else if (tag.data.length > 0) events.push({ kind: 'frame', ptsMs: item.timestamp + tag.compositionTimeMs, dtsMs: item.timestamp, keyframe: tag.frameType === 'key', data: tag.data });
    }
    return events;
  }
}
