import type { BitReader } from '../../bytes/index.js';
import { codecBitReader, invalidField, ueMax } from '../codec-error.js';
import { removeEmulationPrevention } from '../nal/emulation-prevention.js';
import { HEVC_NAL_TYPE, hevcNalType } from './nal-types.js';
import { readProfileTierLevel, type HevcProfileTierLevel } from './profile-tier-level.js';
import { readShortTermRps, skipLongTermRefPics, skipScalingListData, type ShortTermRps } from './sps-lists.js';
import { readHevcVui, type HevcVui } from './sps-vui.js';

/**
 * seq_parameter_set_rbsp() of ITU-T H.265 7.3.2.2.1, read through the VUI timing info. Sizes are
 * in luma samples; `width`/`height` apply the conformance window (7.4.3.2.1).
 */
export interface HevcSps extends HevcProfileTierLevel, HevcVui {
  readonly vpsId: number;
  readonly maxSubLayers: number;
  readonly temporalIdNesting: boolean;
  readonly spsId: number;
  readonly chromaFormatIdc: number;
  readonly separateColourPlane: boolean;
  readonly codedWidth: number;
  readonly codedHeight: number;
  /** conf_win_*_offset as coded, in chroma sample units (all 0 without a conformance window). */
  readonly conformanceWindow: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  readonly width: number;
  readonly height: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly log2MaxPicOrderCntLsb: number;
}

const STRUCTURE = 'H.265 SPS';
/** SubWidthC / SubHeightC by ChromaArrayType (Table 6-1). */
const SUB_WIDTH_C = [1, 2, 2, 1];
const SUB_HEIGHT_C = [1, 2, 1, 1];

/** Parses an SPS NAL unit (with its two-byte NAL header, emulation prevention still in). */
export function parseHevcSps(nal: Uint8Array): HevcSps {
  if (nal.length > 0 && hevcNalType(nal) !== HEVC_NAL_TYPE.SPS) {
    throw invalidField(STRUCTURE, 'nal_unit_type', hevcNalType(nal), `is not ${HEVC_NAL_TYPE.SPS} (SPS_NUT)`);
  }
  const r = codecBitReader(removeEmulationPrevention(nal), STRUCTURE);
  r.need(24);
  r.skip(16);
  const vpsId = r.bitsUnchecked(4);
  const maxSubLayersMinus1 = r.bitsUnchecked(3);
  if (maxSubLayersMinus1 > 6) throw invalidField(STRUCTURE, 'sps_max_sub_layers_minus1', maxSubLayersMinus1, 'exceeds 6');
  const temporalIdNesting = r.flagUnchecked();
  const ptl = readProfileTierLevel(r, maxSubLayersMinus1);
  const spsId = ueMax(r, STRUCTURE, 'sps_seq_parameter_set_id', 15);
  const chromaFormatIdc = ueMax(r, STRUCTURE, 'chroma_format_idc', 3);
  const separateColourPlane = chromaFormatIdc === 3 ? r.flag() : false;
  const size = readPictureSize(r, separateColourPlane ? 0 : chromaFormatIdc);
  const bitDepthLuma = 8 + ueMax(r, STRUCTURE, 'bit_depth_luma_minus8', 8);
  const bitDepthChroma = 8 + ueMax(r, STRUCTURE, 'bit_depth_chroma_minus8', 8);
  const log2MaxPicOrderCntLsb = 4 + ueMax(r, STRUCTURE, 'log2_max_pic_order_cnt_lsb_minus4', 12);
  skipCodingTools(r, maxSubLayersMinus1, log2MaxPicOrderCntLsb);
  const vui = readHevcVui(r);
  return {
    vpsId, maxSubLayers: maxSubLayersMinus1 + 1, temporalIdNesting, ...ptl, spsId, chromaFormatIdc, separateColourPlane,
    ...size, bitDepthLuma, bitDepthChroma, log2MaxPicOrderCntLsb, ...vui,
  };
}

type PictureSize = Pick<HevcSps, 'codedWidth' | 'codedHeight' | 'conformanceWindow' | 'width' | 'height'>;

function readPictureSize(r: BitReader, chromaArrayType: number): PictureSize {
  const codedWidth = r.ue();
  const codedHeight = r.ue();
  if (codedWidth === 0 || codedHeight === 0) throw invalidField(STRUCTURE, 'pic_width/height_in_luma_samples', `${codedWidth}x${codedHeight}`, 'is empty');
  const conformanceWindow = r.flag() ? { left: r.ue(), right: r.ue(), top: r.ue(), bottom: r.ue() } : { left: 0, right: 0, top: 0, bottom: 0 };
  const width = codedWidth - SUB_WIDTH_C[chromaArrayType]! * (conformanceWindow.left + conformanceWindow.right);
  const height = codedHeight - SUB_HEIGHT_C[chromaArrayType]! * (conformanceWindow.top + conformanceWindow.bottom);
  if (width < 1) throw invalidField(STRUCTURE, 'conf_win_left_offset + conf_win_right_offset', conformanceWindow.left + conformanceWindow.right, `crops all of ${codedWidth} columns`);
  if (height < 1) throw invalidField(STRUCTURE, 'conf_win_top_offset + conf_win_bottom_offset', conformanceWindow.top + conformanceWindow.bottom, `crops all of ${codedHeight} rows`);
  return { codedWidth, codedHeight, conformanceWindow, width, height };
}

/** The fields between the POC size and the VUI: DPB sizes, block sizes, tools and reference lists. */
function skipCodingTools(r: BitReader, maxSubLayersMinus1: number, log2MaxPicOrderCntLsb: number): void {
  const orderingForAll = r.flag(); // sps_sub_layer_ordering_info_present_flag
  for (let i = orderingForAll ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    ueMax(r, STRUCTURE, 'sps_max_dec_pic_buffering_minus1', 15);
    ueMax(r, STRUCTURE, 'sps_max_num_reorder_pics', 15);
    r.ue(); // sps_max_latency_increase_plus1
  }
  for (let i = 0; i < 6; i++) r.ue(); // coding and transform block sizes, transform hierarchy depths
  if (r.flag() && r.flag()) skipScalingListData(r); // scaling_list_enabled, sps_scaling_list_data_present
  r.skip(2); // amp_enabled_flag, sample_adaptive_offset_enabled_flag
  if (r.flag()) {
    r.skip(8); // pcm_sample_bit_depth_luma_minus1, pcm_sample_bit_depth_chroma_minus1
    r.ue(); // log2_min_pcm_luma_coding_block_size_minus3
    r.ue(); // log2_diff_max_min_pcm_luma_coding_block_size
    r.skip(1); // pcm_loop_filter_disabled_flag
  }
  const numSets = ueMax(r, STRUCTURE, 'num_short_term_ref_pic_sets', 64);
  const sets: ShortTermRps[] = [];
  for (let i = 0; i < numSets; i++) sets.push(readShortTermRps(r, sets));
  if (r.flag()) skipLongTermRefPics(r, log2MaxPicOrderCntLsb);
  r.skip(2); // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
}
