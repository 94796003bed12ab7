import type { BitReader } from '../../bytes/index.js';
import { invalidField, ueMax } from '../codec-error.js';

/**
 * The variable-length lists inside an H.265 SPS that must be walked to reach the VUI: scaling list
 * data (7.3.4), short-term reference picture sets (7.3.7) and long-term reference pictures. Only
 * their length matters to tidecast, but that depends on their values, so each is decoded.
 */

const STRUCTURE = 'H.265 SPS';

/** scaling_list_data(): 4x4, 8x8, 16x16 (six matrices each) and 32x32 (two). */
export function skipScalingListData(r: BitReader): void {
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    const step = sizeId === 3 ? 3 : 1;
    for (let matrixId = 0; matrixId < 6; matrixId += step) {
      if (!r.flag()) {
        ueMax(r, STRUCTURE, 'scaling_list_pred_matrix_id_delta', matrixId / step);
        continue;
      }
      const coefNum = Math.min(64, 1 << (4 + (sizeId << 1)));
      if (sizeId > 1) checkSe(r, 'scaling_list_dc_coef_minus8', -7, 247);
      for (let i = 0; i < coefNum; i++) checkSe(r, 'scaling_list_delta_coef', -128, 127);
    }
  }
}

function checkSe(r: BitReader, field: string, min: number, max: number): number {
  const value = r.se();
  if (value < min || value > max) throw invalidField(STRUCTURE, field, value, `outside ${min}..${max}`);
  return value;
}

/** A short-term RPS as 7.4.8 derives it: DeltaPocS0 (negative, nearest first) and DeltaPocS1. */
export interface ShortTermRps {
  readonly s0: readonly number[];
  readonly s1: readonly number[];
}

/**
 * num_negative_pics and num_positive_pics are at most sps_max_dec_pic_buffering_minus1, itself
 * below MaxDpbSize = 16 (A.4.2); the bound keeps a hostile count from driving the loop.
 */
const MAX_PICS_PER_LIST = 16;

/** st_ref_pic_set(stRpsIdx) as it appears in an SPS (so delta_idx_minus1 is absent, inferred 0). */
export function readShortTermRps(r: BitReader, sets: readonly ShortTermRps[]): ShortTermRps {
  const ref = sets[sets.length - 1];
  if (ref !== undefined && r.flag()) return readPredictedRps(r, ref);
  const numNegative = ueMax(r, STRUCTURE, 'num_negative_pics', MAX_PICS_PER_LIST);
  const numPositive = ueMax(r, STRUCTURE, 'num_positive_pics', MAX_PICS_PER_LIST);
  const s0: number[] = [];
  const s1: number[] = [];
  for (let i = 0, poc = 0; i < numNegative; i++) {
    poc -= ueMax(r, STRUCTURE, 'delta_poc_s0_minus1', 0x7fff) + 1;
    s0.push(poc);
    r.skip(1); // used_by_curr_pic_s0_flag
  }
  for (let i = 0, poc = 0; i < numPositive; i++) {
    poc += ueMax(r, STRUCTURE, 'delta_poc_s1_minus1', 0x7fff) + 1;
    s1.push(poc);
    r.skip(1); // used_by_curr_pic_s1_flag
  }
  return { s0, s1 };
}

/**
 * inter_ref_pic_set_prediction_flag = 1: the set is the previous one shifted by deltaRps, with
 * entries dropped by use_delta_flag; the order below is equations 7-61 and 7-62.
 */
function readPredictedRps(r: BitReader, ref: ShortTermRps): ShortTermRps {
  const sign = r.flag() ? -1 : 1;
  const deltaRps = sign * (ueMax(r, STRUCTURE, 'abs_delta_rps_minus1', 0x7fff) + 1);
  const numDelta = ref.s0.length + ref.s1.length;
  const use: boolean[] = [];
  for (let j = 0; j <= numDelta; j++) use.push(r.flag() || r.flag()); // used_by_curr_pic_flag, else use_delta_flag
  const neg = ref.s0.length;
  const s0: number[] = [];
  const s1: number[] = [];
  for (let j = ref.s1.length - 1; j >= 0; j--) if (ref.s1[j]! + deltaRps < 0 && use[neg + j]) s0.push(ref.s1[j]! + deltaRps);
  if (deltaRps < 0 && use[numDelta]) s0.push(deltaRps);
  for (let j = 0; j < neg; j++) if (ref.s0[j]! + deltaRps < 0 && use[j]) s0.push(ref.s0[j]! + deltaRps);
  for (let j = neg - 1; j >= 0; j--) if (ref.s0[j]! + deltaRps > 0 && use[j]) s1.push(ref.s0[j]! + deltaRps);
  if (deltaRps > 0 && use[numDelta]) s1.push(deltaRps);
  for (let j = 0; j < ref.s1.length; j++) if (ref.s1[j]! + deltaRps > 0 && use[neg + j]) s1.push(ref.s1[j]! + deltaRps);
  if (s0.length > MAX_PICS_PER_LIST || s1.length > MAX_PICS_PER_LIST) {
    throw invalidField(STRUCTURE, 'NumDeltaPocs', s0.length + s1.length, `exceeds ${MAX_PICS_PER_LIST} per list`);
  }
  return { s0, s1 };
}

/** long_term_ref_pics_present_flag's list: lt_ref_pic_poc_lsb_sps u(v) and a used flag each. */
export function skipLongTermRefPics(r: BitReader, log2MaxPicOrderCntLsb: number): void {
  const count = ueMax(r, STRUCTURE, 'num_long_term_ref_pics_sps', 32);
  r.skip(count * (log2MaxPicOrderCntLsb + 1));
}
