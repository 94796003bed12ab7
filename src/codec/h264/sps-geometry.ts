import type { BitReader } from '../../bytes/index.js';
import { invalidField } from '../codec-error.js';

/**
 * Picture size and cropping of an H.264 SPS (7.3.2.1.1, from pic_width_in_mbs_minus1 through the
 * frame_crop_*_offset fields) and the display size they give (7.4.2.1.1).
 */
export interface H264FrameGeometry {
  readonly picWidthInMbs: number;
  /** In map units: macroblock rows of a frame, or of a field when frame_mbs_only_flag is 0. */
  readonly picHeightInMapUnits: number;
  readonly frameMbsOnly: boolean;
  readonly mbAdaptiveFrameField: boolean;
  readonly direct8x8Inference: boolean;
  /** frame_crop_*_offset as coded, in crop units (all 0 without frame_cropping_flag). */
  readonly frameCrop: { readonly left: number; readonly right: number; readonly top: number; readonly bottom: number };
  /** Decoded frame size in luma samples: whole macroblocks, before cropping. */
  readonly codedWidth: number;
  readonly codedHeight: number;
  /** Display size in luma samples, after cropping. */
  readonly width: number;
  readonly height: number;
}

const STRUCTURE = 'H.264 SPS';

/** SubWidthC and SubHeightC by chroma_format_idc (Table 6-1); monochrome has no chroma. */
const SUB_WIDTH_C = [1, 2, 2, 1];
const SUB_HEIGHT_C = [1, 2, 1, 1];

export function frameGeometry(r: BitReader, chromaFormatIdc: number, separateColourPlane: boolean): H264FrameGeometry {
  const picWidthInMbs = r.ue() + 1;
  const picHeightInMapUnits = r.ue() + 1;
  const frameMbsOnly = r.flag();
  const mbAdaptiveFrameField = frameMbsOnly ? false : r.flag();
  const direct8x8Inference = r.flag();
  const frameCrop = r.flag() ? { left: r.ue(), right: r.ue(), top: r.ue(), bottom: r.ue() } : { left: 0, right: 0, top: 0, bottom: 0 };

  // 7.4.2.1.1: crop offsets count chroma samples, so a unit is SubWidthC x SubHeightC luma samples
  // (ChromaArrayType 0, i.e. monochrome or separate planes, crops in luma samples); a field-coded
  // stream crops each field, so vertical units double when frame_mbs_only_flag is 0.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const fieldFactor = frameMbsOnly ? 1 : 2;
  const cropUnitX = chromaArrayType === 0 ? 1 : SUB_WIDTH_C[chromaArrayType]!;
  const cropUnitY = (chromaArrayType === 0 ? 1 : SUB_HEIGHT_C[chromaArrayType]!) * fieldFactor;
  const codedWidth = picWidthInMbs * 16;
  const codedHeight = picHeightInMapUnits * 16 * fieldFactor;
  const width = codedWidth - cropUnitX * (frameCrop.left + frameCrop.right);
  const height = codedHeight - cropUnitY * (frameCrop.top + frameCrop.bottom);
  if (width < 1) throw invalidField(STRUCTURE, 'frame_crop_left_offset + frame_crop_right_offset', frameCrop.left + frameCrop.right, `crops all of ${codedWidth} columns`);
  if (height < 1) throw invalidField(STRUCTURE, 'frame_crop_top_offset + frame_crop_bottom_offset', frameCrop.top + frameCrop.bottom, `crops all of ${codedHeight} rows`);
  return { picWidthInMbs, picHeightInMapUnits, frameMbsOnly, mbAdaptiveFrameField, direct8x8Inference, frameCrop, codedWidth, codedHeight, width, height };
}
