import { CmafError } from '../../errors/index.js';
import { type Box, fixed16x16, fullBox, MATRIX_BYTES, writeUnityMatrix, writeZeros } from './box.js';

/** 8.3.2.3 flags: the track is enabled (a disabled track is ignored by players). */
export const TKHD_TRACK_ENABLED = 0x000001;
/** 8.3.2.3 flags: the track is used in the presentation. */
export const TKHD_TRACK_IN_MOVIE = 0x000002;

/** Body bytes: 5 × u32 + reserved 8 + layer/group/volume/reserved 8 + matrix 36 + size 8. */
export const TKHD_BODY_BYTES = 20 + 8 + 8 + MATRIX_BYTES + 8;

export interface TkhdFields {
  readonly trackId: number;
  /** 0x0100 (1.0) for audio, 0 for video (8.3.2.3). */
  readonly volume: number;
  /** Visual presentation size in pixels (may be fractional after SAR scaling); 0 for audio. */
  readonly width: number;
  readonly height: number;
}

/**
 * TrackHeaderBox, ISO/IEC 14496-12 8.3.2, version 0.
 *
 *   tkhd v0 flags | creation_time u32 | modification_time u32 | track_ID u32 | reserved u32
 *                 | duration u32 | reserved u32[2] | layer s16 | alternate_group s16
 *                 | volume 8.8 | reserved u16 | matrix s32[9] | width 16.16 | height 16.16
 *
 * Flags are enabled + in_movie (a disabled track is ignored by players); in_preview is left clear,
 * as players do not use it. Duration is 0 for the same reason as in mvhd.
 */
export function tkhd(fields: TkhdFields): Box {
  if (!(fields.width >= 0 && fields.width < 0x1_0000 && fields.height >= 0 && fields.height < 0x1_0000)) {
    throw new CmafError('ERR_CMAF_INVALID', `track size ${fields.width}x${fields.height} does not fit 16.16 fixed point`, {
      width: fields.width,
      height: fields.height,
    });
  }
  return fullBox('tkhd', 0, TKHD_TRACK_ENABLED | TKHD_TRACK_IN_MOVIE, TKHD_BODY_BYTES, (w) => {
    w.u32(0).u32(0).u32(fields.trackId).u32(0).u32(0);
    writeZeros(w, 8);
    w.u16(0).u16(0); // layer 0, alternate_group 0: one track of its kind per header
    w.u16(fields.volume).u16(0);
    writeUnityMatrix(w);
    w.u32(fixed16x16(fields.width)).u32(fixed16x16(fields.height));
  });
}
