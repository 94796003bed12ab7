import {
  lookup,
  malformed,
  need,
  printableFourCc,
  readFourCc,
  readSi24,
  unsupported,
  unwrapModEx,
  type ExPacketRule,
} from './tag-fields.js';

/**
 * VIDEODATA tag bodies (FLV 10.1 E.4.3.1) as RTMP video messages and .flv video tags carry them,
 * legacy and Enhanced RTMP (E-RTMP v1/v2, veovera/enhanced-rtmp):
 *
 *   legacy    FrameType UB4 | CodecID UB4 | AVCPacketType UI8 | CompositionTime SI24 | data
 *   enhanced  1 | FrameType UB3 | PacketType UB4 | [ModEx…] | FourCC | [CompositionTime SI24] | data
 *
 * The legacy form carries AVC (CodecID 7) and, as Chinese CDNs and encoders do, HEVC under
 * CodecID 12 with the same layout; the enhanced form carries hvc1, av01, vp09 and avc1.
 * `data` is always a view of the body, never a copy.
 */

export type VideoCodec = 'avc' | 'hevc' | 'av1' | 'vp9';

/** VideoFrameType 1–5. 'command' (5) carries a UI8 command instead of media. */
export type VideoFrameType = 'key' | 'inter' | 'disposable' | 'generated-key' | 'command';

export type VideoPacketType = 'sequence-start' | 'coded-frames' | 'sequence-end' | 'metadata';

/** A video tag that carries a decoder configuration, coded frames, an end of sequence or metadata. */
export interface VideoMediaTag {
  readonly codec: VideoCodec;
  /** For 'metadata' the spec says to ignore it; it is reported as sent. */
  readonly frameType: VideoFrameType;
  readonly packetType: VideoPacketType;
  /** PTS − DTS in ms (ISO/IEC 14496-12 8.6.1); 0 where the form has no CompositionTime field. */
  readonly compositionTimeMs: number;
  /**
   * sequence-start: the avcC / hvcC / av1C / vpcC record; coded-frames: length-prefixed NAL units
   * (avc, hevc), OBUs (av1) or a frame (vp9); metadata: AMF0 [name, value] pairs; sequence-end:
   * whatever follows the header (normally nothing).
   */
  readonly data: Uint8Array;
  /** The body used the E-RTMP ExVideoTagHeader. */
  readonly enhanced: boolean;
}

/**
 * A video info / command frame (FrameType 5): no media, one UI8 command (0 start of client-side
 * seeking, 1 end). The enhanced form names no FourCC, so `codec` is known only for legacy ones.
 */
export interface VideoCommandTag {
  readonly frameType: 'command';
  readonly packetType: 'command';
  readonly command: number;
  readonly codec: VideoCodec | undefined;
  readonly enhanced: boolean;
}

export type VideoTag = VideoMediaTag | VideoCommandTag;

/** VideoFrameType by value; 0, 6 and 7 are reserved. */
const FRAME_TYPES: readonly (VideoFrameType | undefined)[] = [undefined, 'key', 'inter', 'disposable', 'generated-key', 'command'];
const FRAME_TYPE_COMMAND = 5;

/** Legacy CodecID (E.4.3.1); 12 is the de-facto HEVC id, not in Adobe's table. */
export const LEGACY_VIDEO_CODEC_IDS: Readonly<Partial<Record<VideoCodec, number>>> = { avc: 7, hevc: 12 };
const LEGACY_CODECS: Readonly<Record<string, VideoCodec>> = { 7: 'avc', 12: 'hevc' };

/** AVCPacketType (E.4.3.1): 0 sequence header, 1 NALU, 2 end of sequence. */
const LEGACY_PACKET_TYPES: readonly VideoPacketType[] = ['sequence-start', 'coded-frames', 'sequence-end'];

/** E-RTMP VideoFourCc values we carry. vp08 is defined there but not by tidecast. */
export const VIDEO_FOURCCS: Readonly<Record<VideoCodec, string>> = { avc: 'avc1', hevc: 'hvc1', av1: 'av01', vp9: 'vp09' };
const FOURCC_CODECS: Readonly<Record<string, VideoCodec>> = { avc1: 'avc', hvc1: 'hevc', av01: 'av1', vp09: 'vp9' };

/**
 * E-RTMP VideoPacketType by value. CodedFrames has a CompositionTime only for avc1 and hvc1;
 * CodedFramesX is the same packet with the field left out because it is 0. 7 (ModEx) is unwrapped
 * before this table is read; 8–15 are reserved.
 */
export const EX_VIDEO_PACKET_TYPES: readonly (ExPacketRule<VideoPacketType> | undefined)[] = [
  { carries: 'sequence-start' },
  { carries: 'coded-frames', compositionTime: true },
  { carries: 'sequence-end' },
  { carries: 'coded-frames' },
  { carries: 'metadata' },
  { unsupported: 'MPEG2TSSequenceStart' },
  { unsupported: 'Multitrack' },
];
const EX_PACKET_METADATA = 4;

/** Parses a video tag body; throws FlvError (ERR_FLV_TAG_MALFORMED, ERR_FLV_UNSUPPORTED_CODEC). */
export function parseVideoTag(body: Uint8Array): VideoTag {
  need(body, 0, 1, 'video', 'VideoTagHeader');
  const b0 = body[0]!;
  return (b0 & 0x80) !== 0 ? parseEnhanced(body, b0) : parseLegacy(body, b0);
}

function frameTypeOf(value: number): VideoFrameType {
  const frameType = FRAME_TYPES[value];
  if (frameType === undefined) throw malformed('video', 'frameType', `reserved VideoFrameType ${value}`, { frameType: value });
  return frameType;
}

function command(body: Uint8Array, pos: number, codec: VideoCodec | undefined, enhanced: boolean): VideoCommandTag {
  need(body, pos, 1, 'video', 'videoCommand');
  return { frameType: 'command', packetType: 'command', command: body[pos]!, codec, enhanced };
}

function parseLegacy(body: Uint8Array, b0: number): VideoTag {
  const frameType = frameTypeOf(b0 >> 4);
  const codecId = b0 & 0x0f;
  const codec = lookup(LEGACY_CODECS, String(codecId));
  // E-RTMP's legacy pseudocode: the command byte follows the first byte, whatever the codec.
  if (b0 >> 4 === FRAME_TYPE_COMMAND) return command(body, 1, codec, false);
  if (codec === undefined) throw unsupported('video', `legacy CodecID ${codecId} is not AVC (7) or HEVC (12)`, { codecId });
  need(body, 1, 4, 'video', 'AVCPacketType');
  const packetType = LEGACY_PACKET_TYPES[body[1]!];
  if (packetType === undefined) {
    throw malformed('video', 'AVCPacketType', `AVCPacketType ${body[1]} is not 0, 1 or 2`, { packetType: body[1]! });
  }
  return { codec, frameType, packetType, compositionTimeMs: readSi24(body, 2), data: body.subarray(5), enhanced: false };
}

function parseEnhanced(body: Uint8Array, b0: number): VideoTag {
  const frameTypeValue = (b0 >> 4) & 0x07;
  const frameType = frameTypeOf(frameTypeValue);
  const { packetType, pos } = unwrapModEx(body, b0 & 0x0f, 1, 'video');
  // Command frames have no FourCC; metadata ignores the frame type (E-RTMP ExVideoTagHeader).
  if (frameTypeValue === FRAME_TYPE_COMMAND && packetType !== EX_PACKET_METADATA) return command(body, pos, undefined, true);
  const rule = EX_VIDEO_PACKET_TYPES[packetType];
  if (rule === undefined) throw malformed('video', 'videoPacketType', `reserved VideoPacketType ${packetType}`, { packetType });
  if ('unsupported' in rule) throw unsupported('video', `E-RTMP ${rule.unsupported} is not supported`, { packetType: rule.unsupported });
  need(body, pos, 4, 'video', 'videoFourCc');
  const fourCc = readFourCc(body, pos);
  const codec = lookup(FOURCC_CODECS, fourCc);
  if (codec === undefined) throw unsupported('video', `FourCC ${printableFourCc(fourCc)}`, { fourcc: printableFourCc(fourCc) });
  let p = pos + 4;
  let compositionTimeMs = 0;
  if (rule.compositionTime === true && (codec === 'avc' || codec === 'hevc')) {
    need(body, p, 3, 'video', 'compositionTimeOffset');
    compositionTimeMs = readSi24(body, p);
    p += 3;
  }
  return { codec, frameType, packetType: rule.carries, compositionTimeMs, data: body.subarray(p), enhanced: true };
}
