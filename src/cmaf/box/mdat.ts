import { CmafError } from '../../errors/index.js';
import { BOX_HEADER_BYTES, type Box, fourcc } from './box.js';

const MDAT = fourcc('mdat');

/**
 * The header of a MediaDataBox, ISO/IEC 14496-12 8.1.1, without its payload.
 *
 *   mdat | size u32 = 8 + payload bytes | type 'mdat'       then the samples, back to back
 *
 * Unlike the other boxes, the value returned stands for the 8 header bytes only (`byteLength`
 * is 8): the payload is the samples' own bytes, which a fragment keeps as views and never copies
 * into its header buffer. A payload that would push the 32-bit size past 2^32 − 1 is refused
 * (the 64-bit largesize form is not written: no live fragment comes near 4 GiB).
 */
export function mdatHeader(payloadBytes: number): Box {
  const size = BOX_HEADER_BYTES + payloadBytes;
  if (size > 0xffff_ffff) {
    throw new CmafError('ERR_CMAF_INVALID', `mdat payload of ${payloadBytes} bytes does not fit a 32-bit box size`, { payloadBytes });
  }
  return {
    type: 'mdat',
    byteLength: BOX_HEADER_BYTES,
    writeTo(w) {
      w.u32(size).u32(MDAT);
    },
  };
}
