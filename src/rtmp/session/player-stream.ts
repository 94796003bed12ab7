import { RtmpError } from '../../errors/index.js';
import {
  ChunkStreamId,
  MessageType,
  UserControlEvent,
  onStatusMessage,
  userControlMessage,
  type RtmpMessage,
  type RtmpMessageHeader,
  type SplitBody,
} from '../message/index.js';
import { StatusCode, status } from './status.js';

/** What a player stream needs from its session. */
export interface PlayerOutput {
  send(m: RtmpMessage): void;
  /** `header` with the parts, in order, as its body (RtmpConnection.sendParts). */
  sendParts(header: RtmpMessageHeader, parts: readonly Uint8Array[]): void;
  pendingBytes(): number;
  maxOutgoingBufferBytes(): number;
  fail(err: RtmpError): void;
}

export interface VideoWriteOptions {
  /** The frame decodes on its own: skipping may end here. */
  keyframe?: boolean;
  /** Never dropped: sequence headers and metadata, without which nothing after decodes. */
  essential?: boolean;
}

/**
 * One stream a player is watching, fed by whoever wired it (the hub later, a test now). Writes never
 * block and never queue without bound: past `maxOutgoingBufferBytes` of unsent bytes the player
 * skips to the next keyframe once it has drained to half of that; once it is more than twice that
 * behind (bytes unsent plus bytes skipped while skipping) it is dropped.
 */
export class PlayerStream {
  readonly messageStreamId: number;
  readonly streamKey: string;
  /** Frames not sent because the player was too slow. */
  dropped = 0;
  private readonly out: PlayerOutput;
  private skipping = false;
  /**
   * Payload bytes dropped while the player had not drained. A player that stops reading never
   * drains, so its queue alone stays under the limit (nothing more is queued once it skips);
   * counting what it missed is what lets "twice the limit" end such a player instead of leaving
   * it skipping for ever. Reset once it has drained to half the limit.
   */
  private skippedBytes = 0;
  private ended = false;
  paused = false;

  constructor(out: PlayerOutput, messageStreamId: number, streamKey: string) {
    this.out = out;
    this.messageStreamId = messageStreamId;
    this.streamKey = streamKey;
  }

  get active(): boolean {
    return !this.ended;
  }

  /**
   * An FLV audio tag body at `timestamp` ms: one buffer, or its header and payload apart
   * (buildAudioTagParts), which are copied into the chunks without being joined first.
   */
  writeAudio(timestamp: number, payload: Uint8Array | SplitBody, essential = false): void {
    this.write(MessageType.AUDIO, ChunkStreamId.AUDIO, timestamp, payload, false, essential);
  }

  /** An FLV video tag body at `timestamp` ms, as one buffer or apart as in writeAudio. */
  writeVideo(timestamp: number, payload: Uint8Array | SplitBody, options: VideoWriteOptions = {}): void {
    this.write(MessageType.VIDEO, ChunkStreamId.VIDEO, timestamp, payload, options.keyframe ?? false, options.essential ?? false);
  }

  /** A data message (onMetaData): strip `@setDataFrame` first (see stripSetDataFrame). */
  writeData(timestamp: number, payload: Uint8Array): void {
    this.write(MessageType.DATA_AMF0, ChunkStreamId.DATA, timestamp, payload, false, true);
  }

  /** The publisher left: Stream EOF and UnpublishNotify (what FMS and nginx-rtmp send), then nothing more. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.out.send(userControlMessage(UserControlEvent.STREAM_EOF, this.messageStreamId));
    this.out.send(onStatusMessage(this.messageStreamId, status(StatusCode.PLAY_UNPUBLISH_NOTIFY, `${this.streamKey} is now unpublished.`)));
  }

  /** Marks the stream stopped without telling the player (deleteStream, close). */
  detach(): void {
    this.ended = true;
  }

  private write(typeId: number, csid: number, timestamp: number, body: Uint8Array | SplitBody, keyframe: boolean, essential: boolean): void {
    if (this.ended || (this.paused && !essential)) return;
    const pending = this.out.pendingBytes();
    const max = this.out.maxOutgoingBufferBytes();
    if (pending > 2 * max) {
      this.out.fail(
        new RtmpError('ERR_RTMP_OUTGOING_BUFFER_FULL', `player of ${this.streamKey} has ${pending} bytes unsent, above twice maxOutgoingBufferBytes ${max}`, { pending, limit: max }),
      );
      return;
    }
    if (!essential) {
      if (pending > max) this.skipping = true;
      if (this.skipping) {
        if (!(keyframe && pending <= max / 2)) {
          this.dropped++;
          // A player that has drained is only waiting for a keyframe: it is not falling behind.
          this.skippedBytes = pending <= max / 2 ? 0 : this.skippedBytes + bodyLength(body);
          if (pending + this.skippedBytes > 2 * max) {
            this.out.fail(
              new RtmpError('ERR_RTMP_OUTGOING_BUFFER_FULL', `player of ${this.streamKey} is ${pending + this.skippedBytes} bytes behind (${pending} unsent, ${this.skippedBytes} skipped), above twice maxOutgoingBufferBytes ${max}`, { pending, skipped: this.skippedBytes, limit: max }),
            );
          }
          return;
        }
        this.skipping = false;
        this.skippedBytes = 0;
      }
    }
    const header = { chunkStreamId: csid, typeId, timestamp, messageStreamId: this.messageStreamId };
    if (body instanceof Uint8Array) this.out.send({ ...header, payload: body });
    else this.out.sendParts(header, [body.header, body.payload]);
  }
}

function bodyLength(body: Uint8Array | SplitBody): number {
  return body instanceof Uint8Array ? body.length : body.header.length + body.payload.length;
}
