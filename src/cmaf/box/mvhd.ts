import { type Box, fullBox, MATRIX_BYTES, writeUnityMatrix, writeZeros } from './box.js';

/** Body bytes: 4 × 4 times + rate 4 + volume 2 + reserved 10 + matrix 36 + pre_defined 24 + 4. */
export const MVHD_BODY_BYTES = 16 + 4 + 2 + 10 + MATRIX_BYTES + 24 + 4;

export interface MvhdFields {
  /** Ticks per second of the movie-level times (here only the zero duration). */
  readonly timescale: number;
  /** Larger than every track_ID in use (8.2.2.3 next_track_ID). */
  readonly nextTrackId: number;
}

/**
 * MovieHeaderBox, ISO/IEC 14496-12 8.2.2, version 0.
 *
 *   mvhd v0 | creation_time u32 | modification_time u32 | timescale u32 | duration u32
 *           | rate 16.16 | volume 8.8 | reserved u16 | reserved u32[2] | matrix s32[9]
 *           | pre_defined u32[6] | next_track_ID u32
 *
 * Times are 0: a live header is written before anything is known about wall-clock or length.
 * The duration is that of the initial movie, which has no samples (all are in fragments); with
 * no MovieExtendsHeaderBox a reader computes the whole duration from the fragments (8.8.2).
 */
export function mvhd(fields: MvhdFields): Box {
  return fullBox('mvhd', 0, 0, MVHD_BODY_BYTES, (w) => {
    w.u32(0).u32(0).u32(fields.timescale).u32(0);
    w.u32(0x0001_0000); // rate 1.0: normal forward playback
    w.u16(0x0100); // volume 1.0: full
    writeZeros(w, 2 + 8);
    writeUnityMatrix(w);
    writeZeros(w, 24);
    w.u32(fields.nextTrackId);
  });
}
