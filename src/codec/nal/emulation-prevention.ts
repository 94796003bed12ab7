/**
 * Emulation prevention (ITU-T H.264 7.4.1, H.265 7.4.2): inside a NAL unit an encoder inserts
 * emulation_prevention_three_byte 0x03 after every two zero bytes that would otherwise be followed
 * by 0x00..0x03, so no start code prefix (00 00 01) can appear in the payload. Parsers of RBSP
 * syntax (SPS, VUI) must remove those bytes before reading bits.
 */

/** The RBSP of `nal`: `nal` itself (the same view) when it holds no 00 00 03, else a copy without them. */
export function removeEmulationPrevention(nal: Uint8Array): Uint8Array {
  const first = findThreeByte(nal, 0);
  if (first < 0) return nal;
  const out = new Uint8Array(nal.length - 1);
  out.set(nal.subarray(0, first), 0);
  let length = first;
  let zeros = 0;
  for (let i = first + 1; i < nal.length; i++) {
    const b = nal[i]!;
    // After a removed 0x03 the zero count restarts: 00 00 03 00 00 03 holds two such bytes.
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[length++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, length);
}

/**
 * The NAL payload for an RBSP: `rbsp` itself when no 00 00 0x (x ≤ 3) occurs and it does not end
 * in 0x00, else a copy with 0x03 inserted (H.264 7.4.1: also after a final 00 00, so a trailing
 * zero cannot merge with a following start code).
 */
export function addEmulationPrevention(rbsp: Uint8Array): Uint8Array {
  let inserts = 0;
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      inserts++;
      zeros = 0;
    }
    zeros = b === 0 ? zeros + 1 : 0;
  }
  const trailing = zeros >= 2 ? 1 : 0;
  if (inserts + trailing === 0) return rbsp;
  const out = new Uint8Array(rbsp.length + inserts + trailing);
  let length = 0;
  zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out[length++] = 3;
      zeros = 0;
    }
    out[length++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (trailing === 1) out[length] = 3;
  return out;
}

/** Index of the first 0x03 preceded by two zero bytes, or -1. */
function findThreeByte(nal: Uint8Array, from: number): number {
  let i = nal.indexOf(0, from);
  while (i >= 0 && i + 2 < nal.length) {
    if (nal[i + 1] !== 0) {
      i = nal.indexOf(0, i + 2);
    } else if (nal[i + 2] === 3) {
      return i + 2;
    } else if (nal[i + 2] === 0) {
      i += 1;
    } else {
      i = nal.indexOf(0, i + 3);
    }
  }
  return -1;
}
