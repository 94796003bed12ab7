/**
 * Messages whose body this layer passes on as it is, a view of the bytes received: audio (8) and
 * video (9) carry FLV tag bodies (src/flv reads them), aggregates (22) a run of FLV tags (7.1.6),
 * shared object events (19, 16 with the AMF3 format byte) are not used by live encoders (7.1.3).
 * Decoding and encoding them copy nothing.
 */
export interface OpaqueBody {
  payload: Uint8Array;
}

export function encodeOpaque(m: OpaqueBody): Uint8Array {
  return m.payload;
}

export function decodeOpaque(payload: Uint8Array): OpaqueBody {
  return { payload };
}
