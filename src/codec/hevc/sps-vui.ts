import type { BitReader } from '../../bytes/index.js';
import { defaultVuiPrefix, readVuiPrefix, readVuiTolerantly, type VuiPrefix } from '../nal/vui-common.js';

/**
 * The VUI fields of an H.265 SPS that a packager uses (E.2.1): the prefix shared with H.264, then
 * field_seq_flag and vui_timing_info. Reading stops after time_scale; the default display window
 * is skipped, not applied (players crop to the conformance window only, as FFmpeg does by default).
 */
export interface HevcVui extends VuiPrefix {
  readonly vuiPresent: boolean;
  /** field_seq_flag: each picture is one field, so two pictures make a frame. */
  readonly fieldSeq: boolean;
  readonly timing: { readonly numUnitsInTick: number; readonly timeScale: number } | undefined;
  /**
   * time_scale / num_units_in_tick (E.3.1: in H.265 a clock tick is one picture period), halved
   * when pictures are fields; undefined without timing info or with a zero in it.
   */
  readonly frameRate: number | undefined;
}

export function readHevcVui(r: BitReader): HevcVui {
  const prefix = defaultVuiPrefix();
  let fieldSeq = false;
  let timing: HevcVui['timing'];
  const vuiPresent = r.flag();
  if (vuiPresent) {
    readVuiTolerantly(() => {
      readVuiPrefix(r, prefix);
      r.need(4);
      r.skip(1); // neutral_chroma_indication_flag
      fieldSeq = r.flagUnchecked();
      r.skip(1); // frame_field_info_present_flag
      if (r.flagUnchecked()) for (let i = 0; i < 4; i++) r.ue(); // def_disp_win_*_offset
      if (!r.flag()) return;
      r.need(64);
      timing = { numUnitsInTick: r.bitsUnchecked(32), timeScale: r.bitsUnchecked(32) };
    });
  }
  const frameRate =
    timing !== undefined && timing.numUnitsInTick > 0 && timing.timeScale > 0 ? timing.timeScale / timing.numUnitsInTick / (fieldSeq ? 2 : 1) : undefined;
  return { vuiPresent, ...prefix, fieldSeq, timing, frameRate };
}
