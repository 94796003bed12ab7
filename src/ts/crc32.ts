/**
 * CRC_32 of MPEG-2 PSI sections (ISO/IEC 13818-1 Annex A): polynomial 0x04C11DB7, register
 * preset to all ones, bits fed most significant first, no final inversion. A section followed by
 * its CRC_32 runs the register to zero, which is how a decoder checks it.
 */

const POLYNOMIAL = 0x04c1_1db7;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000_0000 ? (crc << 1) ^ POLYNOMIAL : crc << 1;
    table[byte] = crc >>> 0;
  }
  return table;
})();

/** The CRC_32 of `bytes[start, end)` as an unsigned 32-bit number. */
export function crc32Mpeg2(bytes: Uint8Array, start: number = 0, end: number = bytes.length): number {
  let crc = 0xffff_ffff;
  for (let i = start; i < end; i++) crc = ((crc << 8) ^ TABLE[((crc >>> 24) ^ bytes[i]!) & 0xff]!) >>> 0;
  return crc;
}
