import { type Box, fourcc, fullBox, writeZeros } from './box.js';

/** 8.4.3.3 handler_type of the media tracks tidecast writes. */
export type HandlerType = 'vide' | 'soun';

/**
 * HandlerReferenceBox, ISO/IEC 14496-12 8.4.3.
 *
 *   hdlr v0 | pre_defined u32 | handler_type u32 | reserved u32[3] | name utf8 + NUL
 *
 * The handler type is what makes a track video or audio to a reader; `name` is informative
 * ("for debugging and inspection purposes") and kept ASCII so its UTF-8 length is its length.
 */
export function hdlr(handlerType: HandlerType, name: string): Box {
  const type = fourcc(handlerType);
  const nameBytes = Buffer.byteLength(name, 'utf8');
  return fullBox('hdlr', 0, 0, 4 + 4 + 12 + nameBytes + 1, (w) => {
    w.u32(0).u32(type);
    writeZeros(w, 12);
    w.utf8(name, nameBytes).u8(0);
  });
}
