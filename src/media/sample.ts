/**
 * One coded frame (design.md "Core types"). Times are integers in the track's timescale. `data` is
 * a view of the bytes that arrived (never copied on the way to HTTP): for AVC/HEVC the
 * length-prefixed NAL units as in FLV/MP4 (4-byte lengths), for AAC one raw access unit.
 */
export interface Sample {
  trackId: number;
  /** Decode time in track ticks; never decreases within a track. */
  dts: number;
  /** Presentation time in track ticks; pts − dts is the (signed) composition offset. */
  pts: number;
  /**
   * Ticks until the next sample's dts. Audio knows it up front (samplesPerFrame); video learns it
   * when the next frame arrives, so producers may leave it 0 and the segmenter fills it in.
   */
  duration: number;
  /** Decodable on its own (IDR / IRAP for video; every AAC frame). */
  keyframe: boolean;
  data: Uint8Array;
}
