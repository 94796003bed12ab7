import { BitWriter } from '../../src/bytes/index.js';
import { addEmulationPrevention } from '../../src/codec/index.js';

/**
 * Test-only SPS writers that follow the syntax tables field by field (H.264 7.3.2.1.1, H.265
 * 7.3.2.2.1), for the branches no encoder at hand emits: pic_order_cnt_type 1, SPS scaling lists,
 * 4:4:4 with separate planes, H.265 scaling_list_data, predicted short-term RPS, long-term
 * pictures, sub-layers. Tests check the field that comes after such a branch (the VUI frame rate),
 * so a parser that consumed one bit too many or too few is caught.
 */

export interface VuiFields {
  aspectRatioIdc?: number;
  sar?: [number, number];
  videoSignal?: { fullRange: boolean; colour?: [number, number, number] };
  chromaLoc?: [number, number];
  /** H.265 only. */
  fieldSeq?: boolean;
  /** H.265 only. */
  defaultDisplayWindow?: [number, number, number, number];
  /** H.264: [num_units_in_tick, time_scale, fixed_frame_rate_flag]; H.265 ignores the flag. */
  timing?: [number, number, boolean];
}

export interface H264SpsFields {
  profileIdc: number;
  constraintFlags?: number;
  levelIdc: number;
  spsId?: number;
  /** Written for the High profiles (7.3.2.1.1); omit for Baseline/Main/Extended. */
  chroma?: { chromaFormatIdc: number; separateColourPlane?: boolean; bitDepthLumaMinus8?: number; bitDepthChromaMinus8?: number; scalingLists?: Array<number[] | undefined> };
  log2MaxFrameNumMinus4?: number;
  poc: { type: 0; log2MaxPocLsbMinus4: number } | { type: 1; deltaAlwaysZero: boolean; offsetNonRef: number; offsetTopBottom: number; offsets: number[] } | { type: 2 };
  maxNumRefFrames?: number;
  widthMbs: number;
  heightMapUnits: number;
  frameMbsOnly?: boolean;
  mbaff?: boolean;
  crop?: [number, number, number, number];
  vui?: VuiFields;
}

/** Writes an H.264 SPS NAL unit (header 0x67, emulation prevention applied). */
export function writeH264Sps(f: H264SpsFields): Uint8Array {
  const w = new BitWriter(4096);
  w.bits(0x67, 8).bits(f.profileIdc, 8).bits(f.constraintFlags ?? 0, 8).bits(f.levelIdc, 8).ue(f.spsId ?? 0);
  if (f.chroma !== undefined) {
    const c = f.chroma;
    w.ue(c.chromaFormatIdc);
    if (c.chromaFormatIdc === 3) w.flag(c.separateColourPlane ?? false);
    w.ue(c.bitDepthLumaMinus8 ?? 0).ue(c.bitDepthChromaMinus8 ?? 0).flag(false);
    w.flag(c.scalingLists !== undefined);
    for (const list of c.scalingLists ?? []) {
      w.flag(list !== undefined);
      for (const delta of list ?? []) w.se(delta);
    }
  }
  w.ue(f.log2MaxFrameNumMinus4 ?? 0).ue(f.poc.type);
  if (f.poc.type === 0) w.ue(f.poc.log2MaxPocLsbMinus4);
  if (f.poc.type === 1) {
    w.flag(f.poc.deltaAlwaysZero).se(f.poc.offsetNonRef).se(f.poc.offsetTopBottom).ue(f.poc.offsets.length);
    for (const o of f.poc.offsets) w.se(o);
  }
  w.ue(f.maxNumRefFrames ?? 1).flag(false).ue(f.widthMbs - 1).ue(f.heightMapUnits - 1);
  w.flag(f.frameMbsOnly ?? true);
  if (f.frameMbsOnly === false) w.flag(f.mbaff ?? false);
  w.flag(true).flag(f.crop !== undefined);
  for (const c of f.crop ?? []) w.ue(c);
  w.flag(f.vui !== undefined);
  if (f.vui !== undefined) {
    writeVuiPrefix(w, f.vui);
    w.flag(f.vui.timing !== undefined);
    if (f.vui.timing !== undefined) w.bits(f.vui.timing[0], 32).bits(f.vui.timing[1], 32).flag(f.vui.timing[2]);
    w.bits(0, 4); // nal_hrd, vcl_hrd, pic_struct, bitstream_restriction: none
  }
  return finish(w, 1);
}

export interface HevcSpsFields {
  maxSubLayersMinus1?: number;
  ptl: { space: number; tier: 0 | 1; idc: number; compat: number; constraint: number; level: number };
  subLayers?: Array<{ profile: boolean; level: boolean }>;
  spsId?: number;
  chromaFormatIdc: number;
  separateColourPlane?: boolean;
  width: number;
  height: number;
  conf?: [number, number, number, number];
  bitDepthLumaMinus8?: number;
  bitDepthChromaMinus8?: number;
  log2MaxPocLsbMinus4?: number;
  orderingInfoForAll?: boolean;
  /** 'data': scaling_list_data() with both prediction and explicit lists; 'default': enabled, no data. */
  scalingList?: 'data' | 'default';
  pcm?: boolean;
  /** Each set: explicit delta_poc_minus1 lists, or prediction from the previous set with the flag pairs to write. */
  rps?: Array<{ s0: number[]; s1: number[] } | { negative: boolean; absMinus1: number; flags: Array<[boolean, boolean?]> }>;
  longTerm?: number;
  vui?: VuiFields;
}

/** Writes an H.265 SPS NAL unit (header 42 01, emulation prevention applied). */
export function writeHevcSps(f: HevcSpsFields): Uint8Array {
  const w = new BitWriter(4096);
  const subLayers = f.maxSubLayersMinus1 ?? 0;
  w.bits(0x4201, 16).bits(0, 4).bits(subLayers, 3).flag(true);
  writePtlGeneral(w, f.ptl);
  w.bits(f.ptl.level, 8);
  const sub = f.subLayers ?? [];
  for (let i = 0; i < subLayers; i++) w.flag(sub[i]?.profile ?? false).flag(sub[i]?.level ?? false);
  if (subLayers > 0) for (let i = subLayers; i < 8; i++) w.bits(0, 2);
  for (let i = 0; i < subLayers; i++) {
    if (sub[i]?.profile) writePtlGeneral(w, { ...f.ptl, compat: 0xffffffff });
    if (sub[i]?.level) w.bits(0xaa, 8);
  }
  w.ue(f.spsId ?? 0).ue(f.chromaFormatIdc);
  if (f.chromaFormatIdc === 3) w.flag(f.separateColourPlane ?? false);
  w.ue(f.width).ue(f.height).flag(f.conf !== undefined);
  for (const c of f.conf ?? []) w.ue(c);
  const log2PocLsbMinus4 = f.log2MaxPocLsbMinus4 ?? 4;
  w.ue(f.bitDepthLumaMinus8 ?? 0).ue(f.bitDepthChromaMinus8 ?? 0).ue(log2PocLsbMinus4);
  w.flag(f.orderingInfoForAll ?? false);
  for (let i = f.orderingInfoForAll ? 0 : subLayers; i <= subLayers; i++) w.ue(4).ue(2).ue(0);
  w.ue(0).ue(3).ue(0).ue(3).ue(2).ue(2); // CTB 8..64, TB 4..32, hierarchy depths
  w.flag(f.scalingList !== undefined);
  if (f.scalingList !== undefined) w.flag(f.scalingList === 'data');
  if (f.scalingList === 'data') writeScalingListData(w);
  w.flag(true).flag(true).flag(f.pcm ?? false);
  if (f.pcm) w.bits(7, 4).bits(7, 4).ue(0).ue(1).flag(true);
  const rps = f.rps ?? [];
  w.ue(rps.length);
  rps.forEach((set, i) => {
    if (i > 0) w.flag('flags' in set);
    if ('flags' in set) {
      w.flag(set.negative).ue(set.absMinus1);
      for (const [used, useDelta] of set.flags) {
        w.flag(used);
        if (!used) w.flag(useDelta ?? true);
      }
    } else {
      w.ue(set.s0.length).ue(set.s1.length);
      for (const d of [...set.s0, ...set.s1]) w.ue(d).flag(true);
    }
  });
  w.flag(f.longTerm !== undefined);
  if (f.longTerm !== undefined) {
    w.ue(f.longTerm);
    for (let i = 0; i < f.longTerm; i++) w.bits(i, log2PocLsbMinus4 + 4).flag(i % 2 === 0);
  }
  w.flag(true).flag(true).flag(f.vui !== undefined);
  if (f.vui !== undefined) {
    writeVuiPrefix(w, f.vui);
    w.flag(false).flag(f.vui.fieldSeq ?? false).flag(false).flag(f.vui.defaultDisplayWindow !== undefined);
    for (const o of f.vui.defaultDisplayWindow ?? []) w.ue(o);
    w.flag(f.vui.timing !== undefined);
    if (f.vui.timing !== undefined) w.bits(f.vui.timing[0], 32).bits(f.vui.timing[1], 32).flag(false).flag(false);
    w.flag(false); // bitstream_restriction_flag
  }
  w.flag(false); // sps_extension_present_flag
  return finish(w, 2);
}

function writePtlGeneral(w: BitWriter, p: HevcSpsFields['ptl']): void {
  w.bits(p.space, 2).bits(p.tier, 1).bits(p.idc, 5).bits(p.compat, 32);
  w.bits(Math.floor(p.constraint / 2 ** 32), 16).bits(p.constraint % 2 ** 32, 32);
}

/** Every matrix: sizeId 0 predicted, 1 explicit, 2 and 3 explicit with a DC coefficient. */
function writeScalingListData(w: BitWriter): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let matrixId = 0; matrixId < 6; matrixId += sizeId === 3 ? 3 : 1) {
      const explicit = sizeId > 0 && matrixId !== 1;
      w.flag(explicit);
      if (!explicit) {
        w.ue(matrixId === 0 ? 0 : 1);
        continue;
      }
      if (sizeId > 1) w.se(8);
      for (let i = 0; i < Math.min(64, 1 << (4 + (sizeId << 1))); i++) w.se(i % 3 === 0 ? -1 : 1);
    }
  }
}

function writeVuiPrefix(w: BitWriter, v: VuiFields): void {
  w.flag(v.aspectRatioIdc !== undefined);
  if (v.aspectRatioIdc !== undefined) {
    w.bits(v.aspectRatioIdc, 8);
    if (v.aspectRatioIdc === 255) w.bits(v.sar?.[0] ?? 0, 16).bits(v.sar?.[1] ?? 0, 16);
  }
  w.flag(true).flag(false); // overscan_info_present, overscan_appropriate
  w.flag(v.videoSignal !== undefined);
  if (v.videoSignal !== undefined) {
    w.bits(5, 3).flag(v.videoSignal.fullRange).flag(v.videoSignal.colour !== undefined);
    for (const c of v.videoSignal.colour ?? []) w.bits(c, 8);
  }
  w.flag(v.chromaLoc !== undefined);
  for (const c of v.chromaLoc ?? []) w.ue(c);
}

/** rbsp_trailing_bits, then emulation prevention over everything after the NAL header. */
function finish(w: BitWriter, headerBytes: number): Uint8Array {
  w.flag(true).alignToByte();
  const nal = w.buf.subarray(0, w.pos >>> 3);
  return Uint8Array.of(...nal.subarray(0, headerBytes), ...addEmulationPrevention(nal.subarray(headerBytes)));
}
