import { joinTagParts, malformed, SI24_MAX, SI24_MIN, unsupported, writeFourCc, writeSi24, type FlvTagParts } from './tag-fields.js';
import { LEGACY_VIDEO_CODEC_IDS, VIDEO_FOURCCS, type VideoCodec, type VideoFrameType, type VideoPacketType } from './video-tag.js';

/**
 * Builds VIDEODATA bodies (FLV 10.1 E.4.3.1, E-RTMP v2 ExVideoTagHeader). Sizes are computed
 * first and the body is written once; the payload is copied exactly once, into the tag.
 * `buildVideoTagParts` copies nothing: it returns the tag header and the payload as the view it was
 * given, for writers that copy both into their own output (the RTMP chunk writer).
 *
 * Which form: AVC is written legacy (every RTMP player reads it); HEVC, AV1 and VP9 are written
 * enhanced, as OBS and ffmpeg publish them. `enhanced` overrides that: true writes avc1 enhanced,
 * false writes HEVC under the non-standard legacy CodecID 12. Enhanced avc1/hvc1 frames with a
 * CompositionTime of 0 use CodedFramesX, three bytes shorter, as ffmpeg's muxer does.
 */

/** A media tag to build; omitted fields take the defaults above (compositionTimeMs 0). */
export interface VideoMediaTagInit {
  readonly codec: VideoCodec;
  readonly frameType: VideoFrameType;
  readonly packetType: VideoPacketType;
  readonly compositionTimeMs?: number;
  readonly data: Uint8Array;
  readonly enhanced?: boolean;
}

/** A command frame to build: legacy with `codec`'s CodecID (AVC if omitted), or enhanced. */
export interface VideoCommandTagInit {
  readonly frameType: 'command';
  readonly packetType: 'command';
  readonly command: number;
  readonly codec?: VideoCodec | undefined;
  readonly enhanced?: boolean;
}

export type VideoTagInit = VideoMediaTagInit | VideoCommandTagInit;

const FRAME_TYPE_VALUES: Readonly<Record<VideoFrameType, number>> = { key: 1, inter: 2, disposable: 3, 'generated-key': 4, command: 5 };
const LEGACY_PACKET_TYPE_VALUES: Readonly<Record<VideoPacketType, number | undefined>> = {
  'sequence-start': 0,
  'coded-frames': 1,
  'sequence-end': 2,
  metadata: undefined,
};
/** E-RTMP VideoPacketType values the builder writes. */
const EX = { sequenceStart: 0, codedFrames: 1, sequenceEnd: 2, codedFramesX: 3, metadata: 4 } as const;
const EX_HEADER_BIT = 0x80;

export function buildVideoTag(tag: VideoTagInit): Uint8Array {
  return tag.packetType === 'command' ? buildCommand(tag) : joinTagParts(buildMediaParts(tag));
}

/** The same tag as `buildVideoTag`, as its header bytes and `data` itself (a command has an empty payload). */
export function buildVideoTagParts(tag: VideoTagInit): FlvTagParts {
  return tag.packetType === 'command' ? { header: buildCommand(tag), payload: EMPTY } : buildMediaParts(tag);
}

const EMPTY = new Uint8Array(0);

function buildCommand(tag: VideoCommandTagInit): Uint8Array {
  if (!Number.isInteger(tag.command) || tag.command < 0 || tag.command > 0xff) {
    throw malformed('video', 'videoCommand', `command ${tag.command} is not a UI8`, { command: String(tag.command) });
  }
  // E-RTMP: an enhanced command frame is header byte + command, no FourCC; the packet type
  // nibble only has to avoid Metadata and ModEx, so it says CodedFrames.
  const frameType = FRAME_TYPE_VALUES.command << 4;
  const b0 = tag.enhanced === true ? EX_HEADER_BIT | frameType | EX.codedFrames : frameType | legacyId(tag.codec ?? 'avc');
  return Uint8Array.of(b0, tag.command);
}

function buildMediaParts(tag: VideoMediaTagInit): FlvTagParts {
  const ct = tag.compositionTimeMs ?? 0;
  if (!Number.isInteger(ct) || ct < SI24_MIN || ct > SI24_MAX) {
    throw malformed('video', 'compositionTimeOffset', `compositionTimeMs ${ct} does not fit an SI24`, { compositionTimeMs: String(ct) });
  }
  if (tag.frameType === 'command' && tag.packetType !== 'metadata') {
    // It would read back as a command frame: only Metadata ignores FrameType (E-RTMP v2).
    throw malformed('video', 'frameType', `a ${tag.packetType} tag cannot have FrameType command`, { packetType: tag.packetType });
  }
  const enhanced = tag.enhanced ?? tag.codec !== 'avc';
  return { header: enhanced ? enhancedHeader(tag, ct) : legacyHeader(tag, ct), payload: tag.data };
}

function legacyId(codec: VideoCodec): number {
  const id = LEGACY_VIDEO_CODEC_IDS[codec];
  if (id === undefined) throw unsupported('video', `${codec} has no legacy CodecID; build it enhanced`, { codec });
  return id;
}

function legacyHeader(tag: VideoMediaTagInit, ct: number): Uint8Array {
  const codecId = legacyId(tag.codec);
  const packetType = LEGACY_PACKET_TYPE_VALUES[tag.packetType];
  if (packetType === undefined) {
    throw malformed('video', 'AVCPacketType', 'legacy video tags have no metadata packet; build it enhanced', {
      packetType: tag.packetType,
    });
  }
  const out = new Uint8Array(5);
  out[0] = (FRAME_TYPE_VALUES[tag.frameType] << 4) | codecId;
  out[1] = packetType;
  writeSi24(out, 2, ct);
  return out;
}

function enhancedHeader(tag: VideoMediaTagInit, ct: number): Uint8Array {
  const hasCtField = tag.codec === 'avc' || tag.codec === 'hevc';
  if (ct !== 0 && !(hasCtField && tag.packetType === 'coded-frames')) {
    throw malformed('video', 'compositionTimeOffset', `an enhanced ${tag.codec} ${tag.packetType} tag has no CompositionTime`, {
      compositionTimeMs: ct,
    });
  }
  const packetType = exPacketType(tag.packetType, hasCtField && ct === 0);
  const out = new Uint8Array(packetType === EX.codedFrames && hasCtField ? 8 : 5);
  out[0] = EX_HEADER_BIT | (FRAME_TYPE_VALUES[tag.frameType] << 4) | packetType;
  writeFourCc(out, 1, VIDEO_FOURCCS[tag.codec]);
  if (out.length === 8) writeSi24(out, 5, ct);
  return out;
}

/** CodedFramesX only for avc1/hvc1 with a zero offset: E-RTMP defines it for those two alone. */
function exPacketType(packetType: VideoPacketType, implicitZeroOffset: boolean): number {
  switch (packetType) {
    case 'sequence-start':
      return EX.sequenceStart;
    case 'coded-frames':
      return implicitZeroOffset ? EX.codedFramesX : EX.codedFrames;
    case 'sequence-end':
      return EX.sequenceEnd;
    case 'metadata':
      return EX.metadata;
  }
}
