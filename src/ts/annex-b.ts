import { parseAvcC, parseHvcC, splitNalUnits, type NalLengthSize } from '../codec/index.js';
import { MediaError } from '../errors/index.js';
import type { VideoTrack } from '../media/index.js';

/**
 * Video access units as MPEG-TS carries them (ISO/IEC 13818-1 2.14 for H.264, 2.17 for H.265):
 * Annex B byte streams, each NAL unit after a start code, every access unit opened by an access
 * unit delimiter (2.14.1: "each AVC access unit shall contain an access unit delimiter NAL unit"),
 * and, since a TS decoder may join at any random access point, the parameter sets in front of each
 * IDR/IRAP picture whose sample lacks them (MP4 and FLV keep them in the decoder configuration).
 *
 * The output is a list of pieces: shared start codes and AUDs, and views of the sample's own NAL
 * units, written straight into TS packets; nothing is copied here.
 */

/** 00 00 00 01: zero_byte + start_code_prefix_one_3bytes, which Annex B (B.1.2) wants before parameter sets and an access unit's first NAL. */
const START_CODE = Uint8Array.of(0, 0, 0, 1);

interface NalSyntax {
  readonly type: (nal: Uint8Array) => number;
  readonly audType: number;
  /** Parameter set types in the order a decoder needs them. */
  readonly parameterSetTypes: readonly number[];
  readonly isRandomAccess: (type: number) => boolean;
  readonly aud: (firstVcl: Uint8Array | undefined) => Uint8Array;
}

/** H.264 7.3.1: nal_unit_type is the low 5 bits; AUD 9, SPS 7, PPS 8, IDR slice 5. */
const AVC: NalSyntax = {
  type: (nal) => nal[0]! & 0x1f,
  audType: 9,
  parameterSetTypes: [7, 8],
  isRandomAccess: (type) => type === 5,
  // primary_pic_type 7 (any slice type) + rbsp_stop_one_bit (H.264 7.3.2.4).
  aud: () => Uint8Array.of(0x09, 0xf0),
};

/**
 * H.265 7.3.1.2: a 2-byte header, nal_unit_type in bits 6..1 of the first; AUD 35, VPS 32, SPS 33,
 * PPS 34, IRAP pictures 16–23. The AUD's TemporalId must equal its access unit's (7.4.2.4.4), so it
 * copies nuh_temporal_id_plus1 from the first slice.
 */
const HEVC: NalSyntax = {
  type: (nal) => (nal[0]! >>> 1) & 0x3f,
  audType: 35,
  parameterSetTypes: [32, 33, 34],
  isRandomAccess: (type) => type >= 16 && type <= 23,
  // pic_type 2 (I, P or B slices) + rbsp_stop_one_bit (H.265 7.3.2.5).
  aud: (firstVcl) => Uint8Array.of(35 << 1, firstVcl === undefined || firstVcl.length < 2 ? 1 : firstVcl[1]! & 0x07 || 1, 0x50),
};

/** What converting a track's samples needs from its decoder configuration. */
export interface AnnexBConfig {
  readonly syntax: NalSyntax;
  readonly nalLengthSize: NalLengthSize;
  /** Parameter sets of the configuration record, in decoding order (VPS, SPS, PPS). */
  readonly parameterSets: readonly Uint8Array[];
}

/** Reads avcC or hvcC once per track (CodecError when malformed; MediaError for another codec). */
export function annexBConfig(track: VideoTrack): AnnexBConfig {
  if (track.codec === 'avc') {
    const c = parseAvcC(track.decoderConfig);
    return { syntax: AVC, nalLengthSize: c.nalLengthSize, parameterSets: [...c.sps, ...c.pps] };
  }
  if (track.codec === 'hevc') {
    const c = parseHvcC(track.decoderConfig);
    return { syntax: HEVC, nalLengthSize: c.nalLengthSize, parameterSets: [...c.vps, ...c.sps, ...c.pps] };
  }
  throw new MediaError('ERR_MEDIA_INVALID', `track ${track.id}: ${track.codec} has no MPEG-TS mapping here (H.264 and H.265 only)`, { trackId: track.id, codec: track.codec });
}

export interface AnnexBPieces {
  readonly chunks: readonly Uint8Array[];
  readonly byteLength: number;
  /** The access unit holds an IDR (H.264) or IRAP (H.265) picture. */
  readonly randomAccess: boolean;
}

/**
 * One length-prefixed sample as Annex B pieces: AUD, then (at a random access point, or a sample
 * marked `keyframe`) the configuration's parameter sets of each type the sample does not carry,
 * then the sample's NAL units (a sample carrying some parameter sets gets the missing ones just
 * before its first slice, so an SPS it brings still precedes the configuration's PPS), any AUD of its own dropped (an AUD anywhere but first would start
 * another access unit). A NAL length past the sample's end is ERR_CODEC_TRUNCATED.
 */
export function annexBPieces(data: Uint8Array, keyframe: boolean, config: AnnexBConfig): AnnexBPieces {
  const { syntax } = config;
  const nals = splitNalUnits(data, config.nalLengthSize);
  let randomAccess = false;
  let firstVcl: Uint8Array | undefined;
  const present = new Set<number>();
  for (const nal of nals) {
    const type = syntax.type(nal);
    present.add(type);
    if (syntax.isRandomAccess(type)) randomAccess = true;
    if (firstVcl === undefined && isVcl(syntax, type)) firstVcl = nal;
  }
  const missing = randomAccess || keyframe ? config.parameterSets.filter((ps) => ps.length > 0 && !present.has(syntax.type(ps))) : [];
  // Before everything (SEI included, which may need the SPS to parse), unless the sample brings
  // some parameter sets itself: then the missing ones go after those, just before the first slice.
  const carriesSome = syntax.parameterSetTypes.some((t) => present.has(t));
  const chunks: Uint8Array[] = [START_CODE, syntax.aud(firstVcl)];
  if (!carriesSome) for (const ps of missing) chunks.push(START_CODE, ps);
  for (const nal of nals) {
    if (syntax.type(nal) === syntax.audType) continue;
    if (nal === firstVcl && carriesSome) for (const ps of missing) chunks.push(START_CODE, ps);
    chunks.push(START_CODE, nal);
  }
  let byteLength = 0;
  for (const c of chunks) byteLength += c.length;
  return { chunks, byteLength, randomAccess: randomAccess || keyframe };
}

/** `annexBPieces` joined into one buffer (tests, tools). */
export function annexB(data: Uint8Array, keyframe: boolean, config: AnnexBConfig): Uint8Array {
  const { chunks, byteLength } = annexBPieces(data, keyframe, config);
  const out = new Uint8Array(byteLength);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** VCL NAL unit types: H.264 1–5 (7.4.1), H.265 0–31 (7.4.2.2). */
function isVcl(syntax: NalSyntax, type: number): boolean {
  return syntax === AVC ? type >= 1 && type <= 5 : type < 32;
}
