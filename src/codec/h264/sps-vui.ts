import type { BitReader } from '../../bytes/index.js';
import { defaultVuiPrefix, readVuiPrefix, readVuiTolerantly, type VuiPrefix } from '../nal/vui-common.js';

/**
 * The VUI fields of an H.264 SPS that a packager uses (Annex E.1.1): the common prefix (aspect
 * ratio, colour) and timing_info. Reading stops after timing_info: the HRD parameters and
 * bitstream restrictions that follow change nothing tidecast reports.
 */
export interface H264Vui extends VuiPrefix {
  readonly vuiPresent: boolean;
  /** timing_info (E.1.1) when present. */
  readonly timing: { readonly numUnitsInTick: number; readonly timeScale: number; readonly fixedFrameRate: boolean } | undefined;
  /**
   * time_scale / (2 * num_units_in_tick) (E.2.1: a tick is one field period, two per frame), when
   * timing_info is present with both values non-zero. With fixed_frame_rate_flag 0 it is the
   * maximum rate, not a constant one.
   */
  readonly frameRate: number | undefined;
}

export function readH264Vui(r: BitReader): H264Vui {
  const prefix = defaultVuiPrefix();
  let timing: H264Vui['timing'];
  const vuiPresent = r.flag();
  if (vuiPresent) {
    readVuiTolerantly(() => {
      readVuiPrefix(r, prefix);
      if (!r.flag()) return;
      r.need(65);
      timing = { numUnitsInTick: r.bitsUnchecked(32), timeScale: r.bitsUnchecked(32), fixedFrameRate: r.flagUnchecked() };
    });
  }
  // E.2.1 requires both to be greater than 0; a zero says nothing about the rate, so none is given.
  const frameRate = timing !== undefined && timing.numUnitsInTick > 0 && timing.timeScale > 0 ? timing.timeScale / (2 * timing.numUnitsInTick) : undefined;
  return { vuiPresent, ...prefix, timing, frameRate };
}
